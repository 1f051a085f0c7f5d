"""Staff pages of Participation: processes in the staff member's scope, official answers (drafted,
then published after a second look), follow-up, results as open data, and the moderation queue."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib import messages
from django.http import Http404
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from idx.common.errors import DomainError
from idx.identity.policy import Action, can
from idx.participation import selectors, services
from idx.participation.models import AnswerStatus, Comment, PhaseKind, Proposal
from idx.web.http import IdxRequest, staff_required


def _may(request: IdxRequest, action: Action, department: Any) -> bool:
    return can(request.user, action, department)


@staff_required
def home(request: IdxRequest) -> HttpResponseBase:
    if not can(request.user, Action.MODERATE):
        raise Http404
    processes = list(selectors.process_list_for_staff(staff=request.user).order_by("-created_at")[:100])
    queue = selectors.moderation_queue(staff=request.user)
    waiting = sum(
        len(queue[key])
        for key in ("reported_comments", "reported_proposals", "appealed_comments", "appealed_proposals")
    )
    return render(
        request,
        "backoffice/participation/home.html",
        {"processes": processes, "waiting": waiting, "may_moderate": can(request.user, Action.MODERATE)},
    )


def _process(request: IdxRequest, pk: int) -> Any:
    process = selectors.process_get_for_staff(staff=request.user, pk=pk)
    if process is None:
        raise Http404
    return process


@staff_required
def process_detail(request: IdxRequest, pk: int) -> HttpResponseBase:
    process = _process(request, pk)
    try:
        page = int(request.GET.get("page", "1"))
    except ValueError:
        page = 1
    found = selectors.staff_proposals(process=process, page=page)
    has_results = any(phase.kind == PhaseKind.RESULTS for phase in process.phases.all())
    return render(
        request,
        "backoffice/participation/process.html",
        {
            "process": process,
            "found": found,
            "may_manage": _may(request, Action.MANAGE_PARTICIPATION, process.department),
            "has_results": has_results,
            "mismatches": selectors.support_counts_verify(process=process)
            if request.GET.get("verify")
            else None,
        },
    )


@staff_required
def results_publish(request: IdxRequest, pk: int) -> HttpResponseBase:
    process = _process(request, pk)
    if not _may(request, Action.MANAGE_PARTICIPATION, process.department):
        raise Http404
    if request.method == "POST":
        services.results_publish(staff=request.user, process=process)
        messages.success(request, _("The results are published, and as open data."))
        return redirect("backoffice:participation_process", pk=process.pk)
    return render(request, "backoffice/participation/results_confirm.html", {"process": process})


def _proposal(request: IdxRequest, pk: int) -> Proposal:
    proposal = selectors.proposal_get_for_staff(staff=request.user, pk=pk)
    if proposal is None:
        raise Http404
    return proposal


@staff_required
def proposal_detail(request: IdxRequest, pk: int) -> HttpResponseBase:
    proposal = _proposal(request, pk)
    may_manage = _may(request, Action.MANAGE_PARTICIPATION, proposal.process.department)
    answer = getattr(proposal, "answer", None)
    values = {
        "status": (answer.draft_status or answer.status) if answer else "",
        "reason": (answer.draft_reason or answer.reason) if answer else "",
    }
    errors: dict[str, str] = {}
    follow_values = {"text": "", "url": "", "done_on": ""}
    follow_errors: dict[str, str] = {}
    if request.method == "POST" and may_manage:
        if request.POST.get("form") == "follow_up":
            follow_values = {name: request.POST.get(name, "") for name in follow_values}
            try:
                done_on = dt.date.fromisoformat(follow_values["done_on"])
            except ValueError:
                follow_errors = {"done_on": _("Enter the date as YYYY-MM-DD.")}
            else:
                try:
                    services.follow_up_add(
                        staff=request.user,
                        proposal=proposal,
                        text=follow_values["text"],
                        url=follow_values["url"].strip(),
                        done_on=done_on,
                    )
                except DomainError as exc:
                    follow_errors = {exc.field or "text": exc.text()}
                else:
                    messages.success(request, _("The follow-up is shown on the proposal's page."))
                    return redirect("backoffice:participation_proposal", pk=proposal.pk)
        else:
            values = {"status": request.POST.get("status", ""), "reason": request.POST.get("reason", "")}
            try:
                services.answer_draft(staff=request.user, proposal=proposal, **values)
            except DomainError as exc:
                errors = {exc.field or "reason": exc.text()}
            else:
                return redirect("backoffice:participation_answer_confirm", pk=proposal.pk)
    return render(
        request,
        "backoffice/participation/proposal.html",
        {
            "proposal": proposal,
            "answer": answer,
            "may_manage": may_manage,
            "may_moderate": _may(request, Action.MODERATE, proposal.process.department),
            "statuses": AnswerStatus.choices,
            "values": values,
            "errors": errors,
            "follow_values": follow_values,
            "follow_errors": follow_errors,
            "reports": selectors.report_reasons(proposal=proposal),
        },
        status=400 if errors or follow_errors else 200,
    )


@staff_required
def answer_confirm(request: IdxRequest, pk: int) -> HttpResponseBase:
    """The second look: the drafted answer as residents will read it, then publish."""
    proposal = _proposal(request, pk)
    if not _may(request, Action.MANAGE_PARTICIPATION, proposal.process.department):
        raise Http404
    answer = getattr(proposal, "answer", None)
    if answer is None or not answer.draft_status:
        return redirect("backoffice:participation_proposal", pk=proposal.pk)
    if request.method == "POST":
        try:
            services.answer_publish(staff=request.user, proposal=proposal)
        except DomainError as exc:
            messages.error(request, exc.text())
            return redirect("backoffice:participation_proposal", pk=proposal.pk)
        messages.success(request, _("The official answer is published on the proposal's page."))
        return redirect("backoffice:participation_proposal", pk=proposal.pk)
    return render(
        request,
        "backoffice/participation/answer_confirm.html",
        {"proposal": proposal, "answer": answer, "status_label": AnswerStatus(answer.draft_status).label},
    )


@staff_required
def moderation(request: IdxRequest) -> HttpResponseBase:
    if not can(request.user, Action.MODERATE):
        raise Http404
    queue = selectors.moderation_queue(staff=request.user)
    reasons = {
        comment.pk: selectors.report_reasons(comment=comment) for comment in queue["reported_comments"][:50]
    }
    proposal_reasons = {
        proposal.pk: selectors.report_reasons(proposal=proposal)
        for proposal in queue["reported_proposals"][:50]
    }
    return render(
        request,
        "backoffice/participation/moderation.html",
        {**queue, "reasons": reasons, "proposal_reasons": proposal_reasons},
    )


def _target(request: IdxRequest, kind: str, pk: int) -> Proposal | Comment:
    target: Proposal | Comment | None
    if kind == "comment":
        target = selectors.comment_get_for_staff(staff=request.user, pk=pk)
    else:
        target = selectors.proposal_get_for_staff(staff=request.user, pk=pk)
    if target is None:
        raise Http404
    return target


@require_POST
@staff_required
def moderate(request: IdxRequest, kind: str, pk: int) -> HttpResponseBase:
    target = _target(request, kind, pk)
    action = request.POST.get("action", "")
    try:
        if action == "hide":
            services.moderation_hide(staff=request.user, target=target, reason=request.POST.get("reason", ""))
            messages.success(request, _("Hidden. The author sees the reason and may appeal."))
        elif action == "dismiss":
            services.reports_dismiss(staff=request.user, target=target)
            messages.success(request, _("The reports are closed; the text stays shown."))
        elif action in ("restore", "uphold"):
            services.moderation_decide(staff=request.user, target=target, restore=action == "restore")
            messages.success(request, _("Decided. The author sees the decision."))
        else:
            raise Http404
    except DomainError as exc:
        messages.error(request, exc.text())
    return redirect("backoffice:participation_moderation")


urlpatterns = [
    path("participation/", home, name="participation_home"),
    path("participation/moderation/", moderation, name="participation_moderation"),
    path("participation/processes/<int:pk>/", process_detail, name="participation_process"),
    path("participation/processes/<int:pk>/results/", results_publish, name="participation_results"),
    path("participation/proposals/<int:pk>/", proposal_detail, name="participation_proposal"),
    path("participation/proposals/<int:pk>/answer/", answer_confirm, name="participation_answer_confirm"),
    path("participation/<str:kind>/<int:pk>/moderate/", moderate, name="participation_moderate"),
]
