"""Reads of the DX action plan: the 推進本部's overview, one initiative's history, the public plan.

Staff of a municipality read its whole plan (``VIEW_DASHBOARDS``); residents and the public API
read the same plan with published progress notes only. Lists load in a fixed number of queries.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import Prefetch, QuerySet
from django.utils import timezone
from django.utils.translation import gettext

from idx.common.models import Municipality
from idx.dxplan.models import BasicPolicy, Initiative, Milestone, ProgressNote, Status, number_label
from idx.dxplan.services import DATASET_NAME, fiscal_quarter_of
from idx.identity.models import Department, User
from idx.identity.policy import Action, can
from idx.insights.models import Kpi
from idx.insights.selectors import kpi_current_values
from idx.opendata.selectors import NotInCatalog, dataset_get_published

DUE_SOON_DAYS = 90


def kpi_number(value: Decimal | None, unit: str) -> str:
    """A KPI's number with its unit, as people read it (28.6%, 12 days)."""
    if value is None:
        return ""
    number = number_label(value)
    if unit == Kpi.Unit.PERCENT:
        return gettext("%(number)s%%") % {"number": number}
    if unit == Kpi.Unit.DAYS:
        return gettext("%(number)s days") % {"number": number}
    if unit == Kpi.Unit.MINUTES:
        return gettext("%(number)s minutes") % {"number": number}
    return number


@dataclass
class KpiLine:
    kpi: Kpi
    value: Decimal | None = None  # over the fiscal year to date
    target: Decimal | None = None
    period_label: str = ""
    on_track: bool | None = None

    @property
    def value_label(self) -> str:
        return kpi_number(self.value, self.kpi.unit)

    @property
    def target_label(self) -> str:
        return kpi_number(self.target, self.kpi.unit)


@dataclass
class InitiativeView:
    initiative: Initiative
    latest_note: ProgressNote | None
    overdue: list[Milestone] = field(default_factory=list)
    due_soon: list[Milestone] = field(default_factory=list)
    kpis: list[KpiLine] = field(default_factory=list)
    has_draft: bool = False
    may_edit: bool = False


@dataclass
class PolicyView:
    policy: BasicPolicy
    initiatives: list[InitiativeView]


@dataclass(frozen=True)
class Filters:
    policy: int | None = None  # the policy's number
    department: str = ""  # a department's code: owner or taking part
    status: str = ""


def today() -> dt.date:
    return timezone.localdate()


def current_quarter() -> tuple[int, int]:
    return fiscal_quarter_of(today())


def kpi_values(*, municipality: Municipality, kpis: list[Kpi]) -> dict[int, Any]:
    """The insights domain's current KPI values by id (empty where it cannot tell yet)."""
    if not kpis:
        return {}
    return dict(kpi_current_values(municipality=municipality, kpis=kpis))


def _notes(published_only: bool) -> QuerySet[ProgressNote]:
    notes = ProgressNote.objects.order_by("-fiscal_year", "-quarter", "-published_at", "-id")
    return notes.filter(published_at__isnull=False) if published_only else notes


def initiatives_query(*, municipality: Municipality, published_only: bool) -> QuerySet[Initiative]:
    return (
        Initiative.objects.filter(municipality=municipality)
        .select_related("owner", "policy")
        .prefetch_related(
            "other_departments",
            "kpis",
            "targets",
            "milestones",
            Prefetch("notes", queryset=_notes(published_only).select_related("corrects", "author")),
        )
    )


def _view(
    initiative: Initiative, *, values: dict[int, Any], day: dt.date, published_only: bool, staff: User | None
) -> InitiativeView:
    notes = list(initiative.notes.all())
    published = [note for note in notes if note.is_published]
    milestones = [milestone for milestone in initiative.milestones.all() if milestone.done_on is None]
    lines = []
    for kpi in initiative.kpis.all():
        value = values.get(kpi.pk)
        lines.append(
            KpiLine(
                kpi=kpi,
                value=getattr(value, "value", None),
                target=getattr(value, "target", kpi.target),
                period_label=getattr(value, "period_label", ""),
                on_track=getattr(value, "on_track", None),
            )
        )
    return InitiativeView(
        initiative=initiative,
        latest_note=published[0] if published else None,
        overdue=[milestone for milestone in milestones if milestone.due_on < day],
        due_soon=[
            milestone
            for milestone in milestones
            if day <= milestone.due_on <= day + dt.timedelta(DUE_SOON_DAYS)
        ],
        kpis=lines,
        has_draft=not published_only and len(published) < len(notes),
        may_edit=staff is not None and can(staff, Action.EDIT_DX_PLAN, initiative.owner),
    )


def plan_overview(
    *,
    municipality: Municipality,
    filters: Filters | None = None,
    published_only: bool = False,
    staff: User | None = None,
    with_kpi_values: bool = True,
) -> list[PolicyView]:
    """Every initiative grouped by basic policy (all policies listed, even when a filter empties one)."""
    filters = filters or Filters()
    initiatives = initiatives_query(municipality=municipality, published_only=published_only)
    if filters.policy:
        initiatives = initiatives.filter(policy__number=filters.policy)
    if filters.department:
        initiatives = initiatives.filter(owner__code=filters.department) | initiatives.filter(
            other_departments__code=filters.department
        )
        initiatives = initiatives.distinct()
    if filters.status in Status.values:
        initiatives = initiatives.filter(status=filters.status)
    found = list(initiatives.order_by("policy__number", "position", "id"))
    kpis = {kpi.pk: kpi for initiative in found for kpi in initiative.kpis.all()}
    values = kpi_values(municipality=municipality, kpis=list(kpis.values())) if with_kpi_values else {}
    day = today()
    groups = []
    for policy in BasicPolicy.objects.filter(municipality=municipality).order_by("number"):
        if filters.policy and policy.number != filters.policy:
            continue
        groups.append(
            PolicyView(
                policy=policy,
                initiatives=[
                    _view(initiative, values=values, day=day, published_only=published_only, staff=staff)
                    for initiative in found
                    if initiative.policy_id == policy.pk
                ],
            )
        )
    return groups


def initiative_detail(
    *, municipality: Municipality, code: str, published_only: bool, staff: User | None = None
) -> InitiativeView | None:
    initiative = (
        initiatives_query(municipality=municipality, published_only=published_only).filter(code=code).first()
    )
    if initiative is None:
        return None
    values = kpi_values(municipality=municipality, kpis=list(initiative.kpis.all()))
    return _view(initiative, values=values, day=today(), published_only=published_only, staff=staff)


def initiative_for_edit(*, staff: User, code: str) -> Initiative | None:
    """The initiative ``staff`` may change, or None (another municipality, another department)."""
    initiative = (
        Initiative.objects.filter(municipality_id=staff.municipality_id, code=code)
        .select_related("owner", "policy", "municipality")
        .first()
    )
    if initiative is None or not can(staff, Action.EDIT_DX_PLAN, initiative.owner):
        return None
    return initiative


def note_for_edit(*, staff: User, code: str, note_id: int) -> ProgressNote | None:
    initiative = initiative_for_edit(staff=staff, code=code)
    if initiative is None:
        return None
    note = ProgressNote.objects.filter(initiative=initiative, pk=note_id).select_related("initiative").first()
    if note is not None:
        note.initiative = initiative
    return note


def milestone_for_edit(*, staff: User, code: str, milestone_id: int) -> Milestone | None:
    initiative = initiative_for_edit(staff=staff, code=code)
    if initiative is None:
        return None
    milestone = Milestone.objects.filter(initiative=initiative, pk=milestone_id).first()
    if milestone is not None:
        milestone.initiative = initiative
    return milestone


def policy_list(*, municipality: Municipality) -> list[BasicPolicy]:
    return list(BasicPolicy.objects.filter(municipality=municipality).order_by("number"))


def departments_in_plan(*, municipality: Municipality) -> list[Department]:
    """Departments that own an initiative (for the filter)."""
    return list(
        Department.objects.filter(municipality=municipality, dx_initiatives__isnull=False)
        .distinct()
        .order_by("code")
    )


def plan_dataset_name() -> str:
    return DATASET_NAME


def plan_dataset_published(*, municipality: Municipality) -> bool:
    """Whether the plan's open dataset is in the catalog (for the link on the pages)."""
    try:
        dataset_get_published(municipality=municipality, name_or_id=DATASET_NAME)
    except NotInCatalog:
        return False
    return True
