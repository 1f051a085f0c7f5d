"""The catalog of procedures a resident can apply for, and each procedure's page."""

from __future__ import annotations

import secrets

from django.http import Http404
from django.http.response import HttpResponseBase
from django.shortcuts import render

from idx.common.i18n import pick
from idx.procedures.models import Category, LifeEvent
from idx.procedures.selectors import procedure_catalog, procedure_get_published
from idx.web.http import IdxRequest


def catalog(request: IdxRequest) -> HttpResponseBase:
    query = request.GET.get("q", "")[:100]
    category = request.GET.get("category", "")
    life_event = request.GET.get("life_event", "")
    procedures = procedure_catalog(
        municipality=request.municipality,
        query=query,
        category=category if category in Category.values else "",
        life_event=life_event if life_event in LifeEvent.values else "",
    )
    return render(
        request,
        "portal/catalog.html",
        {
            "procedures": [
                (procedure, pick(procedure.names), pick(procedure.summaries)) for procedure in procedures
            ],
            "query": query,
            "category": category,
            "life_event": life_event,
            "categories": Category.choices,
            "life_events": LifeEvent.choices,
        },
    )


def procedure_detail(request: IdxRequest, code: str) -> HttpResponseBase:
    procedure = procedure_get_published(municipality=request.municipality, code=code)
    if procedure is None:
        raise Http404
    version = procedure.published_version
    assert version is not None
    data = version.definition
    return render(
        request,
        "portal/procedure_detail.html",
        {
            "procedure": procedure,
            "name": pick(data["name"]),
            "summary": pick(data["summary"]),
            "eligibility": pick(data["eligibility"]),
            "legal_basis": pick(data["legal_basis"]),
            "documents": [pick(doc) for doc in data["required_documents"]],
            "fee": data.get("fee"),
            "data": data,
            "steps": [pick(step["title"]) for step in data["steps"]],
            "department": procedure.department,
            # One token per rendering: a double-clicked "start" makes one draft, not two.
            "start_token": secrets.token_hex(12),
        },
    )
