"""The DX action plan's public progress page (/dx-plan/): what the city set out to do under each
basic policy, how each initiative stands, and the progress it has published (never a draft, never
a staff member's name). The same plan is open data and in the API."""

from __future__ import annotations

from django.http import Http404
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.urls import URLPattern, path

from idx.dxplan import selectors
from idx.dxplan.models import Status
from idx.web.http import IdxRequest


def plan(request: IdxRequest) -> HttpResponseBase:
    status = request.GET.get("status", "")
    filters = selectors.Filters(status=status if status in Status.values else "")
    groups = selectors.plan_overview(
        municipality=request.municipality, filters=filters, published_only=True, with_kpi_values=False
    )
    return render(
        request,
        "portal/dxplan/plan.html",
        {
            "groups": groups,
            "status": filters.status,
            "statuses": Status.choices,
            "shown": sum(len(group.initiatives) for group in groups),
            "dataset_published": selectors.plan_dataset_published(municipality=request.municipality),
            "dataset_name": selectors.plan_dataset_name(),
        },
    )


def initiative(request: IdxRequest, code: str) -> HttpResponseBase:
    item = selectors.initiative_detail(municipality=request.municipality, code=code, published_only=True)
    if item is None:
        raise Http404
    return render(
        request,
        "portal/dxplan/initiative.html",
        {
            "item": item,
            "initiative": item.initiative,
            "public_kpis": [line for line in item.kpis if line.kpi.is_public],
            "today": selectors.today(),
        },
    )


urlpatterns: list[URLPattern] = [
    path("dx-plan/", plan, name="dxplan"),
    path("dx-plan/<slug:code>/", initiative, name="dxplan_initiative"),
]
