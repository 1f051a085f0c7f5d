"""Who may do what: the one place that answers authorization questions for staff.

Scope is always the staff member's municipality; within it, department-bound roles see and act
on their own department's cases only, while city-wide roles see every department.
"""

from __future__ import annotations

from enum import StrEnum

from idx.identity.models import Department, Role, User


class Action(StrEnum):
    VIEW_CASE = "view_case"
    WORK_CASE = "work_case"  # assign to self, comment, request correction
    DECIDE_CASE = "decide_case"  # approve / reject
    ASSIGN_OTHERS = "assign_others"
    EXPORT_CASES = "export_cases"
    EDIT_PROCEDURE = "edit_procedure"
    VIEW_AUDIT = "view_audit"


DEPARTMENT_ROLES = {Role.CLERK, Role.SUPERVISOR, Role.DEPARTMENT_ADMIN}
CITY_WIDE_ROLES = {Role.CITY_ADMIN, Role.AUDITOR}

GRANTS: dict[Action, set[Role]] = {
    Action.VIEW_CASE: {Role.CLERK, Role.SUPERVISOR, Role.DEPARTMENT_ADMIN, Role.CITY_ADMIN, Role.AUDITOR},
    Action.WORK_CASE: {Role.CLERK, Role.SUPERVISOR, Role.DEPARTMENT_ADMIN},
    Action.DECIDE_CASE: {Role.CLERK, Role.SUPERVISOR, Role.DEPARTMENT_ADMIN},
    Action.ASSIGN_OTHERS: {Role.SUPERVISOR, Role.DEPARTMENT_ADMIN},
    Action.EXPORT_CASES: {Role.SUPERVISOR, Role.DEPARTMENT_ADMIN, Role.CITY_ADMIN},
    Action.EDIT_PROCEDURE: {Role.DEPARTMENT_ADMIN, Role.CITY_ADMIN},
    Action.VIEW_AUDIT: {Role.CITY_ADMIN, Role.AUDITOR},
}


def is_city_wide(staff: User) -> bool:
    return staff.role in CITY_WIDE_ROLES


def can(staff: User, action: Action, department: Department | None = None) -> bool:
    """True when ``staff`` may perform ``action`` on something owned by ``department``."""
    if not staff.is_authenticated or not staff.is_active or not staff.is_staff_member:
        return False
    if staff.role not in GRANTS[action]:
        return False
    if department is None:
        return True
    if department.municipality_id != staff.municipality_id:
        return False
    return is_city_wide(staff) or department.pk == staff.department_id
