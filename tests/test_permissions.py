"""The permission matrix: every role × action × scope cell against ``can()``, and the generated doc.

EXPECTED is written out by hand on purpose: it is the specification the policy module is checked
against, not a copy of it.
"""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from idx.identity.models import Department, Role, User
from idx.identity.policy import Action, can, is_city_wide, permission_matrix_markdown

A = Action
OWN, ALL = "own dept", "all depts"
CASE_WRITES = {A.WORK_CASE, A.DECIDE_CASE, A.APPROVE_IN_BULK, A.ASSIGN_OTHERS, A.EDIT_PROCEDURE}

EXPECTED: dict[Role, dict[Action, str]] = {
    Role.CLERK: {
        A.VIEW_CASE: OWN,
        A.WORK_CASE: OWN,
        A.DECIDE_CASE: OWN,
        A.UNSEAL_MY_NUMBER: OWN,
        A.ISSUE_ALERT: OWN,
        A.ANSWER_INQUIRY: OWN,
        A.SERVE_COUNTER: OWN,
        A.TAKE_PAYMENT: OWN,
        A.VIEW_DASHBOARDS: OWN,
        A.CHECK_IN_EVENT: OWN,
    },
    Role.SUPERVISOR: {
        A.VIEW_CASE: OWN,
        A.WORK_CASE: OWN,
        A.DECIDE_CASE: OWN,
        A.APPROVE_IN_BULK: OWN,
        A.ASSIGN_OTHERS: OWN,
        A.EXPORT_CASES: OWN,
        A.UNSEAL_MY_NUMBER: OWN,
        A.ISSUE_ALERT: OWN,
        A.SEND_NOTICE: OWN,
        A.ANSWER_INQUIRY: OWN,
        A.EDIT_FAQ: OWN,
        A.SERVE_COUNTER: OWN,
        A.MANAGE_BOOKING: OWN,
        A.TAKE_PAYMENT: OWN,
        A.REFUND_PAYMENT: OWN,
        A.EDIT_OPEN_DATA: OWN,
        A.VIEW_DASHBOARDS: OWN,
        A.EDIT_DX_PLAN: OWN,
        A.MODERATE: OWN,
        A.MANAGE_EVENTS: OWN,
        A.CHECK_IN_EVENT: OWN,
    },
    Role.DEPARTMENT_ADMIN: {
        A.VIEW_CASE: OWN,
        A.WORK_CASE: OWN,
        A.DECIDE_CASE: OWN,
        A.APPROVE_IN_BULK: OWN,
        A.ASSIGN_OTHERS: OWN,
        A.EXPORT_CASES: OWN,
        A.EDIT_PROCEDURE: OWN,
        A.UNSEAL_MY_NUMBER: OWN,
        A.ISSUE_ALERT: OWN,
        A.SEND_NOTICE: OWN,
        A.ANSWER_INQUIRY: OWN,
        A.EDIT_FAQ: OWN,
        A.SERVE_COUNTER: OWN,
        A.MANAGE_BOOKING: OWN,
        A.TAKE_PAYMENT: OWN,
        A.REFUND_PAYMENT: OWN,
        A.EDIT_OPEN_DATA: OWN,
        A.VIEW_DASHBOARDS: OWN,
        A.EDIT_KPIS: OWN,
        A.EDIT_DX_PLAN: OWN,
        A.MANAGE_PARTICIPATION: OWN,
        A.MODERATE: OWN,
        A.MANAGE_PUBLIC_COMMENT: OWN,
        A.MANAGE_SURVEYS: OWN,
        A.MANAGE_EVENTS: OWN,
        A.CHECK_IN_EVENT: OWN,
    },
    Role.CITY_ADMIN: {
        A.VIEW_CASE: ALL,
        A.SEND_NOTICE: ALL,
        A.EXPORT_CASES: ALL,
        A.EDIT_PROCEDURE: ALL,
        A.VIEW_AUDIT: ALL,
        A.EXPORT_AUDIT: ALL,
        A.EDIT_FAQ: ALL,
        A.MANAGE_BOOKING: ALL,
        A.TAKE_PAYMENT: ALL,
        A.RECONCILE_PAYMENTS: ALL,
        A.EDIT_PLACE_TEXTS: ALL,
        A.EDIT_OPEN_DATA: ALL,
        A.PUBLISH_OPEN_DATA: ALL,
        A.VIEW_DASHBOARDS: ALL,
        A.EDIT_KPIS: ALL,
        A.EDIT_DX_PLAN: ALL,
        A.MANAGE_PARTICIPATION: ALL,
        A.MODERATE: ALL,
        A.MANAGE_PUBLIC_COMMENT: ALL,
        A.MANAGE_SURVEYS: ALL,
        A.MANAGE_EVENTS: ALL,
    },
    Role.AUDITOR: {A.VIEW_CASE: ALL, A.VIEW_AUDIT: ALL, A.EXPORT_AUDIT: ALL, A.VIEW_DASHBOARDS: ALL},
    Role.OPERATOR: {},
    Role.RESIDENT: {},
}

# Two municipalities in memory: department 1 and 2 in municipality 1, department 3 in municipality 2.
OWN_DEPARTMENT = Department(pk=1, municipality_id=1, code="own")
OTHER_DEPARTMENT = Department(pk=2, municipality_id=1, code="other")
OTHER_MUNICIPALITY = Department(pk=3, municipality_id=2, code="own")  # same code, other city
WHERE = {"own dept": OWN_DEPARTMENT, "other dept": OTHER_DEPARTMENT, "other municipality": OTHER_MUNICIPALITY}


def _allowed(cell: str | None, where: str) -> bool:
    if cell is None or where == "other municipality":
        return False
    return cell == ALL or where == "own dept"


def _staff(role: Role, **fields: object) -> User:
    return User(pk=100, municipality_id=1, department_id=1, role=role, email="x@example.jp", **fields)


CELLS = [(role, action, where) for role in EXPECTED for action in Action for where in WHERE]


def test_every_action_and_role_is_specified():
    assert set(EXPECTED) == set(Role)


@pytest.mark.parametrize(
    ("role", "action", "where"), CELLS, ids=[f"{r.value}-{a.value}-{w}" for r, a, w in CELLS]
)
def test_cell(role, action, where):
    expected = _allowed(EXPECTED[role].get(action), where)
    assert can(_staff(role), action, WHERE[where]) is expected


@pytest.mark.parametrize("role", list(EXPECTED))
@pytest.mark.parametrize("action", list(Action))
def test_role_level_question(role, action):
    """Without a department: may the role do this at all (pages and lists are narrowed by scope)."""
    assert can(_staff(role), action) is (action in EXPECTED[role])


@pytest.mark.parametrize("role", [Role.CITY_ADMIN, Role.AUDITOR])
def test_city_wide_roles_need_no_department(role):
    staff = _staff(role)
    staff.department_id = None
    assert is_city_wide(staff)
    assert can(staff, A.VIEW_CASE, OTHER_DEPARTMENT)
    assert not can(staff, A.VIEW_CASE, OTHER_MUNICIPALITY)


@pytest.mark.parametrize("role", [Role.CLERK, Role.SUPERVISOR, Role.DEPARTMENT_ADMIN, Role.OPERATOR])
def test_department_roles_are_not_city_wide(role):
    assert not is_city_wide(_staff(role))


def test_department_role_without_department_reaches_no_department():
    staff = _staff(Role.CLERK)
    staff.department_id = None
    assert not can(staff, A.VIEW_CASE, OWN_DEPARTMENT)


def test_inactive_staff_may_do_nothing():
    staff = _staff(Role.CITY_ADMIN, is_active=False)
    assert not any(can(staff, action) for action in Action)


def test_auditor_writes_nothing_and_operator_sees_no_case():
    assert not any(can(_staff(Role.AUDITOR), action) for action in CASE_WRITES | {A.EXPORT_CASES})
    assert not any(can(_staff(Role.OPERATOR), action) for action in Action)


# ---- against the real personas ---------------------------------------------------------------


def test_personas(clerk, clerk_other_department, clerk_other_municipality, supervisor, city_admin):
    department = clerk.department
    assert can(clerk, A.DECIDE_CASE, department)
    assert not can(clerk_other_department, A.VIEW_CASE, department)
    assert not can(clerk_other_municipality, A.VIEW_CASE, department)
    assert can(supervisor, A.ASSIGN_OTHERS)
    assert can(city_admin, A.VIEW_CASE, clerk_other_department.department)
    assert not can(city_admin, A.WORK_CASE, department)


# ---- the generated document ----------------------------------------------------------------

DOC = Path(__file__).resolve().parent.parent / "docs" / "permissions.md"


def test_docs_permissions_md_is_up_to_date():
    assert DOC.read_text(encoding="utf-8") == permission_matrix_markdown(), (
        "docs/permissions.md is out of date: run `idx permissions_doc`"
    )


def test_doc_cells_match_the_specification():
    lines = [line for line in DOC.read_text(encoding="utf-8").splitlines() if line.startswith("| ")]
    header = [cell.strip(" `") for cell in lines[0].strip("|").split("|")][1:]
    assert header == [action.value for action in Action]
    for line in lines[1:]:
        cells = [cell.strip() for cell in line.strip("|").split("|")]
        role = Role(cells[0].rsplit("(`", 1)[1].rstrip("`)"))
        for action_value, cell in zip(header, cells[1:], strict=True):
            assert cell == EXPECTED[role].get(Action(action_value), "—"), (role, action_value)


def test_permissions_doc_command_writes_and_checks(tmp_path):
    target = tmp_path / "permissions.md"
    call_command("permissions_doc", "--output", str(target), stdout=io.StringIO())
    assert target.read_text(encoding="utf-8") == permission_matrix_markdown()
    call_command("permissions_doc", "--output", str(target), "--check", stdout=io.StringIO())
    target.write_text("stale", encoding="utf-8")
    with pytest.raises(CommandError, match="out of date"):
        call_command("permissions_doc", "--output", str(target), "--check", stdout=io.StringIO())
