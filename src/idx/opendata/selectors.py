"""Reads of the open data catalog: what is published, search with facets, and DataStore queries.

Search takes the part of Solr's query syntax that CKAN clients and harvesters send: free words,
``*:*``, ``field:value`` and ``field:"a phrase"`` terms, ``-field:value`` to exclude, ``AND``
between terms. Anything else is refused with a message naming what was not understood, never
passed on to a query engine.
"""

from __future__ import annotations

import json
import re
import shlex
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.core.cache import cache
from django.db import connection
from django.db.models import Aggregate, Count, Prefetch, Q, QuerySet, TextField, Value
from django.db.models.fields.json import KeyTextTransform, KeyTransform
from django.utils.translation import gettext_lazy as _

from idx.common.errors import DomainError
from idx.common.models import Municipality
from idx.identity.models import Department
from idx.opendata import geo
from idx.opendata.models import Dataset, DatastoreRecord, Resource, ResourceFormat, ResourceVersion

ROWS_MAX = 1000
DATASTORE_LIMIT_MAX = 32000
FACET_FIELDS = ("tags", "organization", "groups", "res_format", "license_id")
SORT_FIELDS = {
    "score": "name",  # no relevance score: name order keeps pages stable
    "name": "name",
    "title_string": "name",
    "metadata_modified": "updated_at",
    "metadata_created": "created_at",
}


class SearchQueryError(DomainError):
    code = "search_query_error"
    http_status = 409


class NotInCatalog(DomainError):
    code = "not_found"
    http_status = 404


def published_datasets(*, municipality: Municipality) -> QuerySet[Dataset]:
    return Dataset.objects.filter(municipality=municipality, status=Dataset.Status.PUBLISHED).select_related(
        "department"
    )


def dataset_get_published(*, municipality: Municipality, name_or_id: str) -> Dataset:
    datasets = published_datasets(municipality=municipality).prefetch_related("resources")
    lookup = Q(name=name_or_id)
    if re.fullmatch(r"[0-9a-f-]{36}", name_or_id):
        lookup |= Q(uid=name_or_id)
    dataset = datasets.filter(lookup).first()
    if dataset is None:
        raise NotInCatalog(message=_("No published dataset has this name or id."), field="id")
    return dataset


def resource_get_published(*, municipality: Municipality, resource_id: str) -> Resource:
    if not re.fullmatch(r"[0-9a-f-]{36}", resource_id or ""):
        raise NotInCatalog(message=_("No resource has this id."), field="id")
    resource = (
        Resource.objects.filter(
            uid=resource_id,
            dataset__municipality=municipality,
            dataset__status=Dataset.Status.PUBLISHED,
        )
        .select_related("dataset", "dataset__department")
        .first()
    )
    if resource is None:
        raise NotInCatalog(message=_("No resource has this id."), field="id")
    return resource


def earlier_versions(*, dataset: Dataset) -> dict[int, list[ResourceVersion]]:
    """The files each resource of a dataset held before it was replaced, newest first (one query)."""
    versions: dict[int, list[ResourceVersion]] = {}
    for version in ResourceVersion.objects.filter(resource__dataset=dataset).order_by(
        "resource_id", "-number"
    ):
        versions.setdefault(version.resource_id, []).append(version)
    return versions


# ---- maps --------------------------------------------------------------------------------------

# A GeoJSON file larger than this is offered for download but not drawn (the page would be slow).
MAP_FILE_BYTES_MAX = 20 * 1024 * 1024


def resource_map(*, resource: Resource, limit: int = geo.POINTS_MAX) -> geo.PlaceMap | None:
    """The places of a published file as a map model: a GeoJSON file's features, or a table's rows
    that have 緯度 and 経度 (latitude and longitude) columns. None when there is nothing to draw.

    Kept in the cache under the file's checksum: a file's map changes only with its content."""
    key = f"opendata:map:1:{resource.format}:{resource.sha256}:{limit}"
    cached = cache.get(key)
    if cached is not None:
        return cached or None
    drawn = _resource_map(resource, limit)
    cache.set(key, drawn or False, timeout=24 * 3600)
    return drawn


def _resource_map(resource: Resource, limit: int) -> geo.PlaceMap | None:
    if resource.format == ResourceFormat.GEOJSON:
        if not 0 < resource.size <= MAP_FILE_BYTES_MAX:
            return None
        try:
            with resource.file.open("rb") as handle:
                document = json.load(handle)
        except (OSError, ValueError):
            return None
        return geo.map_from_geojson(document, limit=limit)
    columns = geo.coordinate_columns(column["id"] for column in resource.fields)
    if columns is None:
        return None
    rows = (
        DatastoreRecord.objects.filter(resource=resource)
        .order_by("number")
        .values_list("data", flat=True)[:limit]
    )
    return geo.map_from_rows(rows, columns=columns, total=resource.row_count, limit=limit)


# ---- search ------------------------------------------------------------------------------------


def _term_filter(name: str, value: str) -> Q:
    if name in ("name",):
        return Q(name=value)
    if name in ("id",):
        return Q(uid=value) if re.fullmatch(r"[0-9a-f-]{36}", value) else Q(pk__in=[])
    if name in ("tags",):
        return Q(tag_index__contains=f"|{value}|")
    if name == "organization":
        return Q(department__code=value)
    if name == "groups":
        return Q(theme=value)
    if name == "res_format":
        return Q(resources__format__iexact=value)
    if name == "license_id":
        return Q(license_id=value)
    if name in ("title", "text", "notes"):
        return Q(search_text__contains=value.lower())
    raise SearchQueryError(
        message=_("Searching in “%(field)s” is not supported; use one of: %(fields)s."),
        field="q",
        params={
            "field": name,
            "fields": "name, title, text, tags, organization, groups, res_format, license_id",
        },
    )


def parse_query(text: str, *, parameter: str) -> Q:
    """A CKAN ``q`` or ``fq`` as one filter (terms joined by AND)."""
    text = (text or "").strip()
    if text in ("", "*:*"):
        return Q()
    if len(text) > 500:
        raise SearchQueryError(message=_("The query is too long (500 characters at most)."), field=parameter)
    try:
        tokens = shlex.split(text.replace("'", "’"))
    except ValueError as exc:
        raise SearchQueryError(
            message=_("The query has an unclosed quotation mark."), field=parameter
        ) from exc
    query = Q()
    for term_text in tokens:
        token = term_text
        if token == "AND":  # noqa: S105 - a query word, not a secret
            continue
        if token in ("OR", "NOT") or any(mark in token for mark in "()[]{}^~\\"):
            raise SearchQueryError(
                message=_(
                    "“%(term)s” is not supported here: use words and field:value terms, all of which must match."
                ),
                field=parameter,
                params={"term": token},
            )
        negate = token.startswith("-")
        token = token.removeprefix("-").removeprefix("+")
        if ":" in token:
            name, _sep, value = token.partition(":")
            term = _term_filter(name, value.strip('"'))
        else:
            term = Q(search_text__contains=token.lower())
        query &= ~term if negate else term
    return query


def _sort(text: str) -> list[str]:
    order: list[str] = []
    for part in (text or "score desc, metadata_modified desc").split(","):
        words = part.split()
        if not words:
            continue
        name = words[0]
        direction = words[1].lower() if len(words) > 1 else "asc"
        if name not in SORT_FIELDS or direction not in ("asc", "desc") or len(words) > 2:
            raise SearchQueryError(
                message=_("Sort by one of %(fields)s, then asc or desc."),
                field="sort",
                params={"fields": ", ".join(SORT_FIELDS)},
            )
        column = SORT_FIELDS[name]
        order.append(("-" if direction == "desc" else "") + column)
    return [*order, "pk"]


class _Joined(Aggregate):
    """The texts of a column joined into one (GROUP_CONCAT on SQLite, STRING_AGG on PostgreSQL)."""

    function = "GROUP_CONCAT"
    template = "%(function)s(%(expressions)s, '')"
    output_field = TextField()

    def as_postgresql(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        return super().as_sql(compiler, connection, function="STRING_AGG", **extra)


@dataclass
class SearchResult:
    count: int
    datasets: list[Dataset]
    facets: dict[str, Counter[str]] = field(default_factory=dict)


def dataset_search(
    *,
    municipality: Municipality,
    q: str = "",
    fq: str = "",
    sort: str = "",
    rows: int = 10,
    start: int = 0,
    facet_fields: Iterable[str] = (),
    facet_limit: int = 50,
    words: Iterable[str] = (),
) -> SearchResult:
    """Published datasets matching ``q`` and ``fq`` (CKAN's syntax) and each of ``words`` (as typed)."""
    rows_wanted = rows
    if not 0 <= rows_wanted <= ROWS_MAX:
        raise SearchQueryError(
            message=_("Ask for at most %(limit)s rows at a time and page with start."),
            field="rows",
            params={"limit": ROWS_MAX},
        )
    if start < 0:
        raise SearchQueryError(message=_("start cannot be negative."), field="start")
    facets = list(facet_fields)
    unknown = [name for name in facets if name not in FACET_FIELDS]
    if unknown:
        raise SearchQueryError(
            message=_("Facets are available for: %(fields)s."),
            field="facet.field",
            params={"fields": ", ".join(FACET_FIELDS)},
        )
    matching = published_datasets(municipality=municipality).filter(
        parse_query(q, parameter="q") & parse_query(fq, parameter="fq")
    )
    for word in words:
        matching = matching.filter(search_text__contains=word.lower())
    if "res_format" in q or "res_format" in fq:
        # A filter on files joins them: one row per dataset again before counting and paging.
        datasets = Dataset.objects.filter(pk__in=matching.values("pk").distinct())
    else:
        datasets = matching
    # Facets are counted by the database over the matching datasets, never by loading them:
    # organization, groups, license_id and tags in one GROUP BY (whose sum is also the count),
    # formats in one GROUP BY over the files.
    counted_by: dict[str, Counter[str]] = {name: Counter() for name in facets}
    if {"organization", "groups", "license_id", "tags"} & set(facets):
        codes: dict[int, str] = {}
        if "organization" in facets:
            codes = dict(Department.objects.filter(municipality=municipality).values_list("pk", "code"))
        grouped = (
            datasets.order_by()
            .values_list("department_id", "theme", "license_id")
            # "|防災|地図|" of every dataset of the group as one text: split in C, no JSON decoded.
            .annotate(number=Count("pk"), tag_text=_Joined("tag_index") if "tags" in facets else Value(""))
        )
        count = 0
        for department_id, theme, license_id, number, tag_text in grouped:
            count += number
            for name, value in (
                ("organization", codes.get(department_id, "")),
                ("groups", theme),
                ("license_id", license_id),
            ):
                if name in counted_by:
                    counted_by[name][value] += number
            if tag_text:
                counted_by["tags"].update(tag_text.split("|"))
        counted_by.get("tags", Counter()).pop("", None)
    else:
        count = datasets.count()
    if "res_format" in facets and count:
        # Each dataset counts once per format, however many files of it it has.
        counted_by["res_format"].update(
            dict(
                Resource.objects.filter(dataset__in=datasets.order_by().values("pk"))
                .order_by()
                .values_list("format")
                .annotate(number=Count("dataset_id", distinct=True))
                .values_list("format", "number")
            )
        )
    # The page: only the columns a CKAN dictionary shows, the files in one query without the
    # join that their default order (by the dataset's name) would add.
    page = (
        list(
            datasets.select_related("department")
            .defer("search_text", "tag_index")
            .prefetch_related(Prefetch("resources", queryset=Resource.objects.order_by()))
            .order_by(*_sort(sort))[start : start + rows_wanted]
        )
        if rows_wanted
        else []
    )
    counted = {name: Counter(dict(counted_by[name].most_common(facet_limit))) for name in facets}
    return SearchResult(count=count, datasets=page, facets=counted)


def tag_names(*, municipality: Municipality) -> list[str]:
    names: set[str] = set()
    for tags in published_datasets(municipality=municipality).values_list("tags", flat=True):
        names.update(tags)
    return sorted(names)


# ---- the DataStore -----------------------------------------------------------------------------


@dataclass
class DatastoreResult:
    resource: Resource
    fields: list[dict[str, str]]
    records: list[dict[str, Any]]
    total: int | None
    limit: int
    offset: int


def datastore_search(
    *,
    municipality: Municipality,
    resource_id: str,
    q: str | Mapping[str, str] = "",
    filters: Mapping[str, Any] | None = None,
    limit: int = 100,
    offset: int = 0,
    sort: str = "",
    fields: list[str] | None = None,
    include_total: bool = True,
) -> DatastoreResult:
    resource = resource_get_published(municipality=municipality, resource_id=resource_id)
    if not resource.datastore_active:
        raise NotInCatalog(
            message=_("This resource is a file without a table to query."), field="resource_id"
        )
    if not 0 <= limit <= DATASTORE_LIMIT_MAX or offset < 0:
        raise SearchQueryError(
            message=_("limit is 0 to %(limit)s and offset 0 or more."),
            field="limit",
            params={"limit": DATASTORE_LIMIT_MAX},
        )
    columns = {column["id"]: column["type"] for column in resource.fields}
    records = DatastoreRecord.objects.filter(resource=resource)
    # Column names are the publisher's words (建物名等(方書)): reach them as JSON keys, never as
    # lookups spelled in a string.
    if isinstance(q, Mapping):
        for index, (name, text) in enumerate(q.items()):
            _require_column(columns, name, "q")
            records = records.alias(**{f"q{index}": KeyTextTransform(name, "data")}).filter(
                **{f"q{index}__icontains": str(text)}
            )
    elif q:
        for word in str(q).split():
            records = records.filter(search_text__contains=word.lower())
    if not isinstance(filters or {}, Mapping):
        raise SearchQueryError(message=_("filters is an object of column and value."), field="filters")
    filtered = bool(q) or bool(filters)
    for index, (name, value) in enumerate((filters or {}).items()):
        values = value if isinstance(value, list) else [value]
        if name == "_id":
            records = records.filter(number__in=values)
            continue
        _require_column(columns, name, "filters")
        if not values or not all(isinstance(item, str | int | float | bool) for item in values):
            raise SearchQueryError(
                message=_("A filter's value is a text, a number or a list of them."), field="filters"
            )
        if connection.vendor == "postgresql":
            # Containment (data @> '{"column": value}'), which a GIN index on data can answer.
            match = Q()
            for item in values:
                match |= Q(data__contains={name: item})
            records = records.filter(match)
        else:
            records = records.alias(**{f"f{index}": KeyTransform(name, "data")}).filter(
                **{f"f{index}__in": values}
            )
    order: list[Any] = ["number"]
    if sort:
        order = []
        for part in sort.split(","):
            words = part.split()
            if not words:
                continue
            name, direction = words[0].strip('"'), (words[1].lower() if len(words) > 1 else "asc")
            if direction not in ("asc", "desc"):
                raise SearchQueryError(message=_("Sort by a column, then asc or desc."), field="sort")
            if name == "_id":
                order.append(("-" if direction == "desc" else "") + "number")
                continue
            _require_column(columns, name, "sort")
            key = KeyTransform(name, "data")
            order.append(key.desc() if direction == "desc" else key.asc())
        order.append("number")
    chosen = list(columns)
    if fields:
        for name in fields:
            if name != "_id":
                _require_column(columns, name, "fields")
        chosen = [name for name in fields if name != "_id"]
    total: int | None
    if not filtered:
        # The loader numbers a table's rows 1, 2, ... without gaps and counts them: the total is
        # known, and a page in _id order is a range of numbers (no OFFSET walking the rows before).
        total = resource.row_count
        if order in (["number"], ["number", "number"]):
            page = records.filter(number__gt=offset, number__lte=offset + limit).order_by("number")
        else:
            page = records.order_by(*order)[offset : offset + limit]
    else:
        # CKAN's total is exact; a client that pages without it (include_total=false) saves the count.
        total = records.count() if include_total else None
        page = records.order_by(*order)[offset : offset + limit]
    rows = [
        {"_id": number, **{name: data.get(name) for name in chosen}}
        for number, data in page.values_list("number", "data")
    ]
    return DatastoreResult(
        resource=resource,
        fields=[{"id": "_id", "type": "int"}, *({"id": name, "type": columns[name]} for name in chosen)],
        records=rows,
        total=total,
        limit=limit,
        offset=offset,
    )


def _require_column(columns: Mapping[str, str], name: str, parameter: str) -> None:
    if name not in columns:
        raise SearchQueryError(
            message=_("The table has no column “%(column)s”."),
            field=parameter,
            params={"column": name},
        )
