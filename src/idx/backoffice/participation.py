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
from django.utils import timezone
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
    has_budget = any(phase.kind == PhaseKind.BUDGETING for phase in process.phases.all())
    return render(
        request,
        "backoffice/participation/process.html",
        {
            "process": process,
            "found": found,
            "may_manage": _may(request, Action.MANAGE_PARTICIPATION, process.department),
            "has_results": has_results,
            "has_budget": has_budget,
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
    cost_value = str(proposal.estimated_cost or "")
    cost_errors: dict[str, str] = {}
    if request.method == "POST" and may_manage:
        if request.POST.get("form") == "cost":
            cost_value = request.POST.get("estimated_cost", "").strip().replace(",", "")
            if cost_value and not (cost_value.isdigit() and len(cost_value) <= 15):
                cost_errors = {
                    "estimated_cost": _("Enter the estimated cost as a whole number of yen above zero.")
                }
            else:
                try:
                    services.proposal_cost_set(
                        staff=request.user, proposal=proposal, cost=int(cost_value) if cost_value else None
                    )
                except DomainError as exc:
                    cost_errors = {"estimated_cost": exc.text()}
                else:
                    messages.success(request, _("The estimated cost is saved."))
                    return redirect("backoffice:participation_proposal", pk=proposal.pk)
        elif request.POST.get("form") == "follow_up":
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
            "cost_value": cost_value,
            "cost_errors": cost_errors,
            "reports": selectors.report_reasons(proposal=proposal),
        },
        status=400 if errors or follow_errors or cost_errors else 200,
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


# ---- participatory budgeting -------------------------------------------------------------------


def _budget(request: IdxRequest, pk: int) -> tuple[Any, Any]:
    process = _process(request, pk)
    if not _may(request, Action.MANAGE_PARTICIPATION, process.department):
        raise Http404
    phase = services.budget_phase(process)
    if phase is None:
        raise Http404
    return process, phase


@staff_required
def budget(request: IdxRequest, pk: int) -> HttpResponseBase:
    """The budget vote of a process: ballots so far, the count once voting has ended (again
    until it is published), and a recount from the ballot rows against the kept check value."""
    process, phase = _budget(request, pk)
    recount = None
    if request.method == "POST":
        action = request.POST.get("action", "")
        try:
            if action == "count":
                services.budget_count(staff=request.user, phase=phase)
                messages.success(request, _("The ballots are counted. Check the result, then publish it."))
                return redirect("backoffice:participation_budget", pk=process.pk)
            if action == "recount":
                recount = services.budget_recount(phase=phase)
            else:
                raise Http404
        except DomainError as exc:
            messages.error(request, exc.text())
            return redirect("backoffice:participation_budget", pk=process.pk)
    tally = selectors.tally_of(phase=phase, published_only=False)
    return render(
        request,
        "backoffice/participation/budget.html",
        {
            "process": process,
            "phase": phase,
            "ballots": selectors.ballots_cast(phase=phase),
            "options": services.ballot_options(process=process),
            "tally": tally,
            "rule": services.BUDGET_RULE,
            "may_count": phase.ends_on < timezone.localdate() and not (tally and tally.is_published),
            "recount": recount,
        },
    )


@staff_required
def budget_publish(request: IdxRequest, pk: int) -> HttpResponseBase:
    """The second look before the count is published (to residents and as open data)."""
    process, phase = _budget(request, pk)
    tally = selectors.tally_of(phase=phase, published_only=False)
    if tally is None or tally.is_published:
        return redirect("backoffice:participation_budget", pk=process.pk)
    if request.method == "POST":
        try:
            services.budget_publish(staff=request.user, phase=phase)
        except DomainError as exc:
            messages.error(request, exc.text())
        else:
            messages.success(request, _("The results of the budget vote are published, and as open data."))
        return redirect("backoffice:participation_budget", pk=process.pk)
    return render(
        request,
        "backoffice/participation/budget_confirm.html",
        {"process": process, "phase": phase, "tally": tally, "rule": services.BUDGET_RULE},
    )


urlpatterns = [
    path("participation/", home, name="participation_home"),
    path("participation/moderation/", moderation, name="participation_moderation"),
    path("participation/processes/<int:pk>/", process_detail, name="participation_process"),
    path("participation/processes/<int:pk>/results/", results_publish, name="participation_results"),
    path("participation/processes/<int:pk>/budget/", budget, name="participation_budget"),
    path(
        "participation/processes/<int:pk>/budget/publish/",
        budget_publish,
        name="participation_budget_publish",
    ),
    path("participation/proposals/<int:pk>/", proposal_detail, name="participation_proposal"),
    path("participation/proposals/<int:pk>/answer/", answer_confirm, name="participation_answer_confirm"),
    path("participation/<str:kind>/<int:pk>/moderate/", moderate, name="participation_moderate"),
]
