"""The back office's main navigation, built from the permission matrix (``idx.identity.policy``).

Each entry names the page it opens and the action that page's view checks, with where the
action must be in scope; a link is shown only to staff whose role and department pass that same
check, so nobody follows a menu link to a "not found" page. ``tests/backoffice/test_navigation.py``
walks every entry for every staff role and compares the menu with what the page answers.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from django.urls import reverse
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from idx.identity.models import User
from idx.identity.policy import Action, Scope, can, scope_of
from idx.notifications.alerts import crisis_department


class Where(StrEnum):
    """On whose records the entry's action must be allowed for the page to open."""

    ANY = "any"  # the role may do it at all (the page narrows its list to the role's scope)
    OWN_DEPARTMENT = "own_department"  # the staff member's own department (or every department)
    CITY_WIDE = "city_wide"  # every department of the municipality (city-wide roles only)
    CRISIS_MANAGEMENT = "crisis_management"  # the crisis-management department's records


@dataclass(frozen=True)
class Entry:
    label: str | Promise
    url_name: str  # in the ``backoffice`` namespace
    action: Action | None  # None: every staff member (the page shows only what the role may see)
    where: Where = Where.ANY
    group: str = ""  # of the entries sharing a group, only the first one permitted is shown

    @property
    def url(self) -> str:
        return reverse(f"backoffice:{self.url_name}")


# In menu order; each action and scope is the one the view's guard checks (see the view named).
ENTRIES: tuple[Entry, ...] = (
    Entry(_("Cases"), "queue", None),  # cases.queue: staff; the list is narrowed to VIEW_CASE's scope
    # counter.counter_*: counter.may_serve_counter (SERVE_COUNTER over the own department);
    # the procedures offered there are those of departments in WORK_CASE's scope
    # checks.checks_passing: APPROVE_IN_BULK over the own department
    Entry(_("Checked cases"), "checks_passing", Action.APPROVE_IN_BULK, Where.OWN_DEPARTMENT),
    Entry(_("Counter"), "counter_start", Action.SERVE_COUNTER, Where.OWN_DEPARTMENT),
    # booking.booking_day / booking.manage: a department in scope for the action
    Entry(_("Bookings"), "booking_day", Action.SERVE_COUNTER, Where.OWN_DEPARTMENT, group="booking"),
    Entry(_("Bookings"), "booking_manage", Action.MANAGE_BOOKING, Where.OWN_DEPARTMENT, group="booking"),
    Entry(_("Inquiries"), "inquiry_list", Action.ANSWER_INQUIRY),  # assist.inquiry_list
    Entry(_("FAQ"), "faq_list", Action.EDIT_FAQ),  # assist.faq_list
    Entry(_("Exports"), "export", Action.EXPORT_CASES),  # exports.export (then re-authentication)
    Entry(_("Hand-over"), "handover_list", Action.EXPORT_CASES),  # handover.handover_list
    Entry(_("Paper forms"), "intake_home", Action.WORK_CASE),  # intake.intake_home
    Entry(_("Imports"), "import_sources", Action.WORK_CASE),  # imports.import_sources
    Entry(_("Payments"), "payment_list", Action.TAKE_PAYMENT),  # payments.payment_list
    # notices.notice_list: notifications.notices.may_send
    Entry(_("Notices"), "notice_list", Action.SEND_NOTICE, Where.OWN_DEPARTMENT),
    # alerts.alert_list: notifications.alerts.may_issue
    Entry(_("Disaster alerts"), "alert_list", Action.ISSUE_ALERT, Where.CRISIS_MANAGEMENT),
    Entry(_("Procedures"), "procedure_list", Action.EDIT_PROCEDURE),  # procedures.procedure_list
    Entry(_("Open data"), "opendata_list", Action.EDIT_OPEN_DATA),  # opendata.dataset_list
    # events.event_list (CHECK_IN_EVENT) and event_list_managed (MANAGE_EVENTS: the city admin)
    Entry(_("Events"), "events_list", Action.CHECK_IN_EVENT, group="events"),
    Entry(_("Events"), "events_managed", Action.MANAGE_EVENTS, group="events"),
    Entry(_("DX action plan"), "dxplan_home", Action.VIEW_DASHBOARDS),  # dxplan.plan_home
    Entry(_("Dashboards"), "insights_home", Action.VIEW_DASHBOARDS),  # insights.insights_home
    # public_comment.consultation_list: MANAGE_PUBLIC_COMMENT (the list is narrowed to its scope)
    Entry(_("Public comment"), "public_comment_home", Action.MANAGE_PUBLIC_COMMENT),
    Entry(_("Participation"), "participation_home", Action.MODERATE),  # participation.home
    # participation_processes.process_list: MANAGE_PARTICIPATION (the list is narrowed to its scope)
    Entry(_("Participation themes"), "participation_processes", Action.MANAGE_PARTICIPATION),
    Entry(_("Surveys"), "survey_list", Action.MANAGE_SURVEYS),  # surveys.survey_list (narrowed to scope)
    # place_texts.place_list: EDIT_PLACE_TEXTS over every department
    Entry(_("Texts by language"), "place_list", Action.EDIT_PLACE_TEXTS, Where.CITY_WIDE),
    Entry(_("Audit log"), "audit_export", Action.EXPORT_AUDIT),  # exports.audit_export (re-authentication)
)


def may_open(user: User, entry: Entry) -> bool:
    """True when ``entry``'s page opens for ``user`` (the same question its view asks)."""
    if not user.is_authenticated or not user.is_active or not user.is_staff_member:
        return False
    if entry.action is None:
        return True
    scope = scope_of(user.role, entry.action)
    if entry.where == Where.ANY:
        return can(user, entry.action)
    if entry.where == Where.CITY_WIDE:
        return scope == Scope.ALL_DEPARTMENTS
    if entry.where == Where.OWN_DEPARTMENT:
        if scope == Scope.ALL_DEPARTMENTS:
            return True
        return user.department is not None and can(user, entry.action, user.department)
    # Where.CRISIS_MANAGEMENT
    if scope == Scope.NONE:
        return False
    if scope == Scope.OWN_DEPARTMENT:
        return user.department is not None and user.department.crisis_management
    department = crisis_department(user.municipality_id)
    return department is not None and can(user, entry.action, department)


def entries_for(user: User) -> list[Entry]:
    """The menu of ``user``: the permitted entries, one per group."""
    shown: list[Entry] = []
    groups: set[str] = set()
    for entry in ENTRIES:
        if entry.group and entry.group in groups:
            continue
        if may_open(user, entry):
            shown.append(entry)
            if entry.group:
                groups.add(entry.group)
    return shown
