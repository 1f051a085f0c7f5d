"""Resident-facing pages. Views parse input, call one service or selector, and render."""

from __future__ import annotations

import contextlib
import secrets
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth import authenticate, login, logout
from django.http import FileResponse, Http404, HttpResponse, HttpResponseRedirect
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from idx.applications import services
from idx.applications.answers import visible_answers
from idx.applications.attachments import UploadRejected
from idx.applications.models import Application, Status
from idx.applications.prefill import prefill_offer
from idx.applications.presentation import answer_rows, attachment_names
from idx.applications.receipts import receipt_pdf
from idx.applications.selectors import application_get_for_resident, applications_for_resident
from idx.applications.signing import requires_signature
from idx.applications.workflow import InvalidTransition
from idx.common.http import IdxRequest, sign_in_required
from idx.identity.contrib.oidc.pages import allow_forms_to, card_provider_origins
from idx.identity.services import EmailTaken, resident_sign_up, resident_verify_email
from idx.payments.selectors import application_has_payments, fee_paid_for
from idx.payments.services import paid_for, payment_due_before_submission, pending_payment
from idx.portal.errors import SummaryItem, summary_from_answers, summary_from_form
from idx.portal.forms import SignInForm, SignUpForm, WithdrawForm
from idx.portal.signing import begin_signing
from idx.procedures.definition import AnswerError, fee_for, is_visible, step_is_shown, validate_answers
from idx.procedures.i18n import pick
from idx.procedures.models import Category, LifeEvent
from idx.procedures.rendering import answers_from_form, display_value, step_fields
from idx.procedures.selectors import procedure_catalog, procedure_get_published

resident_required = sign_in_required(lambda user: user.is_resident, "portal:login")


def _own_application(request: IdxRequest, public_id: object) -> Application:
    application = application_get_for_resident(resident=request.user, public_id=public_id)
    if application is None:
        raise Http404
    return application


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


def _single_values(request: IdxRequest) -> dict[str, str]:
    return {key: request.POST.get(key, "") for key in request.POST}


def _step_context(
    application: Application, step_id: str, errors: list[AnswerError] | None, *, return_to: str = ""
) -> dict[str, Any]:
    definition = application.procedure_version.parsed
    step = definition.step(step_id)
    if step is None:
        raise Http404
    index = definition.steps.index(step)
    fields = step_fields(
        definition, step, application.answers, errors, attachments=attachment_names(application)
    )
    return {
        "application": application,
        "procedure_name": pick(definition.data["name"]),
        "step": step,
        "step_title": pick(step.title),
        "step_description": pick(step.description),
        "fields": fields,
        "step_number": index + 1,
        "step_count": len(definition.steps),
        "previous_step": definition.steps[index - 1].id if index > 0 else None,
        "error_summary": summary_from_answers(definition, errors or []),
        "error_summary_saved": True,
        "department": application.department,
        # "Change" on the check-answers page: after this step, back to that page.
        "return_to": RETURN_TO_REVIEW if return_to == RETURN_TO_REVIEW else "",
    }


RETURN_TO_REVIEW = "review"
# Set by idx.js on the step forms: conditional questions already appeared while answering.
LIVE_CONDITIONS = "_live_conditions"


@dataclass(frozen=True)
class StepRoutes:
    """Where the step pages lead: the resident's portal, or the clerk's counter (書かない窓口)."""

    step: str = "portal:application_step"
    review: str = "portal:application_review"
    exit: str = "portal:my_applications"
    template: str = "portal/application_step.html"
    exit_message: str = "resident"


PORTAL_STEPS = StepRoutes()


@resident_required
def application_step(request: IdxRequest, public_id: str, step_id: str) -> HttpResponseBase:
    application = _own_application(request, public_id)
    if application.status != Status.DRAFT:
        return redirect("portal:application_detail", public_id=application.public_id)
    running = pending_payment(application)
    if running is not None:  # the answers stay as they were when payment started
        return redirect("portal:payment_detail", reference=running.reference)
    return step_page(request, application, step_id, PORTAL_STEPS)


def step_page(
    request: IdxRequest, application: Application, step_id: str, routes: StepRoutes
) -> HttpResponseBase:
    """Show one step of a draft, or save what was posted and go where the pressed button says."""
    definition = application.procedure_version.parsed
    step = definition.step(step_id)
    if step is None:
        raise Http404
    return_to = (request.POST if request.method == "POST" else request.GET).get("return", "")
    if request.method != "POST":
        context = _step_context(application, step_id, None, return_to=return_to)
        _offer_prefill(context, request, application, step)
        return render(request, routes.template, context)

    action = request.POST.get("action", "next")
    shown_before = {item.field for item in step.items if is_visible(item, application.answers)}
    answers = answers_from_form(step, _single_values(request), application.answers)
    # Buttons that add or remove a repeat entry work without JavaScript.
    if action.startswith("add:"):
        field = action.split(":", 1)[1]
        entries = list(answers.get(field, []))
        entries.append({"_new": True})
        answers[field] = entries
    elif action.startswith("remove:"):
        _verb, field, entry_index = (action.split(":") + ["", ""])[:3]
        entries = list(answers.get(field, []))
        if entry_index.isdecimal() and int(entry_index) < len(entries):
            entries.pop(int(entry_index))
        answers[field] = entries
    my_number_errors: list[AnswerError] = []
    try:
        application = services.application_save_answers(
            application=application,
            actor=request.user,
            answers=_strip_markers(answers),
            fields=step.fields,
        )
    except services.MyNumberInvalid as exc:
        # The other answers were saved; the number was not (nothing of it is kept).
        application, my_number_errors = exc.application, exc.errors
    upload_errors = _take_uploads(request, application, step)

    def page(errors: list[AnswerError] | None, status: int = 200) -> HttpResponseBase:
        return render(
            request,
            routes.template,
            _step_context(application, step_id, errors, return_to=return_to),
            status=status,
        )

    if action == "prefill" and not my_number_errors and not upload_errors:
        # The resident asked for their details from before (once-only): filled in, still editable.
        if request.user.pk == application.applicant_id:
            application = services.application_prefill(application=application, actor=request.user)
        context = _step_context(application, step_id, None, return_to=return_to)
        context["prefilled"] = True
        return render(request, routes.template, context)
    if action.startswith(("add:", "remove:", "upload")) and not my_number_errors:
        context = _step_context(application, step_id, upload_errors or None, return_to=return_to)
        if action.startswith("add:"):
            _add_blank_entry(context, action.split(":", 1)[1])
        return render(request, routes.template, context, status=422 if upload_errors else 200)
    if action == "save_exit" and not my_number_errors:
        if routes.exit_message == "resident":
            messages.success(
                request, _("Your answers have been saved. You can continue later from “My applications”.")
            )
        else:
            messages.success(request, _("The answers have been saved."))
        return redirect(routes.exit)
    position = definition.steps.index(step)
    if action == "back" and not my_number_errors:
        if return_to == RETURN_TO_REVIEW:
            return redirect(routes.review, public_id=application.public_id)
        earlier = [s for s in definition.steps[:position] if step_is_shown(s, application.answers)]
        previous = earlier[-1] if earlier else definition.steps[0]
        return redirect(routes.step, public_id=application.public_id, step_id=previous.id)
    # Every problem of the step at once: a malformed 個人番号 or a refused file hides nothing else.
    errors = _merge_errors(
        my_number_errors + upload_errors,
        validate_answers(
            definition, visible_answers(definition, application.answers), only_fields=step.fields
        ),
    )
    revealed = {
        item.field
        for item in step.items
        if item.field not in shown_before and item.when and is_visible(item, application.answers)
    }
    if revealed and not request.POST.get(LIVE_CONDITIONS):
        # Without JavaScript the questions that depend on an answer appear step by step: the
        # resident answers them on this page before going on (they are not marked as errors yet).
        errors = [error for error in errors if error.top_field not in revealed]
        if not errors:
            context = _step_context(application, step_id, None, return_to=return_to)
            context["revealed"] = True
            _focus_first(context["fields"], revealed)
            return render(request, routes.template, context)
    if errors:
        return page(errors, status=422)
    later = [s for s in definition.steps[position + 1 :] if step_is_shown(s, application.answers)]
    if return_to == RETURN_TO_REVIEW:
        # Back to the check-answers page, unless the change made a later step need answers.
        pending = validate_answers(definition, visible_answers(definition, application.answers))
        unfinished = [s for s in later if any(error.top_field in s.fields for error in pending)]
        if unfinished:
            target = reverse(
                routes.step, kwargs={"public_id": application.public_id, "step_id": unfinished[0].id}
            )
            return HttpResponseRedirect(f"{target}?return={RETURN_TO_REVIEW}")
        return redirect(routes.review, public_id=application.public_id)
    if later:
        return redirect(routes.step, public_id=application.public_id, step_id=later[0].id)
    return redirect(routes.review, public_id=application.public_id)


def _offer_prefill(context: dict[str, Any], request: IdxRequest, application: Application, step: Any) -> None:
    """On the step with the applicant's details: the offer to fill them in from before."""
    if request.user.pk != application.applicant_id:
        return  # a clerk at the counter fills in nothing from the resident's other applications
    offer = prefill_offer(application=application, resident=request.user)
    if offer is None or offer.group not in step.fields:
        return
    context["prefill"] = {
        "source_name": pick(offer.source.procedure.names) if offer.source else "",
        "rows": [(pick(item.label), display_value(item, offer.values[item.field])) for item in offer.items],
    }


def _merge_errors(first: list[AnswerError], then: list[AnswerError]) -> list[AnswerError]:
    """Both lists without repeating a place already reported (the number itself before "required")."""
    seen = {error.path for error in first}
    return first + [error for error in then if error.path not in seen]


def _focus_first(views: list[Any], fields: set[str]) -> None:
    """Put the focus on the first input among the given top-level questions (``autofocus``)."""
    for view in views:
        if view.path not in fields:
            continue
        candidates = [view, *view.children, *(child for entry in view.entries for child in entry)]
        for candidate in candidates:
            if candidate.widget not in ("fieldset", "repeat") and candidate.editable:
                candidate.autofocus = True
                return


def _strip_markers(answers: dict[str, Any]) -> dict[str, Any]:
    for key, value in answers.items():
        if isinstance(value, list):
            answers[key] = [entry for entry in value if isinstance(entry, dict) and entry != {"_new": True}]
    return answers


def _add_blank_entry(context: dict[str, Any], field: str) -> None:
    """Show one more empty entry after "add" (empty entries are not stored)."""
    for view in context["fields"]:
        if view.path == field and view.widget == "repeat":
            maximum = view.item.schema.get("maxItems", 100)
            if len(view.entries) >= maximum:
                return
            from idx.procedures.rendering import _field

            index = len(view.entries)
            entry = [
                _field(child, f"{field}[{index}].{child.field}", {}, None, {}, {}, {}, False)
                for child in view.item.children
            ]
            if entry:  # the resident stays at the new entry (the button's link goes to it, too)
                entry[0].autofocus = True
            view.entries.append(entry)


def _take_uploads(request: IdxRequest, application: Application, step: Any) -> list[AnswerError]:
    errors: list[AnswerError] = []
    for name in request.FILES:
        upload = request.FILES.get(name)
        if upload is None:
            continue
        if not name.startswith("f."):
            continue
        path = _path_from_html_name(name[2:])
        if path.split(".")[0].split("[")[0] not in step.fields:
            continue
        try:
            services.attachment_add(
                application=application,
                actor=request.user,
                field_path=path,
                name=upload.name or "",
                data=upload.read(),
            )
        except UploadRejected as exc:
            errors.append(AnswerError(path=path, code=f"upload:{exc.code}"))
        except services.NotPermitted:
            continue  # a file sent for an item that takes none: ignore it
    application.refresh_from_db()
    return errors


def _path_from_html_name(name: str) -> str:
    parts = name.split(".")
    path = ""
    for part in parts:
        if part.isdecimal():
            path += f"[{part}]"
        else:
            path += ("." if path else "") + part
    return path


@resident_required
def application_review(request: IdxRequest, public_id: str) -> HttpResponseBase:
    application = _own_application(request, public_id)
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
            step_context = _step_context(application, step.id, exc.errors, return_to=RETURN_TO_REVIEW)
            # Shown at this address, the step's form still saves through the step's own page.
            step_url = reverse("portal:application_step", args=[application.public_id, step.id])
            step_context["form_action"] = f"{step_url}?return={RETURN_TO_REVIEW}"
            return render(request, "portal/application_step.html", step_context, status=422)
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
    application = _own_application(request, public_id)
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
    application = _own_application(request, public_id)
    if application.receipt_number is None:
        raise Http404
    pdf = receipt_pdf(application, translation.get_language() or "ja")
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{application.receipt_number}.pdf"'
    return response


@resident_required
def my_applications(request: IdxRequest) -> HttpResponseBase:
    applications = applications_for_resident(resident=request.user)[:200]
    origins = card_provider_origins(request.municipality)
    response = render(
        request,
        "portal/my_applications.html",
        {
            "applications": [
                (application, pick(application.procedure.names)) for application in applications
            ],
            "card_sign_in": bool(origins),
        },
    )
    return allow_forms_to(response, origins)


@resident_required
def application_detail(request: IdxRequest, public_id: str) -> HttpResponseBase:
    application = _own_application(request, public_id)
    definition = application.procedure_version.parsed
    return render(
        request,
        "portal/application_detail.html",
        {
            "application": application,
            "procedure_name": pick(definition.data["name"]),
            "rows": answer_rows(application),
            "history": application.status_changes.all(),
            "can_withdraw": application.status in WITHDRAWABLE,
            "can_discard": application.status == Status.DRAFT and not application_has_payments(application),
            "fee_paid": fee_paid_for(application) if application.status == Status.WITHDRAWN else None,
            "first_step": definition.steps[0].id,
            **_fee_state(application),
        },
    )


WITHDRAWABLE = (Status.SUBMITTED, Status.IN_REVIEW, Status.CORRECTION_REQUESTED, Status.RESUBMITTED)


def _fee_state(application: Application) -> dict[str, Any]:
    """The payment that settled the fee, or the fee still to pay after submission (offered on the page)."""
    from idx.procedures.definition import fee_for

    definition = application.procedure_version.parsed
    if not definition.data.get("fee"):
        return {"payment": None, "fee_due": 0}
    payment = paid_for(application)
    due = 0
    if payment is None and application.status not in (Status.DRAFT, Status.WITHDRAWN, Status.REJECTED):
        due = fee_for(definition, application.answers or {})
    return {"payment": payment, "fee_due": due}


@resident_required
def application_withdraw(request: IdxRequest, public_id: str) -> HttpResponseBase:
    """Withdraw (取下げ) after a confirmation page that says what happens to a paid fee."""
    application = _own_application(request, public_id)
    if application.status not in WITHDRAWABLE:
        if request.method == "POST":
            messages.error(request, _("This application can no longer be withdrawn."))
        return redirect("portal:application_detail", public_id=application.public_id)
    form = WithdrawForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            services.application_withdraw(
                application=application, actor=request.user, reason=form.cleaned_data["reason"]
            )
            messages.success(request, _("Your application has been withdrawn."))
        except (InvalidTransition, services.ChangedMeanwhile):
            messages.error(request, _("This application can no longer be withdrawn."))
        return redirect("portal:application_detail", public_id=application.public_id)
    return render(
        request,
        "portal/application_withdraw.html",
        {
            "application": application,
            "procedure_name": pick(application.procedure_version.parsed.data["name"]),
            "form": form,
            "error_summary": summary_from_form(form),
            "fee_paid": fee_paid_for(application),
            "department": application.department,
        },
        status=422 if form.errors else 200,
    )


@resident_required
def application_discard(request: IdxRequest, public_id: str) -> HttpResponseBase:
    """Delete a draft after a confirmation page; a draft with a payment is kept (and says why)."""
    application = _own_application(request, public_id)
    if application.status != Status.DRAFT:
        if request.method == "POST":
            messages.error(request, _("Only drafts can be deleted."))
        return redirect("portal:application_detail", public_id=application.public_id)
    if request.method == "POST":
        try:
            services.application_discard_draft(application=application, actor=request.user)
        except services.DraftHasPayments:
            messages.error(request, _("This draft cannot be deleted because a payment was made for it."))
            return redirect("portal:application_detail", public_id=application.public_id)
        except services.NotEditable:
            messages.error(request, _("Only drafts can be deleted."))
            return redirect("portal:application_detail", public_id=application.public_id)
        messages.success(request, _("The draft has been deleted."))
        return redirect("portal:my_applications")
    return render(
        request,
        "portal/application_discard.html",
        {
            "application": application,
            "procedure_name": pick(application.procedure_version.parsed.data["name"]),
            "has_payments": application_has_payments(application),
        },
    )


@resident_required
def application_correct(request: IdxRequest, public_id: str) -> HttpResponseBase:
    """Answer a correction request by editing only the flagged items."""
    application = _own_application(request, public_id)
    if application.status != Status.CORRECTION_REQUESTED:
        return redirect("portal:application_detail", public_id=application.public_id)
    definition = application.procedure_version.parsed
    flagged_fields = {path.split(".")[0].split("[")[0] for path in application.correction_notes}
    steps = [step for step in definition.steps if set(step.fields) & flagged_fields]
    errors: list[AnswerError] = []
    if request.method == "POST":
        data = _single_values(request)
        answers: dict[str, Any] = {}
        for step in steps:
            answers.update(answers_from_form(step, data, application.answers))
        try:
            application = services.application_save_answers(
                application=application, actor=request.user, answers=answers
            )
        except services.MyNumberInvalid as exc:
            application, errors = exc.application, list(exc.errors)
        for step in steps:
            errors += _take_uploads(request, application, step)
        if not errors:
            try:
                services.application_resubmit(application=application, actor=request.user)
                messages.success(request, _("Your corrections have been sent."))
                return redirect("portal:application_detail", public_id=application.public_id)
            except services.AnswersInvalid as exc:
                errors = exc.errors
            except (InvalidTransition, services.ChangedMeanwhile):
                return redirect("portal:application_detail", public_id=application.public_id)
    sections = [
        {
            "title": pick(step.title),
            "fields": [
                view
                for view in step_fields(
                    definition,
                    step,
                    application.answers,
                    errors,
                    notes=application.correction_notes,
                    attachments=attachment_names(application),
                    lock_unflagged=True,
                )
                if view.editable
            ],
        }
        for step in steps
    ]
    summary = summary_from_answers(definition, errors)
    return render(
        request,
        "portal/application_correct.html",
        {
            "application": application,
            "procedure_name": pick(definition.data["name"]),
            "sections": sections,
            "error_summary": summary,
            "message": application.correction_message,
        },
        status=422 if errors else 200,
    )


@resident_required
def attachment_download(request: IdxRequest, public_id: str, attachment_id: str) -> HttpResponseBase:
    application = _own_application(request, public_id)
    attachment = application.attachments.filter(public_id=attachment_id).first()
    if attachment is None:
        raise Http404
    return FileResponse(
        attachment.file.open("rb"),
        content_type=attachment.content_type,
        as_attachment=True,
        filename=attachment.original_name,
    )


def safe_next(target: str) -> str:
    """A local path to go back to after sign-in ("" for anything else: no open redirect)."""
    target = target[:2000]
    if not target.startswith("/") or target.startswith("//") or "\\" in target:
        return ""
    return target


# Where a resident who signed up was going: kept in the session until the first sign-in.
AFTER_SIGN_IN = "portal_after_sign_in"


def _next_context(request: IdxRequest) -> dict[str, str]:
    target = safe_next(request.GET.get("next", ""))
    return {"next": target, "next_query": urlencode({"next": target}) if target else ""}


def sign_up(request: IdxRequest) -> HttpResponseBase:
    form = SignUpForm(request.POST if request.method == "POST" else None)
    going = _next_context(request)
    if request.method == "POST" and form.is_valid():
        if going["next"]:
            request.session[AFTER_SIGN_IN] = going["next"]
        with contextlib.suppress(EmailTaken):  # same answer either way: no hint of who has an account
            resident_sign_up(
                municipality=request.municipality,
                email=form.cleaned_data["email"],
                password=form.cleaned_data["password"],
                full_name=form.cleaned_data["full_name"],
                language=translation.get_language() or "ja",
            )
        return render(request, "portal/sign_up_done.html", {"email": form.cleaned_data["email"], **going})
    return render(
        request,
        "portal/sign_up.html",
        {"form": form, "error_summary": summary_from_form(form), **going},
        status=422 if form.errors else 200,
    )


def verify_email(request: IdxRequest, token: str) -> HttpResponseBase:
    user = resident_verify_email(municipality=request.municipality, token=token)
    if user is None:
        return render(request, "portal/verify_failed.html", status=400)
    messages.success(request, _("Your e-mail address is confirmed. Please sign in."))
    target = safe_next(request.session.get(AFTER_SIGN_IN, ""))
    if target:  # back to what the resident was doing when asked to create the account
        return HttpResponseRedirect(f"{reverse('portal:login')}?{urlencode({'next': target})}")
    return redirect("portal:login")


def sign_in(request: IdxRequest) -> HttpResponseBase:
    form = SignInForm(request.POST if request.method == "POST" else None)
    error = ""
    if request.method == "POST" and form.is_valid():
        user = authenticate(request, email=form.cleaned_data["email"], password=form.cleaned_data["password"])
        if user is None or not user.is_resident:
            error = _("The e-mail address or password is not correct.")
        elif user.email_verified_at is None:
            error = _("Confirm your e-mail address first: open the link in the message we sent you.")
        else:
            login(request, user)
            translation.activate(user.preferred_language)
            request.session.pop(AFTER_SIGN_IN, None)
            target = safe_next(request.GET.get("next", "")) or reverse("portal:my_applications")
            return HttpResponseRedirect(target)
    origins = card_provider_origins(request.municipality)
    summary = summary_from_form(form)
    if error:
        summary.append(SummaryItem("id_email", error))
    response = render(
        request,
        "portal/sign_in.html",
        {"form": form, "error_summary": summary, "card_sign_in": bool(origins), **_next_context(request)},
        status=422 if summary else 200,
    )
    return allow_forms_to(response, origins)


@require_POST
def sign_out(request: IdxRequest) -> HttpResponseBase:
    logout(request)
    return redirect("portal:catalog")
