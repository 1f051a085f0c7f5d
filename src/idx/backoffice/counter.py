"""書かない窓口 (the counter that writes for you): a clerk fills in an application for a resident
at the counter, and the resident checks and confirms it on a second screen.

1. ``counter_start``: the clerk finds or makes the resident's account (prefilled from the My
   Number Card's basic four facts when the clerk checked them) and picks the procedure.
2. ``counter_step`` / ``counter_review``: the same steps residents see, filled in by the clerk.
3. ``counter_show``: the summary is opened for the resident's screen, which a tablet reaches
   with a six-digit code or a QR code (``idx.portal.counter``). The resident's tap submits the
   application in their name; it records who assisted and when the resident confirmed.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import segno
from django.contrib import messages
from django.db import IntegrityError
from django.http import Http404
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from idx.applications import services
from idx.applications.counter import (
    COUNTER_CONFIRMATION_MINUTES,
    assisted_application_start,
    counter_confirmation_open,
)
from idx.applications.models import Application, CounterConfirmation, Status
from idx.applications.presentation import answer_rows
from idx.common.i18n import pick
from idx.common.wareki import DateParseError, parse_date
from idx.identity.models import Department, User
from idx.identity.policy import Action, Scope, can, scope_of
from idx.identity.services import counter_resident_find_or_create
from idx.procedures.models import Procedure
from idx.web.http import IdxRequest, staff_required
from idx.web.steps import StepRoutes, step_page

COUNTER_STEPS = StepRoutes(
    step="backoffice:counter_step",
    review="backoffice:counter_review",
    exit="backoffice:counter_start",
    template="backoffice/counter_step.html",
    exit_message="staff",
)


def _procedures_for(staff: User) -> list[Procedure]:
    departments = [
        department
        for department in Department.objects.filter(municipality=staff.municipality)
        if can(staff, Action.WORK_CASE, department)
    ]
    return list(
        Procedure.objects.filter(
            municipality=staff.municipality, department__in=departments, published_version__isnull=False
        )
        .select_related("published_version")
        .order_by("department__code", "code")
    )


def may_serve_counter(staff: User) -> bool:
    """The counter's pages open for staff who serve the counter (窓口) of their own department, or
    of every department; the menu link (``navigation``) asks the same question."""
    scope = scope_of(staff.role, Action.SERVE_COUNTER)
    if scope == Scope.ALL_DEPARTMENTS:
        return True
    return staff.department is not None and can(staff, Action.SERVE_COUNTER, staff.department)


def _require_counter(request: IdxRequest) -> None:
    if not may_serve_counter(request.user):
        raise Http404


def _assisted_draft(request: IdxRequest, public_id: str) -> Application:
    _require_counter(request)
    application = (
        Application.objects.select_related("procedure_version", "procedure", "department", "applicant")
        .filter(municipality=request.municipality, public_id=public_id, assisted_by=request.user)
        .first()
        if _is_uuid(public_id)
        else None
    )
    if application is None:
        raise Http404
    return application


def _is_uuid(value: str) -> bool:
    import uuid

    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True


@staff_required
def counter_start(request: IdxRequest) -> HttpResponseBase:
    _require_counter(request)
    staff: User = request.user
    procedures = _procedures_for(staff)
    errors: dict[str, str] = {}
    values = (
        {key: request.POST.get(key, "").strip() for key in request.POST} if request.method == "POST" else {}
    )
    if request.method == "POST":
        procedure = next((p for p in procedures if p.code == values.get("procedure")), None)
        if procedure is None:
            errors["procedure"] = _("Choose the procedure.")
        if not values.get("full_name"):
            errors["full_name"] = _("Enter the resident's name.")
        birthdate: dt.date | None = None
        if values.get("birthdate"):
            try:
                birthdate = parse_date(values["birthdate"])
            except DateParseError:
                errors["birthdate"] = _("Enter the date of birth, e.g. 1985-04-01 or 昭和60年4月1日.")
        checked = values.get("identity_checked") == "yes"
        if checked and (birthdate is None or not values.get("address")):
            errors["identity_checked"] = _(
                "To mark the identity as checked, enter the date of birth and the address from the card."
            )
        if not errors and procedure is not None:
            try:
                resident = counter_resident_find_or_create(
                    staff=staff,
                    full_name=values["full_name"],
                    birthdate=birthdate,
                    address=values.get("address", ""),
                    gender=values.get("gender", ""),
                    email=values.get("email", ""),
                    identity_checked=checked,
                )
                application = assisted_application_start(staff=staff, resident=resident, procedure=procedure)
            except (IntegrityError, services.NotPermitted):
                errors["email"] = _(
                    "This e-mail address belongs to a staff account. Leave it empty or use another."
                )
            else:
                first = application.procedure_version.parsed.steps[0].id
                return redirect("backoffice:counter_step", public_id=application.public_id, step_id=first)
    drafts = (
        Application.objects.filter(municipality=request.municipality, assisted_by=staff, status=Status.DRAFT)
        .select_related("procedure_version")
        .order_by("-updated_at")[:20]
    )
    return render(
        request,
        "backoffice/counter_start.html",
        {
            "procedures": [(p.code, pick(p.published_version.definition["name"])) for p in procedures],  # type: ignore[union-attr]
            "errors": errors,
            "values": values,
            "drafts": [(draft, pick(draft.procedure_version.definition["name"])) for draft in drafts],
        },
        status=422 if errors else 200,
    )


@staff_required
def counter_step(request: IdxRequest, public_id: str, step_id: str) -> HttpResponseBase:
    application = _assisted_draft(request, public_id)
    if application.status != Status.DRAFT:
        return redirect("backoffice:counter_review", public_id=application.public_id)
    return step_page(request, application, step_id, COUNTER_STEPS)


def _review_context(application: Application) -> dict[str, Any]:
    definition = application.procedure_version.parsed
    return {
        "application": application,
        "procedure_name": pick(definition.data["name"]),
        "declaration": pick(definition.data["declaration"]),
        "rows": answer_rows(application),
    }


@staff_required
def counter_review(request: IdxRequest, public_id: str) -> HttpResponseBase:
    application = _assisted_draft(request, public_id)
    context = _review_context(application)
    context["open"] = (
        CounterConfirmation.objects.filter(application=application, confirmed_at__isnull=True)
        .order_by("-created_at")
        .first()
    )
    return render(request, "backoffice/counter_review.html", context)


@require_POST
@staff_required
def counter_show(request: IdxRequest, public_id: str) -> HttpResponseBase:
    """Open the summary for the resident's screen: show the code and the QR code to the tablet."""
    application = _assisted_draft(request, public_id)
    if application.status != Status.DRAFT:
        return redirect("backoffice:counter_review", public_id=application.public_id)
    try:
        code, token = counter_confirmation_open(application=application, staff=request.user)
    except services.AnswersInvalid as exc:
        messages.error(request, _("Some answers need attention before the resident can confirm."))
        definition = application.procedure_version.parsed
        step = definition.step_of_field(exc.errors[0].path) or definition.steps[0]
        return redirect("backoffice:counter_step", public_id=application.public_id, step_id=step.id)
    link = request.build_absolute_uri(reverse("portal:counter_token", kwargs={"token": token}))
    qr_svg = segno.make(link, error="m").svg_inline(scale=5, title=_("QR code for the resident's screen"))
    context = _review_context(application)
    context.update(
        {
            "code": f"{code[:3]} {code[3:]}",
            "link": link,
            "qr_svg": qr_svg,
            "minutes": COUNTER_CONFIRMATION_MINUTES,
        }
    )
    return render(request, "backoffice/counter_show.html", context)
