"""The public dashboards of the platform's own figures (/insights/): the KPIs the city marked
public, city-wide, in every language, each with its chart, its table and a CSV of that table."""

from __future__ import annotations

from typing import Any

from django.http import Http404
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.urls import URLPattern, path
from django.utils.translation import gettext as _

from idx.common.i18n import pick
from idx.insights import charts, presentation
from idx.insights.dashboards import (
    Filters,
    dashboard_public,
    filters_default,
    kpi_detail_public,
)
from idx.insights.models import Kpi
from idx.insights.selectors import add_months, kpi_get_public, short_month_label
from idx.web.csv import csv_download, csv_lines
from idx.web.http import IdxRequest


def _filters(months: int) -> Filters:
    default = filters_default()
    return Filters(start=add_months(default.end, -months), end=default.end)


def insights_public(request: IdxRequest) -> HttpResponseBase:
    board = dashboard_public(municipality=request.municipality, filters=_filters(12))
    cards: list[dict[str, Any]] = [
        {
            "kpi": card.kpi,
            "name": pick(card.kpi.names),
            "value": presentation.with_unit(card.value.value, card.kpi.unit),
            "target": presentation.target_text(card.kpi),
            "direction": presentation.direction_text(card.kpi),
            "status": presentation.status_text(card.kpi, card.value),
            "status_class": presentation.status_class(card.value),
        }
        for card in board.cards
    ]
    return render(request, "portal/insights/list.html", {"board": board, "cards": cards})


def _detail(request: IdxRequest, code: str) -> tuple[Kpi, Any]:
    kpi = kpi_get_public(municipality=request.municipality, code=code)
    if kpi is None:
        raise Http404
    return kpi, kpi_detail_public(municipality=request.municipality, kpi=kpi, filters=_filters(24))


def insights_public_kpi(request: IdxRequest, code: str) -> HttpResponseBase:
    kpi, detail = _detail(request, code)
    name = pick(kpi.names)
    chart = charts.line_chart(
        title=_("%(kpi)s by month, %(first)s to %(last)s")
        % {
            "kpi": name,
            "first": detail.periods[0].label if detail.periods else "",
            "last": detail.periods[-1].label if detail.periods else "",
        },
        labels=[short_month_label(period.start) for period in detail.periods],
        values=[point.value for point in detail.series],
        target=kpi.target,
        target_label=presentation.target_text(kpi),
        unit_suffix="%" if kpi.unit == Kpi.Unit.PERCENT else "",
        max_value=100.0 if kpi.unit == Kpi.Unit.PERCENT else None,
        width=420,  # legible on a 360 px phone
    )
    return render(
        request,
        "portal/insights/kpi.html",
        {
            "kpi": kpi,
            "name": name,
            "description": pick(kpi.descriptions),
            "detail": detail,
            "chart": chart,
            "value": presentation.with_unit(detail.value.value, kpi.unit),
            "status": presentation.status_text(kpi, detail.value),
            "target": presentation.target_text(kpi),
            "direction": presentation.direction_text(kpi),
            "rows": [
                {"label": point.period.label, "value": presentation.with_unit(point.value, kpi.unit)}
                for point in detail.series
            ],
        },
    )


def insights_public_kpi_csv(request: IdxRequest, code: str) -> HttpResponseBase:
    kpi, detail = _detail(request, code)
    header = [_("Month"), pick(kpi.names)]
    rows = [[point.period.label, "" if point.value is None else str(point.value)] for point in detail.series]
    return csv_download(csv_lines([header, *rows]), f"kpi-{kpi.code}.csv")


urlpatterns: list[URLPattern] = [
    path("insights/", insights_public, name="insights_public"),
    path("insights/<slug:code>/", insights_public_kpi, name="insights_public_kpi"),
    path("insights/<slug:code>/csv/", insights_public_kpi_csv, name="insights_public_kpi_csv"),
]
