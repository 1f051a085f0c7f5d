"""Resident-facing pages. Views parse input, call one service or selector, and render."""

from __future__ import annotations

import contextlib
import secrets
from dataclasses import dataclass
from typing import Any

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
from idx.applications.presentation import answer_rows, attachment_names
from idx.applications.receipts import receipt_pdf
from idx.applications.selectors import application_get_for_resident, applications_for_resident
from idx.applications.signing import requires_signature
from idx.applications.workflow import InvalidTransition
from idx.common.http import IdxRequest, sign_in_required
from idx.identity.contrib.oidc.pages import allow_forms_to, card_provider_origins
from idx.identity.services import EmailTaken, resident_sign_up, resident_verify_email
from idx.payments.services import paid_for, payment_due_before_submission, pending_payment
from idx.portal.forms import SignInForm, SignUpForm, WithdrawForm
from idx.portal.signing import begin_signing
from idx.procedures.definition import AnswerError, fee_for, step_is_shown, validate_answers
from idx.procedures.i18n import pick
from idx.procedures.models import Category, LifeEvent
from idx.procedures.rendering import answers_from_form, error_message, html_id, step_fields
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


@require_POST
@resident_required
def application_start(request: IdxRequest, code: str) -> HttpResponseBase:
    procedure = procedure_get_published(municipality=request.municipality, code=code)
    if procedure is None:
        raise Http404
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


def _step_context(application: Application, step_id: str, errors: list[AnswerError] | None) -> dict[str, Any]:
    definition = application.procedure_version.parsed
    step = definition.step(step_id)
    if step is None:
        raise Http404
    index = definition.steps.index(step)
    fields = step_fields(
        definition, step, application.answers, errors, attachments=attachment_names(application)
    )
    summary = [
        {
            "html_id": html_id(error.path),
            "message": error_message(error, definition.item(error.path)),
        }
        for error in (errors or [])
    ]
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
        "error_summary": summary,
        "department": application.department,
    }


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
    if request.method != "POST":
        return render(request, routes.template, _step_context(application, step_id, None))

    action = request.POST.get("action", "next")
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
    if my_number_errors:
        context = _step_context(application, step_id, my_number_errors + upload_errors)
        return render(request, routes.template, context, status=422)
    if action.startswith(("add:", "remove:", "upload")) or upload_errors:
        context = _step_context(application, step_id, upload_errors or None)
        if action.startswith("add:"):
            _add_blank_entry(context, action.split(":", 1)[1])
        return render(request, routes.template, context, status=422 if upload_errors else 200)
    if action == "save_exit":
        if routes.exit_message == "resident":
            messages.success(
                request, _("Your answers have been saved. You can continue later from “My applications”.")
            )
        else:
            messages.success(request, _("The answers have been saved."))
        return redirect(routes.exit)
    position = definition.steps.index(step)
    if action == "back":
        earlier = [s for s in definition.steps[:position] if step_is_shown(s, application.answers)]
        previous = earlier[-1] if earlier else definition.steps[0]
        return redirect(routes.step, public_id=application.public_id, step_id=previous.id)
    errors = validate_answers(
        definition, visible_answers(definition, application.answers), only_fields=step.fields
    )
    if errors:
        context = _step_context(application, step_id, errors)
        return render(request, routes.template, context, status=422)
    later = [s for s in definition.steps[position + 1 :] if step_is_shown(s, application.answers)]
    if later:
        return redirect(routes.step, public_id=application.public_id, step_id=later[0].id)
    return redirect(routes.review, public_id=application.public_id)


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
            view.entries.append(
                [
                    _field(child, f"{field}[{index}].{child.field}", {}, None, {}, {}, {}, False)
                    for child in view.item.children
                ]
            )


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
            return _review_page(request, context, status=422)
        except services.AnswersInvalid as exc:
            first = exc.errors[0]
            step = definition.step_of_field(first.path) or definition.steps[0]
            return render(
                request,
                "portal/application_step.html",
                _step_context(application, step.id, exc.errors),
                status=422,
            )
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
            "can_withdraw": application.status
            in (Status.SUBMITTED, Status.IN_REVIEW, Status.CORRECTION_REQUESTED, Status.RESUBMITTED),
            "withdraw_form": WithdrawForm(),
            "first_step": definition.steps[0].id,
            **_fee_state(application),
        },
    )


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


@require_POST
@resident_required
def application_withdraw(request: IdxRequest, public_id: str) -> HttpResponseBase:
    application = _own_application(request, public_id)
    form = WithdrawForm(request.POST)
    reason = form.cleaned_data["reason"] if form.is_valid() else ""
    try:
        services.application_withdraw(application=application, actor=request.user, reason=reason)
        messages.success(request, _("Your application has been withdrawn."))
    except (InvalidTransition, services.ChangedMeanwhile):
        messages.error(request, _("This application can no longer be withdrawn."))
    return redirect("portal:application_detail", public_id=application.public_id)


@require_POST
@resident_required
def application_discard(request: IdxRequest, public_id: str) -> HttpResponseBase:
    application = _own_application(request, public_id)
    try:
        services.application_discard_draft(application=application, actor=request.user)
        messages.success(request, _("The draft has been deleted."))
    except services.NotEditable:
        messages.error(request, _("Only drafts can be deleted."))
    return redirect("portal:my_applications")


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
    summary = [
        {
            "html_id": html_id(error.path),
            "message": error_message(error, definition.item(error.path)),
        }
        for error in errors
    ]
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


def sign_up(request: IdxRequest) -> HttpResponseBase:
    form = SignUpForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        with contextlib.suppress(EmailTaken):  # same answer either way: no hint of who has an account
            resident_sign_up(
                municipality=request.municipality,
                email=form.cleaned_data["email"],
                password=form.cleaned_data["password"],
                full_name=form.cleaned_data["full_name"],
                language=translation.get_language() or "ja",
            )
        return render(request, "portal/sign_up_done.html", {"email": form.cleaned_data["email"]})
    return render(request, "portal/sign_up.html", {"form": form}, status=422 if form.errors else 200)


def verify_email(request: IdxRequest, token: str) -> HttpResponseBase:
    user = resident_verify_email(municipality=request.municipality, token=token)
    if user is None:
        return render(request, "portal/verify_failed.html", status=400)
    messages.success(request, _("Your e-mail address is confirmed. Please sign in."))
    return redirect("portal:login")


def sign_in(request: IdxRequest) -> HttpResponseBase:
    form = SignInForm(request.POST or None)
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
            target = request.GET.get("next", "")
            if not target.startswith("/") or target.startswith("//"):
                target = reverse("portal:my_applications")
            return HttpResponseRedirect(target)
    origins = card_provider_origins(request.municipality)
    response = render(
        request,
        "portal/sign_in.html",
        {"form": form, "error": error, "card_sign_in": bool(origins)},
        status=422 if error else 200,
    )
    return allow_forms_to(response, origins)


@require_POST
def sign_out(request: IdxRequest) -> HttpResponseBase:
    logout(request)
    return redirect("portal:catalog")
