"""Reads of applications, always scoped: a resident sees their own, staff their department's."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass

from django.contrib.auth.hashers import is_password_usable
from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from idx.applications.models import NOT_OPEN, Application, CorrectionRound, SavedCaseFilter, Status
from idx.identity.models import User
from idx.identity.policy import Action, can, is_city_wide


def _uuid(value: object) -> uuid.UUID | None:
    try:
        return uuid.UUID(str(value))
    except ValueError:
        return None


def applications_for_resident(*, resident: User) -> QuerySet[Application]:
    return (
        Application.objects.filter(municipality_id=resident.municipality_id, applicant=resident)
        .select_related("procedure", "department")
        .order_by("-updated_at")
    )


def application_get_for_resident(*, resident: User, public_id: object) -> Application | None:
    key = _uuid(public_id)
    if key is None:
        return None
    # public_id is unique: a slice, not .first(), which would compile an ORDER BY for nothing
    # (this runs on every API request about an application).
    found = list(
        Application.objects.filter(
            municipality_id=resident.municipality_id, applicant=resident, public_id=key
        ).select_related("procedure", "procedure_version", "department", "municipality")[:1]
    )
    return found[0] if found else None


@dataclass(frozen=True)
class CaseFilters:
    procedure: str = ""
    status: str = ""
    assignee: str = ""  # "", "me", "none", or a staff id
    due: str = ""  # "", "overdue", "week"
    query: str = ""  # receipt number or applicant name
    department: str = ""  # city-wide roles only


def _staff_scope(staff: User) -> QuerySet[Application]:
    cases = Application.objects.filter(municipality_id=staff.municipality_id).exclude(status=Status.DRAFT)
    if not is_city_wide(staff):
        cases = cases.filter(department_id=staff.department_id or 0)
    return cases


def case_list_for_staff(*, staff: User, filters: CaseFilters) -> QuerySet[Application]:
    """The queue: open cases first by due date (overdue on top), then the rest."""
    if not can(staff, Action.VIEW_CASE):
        return Application.objects.none()
    cases = _staff_scope(staff)
    if filters.department and is_city_wide(staff):
        cases = cases.filter(department__code=filters.department)
    if filters.procedure:
        cases = cases.filter(procedure__code=filters.procedure)
    if filters.status == "open":
        cases = cases.exclude(status__in=NOT_OPEN)
    elif filters.status:
        cases = cases.filter(status=filters.status)
    if filters.assignee == "me":
        cases = cases.filter(assignee=staff)
    elif filters.assignee == "none":
        cases = cases.filter(assignee__isnull=True)
    elif filters.assignee.isdecimal() and len(filters.assignee) <= 18:
        cases = cases.filter(assignee_id=int(filters.assignee))
    today = timezone.localdate()
    if filters.due == "overdue":
        cases = cases.filter(due_date__lt=today).exclude(status__in=NOT_OPEN)
    elif filters.due == "week":
        cases = cases.filter(due_date__lte=today + dt.timedelta(days=7)).exclude(status__in=NOT_OPEN)
    query = filters.query.strip()
    if query:
        # Receipt numbers are issued upper case (IGA-2026-000123); an IN on the typed and upper-cased text
        # uses the (municipality, receipt_number) unique index, where iexact (UPPER(...) = UPPER(...))
        # scanned the whole department: ~1 s with a million applications.
        receipts = sorted({query, query.upper()})
        cases = cases.filter(Q(receipt_number__in=receipts) | Q(applicant_name__startswith=query))
    # A queue row never shows the answers: leave the largest column in the database.
    return (
        cases.select_related("procedure", "assignee", "department")
        .defer("answers", "correction_notes", "procedure__search_text")
        .order_by("due_date", "id")
    )


def case_get_for_staff(*, staff: User, public_id: object) -> Application | None:
    key = _uuid(public_id)
    if key is None or not can(staff, Action.VIEW_CASE):
        return None
    return (
        _staff_scope(staff)
        .filter(public_id=key)
        .select_related(
            "procedure", "procedure_version", "department", "assignee", "applicant", "municipality"
        )
        .first()
    )


def decided_cases_for_export(*, staff: User, procedure_code: str) -> QuerySet[Application]:
    if not can(staff, Action.EXPORT_CASES):
        return Application.objects.none()
    return (
        _staff_scope(staff)
        .filter(procedure__code=procedure_code, status__in=[Status.APPROVED, Status.REJECTED])
        .select_related("procedure_version")
        .order_by("id")
    )


def correction_round_latest(*, application: Application) -> CorrectionRound | None:
    """The last correction request of a case (open, or answered by a resubmission); the caller
    has already scoped ``application`` to the staff member."""
    return CorrectionRound.objects.filter(application=application).select_related("requested_by").first()


def case_counts_by_status(*, staff: User, filters: CaseFilters) -> dict[str, int]:
    """How many of the staff member's cases are in each status, under the queue's other filters."""
    everything = CaseFilters(
        procedure=filters.procedure,
        status="",
        assignee=filters.assignee,
        due=filters.due,
        query=filters.query,
        department=filters.department,
    )
    rows = (
        case_list_for_staff(staff=staff, filters=everything)
        .order_by()
        .values_list("status")
        .annotate(count=Count("id"))
    )
    return dict(rows)


def saved_case_filters_for(*, staff: User) -> QuerySet[SavedCaseFilter]:
    """The clerk's own saved queue filters, never a colleague's."""
    return SavedCaseFilter.objects.filter(municipality_id=staff.municipality_id, user=staff)


def applicant_contacts(*, applications: list[Application]) -> dict[int, tuple[str, list[str]]]:
    """Per applicant of the listed cases: their preferred language and the external channels they
    chose (e-mail, LINE, browser notifications; the portal inbox always receives; "post" for an
    applicant who has no account to sign in to). Two queries,
    however many cases: the queue shows this in its 連絡 column."""
    from idx.notifications.models import Subscription

    ids = {application.applicant_id for application in applications}
    if not ids:
        return {}
    people = User.objects.filter(pk__in=ids).values_list("pk", "preferred_language", "email", "password")
    channels = dict(Subscription.objects.filter(user_id__in=ids).values_list("user_id", "channels"))
    contacts: dict[int, tuple[str, list[str]]] = {}
    for pk, language, email, password in people:
        if not email and not is_password_usable(password):
            # A paper or imported applicant with no account to sign in to: told by post.
            contacts[pk] = (language, ["post"])
        else:
            contacts[pk] = (language, [str(channel) for channel in channels.get(pk) or []])
    return contacts
