"""The open data catalog for people: search the city's datasets, read about one, preview and download it."""

from __future__ import annotations

import json
from typing import Any

from django.http import Http404
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from idx.common.i18n import pick
from idx.opendata import selectors
from idx.opendata.licenses import LICENSES
from idx.opendata.models import Dataset, Resource, ResourceFormat, ResourceVersion, Theme
from idx.opendata.selectors import NotInCatalog
from idx.web.http import IdxRequest

PAGE_SIZE = 20

# Tim Berners-Lee's 5-star levels that IDX can reach, in words (Dataset.openness_stars).
STAR_LEVELS = {
    0: _("No files yet"),
    1: _("Open license (PDF and the like)"),
    2: _("Machine-readable data (Excel and the like)"),
    3: _("Open format (CSV and the like)"),
}


def dataset_list(request: IdxRequest) -> HttpResponseBase:
    query = request.GET.get("q", "")[:100]
    theme = request.GET.get("theme", "")
    theme = theme if theme in Theme.values else ""
    format = request.GET.get("format", "")
    format = format if format in ResourceFormat.values else ""
    filters = " ".join(
        part
        for part in (f"groups:{theme}" if theme else "", f"res_format:{format}" if format else "")
        if part
    )
    # People type words, not query syntax: each word is looked for as it is.
    found = selectors.dataset_search(
        municipality=request.municipality,
        fq=filters,
        words=query.split(),
        rows=PAGE_SIZE,
        sort="metadata_modified desc",
    )
    return render(
        request,
        "portal/opendata/list.html",
        {
            "datasets": [_summary(dataset) for dataset in found.datasets],
            "count": found.count,
            "query": query,
            "theme": theme,
            "format": format,
            "themes": Theme.choices,
            "formats": ResourceFormat.choices,
        },
    )


def _summary(dataset: Dataset) -> dict[str, Any]:
    return {
        "dataset": dataset,
        "title": pick(dataset.titles),
        "description": pick(dataset.descriptions),
        "formats": sorted({resource.format for resource in dataset.resources.all()}),
    }


def dataset_detail(request: IdxRequest, name: str) -> HttpResponseBase:
    try:
        dataset = selectors.dataset_get_published(municipality=request.municipality, name_or_id=name)
    except NotInCatalog as exc:
        raise Http404 from exc
    license = LICENSES[dataset.license_id]
    versions = selectors.earlier_versions(dataset=dataset)
    resources = []
    for resource in dataset.resources.all():
        preview = None
        if resource.datastore_active:
            rows = selectors.datastore_search(
                municipality=request.municipality, resource_id=str(resource.uid), limit=10
            )
            columns = [field["id"] for field in rows.fields if field["id"] != "_id"]
            preview = {
                "columns": columns,
                "rows": [
                    ["" if record[column] is None else record[column] for column in columns]
                    for record in rows.records
                ],
                "total": rows.total,
            }
        resources.append(
            {
                "resource": resource,
                "name": pick(resource.names),
                "preview": preview,
                "map": selectors.resource_map(resource=resource),
                "versions": [
                    {"version": version, "url": _version_url(dataset, resource, version)}
                    for version in versions.get(resource.pk, [])
                ],
            }
        )
    title = pick(dataset.titles)
    stars = dataset.openness_stars
    return render(
        request,
        "portal/opendata/detail.html",
        {
            "dataset": dataset,
            "title": title,
            "description": pick(dataset.descriptions),
            "license": license,
            # Reusers in Japan credit the city in Japanese, in the form the license suggests.
            "attribution": license.attribution_ja.format(
                publisher=dataset.municipality.name, url=request.build_absolute_uri()
            ),
            "resources": resources,
            "stars": stars,
            "stars_shown": "★" * stars,
            "stars_missing": "☆" * (5 - stars),
            "stars_text": STAR_LEVELS.get(stars, STAR_LEVELS[3]),
            "schema_org": json.dumps(_schema_org(request, dataset), ensure_ascii=False).replace("</", "<\\/"),
        },
    )


def _version_url(dataset: Dataset, resource: Resource, version: ResourceVersion) -> str:
    return reverse(
        "opendata_version_download",
        kwargs={
            "name": dataset.name,
            "resource_id": str(resource.uid),
            "number": version.number,
            "filename": version.filename,
        },
    )


def _schema_org(request: IdxRequest, dataset: Dataset) -> dict[str, Any]:
    """schema.org ``Dataset`` for search engines' dataset search (in Japanese, the data's language)."""
    base = request.build_absolute_uri("/").rstrip("/")
    with translation.override("ja"):
        return {
            "@context": "https://schema.org",
            "@type": "Dataset",
            "name": dataset.titles.get("ja", ""),
            "description": dataset.descriptions.get("ja", ""),
            "url": f"{base}/opendata/{dataset.name}/",
            "identifier": str(dataset.uid),
            "keywords": list(dataset.tags),
            "license": LICENSES[dataset.license_id].url,
            "isAccessibleForFree": True,
            "inLanguage": "ja",
            "dateModified": dataset.updated_at.date().isoformat(),
            "creator": {
                "@type": "GovernmentOrganization",
                "name": f"{dataset.municipality.name} {dataset.department.name}",
            },
            **({"spatialCoverage": dataset.spatial} if dataset.spatial else {}),
            "distribution": [
                {
                    "@type": "DataDownload",
                    "encodingFormat": resource.media_type,
                    "contentUrl": f"{base}/dataset/{dataset.name}/resource/{resource.uid}/download/{resource.filename}",
                }
                for resource in dataset.resources.all()
            ],
        }
