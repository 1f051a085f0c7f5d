"""Working on cases: the queue, assigning, a case's page, reviewing, deciding, its files and 個人番号."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.http import Http404, HttpResponseRedirect, QueryDict
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import pgettext_lazy
from django.views.decorators.http import require_POST

from idx.applications import services
from idx.applications.models import NOT_OPEN, Application, ApplicationSignature, Status
from idx.applications.paper import PAPER_SCAN_PATH
from idx.applications.presentation import answer_rows, contextual_labels, correction_items
from idx.applications.selectors import (
    CaseFilters,
    applicant_contacts,
    case_counts_by_status,
    case_get_for_staff,
    case_list_for_staff,
    correction_round_latest,
    saved_case_filters_for,
)
from idx.applications.signing import signature_still_covers
from idx.applications.workflow import Actor, Event, InvalidTransition, allowed_events
from idx.audit.selectors import audit_entries_for_target
from idx.backoffice.checks import case_checks_context
from idx.common import dates, my_number
from idx.common.files import serve_private_file
from idx.common.i18n import pick
from idx.identity.models import User
from idx.identity.policy import Action, can, is_city_wide
from idx.identity.reauth import has_recent_reauth
from idx.procedures.models import Procedure
from idx.web.http import IdxRequest, staff_required

PAGE_SIZE = 50


def _case(request: IdxRequest, public_id: str) -> Application:
    application = case_get_for_staff(staff=request.user, public_id=public_id)
    if application is None:
        raise Http404
    return application


def _filters(request: IdxRequest) -> CaseFilters:
    get = request.GET
    return CaseFilters(
        procedure=get.get("procedure", "")[:80],
        status=get.get("status", "open")[:24],
        assignee=get.get("assignee", "")[:12],
        due=get.get("due", "")[:10],
        query=get.get("q", "")[:60],
        department=get.get("department", "")[:40],
    )


@staff_required
def queue(request: IdxRequest) -> HttpResponseBase:
    staff: User = request.user
    filters = _filters(request)
    cases = case_list_for_staff(staff=staff, filters=filters)
    # Offset pages without COUNT(*): a count over a million rows costs more than the page itself.
    number = int(request.GET.get("page", "1")) if request.GET.get("page", "1").isdecimal() else 1
    number = max(1, min(number, 10_000))
    rows = list(cases[(number - 1) * PAGE_SIZE : number * PAGE_SIZE + 1])
    page: dict[str, Any] = {
        "cases": rows[:PAGE_SIZE],
        "number": number,
        "has_next": len(rows) > PAGE_SIZE,
        "has_previous": number > 1,
    }
    procedures = Procedure.objects.filter(municipality_id=staff.municipality_id).order_by("id")
    if not is_city_wide(staff):
        procedures = procedures.filter(department_id=staff.department_id or 0)
    colleagues = User.objects.filter(
        municipality_id=staff.municipality_id, department_id=staff.department_id or 0
    ).exclude(role="resident")
    query = request.GET.copy()
    query.pop("page", None)
    without_status = query.copy()
    without_status.pop("status", None)
    counts = case_counts_by_status(staff=staff, filters=filters)
    contacts = applicant_contacts(applications=page["cases"])
    page["rows"] = [
        {"case": case, "contact": _contact(*contacts.get(case.applicant_id, (case.language, [])))}
        for case in page["cases"]
    ]
    return render(
        request,
        "backoffice/queue.html",
        {
            "page": page,
            "filters": filters,
            "procedures": [(procedure.code, pick(procedure.names)) for procedure in procedures],
            "statuses": Status.choices,
            "status_counts": [
                {
                    "value": "open",
                    "label": _("Open"),
                    "count": sum(count for status, count in counts.items() if status not in NOT_OPEN),
                },
                *(
                    {"value": value, "label": label, "count": counts.get(value, 0)}
                    for value, label in Status.choices
                    if value != Status.DRAFT
                ),
            ],
            "status_base": without_status.urlencode(),
            "saved_filters": saved_case_filters_for(staff=staff),
            "colleagues": colleagues,
            "can_assign_others": can(staff, Action.ASSIGN_OTHERS),
            "can_export": can(staff, Action.EXPORT_CASES),
            "query_string": query.urlencode(),
            "today": timezone.localdate(),
        },
    )


def _channel_words() -> dict[str, str]:
    return {"email": _("E-mail"), "line": "LINE", "webpush": _("Browser notifications"), "post": _("By post")}


def _contact(language: str, channels: list[str]) -> str:
    """How the applicant is told, for the queue's 連絡 column: 英語・メール (the portal's inbox
    when they chose no other channel). Language names are in the page's language."""
    try:
        name = str(translation.get_language_info(language)["name_translated"])
    except KeyError:
        name = language
    words = _channel_words()
    told = [words[channel] for channel in channels if channel in words] or [_("Portal inbox")]
    return "・".join([name, *told]) if dates.uses_full_width_punctuation() else ", ".join([name, *told])


FILTER_KEYS = ("q", "procedure", "status", "assignee", "due", "department")


def _filter_query(text: str) -> str:
    """Only the queue's own filters, re-encoded (a saved filter is a query string, nothing else)."""
    given = QueryDict(text[:400])
    return urlencode([(key, given.get(key, "")[:80]) for key in FILTER_KEYS if given.get(key)])


@require_POST
@staff_required
def queue_filter_save(request: IdxRequest) -> HttpResponseBase:
    """Save the queue's current filters under a name of the clerk's own."""
    query = _filter_query(request.POST.get("query", ""))
    try:
        saved = services.saved_case_filter_save(
            staff=request.user, name=request.POST.get("name", ""), query=query
        )
    except services.SavedFilterInvalid:
        messages.error(request, _("Enter a name for the saved filter (at most 30 saved filters)."))
        return HttpResponseRedirect(f"{reverse('backoffice:queue')}?{query}")
    messages.success(request, _("Saved the filter “%(name)s”.") % {"name": saved.name})
    return HttpResponseRedirect(f"{reverse('backoffice:queue')}?{saved.query}")


@staff_required
def queue_filter_delete(request: IdxRequest, pk: int) -> HttpResponseBase:
    """Delete one of the clerk's saved filters after a confirmation page; anyone else's is not found."""
    saved = saved_case_filters_for(staff=request.user).filter(pk=pk).first()
    if saved is None:
        raise Http404
    if request.method == "POST":
        services.saved_case_filter_delete(staff=request.user, pk=saved.pk)
        messages.success(request, _("Deleted the saved filter “%(name)s”.") % {"name": saved.name})
        return redirect("backoffice:queue")
    return render(request, "backoffice/queue_filter_delete.html", {"saved": saved})


@require_POST
@staff_required
def bulk_assign(request: IdxRequest) -> HttpResponseBase:
    staff: User = request.user
    assignee = User.objects.filter(
        pk=request.POST.get("assignee") or 0,
        municipality_id=staff.municipality_id,
        department_id=staff.department_id or 0,
    ).first()
    cases = [
        case
        for case in (
            case_get_for_staff(staff=staff, public_id=value) for value in request.POST.getlist("cases")[:200]
        )
        if case is not None
    ]
    if assignee is None or not cases:
        messages.error(request, _("Choose cases and a colleague."))
        return redirect("backoffice:queue")
    try:
        done = services.cases_bulk_assign(staff=staff, applications=cases, assignee=assignee)
        messages.success(request, _("%(count)s cases assigned.") % {"count": done})
    except services.NotPermitted:
        messages.error(request, _("You may not assign cases to others."))
    except services.ChangedMeanwhile:
        messages.error(request, _("A case was changed meanwhile. Nothing was assigned; please try again."))
    return redirect("backoffice:queue")


# What happened to a case, in words (the status it reached names the step taken).
HISTORY_WORDS: dict[str, Any] = {
    Status.SUBMITTED: pgettext_lazy("case history", "Received"),
    Status.IN_REVIEW: pgettext_lazy("case history", "Review started"),
    Status.CORRECTION_REQUESTED: pgettext_lazy("case history", "Sent back for correction"),
    Status.RESUBMITTED: pgettext_lazy("case history", "Resubmitted"),
    Status.APPROVED: pgettext_lazy("case history", "Approved"),
    Status.REJECTED: pgettext_lazy("case history", "Rejected"),
    Status.WITHDRAWN: pgettext_lazy("case history", "Withdrawn"),
}

# Audit actions recorded against an application, in words; anything else reads as "other record".
AUDIT_WORDS: dict[str, Any] = {
    "application.start": pgettext_lazy("audit action", "Started a draft of the application"),
    "application.assisted_start": pgettext_lazy("audit action", "Started the application at the counter"),
    "application.assisted_shown": pgettext_lazy(
        "audit action", "Showed the answers to the resident at the counter"
    ),
    "application.prefill": pgettext_lazy("audit action", "Filled in items from registered information"),
    "application.paper_start": pgettext_lazy("audit action", "Started the application from a paper form"),
    "intake.form.verified": pgettext_lazy("audit action", "Verified the paper form as read and corrected"),
    "application.submit": pgettext_lazy("audit action", "Received the application"),
    "application.start_review": pgettext_lazy("audit action", "Started the review"),
    "application.request_correction": pgettext_lazy(
        "audit action", "Sent the application back for correction"
    ),
    "application.resubmit": pgettext_lazy("audit action", "The applicant resubmitted the application"),
    "application.approve": pgettext_lazy("audit action", "Approved the application"),
    "application.reject": pgettext_lazy("audit action", "Rejected the application"),
    "application.withdraw": pgettext_lazy("audit action", "The applicant withdrew the application"),
    "attachment.add": pgettext_lazy("audit action", "Attached a file"),
    "case.assign": pgettext_lazy("audit action", "Set the assignee"),
    "case.comment": pgettext_lazy("audit action", "Added an internal comment"),
    "personal_data.view.case": pgettext_lazy("audit action", "Viewed the case"),
    "personal_data.view.attachment": pgettext_lazy("audit action", "Opened an attachment"),
    "personal_data.view.api": pgettext_lazy("audit action", "Read the case through the API"),
    "my_number.unseal": pgettext_lazy("audit action", "Showed the individual number"),
    "checks.run": pgettext_lazy("audit action", "Ran the automated checks"),
}
OTHER_RECORD = pgettext_lazy("audit action", "Other record")


def _answer_steps(rows: list[Any]) -> list[dict[str, Any]]:
    """The answer rows (as residents see them) grouped under a heading per step."""
    steps: list[dict[str, Any]] = []
    for row in rows:
        if row.step_title or not steps:
            steps.append({"title": row.step_title, "id": row.step_id or f"step-{len(steps) + 1}", "rows": []})
        steps[-1]["rows"].append(row)
    return steps


def _next_case(staff: User, application: Application) -> str | None:
    """The public id of the open case after this one in the clerk's default queue, if any."""
    ids = [
        str(value)
        for value in case_list_for_staff(staff=staff, filters=CaseFilters(status="open")).values_list(
            "public_id", flat=True
        )[:500]
    ]
    current = str(application.public_id)
    if current in ids:
        following = ids[ids.index(current) + 1 :]
        return following[0] if following else None
    return ids[0] if ids else None


def _case_payment(application: Application) -> dict[str, Any] | None:
    """The fee of the case and the payment that settled it, if the procedure has a fee."""
    from idx.payments.selectors import fee_of, paid_for

    fee = fee_of(application)
    if fee.amount <= 0:
        return None
    return {"fee": fee, "paid": paid_for(application)}


@staff_required
def case_detail(request: IdxRequest, public_id: str) -> HttpResponseBase:
    staff: User = request.user
    application = _case(request, public_id)
    services.case_record_view(application=application, staff=staff)
    events = [event.value for event in allowed_events(application.status, Actor.STAFF)]
    may_work = can(staff, Action.WORK_CASE, application.department)
    definition = application.procedure_version.parsed
    signature = ApplicationSignature.objects.filter(application=application).first()
    rows = answer_rows(application)
    labels = {row.path: row.label for row in rows}
    correction = correction_round_latest(application=application)
    correction_open = application.status == Status.CORRECTION_REQUESTED and correction is not None
    corrected = correction is not None and correction.resubmitted_at is not None
    items = correction_items(application, correction) if correction and (correction_open or corrected) else []
    # Rows to highlight on the answers: the flagged items (and their notes) or what came back.
    flagged = {item.path: item for item in items}
    return render(
        request,
        "backoffice/case_detail.html",
        {
            "application": application,
            "correction": correction,
            "correction_open": correction_open,
            "corrected": corrected,
            "correction_items": items,
            "signature": signature,
            "signature_covers_answers": signature is not None
            and signature_still_covers(application, signature.digest_sha256),
            "procedure_name": pick(definition.data["name"]),
            "steps": [
                {**step, "entries": [{"row": row, "item": flagged.get(row.path)} for row in step["rows"]]}
                for step in _answer_steps(rows)
            ],
            "next_case": _next_case(staff, application),
            "history": [
                {
                    "change": change,
                    "word": HISTORY_WORDS.get(change.to_status, change.get_to_status_display()),
                }
                for change in application.status_changes.select_related("actor")
            ],
            "comments": application.comments.select_related("author"),
            "attachments": [
                {
                    "file": attachment,
                    "question": labels.get(attachment.field_path, "")
                    or (_("Scanned paper form") if attachment.field_path == PAPER_SCAN_PATH else ""),
                    "preview": PREVIEWABLE.get(attachment.content_type, ""),
                }
                for attachment in application.attachments.all()
            ],
            "events": events if may_work else [],
            "may_work": may_work,
            "may_decide": may_work and can(staff, Action.DECIDE_CASE, application.department),
            "may_unseal": can(staff, Action.UNSEAL_MY_NUMBER, application.department)
            and my_number.can_unseal(),
            "payment": _case_payment(application),
            "checks": case_checks_context(application, staff),
            "may_take_payment": can(staff, Action.TAKE_PAYMENT, application.department),
            "audit": [
                {"entry": entry, "word": AUDIT_WORDS.get(entry.action, OTHER_RECORD)}
                for entry in audit_entries_for_target(
                    municipality=application.municipality,
                    target_type="application",
                    target_id=application.public_id,
                )
                .select_related("actor")
                .order_by("-id")[:50]
            ]
            if can(staff, Action.VIEW_AUDIT, application.department) or may_work
            else [],
        },
    )


def _expected_version(request: IdxRequest) -> int:
    value = request.POST.get("row_version", "")
    return int(value) if value.isdecimal() and len(value) <= 9 else -1


def _case_action(
    request: IdxRequest,
    public_id: str,
    action: Callable[[Application, User, int], Any],
    done: str,
) -> HttpResponseBase:
    """Run one case action and say what it did (``done``), or why nothing happened."""
    staff: User = request.user
    application = _case(request, public_id)
    try:
        action(application, staff, _expected_version(request))
    except services.ChangedMeanwhile:
        messages.error(
            request,
            _("This case was changed by someone else meanwhile. Check the latest state below and try again."),
        )
    except InvalidTransition:
        messages.error(request, _("That action is not possible in the case's current state."))
    except services.NotPermitted:
        messages.error(request, _("You may not do that."))
    except services.AnswersInvalid:
        messages.error(request, _("Fill in the required items (a reason, a note per flagged item)."))
    else:
        messages.success(request, done)
    return redirect("backoffice:case_detail", public_id=application.public_id)


@require_POST
@staff_required
def case_assign_self(request: IdxRequest, public_id: str) -> HttpResponseBase:
    return _case_action(
        request,
        public_id,
        lambda application, staff, version: services.case_assign(
            application=application, staff=staff, assignee=staff, expected_version=version
        ),
        _("You are now the assignee of this case."),
    )


@require_POST
@staff_required
def case_start_review(request: IdxRequest, public_id: str) -> HttpResponseBase:
    return _case_action(
        request,
        public_id,
        lambda application, staff, version: services.case_start_review(
            application=application, staff=staff, expected_version=version
        ),
        _("Review started."),
    )


@require_POST
@staff_required
def case_request_correction(request: IdxRequest, public_id: str) -> HttpResponseBase:
    flagged = request.POST.getlist("flag")
    notes = {
        path: request.POST.get(f"note:{path}", "") or _("Please check this item.") for path in flagged[:100]
    }
    return _case_action(
        request,
        public_id,
        lambda application, staff, version: services.case_request_correction(
            application=application,
            staff=staff,
            notes=notes,
            message=request.POST.get("message", ""),
            expected_version=version,
        ),
        _("Sent back to the applicant for correction."),
    )


def _picked(request: IdxRequest) -> tuple[list[str], dict[str, str], str]:
    """The items picked in correction mode, every note typed (picked or not), and the message."""
    picked = list(dict.fromkeys(request.POST.getlist("flag")))[:100]
    notes = {
        key.removeprefix("note:"): text
        for key in request.POST
        if key.startswith("note:") and (text := request.POST.get(key, "").strip()[:500])
    }
    return picked, notes, request.POST.get("message", "").strip()[:2000]


@staff_required
def case_correction(request: IdxRequest, public_id: str) -> HttpResponseBase:
    """Correction mode (差し戻し): pick items and write a note for each, then a second look that
    states what will be sent; the send itself posts to ``case_request_correction``.

    Works without JavaScript: a GET shows the picker, a POST with ``step=review`` checks it (no item
    picked, or a picked item without a note, are named without losing what was typed) and shows
    the review; ``step=edit`` goes back to the picker with everything kept.
    """
    staff: User = request.user
    application = _case(request, public_id)
    if Event.REQUEST_CORRECTION not in allowed_events(application.status, Actor.STAFF) or not can(
        staff, Action.WORK_CASE, application.department
    ):
        messages.error(request, _("That action is not possible in the case's current state."))
        return redirect("backoffice:case_detail", public_id=application.public_id)
    rows = answer_rows(application)
    editable = {row.path for row in rows if not row.is_group}
    labels = {path: label for path, label in contextual_labels(rows).items() if path in editable}
    picked, notes, message = _picked(request) if request.method == "POST" else ([], {}, "")
    picked = [path for path in picked if path in labels]
    version = request.POST.get("row_version", "") if request.method == "POST" else ""
    context: dict[str, Any] = {
        "application": application,
        "procedure_name": pick(application.procedure_version.parsed.data["name"]),
        "row_version": version if version.isdecimal() else application.row_version,
        "message": message,
        "picked": picked,
        "notes": notes,
    }
    error_summary: list[dict[str, str]] = []
    if request.method == "POST" and request.POST.get("step") == "review":
        if not picked:
            error_summary.append(
                {
                    "html_id": "correction-items",
                    "message": _("Pick at least one item for the applicant to correct."),
                }
            )
        for path in picked:
            if path not in notes:
                error_summary.append(
                    {
                        "html_id": f"note-{path}",
                        "path": path,
                        "message": _("Write a note for “%(item)s”: what should the applicant correct?")
                        % {"item": labels[path]},
                    }
                )
        if not error_summary:
            context["items"] = [{"path": path, "label": labels[path], "note": notes[path]} for path in picked]
            return render(request, "backoffice/case_correction_review.html", context)
    missing = {error["path"]: error["message"] for error in error_summary if "path" in error}
    context.update(
        {
            "steps": [
                {
                    **step,
                    "rows": [
                        {
                            "row": row,
                            "picked": row.path in picked,
                            "note": notes.get(row.path, ""),
                            "error": missing.get(row.path, ""),
                        }
                        for row in step["rows"]
                    ],
                }
                for step in _answer_steps(rows)
            ],
            "error_summary": error_summary,
            "no_items": bool(error_summary) and not picked,
        }
    )
    return render(request, "backoffice/case_correction.html", context, status=422 if error_summary else 200)


DECISIONS = ("approve", "reject")


def _language_name(code: str) -> str:
    """The applicant's language as the staff member reads it: ベトナム語（Tiếng Việt）."""
    try:
        info = translation.get_language_info(code)
    except KeyError:
        return code
    local, translated = info["name_local"], info["name_translated"]
    if translated in (local, info["name"]):
        return str(local)
    return f"{translated}（{local}）" if dates.uses_full_width_punctuation() else f"{translated} ({local})"


@staff_required
def case_decide(request: IdxRequest, public_id: str) -> HttpResponseBase:
    """Approve or reject, only from the confirmation page that says what will happen and to whom.

    GET (or a POST that did not come from that page) shows the confirmation; the decision is taken
    by a POST carrying ``confirmed``. The service decides whether it is allowed.
    """
    staff: User = request.user
    application = _case(request, public_id)
    decision = request.POST.get("decision") or request.GET.get("decision", "")
    if decision not in DECISIONS:
        return redirect("backoffice:case_detail", public_id=application.public_id)
    approve = decision == "approve"
    reason = request.POST.get("reason", "")[:2000]
    error_summary: list[dict[str, str]] = []
    if request.method == "POST" and request.POST.get("confirmed") == "yes":
        try:
            services.case_decide(
                application=application,
                staff=staff,
                approve=approve,
                reason=reason,
                expected_version=_expected_version(request),
            )
        except services.AnswersInvalid:
            error_summary = [
                {"html_id": "decision-reason", "message": _("Enter the reason for the rejection.")}
            ]
        except services.ChangedMeanwhile:
            messages.error(
                request,
                _(
                    "This case was changed by someone else meanwhile. Check the latest state below and try again."
                ),
            )
            return redirect("backoffice:case_detail", public_id=application.public_id)
        except InvalidTransition:
            messages.error(request, _("That action is not possible in the case's current state."))
            return redirect("backoffice:case_detail", public_id=application.public_id)
        except services.NotPermitted:
            messages.error(request, _("You may not do that."))
            return redirect("backoffice:case_detail", public_id=application.public_id)
        else:
            messages.success(request, _("Approved.") if approve else _("Rejected."))
            return redirect("backoffice:case_detail", public_id=application.public_id)
    if Event(decision) not in allowed_events(application.status, Actor.STAFF) or not can(
        staff, Action.DECIDE_CASE, application.department
    ):
        messages.error(request, _("That action is not possible in the case's current state."))
        return redirect("backoffice:case_detail", public_id=application.public_id)
    applicant = application.applicant
    version = request.POST.get("row_version", "") if request.method == "POST" else ""
    return render(
        request,
        "backoffice/case_decide.html",
        {
            "application": application,
            "approve": approve,
            "decision": decision,
            "reason": reason,
            "row_version": version if version.isdecimal() else application.row_version,
            "procedure_name": pick(application.procedure_version.parsed.data["name"]),
            "language_name": _language_name(applicant.preferred_language or application.language),
            "error_summary": error_summary,
        },
        status=422 if error_summary else 200,
    )


@require_POST
@staff_required
def case_comment(request: IdxRequest, public_id: str) -> HttpResponseBase:
    return _case_action(
        request,
        public_id,
        lambda application, staff, _version: services.case_comment_add(
            application=application, staff=staff, body=request.POST.get("body", "")
        ),
        _("Comment added."),
    )


# Attachments shown on the case page itself: images in <img>, PDFs in a same-origin <iframe>.
PREVIEWABLE = {"image/png": "image", "image/jpeg": "image", "image/webp": "image", "application/pdf": "pdf"}
# What a file served for viewing may do: nothing but show itself, framed only by IDX's own pages.
INLINE_FILE_CSP: dict[str, list[str]] = {
    "default-src": ["'none'"],
    "img-src": ["'self'"],
    "object-src": ["'self'"],
    "frame-ancestors": ["'self'"],
    "base-uri": ["'none'"],
    "form-action": ["'none'"],
}


def safe_filename(name: str) -> str:
    """The resident's file name without folders, control characters or quotes (for
    Content-Disposition); Japanese letters stay, the header encodes them (RFC 6266)."""
    base = name.replace("\\", "/").rsplit("/", 1)[-1]
    cleaned = "".join(ch for ch in base if ch.isprintable() and ch not in '"<>:|?*;').strip(" .")
    return cleaned[:150] or "attachment"


@staff_required
def case_attachment(request: IdxRequest, public_id: str, attachment_id: str) -> HttpResponseBase:
    """A case's file for staff allowed to view the case: downloaded, or with ``?inline=1`` shown in
    the page (only images and PDFs, with their own content type; anything else still downloads)."""
    application = _case(request, public_id)
    attachment = application.attachments.filter(public_id=attachment_id).first()
    if attachment is None:
        raise Http404
    services.case_record_view(application=application, staff=request.user, what="attachment")
    inline = request.GET.get("inline") == "1" and attachment.content_type in PREVIEWABLE
    # Shown in the case page: streamed (a redirect to the object storage's origin would leave the
    # page's Content-Security-Policy); downloaded: possibly a redirect to a presigned address.
    response = serve_private_file(
        attachment.file,
        content_type=attachment.content_type if inline else "application/octet-stream",
        as_attachment=not inline,
        filename=safe_filename(attachment.original_name),
        stream=inline,
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    if inline:
        response["X-Frame-Options"] = "SAMEORIGIN"
        response._csp_config = INLINE_FILE_CSP  # type: ignore[attr-defined]
    return response


@staff_required
def case_my_number(request: IdxRequest, public_id: str) -> HttpResponseBase:
    """Open a sealed 個人番号 once: permission, recent re-authentication, POST; audited, never cached."""
    staff: User = request.user
    application = _case(request, public_id)
    if not can(staff, Action.UNSEAL_MY_NUMBER, application.department):
        raise Http404
    path = (request.POST.get("path") or request.GET.get("path", ""))[:200]
    if not has_recent_reauth(request):
        # Back here (GET, with the item) after re-authenticating; opening then takes one more POST.
        here = reverse("backoffice:case_my_number", args=[application.public_id])
        query = urlencode({"next": f"{here}?{urlencode({'path': path})}"})
        return HttpResponseRedirect(f"{reverse('backoffice:reauth')}?{query}")
    context: dict[str, Any] = {"application": application, "path": path}
    if request.method != "POST":
        return render(request, "backoffice/my_number.html", context)
    try:
        number = services.my_number_unseal(application=application, staff=staff, path=path)
    except (services.NotPermitted, LookupError) as exc:
        raise Http404 from exc
    except (my_number.MyNumberUnavailable, my_number.MyNumberSealBroken):
        context["unavailable"] = True
        response = render(request, "backoffice/my_number.html", context, status=503)
    else:
        context["number"] = f"{number[:4]} {number[4:8]} {number[8:]}"
        response = render(request, "backoffice/my_number.html", context)
    response["Cache-Control"] = "no-store"
    response["Pragma"] = "no-cache"
    return response
