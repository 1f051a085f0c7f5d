"""Resident pages of Participation: processes, proposals, supports, comments, reports and appeals.

Every form keeps what the resident typed when it is refused, with the message next to the field.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import Http404, HttpResponseRedirect
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from idx.common.errors import DomainError
from idx.participation import selectors, services
from idx.participation.language import LANGUAGE_NAMES
from idx.participation.models import (
    BODY_MAX,
    COMMENT_MAX,
    REASON_MAX,
    TITLE_MAX,
    Comment,
    PhaseKind,
    Process,
    Proposal,
)
from idx.web.http import IdxRequest, resident_required

CSS = "idx/participation.css"


def _process(request: IdxRequest, slug: str) -> Process:
    process = selectors.process_get_published(municipality=request.municipality, slug=slug)
    if process is None:
        raise Http404
    return process


def _viewer(request: IdxRequest) -> Any:
    user = request.user
    return user if user.is_authenticated and user.is_resident else None


def _proposal(request: IdxRequest, process: Process, number: int) -> Proposal:
    proposal = selectors.proposal_get(process=process, number=number, viewer=_viewer(request))
    if proposal is None:
        raise Http404
    return proposal


def _phases(process: Process) -> list[dict[str, Any]]:
    today = timezone.localdate()
    return [
        {
            "phase": phase,
            "current": phase.is_open(today),
            "past": phase.ends_on < today,
        }
        for phase in process.phases.all()
    ]


def _open_for(process: Process, kinds: set[PhaseKind]) -> bool:
    today = timezone.localdate()
    return any(phase.kind in kinds and phase.is_open(today) for phase in process.phases.all())


def process_list(request: IdxRequest) -> HttpResponseBase:
    processes = selectors.process_list_published(municipality=request.municipality)
    items = [{"process": process, "current": selectors.current_phase(process)} for process in processes[:50]]
    return render(request, "portal/participation/list.html", {"items": items})


def _page_number(request: IdxRequest) -> int:
    try:
        return int(request.GET.get("page", "1"))
    except ValueError:
        return 1


def _budget_summary(process: Process) -> dict[str, Any] | None:
    """What the theme's page says about its budget vote: open now, or its published results."""
    phase = services.budget_phase(process)
    if phase is None:
        return None
    return {
        "phase": phase,
        "open": phase.is_open(timezone.localdate()),
        "budget_text": services.yen(phase.budget_total or 0),
        "results": selectors.tally_of(phase=phase) is not None,
    }


def process_detail(request: IdxRequest, slug: str) -> HttpResponseBase:
    process = _process(request, slug)
    sort = request.GET.get("sort", "supports")
    sort = sort if sort in selectors.SORTS else "supports"
    query = request.GET.get("q", "")[:100].strip()
    found = selectors.proposal_page(process=process, sort=sort, page=_page_number(request), query=query)
    viewer = _viewer(request)
    supported = selectors.supported_ids(process=process, resident=viewer, proposals=found.proposals)
    base: dict[str, str | int] = {"sort": sort, **({"q": query} if query else {})}
    return render(
        request,
        "portal/participation/process.html",
        {
            "process": process,
            "phases": _phases(process),
            "current": selectors.current_phase(process),
            "found": found,
            "supported": supported,
            "sort": sort,
            "query": query,
            "may_propose": _open_for(process, services.PROPOSING_PHASES),
            "budget": _budget_summary(process),
            "previous_url": f"?{urlencode({**base, 'page': found.page - 1})}" if found.page > 1 else "",
            "next_url": f"?{urlencode({**base, 'page': found.page + 1})}" if found.page < found.pages else "",
        },
    )


@resident_required
def proposal_new(request: IdxRequest, slug: str) -> HttpResponseBase:
    process = _process(request, slug)
    values = {"title": "", "body": ""}
    errors: dict[str, str] = {}
    similar: list[Proposal] = []
    if request.method == "POST":
        values = {name: request.POST.get(name, "") for name in values}
        errors = services.proposal_check(**values)
        if not errors and request.POST.get("confirmed") != "1":
            similar = selectors.similar_proposals(process=process, title=values["title"])
        if not errors and not similar:
            try:
                services.rate_check(user=request.user, action="propose")
                proposal = services.proposal_create(
                    process=process, author=request.user, title=values["title"], body=values["body"]
                )
            except DomainError as exc:
                errors = {exc.field or "title": exc.text()}
            else:
                messages.success(request, _("Your proposal has been published."))
                return redirect("portal:participation_proposal", slug=process.slug, number=proposal.number)
    closed = (
        "" if _open_for(process, services.PROPOSING_PHASES) else _closed(process, services.PROPOSING_PHASES)
    )
    return render(
        request,
        "portal/participation/proposal_new.html",
        {
            "process": process,
            "values": values,
            "errors": errors,
            "similar": similar,
            "closed": closed,
            "title_max": TITLE_MAX,
            "body_max": BODY_MAX,
        },
        status=400 if errors else 200,
    )


def _closed(process: Process, kinds: set[PhaseKind]) -> str:
    return services.closed_message(process, kinds, timezone.localdate(), what=_("Proposing"))


def _detail(
    request: IdxRequest,
    process: Process,
    proposal: Proposal,
    *,
    comment_values: dict[str, str] | None = None,
    comment_errors: dict[str, str] | None = None,
    status: int = 200,
) -> HttpResponseBase:
    viewer = _viewer(request)
    comments, page, pages = selectors.comment_page(
        proposal=proposal, viewer=viewer, page=_page_number(request)
    )
    answer = getattr(proposal, "answer", None)
    return render(
        request,
        "portal/participation/proposal.html",
        {
            "process": process,
            "proposal": proposal,
            "language_name": LANGUAGE_NAMES.get(proposal.language, "")
            if proposal.language not in ("", "ja")
            else "",
            "answer": answer if answer is not None and answer.is_published else None,
            "comments": comments,
            "comment_page": page,
            "comment_pages": pages,
            "supported": bool(
                selectors.supported_ids(process=process, resident=viewer, proposals=[proposal])
            ),
            "supports_used": selectors.supports_used(process=process, resident=viewer),
            "may_support": _open_for(process, services.SUPPORTING_PHASES),
            "may_comment": _open_for(process, services.COMMENTING_PHASES),
            "needs_card": process.supports_need_card
            and viewer is not None
            and viewer.identity_verified_at is None,
            "comment_values": comment_values or {"body": "", "parent": request.GET.get("reply", "")},
            "comment_errors": comment_errors or {},
            "comment_max": COMMENT_MAX,
            "login_url": f"{reverse('portal:login')}?{urlencode({'next': request.path})}",
            "report_url": reverse("portal:participation_report", args=[process.slug, proposal.number]),
        },
        status=status,
    )


def proposal_detail(request: IdxRequest, slug: str, number: int) -> HttpResponseBase:
    process = _process(request, slug)
    return _detail(request, process, _proposal(request, process, number))


@require_POST
@resident_required
def proposal_support(request: IdxRequest, slug: str, number: int) -> HttpResponseBase:
    process = _process(request, slug)
    proposal = _proposal(request, process, number)
    try:
        services.rate_check(user=request.user, action="support")
        if request.POST.get("action") == "withdraw":
            services.support_remove(proposal=proposal, resident=request.user)
            messages.success(request, _("Your support has been withdrawn."))
        else:
            services.support_add(proposal=proposal, resident=request.user)
            messages.success(request, _("Thank you. Your support has been counted."))
    except DomainError as exc:
        messages.error(request, exc.text())
    return HttpResponseRedirect(reverse("portal:participation_proposal", args=[slug, number]) + "#support")


@require_POST
@resident_required
def proposal_comment(request: IdxRequest, slug: str, number: int) -> HttpResponseBase:
    process = _process(request, slug)
    proposal = _proposal(request, process, number)
    values = {"body": request.POST.get("body", ""), "parent": request.POST.get("parent", "")}
    parent = None
    if values["parent"].isdigit():
        parent = Comment.objects.filter(
            proposal=proposal, pk=int(values["parent"]), parent__isnull=True
        ).first()
    try:
        services.rate_check(user=request.user, action="comment")
        comment = services.comment_create(
            proposal=proposal, author=request.user, body=values["body"], parent=parent
        )
    except DomainError as exc:
        return _detail(
            request, process, proposal, comment_values=values, comment_errors={"body": exc.text()}, status=400
        )
    messages.success(request, _("Your comment has been published."))
    return HttpResponseRedirect(
        reverse("portal:participation_proposal", args=[slug, number]) + f"#comment-{comment.pk}"
    )


def _target(request: IdxRequest, proposal: Proposal) -> Proposal | Comment:
    comment_id = request.GET.get("comment") or request.POST.get("comment") or ""
    if not comment_id:
        return proposal
    comment = (
        Comment.objects.filter(proposal=proposal, pk=int(comment_id)).first()
        if comment_id.isdigit()
        else None
    )
    if comment is None:
        raise Http404
    return comment


@resident_required
def report(request: IdxRequest, slug: str, number: int) -> HttpResponseBase:
    process = _process(request, slug)
    proposal = _proposal(request, process, number)
    target = _target(request, proposal)
    values = {"reason": ""}
    errors: dict[str, str] = {}
    if request.method == "POST":
        values = {"reason": request.POST.get("reason", "")}
        try:
            services.rate_check(user=request.user, action="report")
            services.report_create(reporter=request.user, target=target, reason=values["reason"])
        except DomainError as exc:
            errors = {"reason": exc.text()}
        else:
            messages.success(request, _("Thank you. The moderators will look at it."))
            return redirect("portal:participation_proposal", slug=slug, number=number)
    return render(
        request,
        "portal/participation/report.html",
        {
            "process": process,
            "proposal": proposal,
            "target": target,
            "is_comment": isinstance(target, Comment),
            "values": values,
            "errors": errors,
            "reason_max": REASON_MAX,
        },
        status=400 if errors else 200,
    )


@resident_required
def appeal(request: IdxRequest, slug: str, number: int) -> HttpResponseBase:
    process = _process(request, slug)
    proposal = _proposal(request, process, number)
    target = _target(request, proposal)
    if target.author_id != request.user.pk or not target.is_hidden:
        raise Http404
    values = {"text": ""}
    errors: dict[str, str] = {}
    if request.method == "POST":
        values = {"text": request.POST.get("text", "")}
        try:
            services.appeal_create(author=request.user, target=target, text=values["text"])
        except DomainError as exc:
            errors = {"text": exc.text()}
        else:
            messages.success(request, _("Your appeal has been sent. A moderator will decide on it."))
            return redirect("portal:participation_proposal", slug=slug, number=number)
    return render(
        request,
        "portal/participation/appeal.html",
        {
            "process": process,
            "proposal": proposal,
            "target": target,
            "is_comment": isinstance(target, Comment),
            "values": values,
            "errors": errors,
            "reason_max": REASON_MAX,
        },
        status=400 if errors else 200,
    )


# ---- participatory budgeting -------------------------------------------------------------------


def _numbers(values: list[str]) -> list[int]:
    return sorted({int(value) for value in values if value.isdigit() and len(value) < 9})


def _ballot_context(request: IdxRequest, process: Process) -> dict[str, Any]:
    today = timezone.localdate()
    phase = services.budget_phase(process, today)
    if phase is None:
        raise Http404
    viewer = _viewer(request)
    ballot = selectors.ballot_of(phase=phase, resident=viewer)
    is_open = phase.is_open(today)
    return {
        "process": process,
        "phase": phase,
        "budget_text": services.yen(phase.budget_total or 0),
        "ballot": ballot,
        "ballot_numbers": selectors.ballot_numbers(ballot),
        "ballot_total_text": services.yen(ballot.total) if ballot else "",
        "is_open": is_open,
        "closed": ""
        if is_open
        else services.closed_message(process, {PhaseKind.BUDGETING}, today, what=_("Voting")),
        "needs_card": process.supports_need_card
        and viewer is not None
        and viewer.identity_verified_at is None,
        "login_url": f"{reverse('portal:login')}?{urlencode({'next': request.path})}",
        "tally": selectors.tally_of(phase=phase),
    }


def _options(process: Process, chosen: list[int]) -> list[dict[str, Any]]:
    return [
        {
            "proposal": proposal,
            "cost_text": services.yen(proposal.estimated_cost or 0),
            "chosen": proposal.number in chosen,
        }
        for proposal in services.ballot_options(process=process)
    ]


def budget_ballot(request: IdxRequest, slug: str) -> HttpResponseBase:
    """The ballot: checkboxes with the costs; sending it shows the total and what remains on a
    second look (or the amount over the budget), before it is cast."""
    process = _process(request, slug)
    context = _ballot_context(request, process)
    phase = context["phase"]
    chosen = _numbers(request.GET.getlist("p")) or context["ballot_numbers"]
    errors: dict[str, str] = {}
    if request.method == "POST":
        if not request.user.is_authenticated or not request.user.is_resident:
            return redirect(context["login_url"])
        chosen = _numbers(request.POST.getlist("p"))
        options = {item.number: item for item in services.ballot_options(process=process)}
        picked = [options[number] for number in chosen if number in options]
        try:
            total = services.ballot_check(phase=phase, proposals=picked)
        except DomainError as exc:
            errors = {"proposals": exc.text()}
        else:
            return render(
                request,
                "portal/participation/ballot_confirm.html",
                {
                    **context,
                    "picked": [(item, services.yen(item.estimated_cost or 0)) for item in picked],
                    "chosen": chosen,
                    "total_text": services.yen(total),
                    "left_text": services.yen((phase.budget_total or 0) - total),
                    "change_url": f"{request.path}?{urlencode([('p', number) for number in chosen])}",
                },
            )
    chosen_total = sum(
        item["proposal"].estimated_cost or 0 for item in _options(process, chosen) if item["chosen"]
    )
    return render(
        request,
        "portal/participation/ballot.html",
        {
            **context,
            "options": _options(process, chosen),
            "errors": errors,
            "chosen_total_text": services.yen(chosen_total) if errors else "",
        },
        status=400 if errors else 200,
    )


@require_POST
@resident_required
def budget_cast(request: IdxRequest, slug: str) -> HttpResponseBase:
    process = _process(request, slug)
    chosen = _numbers(request.POST.getlist("p"))
    try:
        services.rate_check(user=request.user, action="vote")
        ballot = services.ballot_cast(process=process, resident=request.user, numbers=chosen)
    except DomainError as exc:
        messages.error(request, exc.text())
        url = reverse("portal:participation_ballot", args=[slug])
        return HttpResponseRedirect(f"{url}?{urlencode([('p', number) for number in chosen])}")
    phase = services.budget_phase(process)
    messages.success(
        request,
        _("Your ballot is counted: %(total)s of the budget of %(budget)s. You may change it until %(end)s.")
        % {
            "total": services.yen(ballot.total),
            "budget": services.yen(phase.budget_total or 0) if phase else "",
            "end": services.long_date(phase.ends_on) if phase else "",
        },
    )
    return redirect("portal:participation_ballot", slug=slug)


def budget_results(request: IdxRequest, slug: str) -> HttpResponseBase:
    process = _process(request, slug)
    context = _ballot_context(request, process)
    tally = context["tally"]
    if tally is None:
        raise Http404
    rows = [{**row, "cost_text": services.yen(row["cost"])} for row in tally.rows]
    return render(
        request,
        "portal/participation/budget_results.html",
        {
            **context,
            "rows": rows,
            "rule": services.BUDGET_RULE,
            "used_text": services.yen(tally.budget_used),
            "left_text": services.yen(tally.budget_left),
        },
    )


urlpatterns = [
    path("participation/", process_list, name="participation_list"),
    path("participation/<slug:slug>/", process_detail, name="participation_process"),
    path("participation/<slug:slug>/new/", proposal_new, name="participation_proposal_new"),
    path("participation/<slug:slug>/budget/", budget_ballot, name="participation_ballot"),
    path("participation/<slug:slug>/budget/cast/", budget_cast, name="participation_ballot_cast"),
    path("participation/<slug:slug>/budget/results/", budget_results, name="participation_budget_results"),
    path("participation/<slug:slug>/<int:number>/", proposal_detail, name="participation_proposal"),
    path("participation/<slug:slug>/<int:number>/support/", proposal_support, name="participation_support"),
    path("participation/<slug:slug>/<int:number>/comment/", proposal_comment, name="participation_comment"),
    path("participation/<slug:slug>/<int:number>/report/", report, name="participation_report"),
    path("participation/<slug:slug>/<int:number>/appeal/", appeal, name="participation_appeal"),
]
