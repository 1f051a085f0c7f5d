"""The disaster information page's guide (shelters, hazard map, how to receive alerts), kept by
crisis-management staff; and the general desk for inquiries whose resident did not know where
to send them."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.http import Http404
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from idx.assist.routing import general_desk, general_desk_set
from idx.common.i18n import FALLBACK, fallback_order
from idx.identity.models import Department, User
from idx.identity.policy import Action, can, is_city_wide
from idx.notifications import alerts as alert_services
from idx.notifications import guide
from idx.notifications.models import Shelter
from idx.web.http import IdxRequest, sign_in_required

staff_required = sign_in_required(lambda user: user.is_staff_member, "backoffice:login")


@staff_required
def disaster_guide_edit(request: IdxRequest) -> HttpResponseBase:
    if not alert_services.may_issue(request.user):
        raise Http404
    current = guide.guide_for(request.municipality)
    shelters = guide.shelters_for(request.municipality)
    values: dict[str, str] = {
        "hazard_map_url": current.hazard_map_url if current else "",
        "shelters": guide.shelters_as_lines(shelters),
    }
    how_to_receive = guide.texts_of(current, "how_to_receive")
    shelter_texts = {
        shelter.pk: {field: guide.texts_of(shelter, field) for field in guide.SHELTER_FIELDS}
        for shelter in shelters
    }
    errors: dict[str, str] = {}
    if request.method == "POST":
        values = {name: request.POST.get(name, "") for name in values}
        how_to_receive = {code: request.POST.get(f"how_to_receive-{code}", "") for code in _codes()}
        posted = _posted_shelter_texts(request, shelters)
        for pk, by_field in posted.items():
            for field, texts in by_field.items():
                shelter_texts[pk][field].update(texts)
        try:
            guide.guide_save(
                municipality=request.municipality,
                actor=request.user,
                hazard_map_url=values["hazard_map_url"],
                how_to_receive=how_to_receive,
                shelters_text=values["shelters"],
                shelter_texts=posted,
            )
        except guide.GuideInvalid as exc:
            errors = exc.errors
        else:
            messages.success(request, _("The disaster information page was updated."))
            return redirect("backoffice:disaster_guide")
    labels = guide.field_labels()
    return render(
        request,
        "backoffice/disaster_guide.html",
        {
            "values": values,
            "errors": errors,
            "how_to_receive": {
                "field": "how_to_receive",
                "label": labels["how_to_receive"],
                "legend_hidden": True,  # the heading above says it
                "languages": _languages("how_to_receive", how_to_receive, errors, multiline=True),
            },
            "shelter_tables": [
                _shelter_table(shelter, shelter_texts[shelter.pk], errors) for shelter in shelters
            ],
        },
        status=422 if errors else 200,
    )


def _shelter_table(
    shelter: Shelter, texts: dict[str, dict[str, str]], errors: dict[str, str]
) -> dict[str, Any]:
    """One shelter's texts, a table per text; ``missing`` counts the languages shown from another."""
    labels = guide.field_labels()
    fields: list[dict[str, Any]] = [
        {
            "field": field,
            "id": f"shelter-{shelter.pk}-{field}",
            "label": labels[field],
            "languages": _languages(f"shelter-{shelter.pk}-{field}", texts[field], errors),
        }
        for field in guide.SHELTER_FIELDS
    ]
    rows: list[dict[str, Any]] = [row for item in fields for row in item["languages"]]
    return {
        "shelter": shelter,
        "fields": fields,
        "missing": sum(1 for row in rows if not row["filled"] and row["falls_back_to"]),
        "has_error": any(row["error"] for row in rows),
    }


def _codes() -> list[str]:
    return [code for code, _name in settings.LANGUAGES]


def _posted_shelter_texts(
    request: IdxRequest, shelters: list[Shelter]
) -> dict[int, dict[str, dict[str, str]]]:
    """The other languages typed for each shelter of this municipality (a shelter whose inputs were
    not sent is left out and keeps its translations)."""
    posted: dict[int, dict[str, dict[str, str]]] = {}
    for shelter in shelters:
        texts = {
            field: {
                code: request.POST[f"shelter-{shelter.pk}-{field}-{code}"]
                for code in _codes()
                if code != FALLBACK and f"shelter-{shelter.pk}-{field}-{code}" in request.POST
            }
            for field in guide.SHELTER_FIELDS
        }
        if any(texts.values()):
            posted[shelter.pk] = texts
    return posted


def _languages(
    prefix: str, texts: dict[str, str], errors: dict[str, str], *, multiline: bool = False
) -> list[dict[str, Any]]:
    """One row per language for the side-by-side table: its input, whether it is filled or which
    language a resident reading it sees instead. A shelter's Japanese comes from the list above
    and is shown, not edited, here."""
    names = dict(settings.LANGUAGES)
    rows = []
    for code, name in settings.LANGUAGES:
        source = next((candidate for candidate in fallback_order(code) if texts.get(candidate)), "")
        key = f"{prefix}-{code}"
        rows.append(
            {
                "code": code,
                "name": name,
                "value": texts.get(code, ""),
                "id": f"guide-{key}",
                "input_name": key,
                "editable": multiline or code != FALLBACK,
                "multiline": multiline,
                "filled": bool(texts.get(code)),
                "falls_back_to": names.get(source, ""),
                "error": errors.get(key, ""),
            }
        )
    return rows


def may_set_inquiry_desk(user: User) -> bool:
    """City-wide FAQ editors choose the department that answers inquiries nobody else would."""
    return is_city_wide(user) and can(user, Action.EDIT_FAQ)


@staff_required
def inquiry_desk_edit(request: IdxRequest) -> HttpResponseBase:
    if not may_set_inquiry_desk(request.user):
        raise Http404
    departments = Department.objects.filter(municipality=request.municipality).order_by("code")
    error = ""
    if request.method == "POST":
        department = departments.filter(code=request.POST.get("department", "")).first()
        if department is None:
            error = _("Choose the department that answers when residents do not know whom to ask.")
        else:
            general_desk_set(municipality=request.municipality, department=department, actor=request.user)
            messages.success(request, _("Saved."))
            return redirect("backoffice:inquiry_desk")
    return render(
        request,
        "backoffice/inquiry_desk.html",
        {"departments": departments, "current": general_desk(request.municipality), "error": error},
        status=422 if error else 200,
    )
