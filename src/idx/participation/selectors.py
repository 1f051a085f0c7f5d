"""Reads of Participation, scoped by municipality; lists are paginated and O(1) in queries."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Count, Prefetch, Q, QuerySet
from django.utils import timezone

from idx.common.models import Municipality
from idx.identity.models import User
from idx.identity.policy import Action, scope_of
from idx.identity.policy import Scope as PolicyScope
from idx.participation.models import (
    AppealState,
    Ballot,
    BallotChoice,
    BudgetTally,
    Comment,
    Phase,
    Process,
    ProcessStatus,
    Proposal,
    Report,
    Support,
    Visibility,
)

PAGE_SIZE = 20
COMMENTS_PAGE = 20
SORTS = ("supports", "newest")


def process_list_published(*, municipality: Municipality) -> QuerySet[Process]:
    return (
        Process.objects.filter(municipality=municipality, status=ProcessStatus.PUBLISHED)
        .prefetch_related("phases")
        .order_by("-published_at", "-id")
    )


def process_get_published(*, municipality: Municipality, slug: str) -> Process | None:
    return (
        Process.objects.filter(municipality=municipality, status=ProcessStatus.PUBLISHED, slug=slug)
        .select_related("department", "municipality")
        .prefetch_related("phases")
        .first()
    )


def current_phase(process: Process, today: dt.date | None = None) -> Phase | None:
    """The phase whose dates hold today (phases are prefetched), else None."""
    today = today or timezone.localdate()
    for phase in process.phases.all():
        if phase.is_open(today):
            return phase
    return None


@dataclass
class ProposalPage:
    proposals: list[Proposal]
    page: int
    pages: int
    count: int


def proposal_page(
    *, process: Process, sort: str = "supports", page: int = 1, query: str = ""
) -> ProposalPage:
    """One page of a process's shown proposals (answers joined: two queries however many)."""
    rows = Proposal.objects.filter(process=process, visibility=Visibility.VISIBLE)
    if query:
        rows = rows.filter(title__icontains=query[:100])
    count = rows.count()
    pages = max(1, -(-count // PAGE_SIZE))
    page = min(max(1, page), pages)
    order = ["-support_count", "-id"] if sort == "supports" else ["-id"]
    items = list(
        rows.select_related("answer")
        .only(
            "id",
            "number",
            "title",
            "language",
            "support_count",
            "comment_count",
            "created_at",
            "process_id",
            "answer__status",
            "answer__published_at",
        )
        .order_by(*order)[(page - 1) * PAGE_SIZE : page * PAGE_SIZE]
    )
    return ProposalPage(proposals=items, page=page, pages=pages, count=count)


def proposal_get(*, process: Process, number: int, viewer: User | None = None) -> Proposal | None:
    """A proposal of the process: a hidden one only for its author (who sees why)."""
    proposal = (
        Proposal.objects.filter(process=process, number=number)
        .select_related("answer", "process", "process__department", "process__municipality")
        .prefetch_related("follow_ups")
        .first()
    )
    if proposal is None:
        return None
    if proposal.is_hidden and (viewer is None or proposal.author_id != viewer.pk):
        return None
    return proposal


def comment_page(*, proposal: Proposal, viewer: User | None, page: int = 1) -> tuple[list[Comment], int, int]:
    """Top-level comments (a page of them) with their replies; hidden ones show as hidden.

    A hidden comment keeps its place in the thread ("hidden by moderation: reason"); its text is
    shown only to its author. Returns (comments, page, pages).
    """
    top = Comment.objects.filter(proposal=proposal, parent__isnull=True)
    count = top.count()
    pages = max(1, -(-count // COMMENTS_PAGE))
    page = min(max(1, page), pages)
    replies = Prefetch("replies", queryset=Comment.objects.order_by("id"))
    items = list(
        top.order_by("id").prefetch_related(replies)[(page - 1) * COMMENTS_PAGE : page * COMMENTS_PAGE]
    )
    return items, page, pages


def supported_ids(*, process: Process, resident: User | None, proposals: list[Proposal]) -> set[int]:
    if resident is None or not resident.is_authenticated:
        return set()
    return set(
        Support.objects.filter(
            process=process, resident=resident, proposal_id__in=[proposal.pk for proposal in proposals]
        ).values_list("proposal_id", flat=True)
    )


def supports_used(*, process: Process, resident: User | None) -> int:
    if resident is None or not resident.is_authenticated:
        return 0
    return Support.objects.filter(process=process, resident=resident).count()


def similar_proposals(*, process: Process, title: str, limit: int = 5) -> list[Proposal]:
    """Shown proposals of the process whose titles share words (or, for Japanese, 2-character
    pieces) with ``title``: shown before a resident submits, so supports gather on one proposal."""
    from idx.participation.text import similarity, title_keys

    keys = title_keys(title)
    if not keys:
        return []
    condition = Q()
    for key in keys[:12]:
        condition |= Q(title__icontains=key)
    candidates = list(
        Proposal.objects.filter(process=process, visibility=Visibility.VISIBLE)
        .filter(condition)
        .only("id", "number", "title", "support_count", "process_id")
        .order_by("-support_count")[:200]
    )
    scored = [(similarity(title, candidate.title), candidate) for candidate in candidates]
    scored = [item for item in scored if item[0] >= 0.3]
    scored.sort(key=lambda item: (-item[0], -item[1].support_count))
    return [candidate for _score, candidate in scored[:limit]]


def support_counts_verify(*, process: Process) -> list[tuple[int, int, int]]:
    """Proposals whose kept count differs from their support rows: (number, kept, rows); [] when exact."""
    rows = (
        Proposal.objects.filter(process=process)
        .annotate(rows=Count("supports"))
        .values_list("number", "support_count", "rows")
    )
    return [(number, kept, counted) for number, kept, counted in rows if kept != counted]


# ---- staff -------------------------------------------------------------------------------------


def process_list_for_staff(*, staff: User) -> QuerySet[Process]:
    rows = Process.objects.filter(municipality=staff.municipality).select_related("department")
    scopes = {scope_of(staff.role, Action.MANAGE_PARTICIPATION), scope_of(staff.role, Action.MODERATE)}
    if PolicyScope.ALL_DEPARTMENTS in scopes:
        return rows.annotate(proposal_total=Count("proposals"))
    if PolicyScope.OWN_DEPARTMENT in scopes and staff.department_id is not None:
        return rows.filter(department_id=staff.department_id).annotate(proposal_total=Count("proposals"))
    return rows.none()


def process_get_for_staff(*, staff: User, pk: int) -> Process | None:
    return process_list_for_staff(staff=staff).prefetch_related("phases").filter(pk=pk).first()


def proposal_get_for_staff(*, staff: User, pk: int) -> Proposal | None:
    processes = process_list_for_staff(staff=staff).values("pk")
    return (
        Proposal.objects.filter(pk=pk, process__in=processes)
        .select_related("process", "process__department", "author", "answer")
        .prefetch_related("follow_ups")
        .first()
    )


def comment_get_for_staff(*, staff: User, pk: int) -> Comment | None:
    processes = process_list_for_staff(staff=staff).values("pk")
    return (
        Comment.objects.filter(pk=pk, proposal__process__in=processes)
        .select_related("proposal", "proposal__process", "proposal__process__department", "author")
        .first()
    )


def moderation_queue(*, staff: User) -> dict[str, list]:
    """What waits for a moderator: reported texts still shown, and pending appeals."""
    processes = process_list_for_staff(staff=staff).values("pk")
    reported_comments = list(
        Comment.objects.filter(proposal__process__in=processes, visibility=Visibility.VISIBLE)
        .filter(
            pk__in=Report.objects.filter(resolved_at__isnull=True, comment__isnull=False).values("comment_id")
        )
        .select_related("proposal", "proposal__process", "author")
        .order_by("-report_count", "id")[:100]
    )
    reported_proposals = list(
        Proposal.objects.filter(process__in=processes, visibility=Visibility.VISIBLE)
        .filter(
            pk__in=Report.objects.filter(resolved_at__isnull=True, comment__isnull=True).values("proposal_id")
        )
        .select_related("process", "author")
        .order_by("-report_count", "id")[:100]
    )
    appealed_comments = list(
        Comment.objects.filter(proposal__process__in=processes, appeal_state=AppealState.PENDING)
        .select_related("proposal", "proposal__process", "author")
        .order_by("id")[:100]
    )
    appealed_proposals = list(
        Proposal.objects.filter(process__in=processes, appeal_state=AppealState.PENDING)
        .select_related("process", "author")
        .order_by("id")[:100]
    )
    hidden_comments = list(
        Comment.objects.filter(proposal__process__in=processes, visibility=Visibility.HIDDEN)
        .exclude(appeal_state=AppealState.PENDING)
        .select_related("proposal", "proposal__process", "author")
        .order_by("-hidden_at")[:50]
    )
    return {
        "reported_comments": reported_comments,
        "reported_proposals": reported_proposals,
        "appealed_comments": appealed_comments,
        "appealed_proposals": appealed_proposals,
        "hidden_comments": hidden_comments,
    }


def report_reasons(*, comment: Comment | None = None, proposal: Proposal | None = None) -> list[str]:
    rows = Report.objects.filter(resolved_at__isnull=True)
    rows = (
        rows.filter(comment=comment)
        if comment is not None
        else rows.filter(proposal=proposal, comment__isnull=True)
    )
    return list(rows.order_by("id").values_list("reason", flat=True)[:20])


def staff_proposals(*, process: Process, page: int = 1) -> ProposalPage:
    rows = Proposal.objects.filter(process=process)
    count = rows.count()
    pages = max(1, -(-count // PAGE_SIZE))
    page = min(max(1, page), pages)
    items = list(
        rows.select_related("answer").order_by("-support_count", "-id")[
            (page - 1) * PAGE_SIZE : page * PAGE_SIZE
        ]
    )
    return ProposalPage(proposals=items, page=page, pages=pages, count=count)


# ---- participatory budgeting -------------------------------------------------------------------


def ballot_of(*, phase: Phase | None, resident: User | None) -> Ballot | None:
    """The resident's own ballot in the phase (with its choices); nobody else's, ever."""
    if phase is None or resident is None or not resident.is_authenticated:
        return None
    return (
        Ballot.objects.filter(phase=phase, resident=resident, municipality_id=phase.municipality_id)
        .prefetch_related(Prefetch("choices", queryset=BallotChoice.objects.select_related("proposal")))
        .first()
    )


def ballot_numbers(ballot: Ballot | None) -> list[int]:
    if ballot is None:
        return []
    return sorted(choice.proposal.number for choice in ballot.choices.all())


def tally_of(*, phase: Phase | None, published_only: bool = True) -> BudgetTally | None:
    if phase is None:
        return None
    rows = BudgetTally.objects.filter(phase=phase)
    if published_only:
        rows = rows.filter(published_at__isnull=False)
    return rows.first()


def ballots_cast(*, phase: Phase) -> int:
    return Ballot.objects.filter(phase=phase).count()
