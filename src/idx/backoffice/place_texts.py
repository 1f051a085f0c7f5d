"""Languages of place data for city administrators: the municipality and each department, every
translatable text in the eight languages side by side, with what a resident sees where one is missing."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.http import Http404
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from idx.common.i18n import coverage
from idx.identity import place_texts
from idx.identity.models import Department
from idx.identity.policy import Action, Scope, scope_of
from idx.web.http import IdxRequest, staff_required


def _require_admin(request: IdxRequest) -> None:
    if scope_of(request.user.role, Action.EDIT_PLACE_TEXTS) != Scope.ALL_DEPARTMENTS:
        raise Http404


def _missing_count(record: place_texts.PlaceRecord) -> int:
    return sum(len(row["missing"]) for row in coverage(record, record.TRANSLATED_FIELDS))


@staff_required
def place_list(request: IdxRequest) -> HttpResponseBase:
    _require_admin(request)
    municipality = request.municipality
    departments = Department.objects.filter(municipality=municipality).order_by("code")
    rows = [
        {
            "label": municipality.name,
            "url": "backoffice:place_municipality",
            "code": "",
            "missing": _missing_count(municipality),
        }
    ] + [
        {
            "label": department.name,
            "url": "backoffice:place_department",
            "code": department.code,
            "missing": _missing_count(department),
        }
        for department in departments
    ]
    return render(request, "backoffice/place_texts.html", {"rows": rows})


@staff_required
def place_municipality(request: IdxRequest) -> HttpResponseBase:
    _require_admin(request)
    return _edit(request, request.municipality)


@staff_required
def place_department(request: IdxRequest, code: str) -> HttpResponseBase:
    _require_admin(request)
    department = Department.objects.filter(municipality=request.municipality, code=code).first()
    if department is None:
        raise Http404
    return _edit(request, department)


def _edit(request: IdxRequest, record: place_texts.PlaceRecord) -> HttpResponseBase:
    values = place_texts.texts_of(record)
    problems: dict[str, str] = {}
    if request.method == "POST":
        values = {
            field: {code: request.POST.get(f"{field}-{code}", "") for code, _name in settings.LANGUAGES}
            for field in record.TRANSLATED_FIELDS
        }
        try:
            place_texts.place_texts_save(staff=request.user, record=record, texts=values)
        except place_texts.NotPermitted:
            raise Http404 from None
        except place_texts.PlaceTextsInvalid as exc:
            problems = exc.problems
        else:
            messages.success(request, _("The texts in every language have been saved."))
            return redirect(request.path)
    return render(
        request,
        "backoffice/place_text_edit.html",
        {
            "record": record,
            "is_municipality": not isinstance(record, Department),
            "fields": _fields(record, values, problems),
            "problems": [
                {"id": f"t-{key.replace(':', '-')}", "message": text} for key, text in problems.items()
            ],
        },
        status=422 if problems else 200,
    )


def _fields(
    record: place_texts.PlaceRecord, values: dict[str, dict[str, str]], problems: dict[str, str]
) -> list[dict[str, Any]]:
    labels = place_texts.field_labels()
    names = dict(settings.LANGUAGES)
    fields = []
    for field in record.TRANSLATED_FIELDS:
        texts = values[field]
        languages = []
        for code, name in settings.LANGUAGES:
            source = place_texts.shown_from(texts, code)
            languages.append(
                {
                    "code": code,
                    "name": name,
                    "value": texts.get(code, ""),
                    "id": f"t-{field}-{code}",
                    "input_name": f"{field}-{code}",
                    "max_length": place_texts.max_length(record, field, code),
                    "filled": bool(texts.get(code)),
                    "falls_back_to": names.get(source, ""),
                    "error": problems.get(f"{field}:{code}", ""),
                }
            )
        fields.append({"field": field, "label": labels[field], "languages": languages})
    return fields
