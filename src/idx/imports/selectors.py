"""Reads of bulk import: sources and runs, scoped to the staff member's municipality and to the
departments whose cases they may work (``WORK_CASE``, the permission of keying in paper forms)."""

from __future__ import annotations

from django.db.models import QuerySet

from idx.identity.models import User
from idx.identity.policy import Action, Scope, can, scope_of
from idx.imports.models import ImportRowError, ImportRun, ImportSource
from idx.procedures.models import Procedure


def may_import(staff: User, procedure: Procedure | None = None) -> bool:
    """True when ``staff`` may map and import files (for ``procedure``, when given)."""
    if not staff.is_authenticated or not staff.is_staff_member:
        return False
    if procedure is None:
        return can(staff, Action.WORK_CASE)
    return procedure.municipality_id == staff.municipality_id and can(
        staff, Action.WORK_CASE, procedure.department
    )


def importable_procedures(*, staff: User) -> QuerySet[Procedure]:
    """Published procedures of the staff member's departments in scope."""
    procedures = Procedure.objects.filter(
        municipality_id=staff.municipality_id, published_version__isnull=False
    ).select_related("published_version", "department")
    if scope_of(staff.role, Action.WORK_CASE) != Scope.ALL_DEPARTMENTS:
        procedures = procedures.filter(department_id=staff.department_id or 0)
    return procedures.order_by("id")


def source_list(*, staff: User) -> QuerySet[ImportSource]:
    sources = ImportSource.objects.filter(municipality_id=staff.municipality_id).select_related(
        "procedure", "procedure__department", "procedure__published_version"
    )
    if not may_import(staff):
        return sources.none()
    if scope_of(staff.role, Action.WORK_CASE) != Scope.ALL_DEPARTMENTS:
        sources = sources.filter(procedure__department_id=staff.department_id or 0)
    return sources


def source_get(*, staff: User, pk: int) -> ImportSource | None:
    return source_list(staff=staff).filter(pk=pk).first()


def run_list(*, source: ImportSource) -> QuerySet[ImportRun]:
    return ImportRun.objects.filter(source=source).select_related("uploaded_by", "imported_by")


def run_get(*, staff: User, public_id: str) -> ImportRun | None:
    return (
        ImportRun.objects.filter(public_id=public_id, source__in=source_list(staff=staff))
        .select_related("source", "source__procedure", "source__procedure__published_version")
        .first()
    )


def run_errors(*, run: ImportRun, limit: int = 200) -> list[ImportRowError]:
    return list(run.errors.all()[:limit])
