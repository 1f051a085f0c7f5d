"""Reads of the hand-over: targets in a staff member's scope, their runs, and what went out."""

from __future__ import annotations

from django.db.models import Count, Q, QuerySet

from idx.handover.models import HandedOverCase, HandoverRun, HandoverTarget, RunStatus
from idx.identity.models import User
from idx.identity.policy import Action, can, is_city_wide


def targets_for_staff(*, staff: User) -> QuerySet[HandoverTarget]:
    """Targets of procedures whose department the staff member may export (none without the right)."""
    if not can(staff, Action.EXPORT_CASES):
        return HandoverTarget.objects.none()
    targets = HandoverTarget.objects.filter(municipality_id=staff.municipality_id)
    if not is_city_wide(staff):
        targets = targets.filter(procedure__department_id=staff.department_id or 0)
    return targets.select_related("procedure", "municipality").annotate(
        handed_over_count=Count("handed_over", distinct=True),
        unacknowledged_count=Count(
            "handed_over", filter=Q(handed_over__acknowledged_at__isnull=True), distinct=True
        ),
    )


def target_get_for_staff(*, staff: User, pk: int) -> HandoverTarget | None:
    return targets_for_staff(staff=staff).filter(pk=pk).first()


def runs_of_target(*, target: HandoverTarget) -> QuerySet[HandoverRun]:
    return HandoverRun.objects.filter(target=target).select_related("target")


def last_runs(targets: list[HandoverTarget]) -> dict[int, HandoverRun]:
    """The latest run of each target (one query)."""
    latest: dict[int, HandoverRun] = {}
    runs = HandoverRun.objects.filter(target__in=targets).order_by("target_id", "-started_at", "-id")
    for run in runs.only("id", "target_id", "started_at", "finished_at", "status", "case_count", "error"):
        latest.setdefault(run.target_id, run)
    return latest


def handed_over_receipts(target: HandoverTarget) -> list[str]:
    """The receipt numbers every delivered file of ``target`` contained, in the order sent.

    A case appears once however often the target ran; a case in two files would appear twice
    (tests elsewhere assert exactly that it does not).
    """
    receipts: list[str] = []
    runs = HandoverRun.objects.filter(target=target, status=RunStatus.DELIVERED).order_by("started_at", "id")
    for sent in runs.values_list("receipts", flat=True):
        receipts.extend(sent)
    return receipts


def unacknowledged_cases(*, target: HandoverTarget) -> QuerySet[HandedOverCase]:
    return HandedOverCase.objects.filter(target=target, acknowledged_at__isnull=True)
