"""Reads of the automated checks, scoped like the cases they belong to."""

from __future__ import annotations

from django.db.models import QuerySet

from idx.applications.models import Application
from idx.checks.models import CheckRun
from idx.checks.services import BULK_STATUSES
from idx.identity.models import User
from idx.identity.policy import Action, can


def check_run_for_case(*, application: Application) -> CheckRun | None:
    """The latest run of the case's checks with its results (the caller has the case in scope)."""
    return (
        CheckRun.objects.filter(application=application, municipality_id=application.municipality_id)
        .select_related("ran_by")
        .prefetch_related("results")
        .first()
    )


def cases_passing_for_staff(*, staff: User) -> QuerySet[Application]:
    """Open cases of the staff member's own department whose every check passed, oldest first.

    Empty for anyone who may not approve in bulk. A case whose answers changed after its checks
    ran is still listed here; the second look and the service leave it out (see ``answers_sha256``).
    """
    if not staff.department_id or not can(staff, Action.APPROVE_IN_BULK, staff.department):
        return Application.objects.none()
    return (
        Application.objects.filter(
            municipality_id=staff.municipality_id,
            department_id=staff.department_id,
            status__in=[status.value for status in BULK_STATUSES],
            check_run__all_passed=True,
        )
        .select_related("procedure_version", "check_run", "assignee")
        .order_by("submitted_at", "id")
    )


def cases_for_bulk_approval(*, staff: User, public_ids: list[str]) -> list[Application]:
    """The chosen cases that are in the list of :func:`cases_passing_for_staff` (others are left out)."""
    wanted = [value for value in public_ids if _is_uuid(value)][:200]
    if not wanted:
        return []
    return list(
        cases_passing_for_staff(staff=staff)
        .filter(public_id__in=wanted)
        .select_related("department")
        .prefetch_related("check_run__results")
    )


def _is_uuid(value: str) -> bool:
    import uuid

    try:
        uuid.UUID(value)
    except (ValueError, AttributeError, TypeError):
        return False
    return True
