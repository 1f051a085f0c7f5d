"""The open data catalog as DCAT (W3C Data Catalog Vocabulary, with the DCAT-AP choices of ranges).

``/catalog.jsonld``, ``/catalog.ttl`` and ``/catalog.rdf`` (and ``/catalog`` by the Accept header);
``/dataset/<name>.jsonld|ttl|rdf`` for one dataset: the paths CKAN's DCAT extension serves, so a
DCAT harvester pointed at a CKAN portal finds the same here. The JSON-LD document is built here;
Turtle and RDF/XML are the same graph written by rdflib.
"""

from __future__ import annotations

import json
from typing import Any

from django.http import Http404, HttpResponse
from django.views.decorators.http import require_GET

from idx.api.ckan import download_url, site_url, theme_titles
from idx.api.opendata_files import version_url
from idx.opendata import selectors
from idx.opendata.licenses import LICENSES
from idx.opendata.models import Dataset, Resource
from idx.opendata.selectors import NotInCatalog
from idx.web.http import IdxRequest

CONTEXT = {
    "dcat": "http://www.w3.org/ns/dcat#",
    "dct": "http://purl.org/dc/terms/",
    "foaf": "http://xmlns.com/foaf/0.1/",
    "vcard": "http://www.w3.org/2006/vcard/ns#",
    "skos": "http://www.w3.org/2004/02/skos/core#",
    "spdx": "http://spdx.org/rdf/terms#",
    "xsd": "http://www.w3.org/2001/XMLSchema#",
}
FORMATS = {
    "jsonld": ("json-ld", "application/ld+json"),
    "ttl": ("turtle", "text/turtle"),
    "rdf": ("xml", "application/rdf+xml"),
}
FREQUENCY = "http://publications.europa.eu/resource/authority/frequency/"


def _texts(texts: dict[str, str]) -> list[dict[str, str]]:
    return [{"@value": text, "@language": language} for language, text in texts.items() if text]


def _typed(value: str, kind: str) -> dict[str, str]:
    return {"@value": value, "@type": f"xsd:{kind}"}


def _distribution(request: IdxRequest, dataset: Dataset, resource: Resource) -> dict[str, Any]:
    url = download_url(request, resource)
    return {
        "@id": f"{site_url(request)}/dataset/{dataset.name}/resource/{resource.uid}",
        "@type": "dcat:Distribution",
        "dct:identifier": str(resource.uid),
        "dct:title": _texts(resource.names),
        **({"dct:description": _texts(resource.descriptions)} if resource.descriptions else {}),
        "dcat:accessURL": {"@id": url},
        "dcat:downloadURL": {"@id": url},
        "dcat:mediaType": {"@id": f"https://www.iana.org/assignments/media-types/{resource.media_type}"},
        "dct:format": resource.format,
        "dcat:byteSize": _typed(str(resource.size), "nonNegativeInteger"),
        "dct:license": {"@id": LICENSES[dataset.license_id].url},
        "dct:modified": _typed(resource.updated_at.isoformat(), "dateTime"),
        "spdx:checksum": _checksum(resource.sha256),
        **({"dct:hasVersion": versions} if (versions := _versions(request, resource)) else {}),
    }


def _checksum(sha256: str) -> dict[str, Any]:
    return {
        "@type": "spdx:Checksum",
        "spdx:algorithm": {"@id": "spdx:checksumAlgorithm_sha256"},
        "spdx:checksumValue": _typed(sha256, "hexBinary"),
    }


def _versions(request: IdxRequest, resource: Resource) -> list[dict[str, Any]]:
    """The files the distribution held before (dct:hasVersion), each downloadable by its number."""
    nodes = []
    for version in sorted(resource.versions.all(), key=lambda version: version.number):
        url = f"{site_url(request)}{version_url(version)}"
        nodes.append(
            {
                "@id": url,
                "@type": "dcat:Distribution",
                "dcat:version": str(version.number),
                "dcat:downloadURL": {"@id": url},
                "dcat:accessURL": {"@id": url},
                "dct:format": resource.format,
                "dcat:byteSize": _typed(str(version.size), "nonNegativeInteger"),
                "dct:license": {"@id": LICENSES[resource.dataset.license_id].url},
                "dct:modified": _typed(version.replaced_at.isoformat(), "dateTime"),
                "spdx:checksum": _checksum(version.sha256),
            }
        )
    return nodes


def _dataset(request: IdxRequest, dataset: Dataset) -> dict[str, Any]:
    base = site_url(request)
    department = dataset.department
    theme_ja, theme_en = theme_titles(dataset.theme)
    node: dict[str, Any] = {
        "@id": f"{base}/dataset/{dataset.name}",
        "@type": "dcat:Dataset",
        "dct:identifier": str(dataset.uid),
        "dct:title": _texts(dataset.titles),
        "dct:description": _texts(dataset.descriptions),
        "dcat:keyword": [{"@value": tag, "@language": "ja"} for tag in dataset.tags],
        "dcat:theme": {
            "@id": f"{base}/group/{dataset.theme}",
            "@type": "skos:Concept",
            "skos:prefLabel": [
                {"@value": theme_ja, "@language": "ja"},
                {"@value": theme_en, "@language": "en"},
            ],
        },
        "dct:publisher": {
            "@id": f"{base}/organization/{department.code}",
            "@type": "foaf:Organization",
            "foaf:name": [
                {"@value": f"{dataset.municipality.name} {department.name}", "@language": "ja"},
                {"@value": f"{dataset.municipality.name_en}, {department.name_en}", "@language": "en"},
            ],
        },
        "dct:license": {"@id": LICENSES[dataset.license_id].url},
        "dct:accrualPeriodicity": {"@id": FREQUENCY + dataset.frequency},
        "dct:language": {"@id": "http://publications.europa.eu/resource/authority/language/JPN"},
        "dcat:landingPage": {"@id": f"{base}/opendata/{dataset.name}/"},
        "dcat:contactPoint": {
            "@type": "vcard:Organization",
            "vcard:fn": dataset.contact_name,
            **(
                {"vcard:hasEmail": {"@id": f"mailto:{dataset.contact_email}"}}
                if dataset.contact_email
                else {}
            ),
            **(
                {"vcard:hasTelephone": {"@id": f"tel:{dataset.contact_phone}"}}
                if dataset.contact_phone
                else {}
            ),
        },
        "dct:modified": _typed(dataset.updated_at.isoformat(), "dateTime"),
        "dcat:distribution": [
            _distribution(request, dataset, resource)
            for resource in sorted(
                dataset.resources.all(), key=lambda resource: (resource.position, resource.pk)
            )
        ],
    }
    if dataset.published_at:
        node["dct:issued"] = _typed(dataset.published_at.isoformat(), "dateTime")
    if dataset.spatial:
        node["dct:spatial"] = {
            "@type": "dct:Location",
            "skos:prefLabel": {"@value": dataset.spatial, "@language": "ja"},
        }
    if dataset.temporal_start or dataset.temporal_end:
        period: dict[str, Any] = {"@type": "dct:PeriodOfTime"}
        if dataset.temporal_start:
            period["dcat:startDate"] = _typed(dataset.temporal_start.isoformat(), "date")
        if dataset.temporal_end:
            period["dcat:endDate"] = _typed(dataset.temporal_end.isoformat(), "date")
        node["dct:temporal"] = period
    return node


def catalog_document(request: IdxRequest) -> dict[str, Any]:
    municipality = request.municipality
    base = site_url(request)
    datasets = selectors.published_datasets(municipality=municipality).prefetch_related(
        "resources", "resources__versions"
    )
    return {
        "@context": CONTEXT,
        "@id": f"{base}/catalog",
        "@type": "dcat:Catalog",
        "dct:title": [
            {"@value": f"{municipality.name} オープンデータ", "@language": "ja"},
            {"@value": f"{municipality.name_en} open data", "@language": "en"},
        ],
        "dct:description": [
            {"@value": f"{municipality.name}が公開するデータの一覧です。", "@language": "ja"},
            {"@value": f"The data published by {municipality.name_en}.", "@language": "en"},
        ],
        "dct:publisher": {"@id": f"{base}/", "@type": "foaf:Organization", "foaf:name": municipality.name},
        "foaf:homepage": {"@id": f"{base}/opendata/"},
        "dct:language": {"@id": "http://publications.europa.eu/resource/authority/language/JPN"},
        "dcat:dataset": [_dataset(request, dataset) for dataset in datasets],
    }


def _render(document: dict[str, Any], format: str) -> HttpResponse:
    name, media_type = FORMATS[format]
    if format == "jsonld":
        body = json.dumps(document, ensure_ascii=False, indent=1)
    else:
        from rdflib import Graph

        graph = Graph().parse(data=json.dumps(document), format="json-ld")
        body = graph.serialize(format=name)
    response = HttpResponse(body, content_type=f"{media_type}; charset=utf-8")
    response["Access-Control-Allow-Origin"] = "*"
    response["Vary"] = "Accept"
    return response


def _negotiated(request: IdxRequest) -> str:
    accept = request.headers.get("Accept", "")
    for format, (_name, media_type) in FORMATS.items():
        if media_type in accept:
            return format
    return "jsonld"


@require_GET
def catalog(request: IdxRequest, format: str = "") -> HttpResponse:
    format = format or _negotiated(request)
    if format not in FORMATS:
        raise Http404
    return _render(catalog_document(request), format)


@require_GET
def dataset(request: IdxRequest, name: str, format: str) -> HttpResponse:
    if format not in FORMATS:
        raise Http404
    try:
        found = selectors.dataset_get_published(municipality=request.municipality, name_or_id=name)
    except NotInCatalog as exc:
        raise Http404 from exc
    document = {"@context": CONTEXT, **_dataset(request, found)}
    return _render(document, format)
