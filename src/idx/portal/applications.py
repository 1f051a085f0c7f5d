"""A resident's applications: the list, each one's page, and withdrawing, deleting or correcting one."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import Http404
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from idx.applications import services
from idx.applications.models import Application, Status
from idx.applications.presentation import answer_rows, attachment_names
from idx.applications.selectors import application_get_for_resident, applications_for_resident
from idx.applications.workflow import InvalidTransition
from idx.common.files import serve_private_file
from idx.common.i18n import pick
from idx.identity.contrib.oidc.pages import allow_forms_to, card_provider_origins
from idx.payments.selectors import application_has_payments, fee_paid_for, paid_for
from idx.portal.forms import WithdrawForm
from idx.procedures.definition import AnswerError
from idx.procedures.rendering import answers_from_form, html_name, step_fields
from idx.web.http import IdxRequest, resident_required
from idx.web.steps import single_values, take_uploads
from idx.web.summary import summary_from_answers, summary_from_form


def own_application(request: IdxRequest, public_id: object) -> Application:
    """The signed-in resident's application ``public_id`` (404 for anyone else's)."""
    application = application_get_for_resident(resident=request.user, public_id=public_id)
    if application is None:
        raise Http404
    return application


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
    application = own_application(request, public_id)
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
    application = own_application(request, public_id)
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
    application = own_application(request, public_id)
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


def _keep_entry_positions(steps: list[Any], data: dict[str, str]) -> dict[str, str]:
    """Keep each repeat entry in its place when only some entries have a flagged item.

    The form shows only the flagged items, so an entry with none of them comes back empty, and an
    empty entry is dropped: the second child's corrected birth date would become the first's.
    A placeholder in such an entry keeps the positions; only the flagged paths are taken from
    what comes back (``merge_flagged``), so the placeholder itself is never stored.
    """
    kept = dict(data)
    for step in steps:
        for item in step.items:
            if item.widget != "repeat" or not item.children:
                continue
            name = html_name(item.field)
            count = data.get(f"{name}.count", "0")
            for index in range(min(int(count) if count.isdecimal() else 0, 100)):
                prefix = f"{name}.{index}"
                if not any(key.startswith(f"{prefix}.") for key in data):
                    kept[f"{prefix}.{item.children[0].field}"] = "-"
    return kept


@resident_required
def application_correct(request: IdxRequest, public_id: str) -> HttpResponseBase:
    """Answer a correction request by editing only the flagged items."""
    application = own_application(request, public_id)
    if application.status != Status.CORRECTION_REQUESTED:
        return redirect("portal:application_detail", public_id=application.public_id)
    definition = application.procedure_version.parsed
    flagged_fields = {path.split(".")[0].split("[")[0] for path in application.correction_notes}
    steps = [step for step in definition.steps if set(step.fields) & flagged_fields]
    errors: list[AnswerError] = []
    if request.method == "POST":
        data = _keep_entry_positions(steps, single_values(request))
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
            errors += take_uploads(request, application, step)
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
    application = own_application(request, public_id)
    attachment = application.attachments.filter(public_id=attachment_id).first()
    if attachment is None:
        raise Http404
    return serve_private_file(
        attachment.file,
        content_type=attachment.content_type,
        as_attachment=True,
        filename=attachment.original_name,
    )
