"""Applying: start a draft, answer its steps, check the answers, submit, and get the receipt."""

from __future__ import annotations

import secrets
from typing import Any

from django.http import Http404, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from idx.applications import services
from idx.applications.models import Status
from idx.applications.presentation import answer_rows
from idx.applications.receipts import receipt_pdf
from idx.applications.signing import requires_signature
from idx.applications.workflow import InvalidTransition
from idx.common.i18n import pick
from idx.identity.contrib.oidc.pages import allow_forms_to, card_provider_origins
from idx.payments.selectors import payment_due_before_submission, pending_payment
from idx.portal.applications import own_application
from idx.portal.signing import begin_signing
from idx.procedures.definition import fee_for
from idx.procedures.selectors import procedure_get_published
from idx.web.http import IdxRequest, resident_required
from idx.web.steps import RETURN_TO_REVIEW, StepRoutes, step_context, step_page
from idx.web.summary import SummaryItem

PORTAL_STEPS = StepRoutes(
    step="portal:application_step",
    review="portal:application_review",
    exit="portal:my_applications",
    template="portal/application_step.html",
    exit_message="resident",
)


@resident_required
def application_start(request: IdxRequest, code: str) -> HttpResponseBase:
    procedure = procedure_get_published(municipality=request.municipality, code=code)
    if procedure is None:
        raise Http404
    if request.method != "POST":
        # Reached by a link or on the way back from signing in: a GET never makes a draft,
        # it offers the start button (a page that continues what the resident was doing).
        version = procedure.published_version
        assert version is not None
        data = version.definition
        return render(
            request,
            "portal/application_start.html",
            {
                "procedure": procedure,
                "name": pick(data["name"]),
                "documents": [pick(doc) for doc in data["required_documents"]],
                "steps": [pick(step["title"]) for step in data["steps"]],
                "start_token": secrets.token_hex(12),
            },
        )
    application = services.application_start(
        resident=request.user,
        procedure=procedure,
        language=translation.get_language() or "ja",
        idempotency_key=request.POST.get("start_token", "")[:80] or None,
    )
    first = application.procedure_version.parsed.steps[0].id
    return redirect("portal:application_step", public_id=application.public_id, step_id=first)


@resident_required
def application_step(request: IdxRequest, public_id: str, step_id: str) -> HttpResponseBase:
    application = own_application(request, public_id)
    if application.status != Status.DRAFT:
        return redirect("portal:application_detail", public_id=application.public_id)
    running = pending_payment(application)
    if running is not None:  # the answers stay as they were when payment started
        return redirect("portal:payment_detail", reference=running.reference)
    return step_page(request, application, step_id, PORTAL_STEPS)


@resident_required
def application_review(request: IdxRequest, public_id: str) -> HttpResponseBase:
    application = own_application(request, public_id)
    if application.status != Status.DRAFT:
        return redirect("portal:application_detail", public_id=application.public_id)
    running = pending_payment(application)
    if running is not None:
        return redirect("portal:payment_detail", reference=running.reference)
    definition = application.procedure_version.parsed
    context: dict[str, Any] = {
        "application": application,
        "procedure_name": pick(definition.data["name"]),
        "declaration": pick(definition.data["declaration"]),
        "rows": answer_rows(application),
        "steps": {step.id: pick(step.title) for step in definition.steps},
        "fee": None,
        "signature_required": requires_signature(application),
    }
    context["fee"] = fee_for(definition, application.answers) if definition.data.get("fee") else None
    context["pay_first"] = bool(payment_due_before_submission(application))
    if request.method == "POST":
        try:
            if context["signature_required"]:
                services.application_check_ready(
                    application=application,
                    actor=request.user,
                    declaration_accepted=request.POST.get("declaration") == "yes",
                )
                return begin_signing(request, application)
            application = services.application_submit(
                application=application,
                actor=request.user,
                declaration_accepted=request.POST.get("declaration") == "yes",
            )
        except services.DeclarationMissing:
            context["declaration_error"] = _("Confirm the declaration to submit.")
            context["error_summary"] = [SummaryItem("declaration", context["declaration_error"])]
            return _review_page(request, context, status=422)
        except services.AnswersInvalid as exc:
            first = exc.errors[0]
            step = definition.step_of_field(first.path) or definition.steps[0]
            answers_page = step_context(application, step.id, exc.errors, return_to=RETURN_TO_REVIEW)
            # Shown at this address, the step's form still saves through the step's own page.
            step_url = reverse("portal:application_step", args=[application.public_id, step.id])
            answers_page["form_action"] = f"{step_url}?return={RETURN_TO_REVIEW}"
            return render(request, "portal/application_step.html", answers_page, status=422)
        except services.PaymentRequired:
            # Everything is in order; the fee comes first (the answers are kept as they are now).
            return redirect("portal:application_pay", public_id=application.public_id)
        except (InvalidTransition, services.ChangedMeanwhile):
            pass  # a double-clicked submit: the first one won; show its receipt
        return redirect("portal:application_receipt", public_id=application.public_id)
    return _review_page(request, context)


def _review_page(request: IdxRequest, context: dict[str, Any], status: int = 200) -> HttpResponseBase:
    response = render(request, "portal/application_review.html", context, status=status)
    if context["signature_required"]:
        # The sign button's post is redirected to the signing provider: allow that form target.
        return allow_forms_to(response, card_provider_origins(request.municipality))
    return response


@resident_required
def application_receipt(request: IdxRequest, public_id: str) -> HttpResponseBase:
    application = own_application(request, public_id)
    if application.receipt_number is None:
        return redirect("portal:application_review", public_id=application.public_id)
    return render(
        request,
        "portal/application_receipt.html",
        {
            "application": application,
            "procedure_name": pick(application.procedure_version.definition["name"]),
        },
    )


@resident_required
def application_receipt_pdf(request: IdxRequest, public_id: str) -> HttpResponseBase:
    application = own_application(request, public_id)
    if application.receipt_number is None:
        raise Http404
    pdf = receipt_pdf(application, translation.get_language() or "ja")
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{application.receipt_number}.pdf"'
    return response
