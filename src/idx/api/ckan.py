"""The open data catalog through CKAN's Action API, so CKAN clients and harvesters read it unchanged.

``/api/3/action/<name>`` (and ``/api/action/<name>``, where the ``ckanapi`` client calls) answers
GET with query parameters and POST with a JSON body, in CKAN's envelope: ``help``, ``success``
and ``result``, or ``error`` with CKAN's ``__type`` names and statuses (404 Not Found Error,
409 Validation Error and Search Query Error, 400 Bad request). Only reading actions exist: the
catalog is written through the back office, where review and audit happen.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable, Mapping
from typing import Any

from django.http import Http404, HttpResponse, JsonResponse
from django.http.response import HttpResponseBase
from django.utils import translation
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET

from idx.common.files import serve_private_file
from idx.identity.models import Department
from idx.opendata import selectors
from idx.opendata.licenses import LICENSES
from idx.opendata.models import Dataset, Resource, Theme
from idx.opendata.selectors import NotInCatalog, SearchQueryError
from idx.web.http import IdxRequest

# The release line of CKAN whose Action API these answers follow.
CKAN_API_VERSION = "2.10"


class BadRequest(Exception):
    pass


# ---- the shapes CKAN clients expect ---------------------------------------------------------------


def _iso(value: Any) -> str | None:
    return value.replace(tzinfo=None).isoformat(timespec="microseconds") if value else None


def site_url(request: IdxRequest) -> str:
    # Asked once per file of every dataset shown: build it once per request.
    cached: str | None = getattr(request, "_ckan_site_url", None)
    if cached is None:
        cached = request.build_absolute_uri("/").rstrip("/")
        request._ckan_site_url = cached  # type: ignore[attr-defined]
    return cached


def organization_dict(department: Department, package_count: int | None = None) -> dict[str, Any]:
    title = department.name
    result: dict[str, Any] = {
        "id": department.code,
        "name": department.code,
        "title": title,
        "display_name": title,
        "title_translated": {"ja": department.name, "en": department.name_en},
        "description": "",
        "image_url": "",
        "type": "organization",
        "is_organization": True,
        "approval_status": "approved",
        "state": "active",
        "created": _iso(department.created_at),
    }
    if package_count is not None:
        result["package_count"] = package_count
    return result


@functools.cache
def theme_titles(theme: str) -> tuple[str, str]:
    """A theme's Japanese and English titles (fixed at start: a search of 100 rows asks 100 times)."""
    with translation.override("ja"):
        title = str(Theme(theme).label)
    with translation.override("en"):
        title_en = str(Theme(theme).label)
    return title, title_en


@functools.cache
def license_title_ja(license_id: str) -> str:
    with translation.override("ja"):
        return str(LICENSES[license_id].title)


def group_dict(theme: str, package_count: int | None = None) -> dict[str, Any]:
    title, title_en = theme_titles(theme)
    result: dict[str, Any] = {
        "id": theme,
        "name": theme,
        "title": title,
        "display_name": title,
        "title_translated": {"ja": title, "en": title_en},
        "description": "",
        "image_display_url": "",
        "type": "group",
        "is_organization": False,
        "state": "active",
    }
    if package_count is not None:
        result["package_count"] = package_count
    return result


def download_url(request: IdxRequest, resource: Resource) -> str:
    return f"{site_url(request)}/dataset/{resource.dataset.name}/resource/{resource.uid}/download/{resource.filename}"


def resource_dict(request: IdxRequest, resource: Resource) -> dict[str, Any]:
    return {
        "id": str(resource.uid),
        "package_id": str(resource.dataset.uid),
        "name": resource.names.get("ja", ""),
        "name_translated": dict(resource.names),
        "description": resource.descriptions.get("ja", ""),
        "description_translated": dict(resource.descriptions),
        "format": resource.format,
        "mimetype": resource.media_type,
        "url": download_url(request, resource),
        "url_type": "upload",
        "size": resource.size,
        "hash": f"sha256:{resource.sha256}",
        "position": resource.position,
        "created": _iso(resource.created_at),
        "last_modified": _iso(resource.updated_at),
        "metadata_modified": _iso(resource.updated_at),
        "datastore_active": resource.datastore_active,
        "state": "active",
    }


def package_dict(request: IdxRequest, dataset: Dataset) -> dict[str, Any]:
    license = LICENSES[dataset.license_id]
    resources = sorted(dataset.resources.all(), key=lambda resource: (resource.position, resource.pk))
    for resource in resources:
        resource.dataset = dataset  # one query for the dataset, not one per file
    license_title = license_title_ja(license.id)
    extras = {
        "frequency": dataset.frequency,
        "spatial_text": dataset.spatial,
        "temporal_start": dataset.temporal_start.isoformat() if dataset.temporal_start else "",
        "temporal_end": dataset.temporal_end.isoformat() if dataset.temporal_end else "",
        "contact_phone": dataset.contact_phone,
        "standard_dataset": dataset.standard,
        "language": "ja",
        # Tim Berners-Lee's 5-star level of the best file (1 to 3; "0" while it has no files).
        "openness_stars": str(dataset.openness_stars),
    }
    return {
        "id": str(dataset.uid),
        "name": dataset.name,
        "title": dataset.titles.get("ja", ""),
        "title_translated": dict(dataset.titles),
        "notes": dataset.descriptions.get("ja", ""),
        "notes_translated": dict(dataset.descriptions),
        "type": "dataset",
        "state": "active",
        "private": False,
        "license_id": license.id,
        "license_title": license_title,
        "license_url": license.url,
        "isopen": True,
        "author": None,
        "author_email": None,
        "maintainer": dataset.contact_name,
        "maintainer_email": dataset.contact_email or None,
        "metadata_created": _iso(dataset.created_at),
        "metadata_modified": _iso(dataset.updated_at),
        "url": f"{site_url(request)}/opendata/{dataset.name}/",
        "version": None,
        "owner_org": dataset.department.code,
        "organization": organization_dict(dataset.department),
        "groups": [group_dict(dataset.theme)],
        "tags": [
            {"id": tag, "name": tag, "display_name": tag, "state": "active", "vocabulary_id": None}
            for tag in dataset.tags
        ],
        "num_tags": len(dataset.tags),
        "resources": [resource_dict(request, resource) for resource in resources],
        "num_resources": len(resources),
        "extras": [{"key": key, "value": value} for key, value in extras.items() if value],
        "relationships_as_object": [],
        "relationships_as_subject": [],
    }


# ---- the actions --------------------------------------------------------------------------------


# Offsets past this are refused: no catalog is that large, and a database's integers end somewhere.
OFFSET_MAX = 2**31 - 1


def _int(params: Mapping[str, Any], name: str, default: int, *, minimum: int | None = None) -> int:
    value = params.get(name, default)
    if isinstance(value, bool):
        raise SearchQueryError(message="Must be a whole number", field=name)
    try:
        number = int(value)
    except (TypeError, ValueError, OverflowError) as exc:
        raise SearchQueryError(message="Must be a whole number", field=name) from exc
    if minimum is not None and number < minimum:
        raise SearchQueryError(message=f"Must be {minimum} or more", field=name)
    if number > OFFSET_MAX:
        raise SearchQueryError(message=f"Must be {OFFSET_MAX} or less", field=name)
    return number


def _list_param(value: Any) -> list[str]:
    """CKAN takes lists as JSON text in a query string (facet.field=["tags"]) or as lists in JSON."""
    if value in (None, ""):
        return []
    if isinstance(value, list):
        return [str(item) for item in value]
    text = str(value)
    if text.startswith("["):
        try:
            parsed = json.loads(text)
        except ValueError as exc:
            raise BadRequest(f"Could not read the list {text[:50]}") from exc
        return [str(item) for item in parsed]
    return [part.strip() for part in text.split(",") if part.strip()]


def _bool(value: Any) -> bool:
    return value is True or str(value).lower() in ("true", "1", "yes")


def package_list(request: IdxRequest, params: Mapping[str, Any]) -> Any:
    """The names of the published datasets (limit and offset page through them)."""
    names = selectors.published_datasets(municipality=request.municipality).order_by("name")
    offset = _int(params, "offset", 0, minimum=0)
    limit = params.get("limit")
    names_list = names.values_list("name", flat=True)
    if limit not in (None, ""):
        return list(names_list[offset : offset + _int(params, "limit", 0, minimum=0)])
    return list(names_list[offset:])


def package_show(request: IdxRequest, params: Mapping[str, Any]) -> Any:
    """One dataset by name or id, with its resources."""
    dataset = selectors.dataset_get_published(
        municipality=request.municipality,
        name_or_id=str(params.get("id") or params.get("name_or_id") or ""),
    )
    return package_dict(request, dataset)


def package_search(request: IdxRequest, params: Mapping[str, Any]) -> Any:
    """Search with q, fq, sort, rows (up to 1000), start, facet.field and facet.limit."""
    facet_fields = _list_param(params.get("facet.field"))
    facet_limit = _int(params, "facet.limit", 50)
    result = selectors.dataset_search(
        municipality=request.municipality,
        q=str(params.get("q") or ""),
        fq=str(params.get("fq") or ""),
        sort=str(params.get("sort") or ""),
        rows=_int(params, "rows", 10),
        start=_int(params, "start", 0, minimum=0),
        facet_fields=facet_fields,
        facet_limit=facet_limit if facet_limit >= 0 else 10_000,
    )
    # One query for the departments' names, not one per organization in the facet.
    department_names = (
        dict(Department.objects.filter(municipality=request.municipality).values_list("code", "name"))
        if "organization" in result.facets
        else {}
    )
    titles: dict[str, Callable[[str], str]] = {
        "organization": lambda code: department_names.get(code, code),
        "groups": lambda theme: group_dict(theme)["title"],
        "license_id": lambda license_id: (
            str(LICENSES[license_id].title) if license_id in LICENSES else license_id
        ),
    }
    return {
        "count": result.count,
        "sort": str(params.get("sort") or "score desc, metadata_modified desc"),
        "results": [package_dict(request, dataset) for dataset in result.datasets],
        "facets": {name: dict(counter) for name, counter in result.facets.items()},
        "search_facets": {
            name: {
                "title": name,
                "items": [
                    {"name": value, "display_name": titles.get(name, str)(value), "count": count}
                    for value, count in counter.most_common()
                ],
            }
            for name, counter in result.facets.items()
        },
    }


def resource_show(request: IdxRequest, params: Mapping[str, Any]) -> Any:
    """One resource by id."""
    resource = selectors.resource_get_published(
        municipality=request.municipality,
        resource_id=str(params.get("id") or ""),
    )
    return resource_dict(request, resource)


def _publishing_departments(request: IdxRequest) -> list[tuple[Department, int]]:
    counts: dict[int, int] = {}
    for department_id in selectors.published_datasets(municipality=request.municipality).values_list(
        "department_id", flat=True
    ):
        counts[department_id] = counts.get(department_id, 0) + 1
    departments = Department.objects.filter(pk__in=counts).order_by("code")
    return [(department, counts[department.pk]) for department in departments]


def organization_list(request: IdxRequest, params: Mapping[str, Any]) -> Any:
    """The departments that publish data (all_fields for the whole record)."""
    departments = _publishing_departments(request)
    if _bool(params.get("all_fields")):
        return [organization_dict(department, count) for department, count in departments]
    return [department.code for department, _count in departments]


def organization_show(request: IdxRequest, params: Mapping[str, Any]) -> Any:
    """One department with its dataset count (include_datasets for the datasets too)."""
    code = str(params.get("id") or "")
    for department, count in _publishing_departments(request):
        if department.code == code:
            result = organization_dict(department, count)
            if _bool(params.get("include_datasets")):
                datasets = (
                    selectors.published_datasets(municipality=request.municipality)
                    .filter(department=department)
                    .prefetch_related("resources")
                )
                result["packages"] = [package_dict(request, dataset) for dataset in datasets]
            return result
    raise NotInCatalog(message="Not found", field="id")


def tag_list(request: IdxRequest, params: Mapping[str, Any]) -> Any:
    """Every tag of the published datasets (query keeps those that contain it)."""
    names = selectors.tag_names(municipality=request.municipality)
    query = str(params.get("query") or "")
    names = [name for name in names if query.lower() in name.lower()]
    if _bool(params.get("all_fields")):
        return [{"id": name, "name": name, "display_name": name, "vocabulary_id": None} for name in names]
    return names


def group_list(request: IdxRequest, params: Mapping[str, Any]) -> Any:
    """The themes in use (all_fields for titles and counts)."""
    counts: dict[str, int] = {}
    for theme in selectors.published_datasets(municipality=request.municipality).values_list(
        "theme", flat=True
    ):
        counts[theme] = counts.get(theme, 0) + 1
    themes = [theme for theme in Theme.values if theme in counts]
    if _bool(params.get("all_fields")):
        return [group_dict(theme, counts[theme]) for theme in themes]
    return themes


def status_show(request: IdxRequest, params: Mapping[str, Any]) -> Any:
    """What this catalog is."""
    municipality = request.municipality
    return {
        "site_title": f"{municipality.name} オープンデータ",
        "site_description": f"{municipality.name}が公開するオープンデータのカタログ",
        "site_url": site_url(request),
        "ckan_version": CKAN_API_VERSION,
        "locale_default": "ja",
        "extensions": ["datastore", "dcat"],
    }


def datastore_search(request: IdxRequest, params: Mapping[str, Any]) -> Any:
    """Rows of a tabular resource: resource_id, q, filters, limit, offset, sort, fields."""
    q: Any = params.get("q") or ""
    if isinstance(q, str) and q.startswith("{"):
        try:
            q = json.loads(q)
        except ValueError as exc:
            raise BadRequest("q is neither text nor a JSON object") from exc
    filters: Any = params.get("filters") or {}
    if isinstance(filters, str):
        try:
            filters = json.loads(filters)
        except ValueError as exc:
            raise BadRequest("filters is not a JSON object") from exc
    resource_id = str(params.get("resource_id") or params.get("id") or "")
    limit = _int(params, "limit", 100)
    offset = _int(params, "offset", 0, minimum=0)
    include_total = params.get("include_total") is None or _bool(params.get("include_total"))
    result = selectors.datastore_search(
        municipality=request.municipality,
        resource_id=resource_id,
        q=q,
        filters=filters,
        limit=limit,
        offset=offset,
        sort=str(params.get("sort") or ""),
        fields=_list_param(params.get("fields")) or None,
        include_total=include_total,
    )
    base = f"/api/3/action/datastore_search?resource_id={resource_id}"
    answer: dict[str, Any] = {
        "resource_id": resource_id,
        "fields": result.fields,
        "records": result.records,
        "limit": limit,
        "offset": offset,
        "_links": {"start": base, "next": f"{base}&offset={offset + limit}"},
    }
    if include_total:
        answer["total"] = result.total
    return answer


def help_show(request: IdxRequest, params: Mapping[str, Any]) -> Any:
    """What an action does."""
    action = ACTIONS.get(str(params.get("name") or ""))
    if action is None:
        raise NotInCatalog(message="Not found", field="name")
    return (action.__doc__ or "").strip()


ACTIONS: dict[str, Callable[[IdxRequest, Mapping[str, Any]], Any]] = {
    function.__name__: function
    for function in (
        package_list,
        package_show,
        package_search,
        resource_show,
        organization_list,
        organization_show,
        tag_list,
        group_list,
        status_show,
        datastore_search,
        help_show,
    )
}


def _envelope(request: IdxRequest, name: str, body: dict[str, Any], status: int = 200) -> JsonResponse:
    answer = {"help": f"{site_url(request)}/api/3/action/help_show?name={name}", **body}
    response = JsonResponse(answer, status=status, json_dumps_params={"ensure_ascii": False})
    response["Access-Control-Allow-Origin"] = "*"  # public data: any web page may read it
    return response


def _params(request: IdxRequest) -> dict[str, Any]:
    params = _read_params(request)
    if _has_nul(params):
        # No text of a catalog holds one, and databases refuse it in a query: refuse it here.
        raise BadRequest("A parameter holds a NUL character")
    return params


def _has_nul(value: Any) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, Mapping):
        return any(_has_nul(key) or _has_nul(item) for key, item in value.items())
    if isinstance(value, list):
        return any(_has_nul(item) for item in value)
    return False


def _read_params(request: IdxRequest) -> dict[str, Any]:
    if request.method == "POST":
        if request.content_type == "application/json" or (request.body[:1] in (b"{", b"[")):
            if not request.body:
                return {}
            try:
                body = json.loads(request.body)
            except ValueError as exc:
                raise BadRequest("JSON Error: the body is not JSON") from exc
            if not isinstance(body, dict):
                raise BadRequest("JSON Error: the body must be a JSON object")
            return body
        return {key: request.POST.get(key) for key in request.POST}
    params: dict[str, Any] = {}
    for key in request.GET:
        values = request.GET.getlist(key)
        params[key] = values if len(values) > 1 else values[0]
    return params


@csrf_exempt  # reading only, no cookie used: nothing a forged request could do
def action(request: IdxRequest, name: str) -> HttpResponse:
    if request.method not in ("GET", "POST"):
        return _envelope(
            request,
            name,
            {"success": False, "error": {"__type": "Bad request", "message": "Use GET or POST"}},
            400,
        )
    function = ACTIONS.get(name)
    if function is None:
        return _envelope(
            request,
            name,
            {
                "success": False,
                "error": {"__type": "Bad request", "message": f"Action name not known: {name}"},
            },
            400,
        )
    try:
        params = _params(request)
        result = function(request, params)
    except BadRequest as exc:
        return _envelope(
            request, name, {"success": False, "error": {"__type": "Bad request", "message": str(exc)}}, 400
        )
    except NotInCatalog as exc:
        return _envelope(
            request,
            name,
            {"success": False, "error": {"__type": "Not Found Error", "message": f"Not found: {exc.text()}"}},
            404,
        )
    except SearchQueryError as exc:
        # Solr's query syntax is package_search's; the DataStore names a bad column as CKAN does.
        if exc.field in ("q", "fq") and name == "package_search":
            error: dict[str, Any] = {
                "__type": "Search Query Error",
                "message": f"Search Query is invalid: {exc.text()}",
            }
        else:
            error = {"__type": "Validation Error", exc.field or "message": [exc.text()]}
        return _envelope(request, name, {"success": False, "error": error}, 409)
    return _envelope(request, name, {"success": True, "result": result})


@require_GET
def resource_download(request: IdxRequest, name: str, resource_id: str, filename: str) -> HttpResponseBase:
    try:
        resource = selectors.resource_get_published(
            municipality=request.municipality,
            resource_id=resource_id,
        )
    except NotInCatalog as exc:
        raise Http404 from exc
    if resource.dataset.name != name or resource.filename != filename:
        raise Http404
    response = serve_private_file(
        resource.file, content_type=resource.media_type, as_attachment=True, filename=filename
    )
    response["Access-Control-Allow-Origin"] = "*"
    response["X-Content-Type-Options"] = "nosniff"
    return response
