"""The standard municipal open datasets for anyone: which the city follows, each with its
fill-in template (CSV, UTF-8 with a BOM for Excel) and its Table Schema (JSON) to download."""

from __future__ import annotations

from django.http import Http404, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.urls import URLPattern, path

from idx.opendata import standards
from idx.web.http import IdxRequest


def standard_list(request: IdxRequest) -> HttpResponseBase:
    return render(request, "portal/opendata_standards/list.html", {"standards": standards.all_standards()})


def _standard(number: str) -> standards.Standard:
    standard = standards.get(number)
    if standard is None:
        raise Http404
    return standard


def _download(body: bytes, content_type: str, filename: str) -> HttpResponse:
    response = HttpResponse(body, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Access-Control-Allow-Origin"] = "*"
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "public, max-age=3600"
    return response


def standard_template(request: IdxRequest, number: str) -> HttpResponseBase:
    standard = _standard(number)
    return _download(standard.template_csv(), "text/csv; charset=utf-8", standard.template_filename)


def standard_schema(request: IdxRequest, number: str) -> HttpResponseBase:
    standard = _standard(number)
    return _download(standard.schema_json(), "application/json", standard.schema_filename)


urlpatterns: list[URLPattern] = [
    path("opendata-standards/", standard_list, name="opendata_standards"),
    path(
        "opendata-standards/<str:number>/template.csv", standard_template, name="opendata_standard_template"
    ),
    path("opendata-standards/<str:number>/schema.json", standard_schema, name="opendata_standard_schema"),
]
