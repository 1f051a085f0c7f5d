"""The stepped form engine: one step of a draft application per page, for both front doors.

Residents fill in their own drafts in the portal; at the counter (書かない窓口) a clerk fills in a
resident's draft in the back office. The pages are the same; ``StepRoutes`` says where each door's
buttons lead and which template it renders.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.http import Http404, HttpResponseRedirect
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from idx.applications import services
from idx.applications.answers import visible_answers
from idx.applications.attachments import UploadRejected
from idx.applications.models import Application
from idx.applications.prefill import prefill_offer
from idx.applications.presentation import attachment_names
from idx.common.i18n import pick
from idx.procedures.definition import AnswerError, is_visible, step_is_shown, validate_answers
from idx.procedures.rendering import answers_from_form, display_value, field_view, step_fields
from idx.web.http import IdxRequest
from idx.web.summary import summary_from_answers


def single_values(request: IdxRequest) -> dict[str, str]:
    """The posted form as one text per name (the last one where a name was sent twice)."""
    return {key: request.POST.get(key, "") for key in request.POST}


def step_context(
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

    step: str
    review: str
    exit: str
    template: str
    exit_message: str  # "resident" or "staff": whose words the "saved" message uses


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
        context = step_context(application, step_id, None, return_to=return_to)
        _offer_prefill(context, request, application, step)
        return render(request, routes.template, context)

    action = request.POST.get("action", "next")
    shown_before = {item.field for item in step.items if is_visible(item, application.answers)}
    answers = answers_from_form(step, single_values(request), application.answers)
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
    upload_errors = take_uploads(request, application, step)

    def page(errors: list[AnswerError] | None, status: int = 200) -> HttpResponseBase:
        return render(
            request,
            routes.template,
            step_context(application, step_id, errors, return_to=return_to),
            status=status,
        )

    if action == "prefill" and not my_number_errors and not upload_errors:
        # The resident asked for their details from before (once-only): filled in, still editable.
        if request.user.pk == application.applicant_id:
            application = services.application_prefill(application=application, actor=request.user)
        context = step_context(application, step_id, None, return_to=return_to)
        context["prefilled"] = True
        return render(request, routes.template, context)
    if action.startswith(("add:", "remove:", "upload")) and not my_number_errors:
        context = step_context(application, step_id, upload_errors or None, return_to=return_to)
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
            context = step_context(application, step_id, None, return_to=return_to)
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
            index = len(view.entries)
            entry = [
                field_view(child, f"{field}[{index}].{child.field}", {}, None, {}, {}, {}, False)
                for child in view.item.children
            ]
            if entry:  # the resident stays at the new entry (the button's link goes to it, too)
                entry[0].autofocus = True
            view.entries.append(entry)


def take_uploads(request: IdxRequest, application: Application, step: Any) -> list[AnswerError]:
    """Attach the files posted for the items of ``step``; a refused file is an error of its item."""
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
