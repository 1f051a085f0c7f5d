"""Who may do what: the one place that answers authorization questions for staff.

The permission matrix below is the single source: every staff role has, per action, a scope:
its own department's records, every department of its municipality, or nothing. Records of
another municipality are always out of scope. ``docs/permissions.md`` is generated from it
(``idx permissions_doc``) and a test checks that the two agree.
"""

from __future__ import annotations

from enum import StrEnum

from django.utils import translation

from idx.identity.models import Department, Role, User


class Action(StrEnum):
    VIEW_CASE = "view_case"  # see a case and its answers, attachments and history
    WORK_CASE = "work_case"  # assign to self, start review, comment, request correction (差し戻し)
    DECIDE_CASE = "decide_case"  # approve / reject (決裁)
    APPROVE_IN_BULK = "approve_in_bulk"  # approve at once the cases that passed every automated check
    ASSIGN_OTHERS = "assign_others"  # assign cases to colleagues
    EXPORT_CASES = "export_cases"  # export decided cases for the core systems
    EDIT_PROCEDURE = "edit_procedure"  # create, edit and publish procedure definitions
    VIEW_AUDIT = "view_audit"  # read the audit log
    EXPORT_AUDIT = "export_audit"  # export the audit log of a period
    UNSEAL_MY_NUMBER = "unseal_my_number"  # open a sealed 個人番号 (back office, after re-authentication)
    ISSUE_ALERT = "issue_alert"  # issue, confirm, update and cancel disaster alerts (crisis management)
    SEND_NOTICE = "send_notice"  # send a notice to the residents who follow a topic
    ANSWER_INQUIRY = "answer_inquiry"  # read and answer residents' inquiries (問い合わせ)
    EDIT_FAQ = "edit_faq"  # edit the FAQ knowledge base, import/export it, work the gap list
    SERVE_COUNTER = "serve_counter"  # see bookings, check residents in, call the next ticket
    MANAGE_BOOKING = "manage_booking"  # define bookable services, counters, opening hours and closures
    TAKE_PAYMENT = "take_payment"  # see the department's payments, record cash or card-terminal payments
    REFUND_PAYMENT = "refund_payment"  # refund a payment (with a reason, audited)
    RECONCILE_PAYMENTS = (
        "reconcile_payments"  # import settlement files, resolve mismatches, export for finance
    )
    EDIT_PLACE_TEXTS = (
        "edit_place_texts"  # the municipality's and departments' names, counters, hours per language
    )
    EDIT_OPEN_DATA = "edit_open_data"  # prepare datasets and their files, send them for review
    PUBLISH_OPEN_DATA = "publish_open_data"  # review, publish and withdraw datasets of the open data catalog
    VIEW_DASHBOARDS = "view_dashboards"  # the EBPM dashboards: KPIs, channels, lead times, waits, effects
    EDIT_KPIS = "edit_kpis"  # define KPIs and their targets, log interventions
    EDIT_DX_PLAN = "edit_dx_plan"  # the DX action plan: initiatives, targets, milestones, progress notes
    MANAGE_PARTICIPATION = "manage_participation"  # participation processes, phases, official answers
    MODERATE = "moderate"  # hide or restore residents' proposals and comments, decide appeals
    MANAGE_PUBLIC_COMMENT = (
        "manage_public_comment"  # パブリックコメント: drafts, sections, the published result
    )
    MANAGE_SURVEYS = "manage_surveys"  # surveys: questions, opening and closing, results
    MANAGE_EVENTS = "manage_events"  # events and courses, participants, help requests, cancellations
    CHECK_IN_EVENT = "check_in_event"  # check participants in at the door


class Scope(StrEnum):
    NONE = "none"
    OWN_DEPARTMENT = "own_department"
    ALL_DEPARTMENTS = "all_departments"  # every department of the staff member's municipality


ACTION_DESCRIPTIONS: dict[Action, str] = {
    Action.VIEW_CASE: "see a case, its answers, attachments and history",
    Action.WORK_CASE: "assign a case to oneself, start the review, comment, request a correction (差し戻し)",
    Action.DECIDE_CASE: "approve or reject a case (決裁)",
    Action.APPROVE_IN_BULK: (
        "approve in one action the cases whose every automated check passed (straight-through processing)"
    ),
    Action.ASSIGN_OTHERS: "assign cases to colleagues",
    Action.EXPORT_CASES: "export decided cases for the core systems",
    Action.EDIT_PROCEDURE: "create, edit and publish procedure definitions",
    Action.VIEW_AUDIT: "read the audit log",
    Action.EXPORT_AUDIT: "export the audit log of a period (`/staff/audit/`, `idx audit export`)",
    Action.ISSUE_ALERT: (
        "issue, confirm (a second person for レベル4–5), update and cancel disaster alerts; only staff "
        "of the crisis-management department"
    ),
    Action.SEND_NOTICE: "send a notice to the residents who follow a topic (お知らせ配信)",
    Action.ANSWER_INQUIRY: "read and answer residents' inquiries (問い合わせ) addressed to the department",
    Action.EDIT_FAQ: "edit the FAQ knowledge base (CSV import/export, questions nobody answered, inquiry → FAQ)",
    Action.SERVE_COUNTER: "see the day's bookings, check residents in, call the next waiting ticket",
    Action.MANAGE_BOOKING: "define bookable services, counters, opening hours, closures and limits",
    Action.TAKE_PAYMENT: "see the department's payments and receipts, record cash or card-terminal payments at the counter",
    Action.REFUND_PAYMENT: "refund a payment in full or in part, with a reason (audited)",
    Action.RECONCILE_PAYMENTS: (
        "import the payment service's settlement files, resolve mismatches, export the daily file for 財務会計"
    ),
    Action.EDIT_PLACE_TEXTS: (
        "edit, in every language, the municipality's name and address and each department's name, counter "
        "and opening hours (audited)"
    ),
    Action.EDIT_OPEN_DATA: "prepare open datasets and their files (CSV, JSON, GeoJSON, XLSX, PDF) and send them for review",
    Action.PUBLISH_OPEN_DATA: (
        "review open datasets: send back with a reason, publish to the catalog, the CKAN API and DCAT, withdraw (audited)"
    ),
    Action.VIEW_DASHBOARDS: (
        "see the EBPM dashboards (KPIs, channel mix, lead times, counter waits, estimated effects) and the DX "
        "action plan's progress"
    ),
    Action.EDIT_KPIS: "define KPIs (numerator, denominator, target, direction) and log interventions",
    Action.EDIT_DX_PLAN: (
        "keep the DX action plan (推進本部): initiatives, yearly targets, milestones, status and quarterly progress notes"
    ),
    Action.MANAGE_PARTICIPATION: (
        "draft and publish participation processes and their phases, answer proposals officially "
        "(検討中 / 採用 / 不採用) and link what the city did"
    ),
    Action.MODERATE: "hide residents' proposals and comments with a reason, restore them, decide appeals (audited)",
    Action.MANAGE_PUBLIC_COMMENT: (
        "publish a draft plan or ordinance for パブリックコメント, read the comments, publish 「意見の概要と市の考え方」"
    ),
    Action.MANAGE_SURVEYS: "build surveys, open and close them, read and publish their results",
    Action.MANAGE_EVENTS: (
        "create events and courses (スマホ教室 too), see participants and the help they asked for, cancel with refunds"
    ),
    Action.CHECK_IN_EVENT: "check participants in at the door (QR code or list)",
    Action.UNSEAL_MY_NUMBER: (
        "open a sealed 個人番号 on a case or in an export (back-office process with the private key, "
        "after re-authentication; every opening is audited)"
    ),
}

_OWN, _ALL = Scope.OWN_DEPARTMENT, Scope.ALL_DEPARTMENTS

# Role -> action -> scope; an action missing from a role's row is not permitted (Scope.NONE).
MATRIX: dict[Role, dict[Action, Scope]] = {
    Role.CLERK: {
        Action.VIEW_CASE: _OWN,
        Action.WORK_CASE: _OWN,
        Action.DECIDE_CASE: _OWN,
        Action.UNSEAL_MY_NUMBER: _OWN,
        Action.ISSUE_ALERT: _OWN,
        Action.ANSWER_INQUIRY: _OWN,
        Action.SERVE_COUNTER: _OWN,
        Action.TAKE_PAYMENT: _OWN,
        Action.VIEW_DASHBOARDS: _OWN,
        Action.CHECK_IN_EVENT: _OWN,
    },
    Role.SUPERVISOR: {
        Action.VIEW_CASE: _OWN,
        Action.WORK_CASE: _OWN,
        Action.DECIDE_CASE: _OWN,
        Action.APPROVE_IN_BULK: _OWN,
        Action.ASSIGN_OTHERS: _OWN,
        Action.EXPORT_CASES: _OWN,
        Action.UNSEAL_MY_NUMBER: _OWN,
        Action.ISSUE_ALERT: _OWN,
        Action.SEND_NOTICE: _OWN,
        Action.ANSWER_INQUIRY: _OWN,
        Action.EDIT_FAQ: _OWN,
        Action.SERVE_COUNTER: _OWN,
        Action.MANAGE_BOOKING: _OWN,
        Action.TAKE_PAYMENT: _OWN,
        Action.REFUND_PAYMENT: _OWN,
        Action.EDIT_OPEN_DATA: _OWN,
        Action.VIEW_DASHBOARDS: _OWN,
        Action.EDIT_DX_PLAN: _OWN,
        Action.MODERATE: _OWN,
        Action.MANAGE_EVENTS: _OWN,
        Action.CHECK_IN_EVENT: _OWN,
    },
    Role.DEPARTMENT_ADMIN: {
        Action.VIEW_CASE: _OWN,
        Action.WORK_CASE: _OWN,
        Action.DECIDE_CASE: _OWN,
        Action.APPROVE_IN_BULK: _OWN,
        Action.ASSIGN_OTHERS: _OWN,
        Action.EXPORT_CASES: _OWN,
        Action.EDIT_PROCEDURE: _OWN,
        Action.UNSEAL_MY_NUMBER: _OWN,
        Action.ISSUE_ALERT: _OWN,
        Action.SEND_NOTICE: _OWN,
        Action.ANSWER_INQUIRY: _OWN,
        Action.EDIT_FAQ: _OWN,
        Action.SERVE_COUNTER: _OWN,
        Action.MANAGE_BOOKING: _OWN,
        Action.TAKE_PAYMENT: _OWN,
        Action.REFUND_PAYMENT: _OWN,
        Action.EDIT_OPEN_DATA: _OWN,
        Action.VIEW_DASHBOARDS: _OWN,
        Action.EDIT_KPIS: _OWN,
        Action.EDIT_DX_PLAN: _OWN,
        Action.MANAGE_PARTICIPATION: _OWN,
        Action.MODERATE: _OWN,
        Action.MANAGE_PUBLIC_COMMENT: _OWN,
        Action.MANAGE_SURVEYS: _OWN,
        Action.MANAGE_EVENTS: _OWN,
        Action.CHECK_IN_EVENT: _OWN,
    },
    Role.CITY_ADMIN: {
        Action.VIEW_CASE: _ALL,
        Action.SEND_NOTICE: _ALL,
        Action.EXPORT_CASES: _ALL,
        Action.EDIT_PROCEDURE: _ALL,
        Action.VIEW_AUDIT: _ALL,
        Action.EXPORT_AUDIT: _ALL,
        Action.EDIT_FAQ: _ALL,
        Action.MANAGE_BOOKING: _ALL,
        Action.TAKE_PAYMENT: _ALL,
        Action.RECONCILE_PAYMENTS: _ALL,
        Action.EDIT_PLACE_TEXTS: _ALL,
        Action.EDIT_OPEN_DATA: _ALL,
        Action.PUBLISH_OPEN_DATA: _ALL,
        Action.VIEW_DASHBOARDS: _ALL,
        Action.EDIT_KPIS: _ALL,
        Action.EDIT_DX_PLAN: _ALL,
        Action.MANAGE_PARTICIPATION: _ALL,
        Action.MODERATE: _ALL,
        Action.MANAGE_PUBLIC_COMMENT: _ALL,
        Action.MANAGE_SURVEYS: _ALL,
        Action.MANAGE_EVENTS: _ALL,
    },
    # 監査担当: reads everything of the city, changes nothing.
    Role.AUDITOR: {
        Action.VIEW_CASE: _ALL,
        Action.VIEW_AUDIT: _ALL,
        Action.EXPORT_AUDIT: _ALL,
        Action.VIEW_DASHBOARDS: _ALL,
    },
    # 運用担当: runs the system (deployments, workers, `idx` commands), sees no cases.
    Role.OPERATOR: {},
    Role.RESIDENT: {},
}

STAFF_ROLES_IN_ORDER = [
    Role.CLERK,
    Role.SUPERVISOR,
    Role.DEPARTMENT_ADMIN,
    Role.CITY_ADMIN,
    Role.AUDITOR,
    Role.OPERATOR,
]


def scope_of(role: str, action: Action) -> Scope:
    return MATRIX.get(Role(role), {}).get(action, Scope.NONE) if role in Role.values else Scope.NONE


def is_city_wide(staff: User) -> bool:
    """True when the staff member sees cases of every department (lists are not narrowed to one)."""
    return scope_of(staff.role, Action.VIEW_CASE) == Scope.ALL_DEPARTMENTS


def can(staff: User, action: Action, department: Department | None = None) -> bool:
    """True when ``staff`` may perform ``action`` on something owned by ``department``.

    Without a department the question is whether the role may do it at all (lists and pages are
    then narrowed by scope); with one, the department must be in the staff member's scope.
    """
    if not staff.is_authenticated or not staff.is_active or not staff.is_staff_member:
        return False
    scope = scope_of(staff.role, action)
    if scope == Scope.NONE:
        return False
    if department is None:
        return True
    if department.municipality_id != staff.municipality_id:
        return False
    return scope == Scope.ALL_DEPARTMENTS or department.pk == staff.department_id


_CELL = {Scope.OWN_DEPARTMENT: "own dept", Scope.ALL_DEPARTMENTS: "all depts", Scope.NONE: "—"}


def permission_matrix_markdown() -> str:
    """The permission matrix as ``docs/permissions.md`` (regenerate with ``idx permissions_doc``)."""
    actions = list(Action)
    with translation.override("en"):
        labels = {role: str(role.label) for role in STAFF_ROLES_IN_ORDER}
    lines = [
        "# Permissions",
        "",
        "<!-- Generated from src/idx/identity/policy.py by `idx permissions_doc`; do not edit by hand. -->",
        "",
        "Staff roles × actions. A cell says on whose records the role may act: **own dept** (its own",
        "department's), **all depts** (every department of its municipality) or **—** (not at all).",
        "Records of another municipality are never in scope, for any role: lookups there answer",
        '"not found". Residents hold none of these actions.',
        "",
        "| Role | " + " | ".join(f"`{action.value}`" for action in actions) + " |",
        "|---|" + "---|" * len(actions),
    ]
    for role in STAFF_ROLES_IN_ORDER:
        cells = [_CELL[scope_of(role, action)] for action in actions]
        lines.append(f"| {labels[role]} (`{role.value}`) | " + " | ".join(cells) + " |")
    lines += ["", "## Actions", ""]
    lines += [f"- `{action.value}`: {ACTION_DESCRIPTIONS[action]}" for action in actions]
    return "\n".join(lines) + "\n"
