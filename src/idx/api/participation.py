"""Participation in the JSON API.

Public (no sign-in): published processes with their phases, a process's shown proposals (with
the exact support count and the published official answer), a proposal's comments (a hidden
comment keeps its place without its text). Residents (token or session): propose, support or
withdraw, comment and report, under the same rules and rate limits as the pages. Staff: answer a
proposal officially (a draft, then publish with ``"confirm": true``), hide and restore texts.
Participatory budgeting: a resident reads and casts (or changes) her own ballot; anyone reads
the published count.

Added to the API by ``idx.api.v1`` after its own routers.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone
from ninja import Field, Router, Schema
from ninja.responses import Status as HttpStatus

from idx.api.base import ApiRequest, ErrorOut, SessionAuth, TokenAuth, require_resident, require_staff
from idx.common.i18n import pick
from idx.participation import selectors, services
from idx.participation.models import Comment, Phase, Process, Proposal, Visibility
from idx.participation.services import NotFound, ParticipationRefused

router: Router = Router(tags=["participation"], auth=None)
staff: Router = Router(tags=["staff"])
RESIDENT_AUTH = [TokenAuth(), SessionAuth()]


class ParticipationPhaseOut(Schema):
    kind: str = Field(description="information, proposals, debate, supports, budgeting, results or follow_up")
    starts_on: dt.date
    ends_on: dt.date
    rules: dict[str, str] = Field(description="The rules per language")
    open: bool


class ParticipationProcessOut(Schema):
    slug: str
    titles: dict[str, str]
    descriptions: dict[str, str]
    title: str = Field(description="The title in the request's language")
    department: str
    phases: list[ParticipationPhaseOut]
    supports_need_card: bool = Field(description="Supporting needs a My Number Card sign-in")
    supports_per_resident: int = Field(
        description="Supports one resident may give in the process; 0 = no limit"
    )


class ParticipationAnswerOut(Schema):
    status: str = Field(description="under_review (検討中), adopted (採用) or rejected (不採用)")
    reason: str
    published_at: dt.datetime


class ParticipationFollowUpOut(Schema):
    text: str
    url: str
    done_on: dt.date


class ParticipationProposalOut(Schema):
    number: int
    title: str
    body: str | None = Field(description="Only on a single proposal, null in lists")
    language: str = Field(
        description="The language it is written in (BCP 47) when it could be told, else empty"
    )
    supports: int
    comments: int
    created_at: dt.datetime
    answer: ParticipationAnswerOut | None
    follow_ups: list[ParticipationFollowUpOut] | None = Field(description="Only on a single proposal")


class ParticipationProposalPageOut(Schema):
    count: int
    page: int
    pages: int
    items: list[ParticipationProposalOut]


class ParticipationCommentOut(Schema):
    id: int
    parent: int | None
    hidden: bool
    hidden_reason: str | None = Field(description="Why moderation hid it (the text itself is then null)")
    body: str | None
    language: str
    created_at: dt.datetime


class ParticipationProposalIn(Schema):
    title: str = Field(max_length=10_000)
    body: str = Field(max_length=100_000)


class ParticipationSupportOut(Schema):
    number: int
    supports: int
    supported: bool


class ParticipationCommentIn(Schema):
    body: str = Field(max_length=100_000)
    parent: int | None = None


class ParticipationReportIn(Schema):
    reason: str = Field(max_length=10_000)
    comment: int | None = Field(default=None, description="The comment reported; without it, the proposal")


class ParticipationAnswerIn(Schema):
    status: str = Field(description="under_review, adopted or rejected")
    reason: str = Field(max_length=100_000)


class ParticipationPublishIn(Schema):
    confirm: bool = Field(description="Must be true: publishing is what residents read")


class ParticipationStaffAnswerOut(Schema):
    number: int
    status: str
    reason: str
    draft_status: str
    draft_reason: str
    published_at: dt.datetime | None


class ParticipationModerateIn(Schema):
    action: str = Field(
        description="hide (with a reason), restore, uphold (keep hidden after an appeal) or dismiss"
    )
    reason: str = Field(default="", max_length=10_000)


class ParticipationModeratedOut(Schema):
    id: int
    kind: str
    hidden: bool
    hidden_reason: str
    appeal_state: str


def _phase(phase: Phase, today: dt.date) -> dict[str, Any]:
    return {
        "kind": phase.kind,
        "starts_on": phase.starts_on,
        "ends_on": phase.ends_on,
        "rules": phase.rules,
        "open": phase.is_open(today),
    }


def _process(process: Process) -> dict[str, Any]:
    today = timezone.localdate()
    return {
        "slug": process.slug,
        "titles": process.titles,
        "descriptions": process.descriptions,
        "title": pick(process.titles),
        "department": process.department.name,
        "phases": [_phase(phase, today) for phase in process.phases.all()],
        "supports_need_card": process.supports_need_card,
        "supports_per_resident": process.supports_per_resident,
    }


def _answer(proposal: Proposal) -> dict[str, Any] | None:
    answer = getattr(proposal, "answer", None)
    if answer is None or not answer.is_published:
        return None
    return {"status": answer.status, "reason": answer.reason, "published_at": answer.published_at}


def _proposal(proposal: Proposal, *, full: bool) -> dict[str, Any]:
    return {
        "number": proposal.number,
        "title": proposal.title,
        "body": proposal.body if full else None,
        "language": proposal.language,
        "supports": proposal.support_count,
        "comments": proposal.comment_count,
        "created_at": proposal.created_at,
        "answer": _answer(proposal),
        "follow_ups": [
            {"text": item.text, "url": item.url, "done_on": item.done_on}
            for item in proposal.follow_ups.all()
        ]
        if full
        else None,
    }


def _get_process(request: ApiRequest, slug: str) -> Process:
    process = selectors.process_get_published(municipality=request.municipality, slug=slug)
    if process is None:
        raise NotFound(message="Not found.")
    return process


def _get_proposal(request: ApiRequest, slug: str, number: int) -> Proposal:
    proposal = selectors.proposal_get(process=_get_process(request, slug), number=number)
    if proposal is None:
        raise NotFound(message="Not found.")
    return proposal


# What a resident's write may be refused with: not signed in, not allowed (card, verification),
# no such theme or proposal, against the process's rules or dates, a wrong input, too many at once.
RESIDENT_REFUSALS: dict[int, Any] = dict.fromkeys((401, 403, 404, 409, 422, 429), ErrorOut)


@router.get(
    "/participation/processes",
    response=list[ParticipationProcessOut],
    auth=None,
    url_name="participation_processes",
)
def process_list(request: ApiRequest) -> Any:
    """Published processes, newest first."""
    rows = selectors.process_list_published(municipality=request.municipality).select_related("department")
    return [_process(process) for process in rows[:100]]


@router.get(
    "/participation/processes/{slug}",
    response={200: ParticipationProcessOut, 404: ErrorOut},
    auth=None,
    url_name="participation_process",
)
def process_detail(request: ApiRequest, slug: str) -> Any:
    return _process(_get_process(request, slug))


@router.get(
    "/participation/processes/{slug}/proposals",
    response={200: ParticipationProposalPageOut, 404: ErrorOut},
    auth=None,
    url_name="participation_proposals",
)
def proposal_list(request: ApiRequest, slug: str, sort: str = "supports", page: int = 1, q: str = "") -> Any:
    """Shown proposals, 20 a page, by supports (``sort=supports``) or newest first (``sort=newest``)."""
    found = selectors.proposal_page(
        process=_get_process(request, slug),
        sort=sort if sort in selectors.SORTS else "supports",
        page=page,
        query=q[:100],
    )
    return {
        "count": found.count,
        "page": found.page,
        "pages": found.pages,
        "items": [_proposal(proposal, full=False) for proposal in found.proposals],
    }


@router.get(
    "/participation/processes/{slug}/proposals/{number}",
    response={200: ParticipationProposalOut, 404: ErrorOut},
    auth=None,
    url_name="participation_proposal",
)
def proposal_detail(request: ApiRequest, slug: str, number: int) -> Any:
    return _proposal(_get_proposal(request, slug, number), full=True)


def _comment(comment: Comment) -> dict[str, Any]:
    hidden = comment.visibility == Visibility.HIDDEN
    return {
        "id": comment.pk,
        "parent": comment.parent_id,
        "hidden": hidden,
        "hidden_reason": comment.hidden_reason if hidden else None,
        "body": None if hidden else comment.body,
        "language": comment.language,
        "created_at": comment.created_at,
    }


@router.get(
    "/participation/processes/{slug}/proposals/{number}/comments",
    response={200: list[ParticipationCommentOut], 404: ErrorOut},
    auth=None,
    url_name="participation_comments",
)
def comment_list(request: ApiRequest, slug: str, number: int, page: int = 1) -> Any:
    """Top-level comments (20 a page) each followed by its replies."""
    comments, _page, _pages = selectors.comment_page(
        proposal=_get_proposal(request, slug, number), viewer=None, page=page
    )
    out: list[dict[str, Any]] = []
    for comment in comments:
        out.append(_comment(comment))
        out.extend(_comment(reply) for reply in comment.replies.all())
    return out


# ---- residents ---------------------------------------------------------------------------------


@router.post(
    "/participation/processes/{slug}/proposals",
    response={
        201: ParticipationProposalOut,
        **RESIDENT_REFUSALS,
    },
    auth=RESIDENT_AUTH,
    url_name="participation_propose",
)
def propose(request: ApiRequest, slug: str, payload: ParticipationProposalIn) -> Any:
    """Propose (verified residents, while the proposals phase is open). Similar titles are not
    refused here: ask ``GET .../proposals?q=`` first to show them, as the page does."""
    resident = require_resident(request)
    process = _get_process(request, slug)
    services.rate_check(user=resident, action="propose")
    proposal = services.proposal_create(
        process=process, author=resident, title=payload.title, body=payload.body
    )
    shown = selectors.proposal_get(process=process, number=proposal.number, viewer=resident)
    return HttpStatus(201, _proposal(shown or proposal, full=True))


@router.put(
    "/participation/processes/{slug}/proposals/{number}/support",
    response={
        200: ParticipationSupportOut,
        **RESIDENT_REFUSALS,
    },
    auth=RESIDENT_AUTH,
    url_name="participation_support",
)
def support(request: ApiRequest, slug: str, number: int) -> Any:
    """Support once; a second support is refused with ``already_supported`` (the count is unchanged)."""
    resident = require_resident(request)
    proposal = _get_proposal(request, slug, number)
    services.rate_check(user=resident, action="support")
    proposal = services.support_add(proposal=proposal, resident=resident)
    return {"number": proposal.number, "supports": proposal.support_count, "supported": True}


@router.delete(
    "/participation/processes/{slug}/proposals/{number}/support",
    response={
        200: ParticipationSupportOut,
        **RESIDENT_REFUSALS,
    },
    auth=RESIDENT_AUTH,
    url_name="participation_support_withdraw",
)
def support_withdraw(request: ApiRequest, slug: str, number: int) -> Any:
    resident = require_resident(request)
    proposal = _get_proposal(request, slug, number)
    services.rate_check(user=resident, action="support")
    proposal = services.support_remove(proposal=proposal, resident=resident)
    return {"number": proposal.number, "supports": proposal.support_count, "supported": False}


@router.post(
    "/participation/processes/{slug}/proposals/{number}/comments",
    response={
        201: ParticipationCommentOut,
        **RESIDENT_REFUSALS,
    },
    auth=RESIDENT_AUTH,
    url_name="participation_comment",
)
def comment(request: ApiRequest, slug: str, number: int, payload: ParticipationCommentIn) -> Any:
    """Comment in plain text (HTML is kept as text and shown escaped), at most 2,000 characters."""
    resident = require_resident(request)
    proposal = _get_proposal(request, slug, number)
    parent = None
    if payload.parent is not None:
        parent = Comment.objects.filter(proposal=proposal, pk=payload.parent, parent__isnull=True).first()
        if parent is None:
            raise NotFound(message="Not found.")
    services.rate_check(user=resident, action="comment")
    made = services.comment_create(proposal=proposal, author=resident, body=payload.body, parent=parent)
    return HttpStatus(201, _comment(made))


@router.post(
    "/participation/processes/{slug}/proposals/{number}/reports",
    response={
        204: None,
        **RESIDENT_REFUSALS,
    },
    auth=RESIDENT_AUTH,
    url_name="participation_report",
)
def report(request: ApiRequest, slug: str, number: int, payload: ParticipationReportIn) -> Any:
    resident = require_resident(request)
    proposal = _get_proposal(request, slug, number)
    target: Proposal | Comment = proposal
    if payload.comment is not None:
        found = Comment.objects.filter(proposal=proposal, pk=payload.comment).first()
        if found is None:
            raise NotFound(message="Not found.")
        target = found
    services.rate_check(user=resident, action="report")
    services.report_create(reporter=resident, target=target, reason=payload.reason)
    return HttpStatus(204, None)


# ---- participatory budgeting -------------------------------------------------------------------


class ParticipationBallotOptionOut(Schema):
    number: int
    title: str
    cost: int = Field(description="The city's estimated cost in yen")
    chosen: bool = Field(description="On the resident's ballot")


class ParticipationBallotOut(Schema):
    starts_on: dt.date
    ends_on: dt.date = Field(
        description="The ballot may be changed until this day (Japan time), then it is final"
    )
    open: bool
    budget_total: int = Field(description="Yen to distribute")
    needs_card: bool = Field(description="Voting in this process needs a My Number Card sign-in")
    cast: bool = Field(description="The resident has a ballot that counts")
    chosen: list[int] = Field(description="Numbers of the proposals on the resident's ballot")
    total: int = Field(description="Yen of the chosen proposals")
    remaining: int = Field(description="Yen of the budget left unused by the ballot")
    options: list[ParticipationBallotOptionOut]


class ParticipationBallotIn(Schema):
    proposals: list[int] = Field(
        max_length=500, description="Numbers of the proposals to fund; their costs must fit in the budget"
    )


class ParticipationBudgetRowOut(Schema):
    rank: int
    number: int
    title: str
    votes: int
    cost: int = Field(description="Yen")
    funded: bool


class ParticipationBudgetResultsOut(Schema):
    budget_total: int
    budget_used: int
    budget_left: int
    ballots: int
    counted_at: dt.datetime
    published_at: dt.datetime
    sha256: str = Field(description="SHA-256 of the ballots' canonical list, kept for a recount")
    rule: str = Field(description="How the count ranks and funds proposals")
    items: list[ParticipationBudgetRowOut] = Field(description="In rank order")


def _budget_phase(process: Process) -> Phase:
    phase = services.budget_phase(process)
    if phase is None:
        raise NotFound(message="Not found.")
    return phase


def _ballot(process: Process, phase: Phase, resident: Any) -> dict[str, Any]:
    ballot = selectors.ballot_of(phase=phase, resident=resident)
    chosen = selectors.ballot_numbers(ballot)
    total = ballot.total if ballot else 0
    return {
        "starts_on": phase.starts_on,
        "ends_on": phase.ends_on,
        "open": phase.is_open(timezone.localdate()),
        "budget_total": phase.budget_total or 0,
        "needs_card": process.supports_need_card,
        "cast": ballot is not None,
        "chosen": chosen,
        "total": total,
        "remaining": (phase.budget_total or 0) - total,
        "options": [
            {
                "number": proposal.number,
                "title": proposal.title,
                "cost": proposal.estimated_cost or 0,
                "chosen": proposal.number in chosen,
            }
            for proposal in services.ballot_options(process=process)
        ],
    }


@router.get(
    "/participation/processes/{slug}/ballot",
    response={200: ParticipationBallotOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut},
    auth=RESIDENT_AUTH,
    url_name="participation_ballot",
)
def ballot_get(request: ApiRequest, slug: str) -> Any:
    """The signed-in resident's own ballot in the process's budgeting phase, with the proposals on
    the ballot and their costs (404 when the process has no budgeting phase)."""
    resident = require_resident(request)
    process = _get_process(request, slug)
    return _ballot(process, _budget_phase(process), resident)


@router.put(
    "/participation/processes/{slug}/ballot",
    response={200: ParticipationBallotOut, **RESIDENT_REFUSALS},
    auth=RESIDENT_AUTH,
    url_name="participation_ballot_cast",
)
def ballot_put(request: ApiRequest, slug: str, payload: ParticipationBallotIn) -> Any:
    """Cast the ballot, or replace it while voting is open (409 ``closed`` after the phase, with
    its dates; 422 ``over_budget`` naming the amount over; 403 ``card_required``)."""
    resident = require_resident(request)
    process = _get_process(request, slug)
    services.rate_check(user=resident, action="vote")
    services.ballot_cast(process=process, resident=resident, numbers=payload.proposals)
    return _ballot(process, _budget_phase(process), resident)


@router.get(
    "/participation/processes/{slug}/budget-results",
    response={200: ParticipationBudgetResultsOut, 404: ErrorOut},
    auth=None,
    url_name="participation_budget_results",
)
def budget_results(request: ApiRequest, slug: str) -> Any:
    """The published count of the budget vote (404 until it is published)."""
    process = _get_process(request, slug)
    tally = selectors.tally_of(phase=_budget_phase(process))
    if tally is None:
        raise NotFound(message="Not found.")
    return {
        "budget_total": tally.budget_total,
        "budget_used": tally.budget_used,
        "budget_left": tally.budget_left,
        "ballots": tally.ballots,
        "counted_at": tally.counted_at,
        "published_at": tally.published_at,
        "sha256": tally.digest,
        "rule": str(services.BUDGET_RULE),
        "items": [
            {key: row[key] for key in ("rank", "number", "title", "votes", "cost", "funded")}
            for row in tally.rows
        ],
    }


# ---- staff -------------------------------------------------------------------------------------


def _staff_answer(proposal: Proposal) -> dict[str, Any]:
    answer = proposal.answer
    return {
        "number": proposal.number,
        "status": answer.status,
        "reason": answer.reason,
        "draft_status": answer.draft_status,
        "draft_reason": answer.draft_reason,
        "published_at": answer.published_at,
    }


def _staff_proposal(request: ApiRequest, proposal_id: int) -> Proposal:
    proposal = selectors.proposal_get_for_staff(staff=require_staff(request), pk=proposal_id)
    if proposal is None:
        raise NotFound(message="Not found.")
    return proposal


@staff.put(
    "/participation/proposals/{proposal_id}/answer",
    response={200: ParticipationStaffAnswerOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut},
    url_name="staff_participation_answer",
)
def staff_answer_draft(request: ApiRequest, proposal_id: int, payload: ParticipationAnswerIn) -> Any:
    """Draft the official answer (``MANAGE_PARTICIPATION`` over the process's department); not yet public."""
    proposal = _staff_proposal(request, proposal_id)
    services.answer_draft(staff=request.auth, proposal=proposal, status=payload.status, reason=payload.reason)
    proposal.refresh_from_db()
    return _staff_answer(_staff_proposal(request, proposal_id))


@staff.post(
    "/participation/proposals/{proposal_id}/answer/publish",
    response={200: ParticipationStaffAnswerOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut},
    url_name="staff_participation_answer_publish",
)
def staff_answer_publish(request: ApiRequest, proposal_id: int, payload: ParticipationPublishIn) -> Any:
    proposal = _staff_proposal(request, proposal_id)
    if not payload.confirm:
        raise ParticipationRefused(
            message="Send confirm: true to publish the drafted answer.",
            code="confirm_required",
            field="confirm",
        )
    services.answer_publish(staff=request.auth, proposal=proposal)
    return _staff_answer(_staff_proposal(request, proposal_id))


@staff.post(
    "/participation/{kind}/{target_id}/moderation",
    response={200: ParticipationModeratedOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut},
    url_name="staff_participation_moderate",
)
def staff_moderate(request: ApiRequest, kind: str, target_id: int, payload: ParticipationModerateIn) -> Any:
    """Moderate a proposal (``kind=proposals``) or a comment (``kind=comments``); audited."""
    member = require_staff(request)
    target: Proposal | Comment | None
    if kind == "comments":
        target = selectors.comment_get_for_staff(staff=member, pk=target_id)
    elif kind == "proposals":
        target = selectors.proposal_get_for_staff(staff=member, pk=target_id)
    else:
        target = None
    if target is None:
        raise NotFound(message="Not found.")
    if payload.action == "hide":
        target = services.moderation_hide(staff=member, target=target, reason=payload.reason)
    elif payload.action in ("restore", "uphold"):
        target = services.moderation_decide(staff=member, target=target, restore=payload.action == "restore")
    elif payload.action == "dismiss":
        target = services.reports_dismiss(staff=member, target=target)
    else:
        raise ParticipationRefused(
            message="Choose hide, restore, uphold or dismiss.", field="action", code="invalid"
        )
    return {
        "id": target.pk,
        "kind": kind,
        "hidden": target.is_hidden,
        "hidden_reason": target.hidden_reason,
        "appeal_state": target.appeal_state,
    }
