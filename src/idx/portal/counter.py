"""The resident's screen at the counter (書かない窓口): a tablet shows what the clerk filled in;
the resident checks it and confirms with a tap, which submits the application in their name.

The tablet is not signed in: it reaches one application with the six-digit code the clerk's
screen shows (typed in at ``/counter/``) or the QR code's link, both single use and short-lived.
The session then remembers which confirmation is open on this tablet.
"""

from __future__ import annotations

from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from idx.applications import counter as assisted
from idx.applications import services
from idx.applications.models import Application, CounterConfirmation
from idx.applications.presentation import answer_rows
from idx.applications.workflow import InvalidTransition
from idx.common.i18n import pick
from idx.web.http import IdxRequest
from idx.web.summary import SummaryItem

SESSION_KEY = "idx_counter_confirmation"
DONE_KEY = "idx_counter_done"


def _open(request: IdxRequest, confirmation: CounterConfirmation) -> HttpResponseBase:
    request.session.cycle_key()
    request.session[SESSION_KEY] = confirmation.pk
    return redirect("portal:counter_confirm")


@never_cache
def counter_code(request: IdxRequest) -> HttpResponseBase:
    error = ""
    if request.method == "POST":
        try:
            confirmation = assisted.counter_confirmation_by_code(
                municipality_id=request.municipality.pk, code=request.POST.get("code", "")
            )
        except assisted.ConfirmationInvalid:
            error = _("This code is not valid. Check the six digits shown at the counter, or ask the staff.")
        else:
            return _open(request, confirmation)
    return render(
        request,
        "portal/counter_code.html",
        {"error": error, "error_summary": [SummaryItem("code", error)] if error else []},
        status=422 if error else 200,
    )


@require_GET
@never_cache
def counter_token(request: IdxRequest, token: str) -> HttpResponseBase:
    try:
        confirmation = assisted.counter_confirmation_by_token(
            municipality_id=request.municipality.pk, token=token
        )
    except assisted.ConfirmationInvalid:
        error = _("This link is no longer valid. Ask the staff to show a new code.")
        return render(
            request,
            "portal/counter_code.html",
            {"error": error, "error_summary": [SummaryItem("code", error)]},
            status=404,
        )
    return _open(request, confirmation)


def _current(request: IdxRequest) -> CounterConfirmation | None:
    pk = request.session.get(SESSION_KEY)
    if not isinstance(pk, int):
        return None
    return (
        CounterConfirmation.objects.select_related(
            "application", "application__procedure_version", "application__applicant", "created_by"
        )
        .filter(pk=pk, municipality=request.municipality, confirmed_at__isnull=True)
        .first()
    )


@never_cache
def counter_confirm(request: IdxRequest) -> HttpResponseBase:
    confirmation = _current(request)
    if confirmation is None:
        return redirect("portal:counter_code")
    application: Application = confirmation.application
    definition = application.procedure_version.parsed
    context = {
        "application": application,
        "procedure_name": pick(definition.data["name"]),
        "declaration": pick(definition.data["declaration"]),
        "rows": answer_rows(application),
        "clerk": confirmation.created_by,
        "declaration_error": "",
    }
    if request.method == "POST":
        if request.POST.get("action") == "not_correct":
            request.session.pop(SESSION_KEY, None)
            return render(request, "portal/counter_done.html", {"corrections": True})
        try:
            submitted = assisted.counter_confirm(
                confirmation=confirmation, declaration_accepted=request.POST.get("declaration") == "yes"
            )
        except services.DeclarationMissing:
            missing = _("Confirm the declaration to submit.")
            context["declaration_error"] = missing
            context["error_summary"] = [SummaryItem("declaration", missing)]
            return render(request, "portal/counter_confirm.html", context, status=422)
        except (assisted.ConfirmationInvalid, services.ApplicationError, InvalidTransition):
            request.session.pop(SESSION_KEY, None)
            return redirect("portal:counter_code")
        request.session.pop(SESSION_KEY, None)
        request.session[DONE_KEY] = submitted.receipt_number
        return redirect("portal:counter_done")
    return render(request, "portal/counter_confirm.html", context)


@never_cache
def counter_done(request: IdxRequest) -> HttpResponseBase:
    receipt_number = request.session.pop(DONE_KEY, None)
    if not receipt_number:
        return redirect("portal:counter_code")
    return render(request, "portal/counter_done.html", {"receipt_number": receipt_number})
