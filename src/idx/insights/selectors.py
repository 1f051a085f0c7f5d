"""Reads of the EBPM dashboards: KPI values, series, channel mix, lead times, waits, sign-ins.

Everything here reads the fact tables only (``ApplicationMonthFact``, ``CounterDayFact``,
``EventMonthFact``), never an application or a person. One call loads the facts of a period once
(a *cube*: a few thousand rows at most, however many applications there were) and computes
every KPI and breakdown from it in Python, so a dashboard costs a handful of queries.

A KPI's value over a period is ``sum(numerator) / sum(denominator) × scale`` over the months of
the period (×100 for a percentage; a lead time is lead days ÷ decided, a wait minutes ÷ served),
never an average of monthly ratios. A KPI without denominator is the numerator's sum.

Periods follow the city's fiscal year (年度, April to March); a fiscal quarter is three months of
it (第1四半期 = April to June).

Department scope: a viewer whose VIEW_DASHBOARDS scope is their own department sees the KPIs
their department owns (and the public ones) and the breakdowns of their department's procedures
and counters only; city-wide viewers see every department and may narrow to one.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Literal

from babel.dates import format_skeleton
from django.db.models import QuerySet, Sum
from django.db.models.functions import TruncMonth
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from idx.common.dates import BABEL_LOCALES
from idx.common.models import Municipality
from idx.identity.models import Department, User
from idx.identity.policy import Action, Scope, scope_of
from idx.insights.models import (
    ApplicationMonthFact,
    Channel,
    CounterDayFact,
    EventMonthFact,
    FactsRefresh,
    Intervention,
    Kpi,
    Measure,
)
from idx.procedures.models import Procedure

Granularity = Literal["month", "quarter", "fiscal_year"]
GRANULARITIES: tuple[Granularity, ...] = ("month", "quarter", "fiscal_year")

CARD_SIGN_IN_KEY = "my_number_card"
STAFF_SIGN_IN_KEY = "staff"

# Which fact a measure sums.
APPLICATION_MEASURES = {
    Measure.APPLICATIONS,
    Measure.APPLICATIONS_ONLINE,
    Measure.APPLICATIONS_COUNTER,
    Measure.APPLICATIONS_PAPER,
    Measure.APPLICATIONS_IMPORTED,
    Measure.DECIDED,
    Measure.DECIDED_WITHIN_STANDARD,
    Measure.LEAD_DAYS,
    Measure.KEYING_MINUTES,
    Measure.KEYED,
    Measure.DECIDING_MINUTES,
    Measure.DECIDING_COUNT,
}
# The application measures kept in seconds by the facts and given in minutes.
MINUTE_MEASURES = {Measure.KEYING_MINUTES, Measure.DECIDING_MINUTES}
# The column of ``Cube.applications`` each application measure sums (submitted by default).
APPLICATION_COLUMNS = {
    Measure.DECIDED: 5,
    Measure.DECIDED_WITHIN_STANDARD: 6,
    Measure.LEAD_DAYS: 7,
    Measure.KEYING_MINUTES: 10,
    Measure.KEYED: 11,
    Measure.DECIDING_MINUTES: 12,
    Measure.DECIDING_COUNT: 13,
}
COUNTER_MEASURES = {Measure.TICKETS, Measure.SERVED, Measure.WAIT_MINUTES, Measure.WAITED_OVER_30}
EVENT_MEASURES = {Measure.ASSISTANT_QUESTIONS, Measure.ALERTS, Measure.SIGN_INS, Measure.CARD_SIGN_INS}

SCALE = {Kpi.Unit.PERCENT: Decimal(100)}
ONE_PLACE = Decimal("0.1")


# ---- months, fiscal years, periods ----------------------------------------------------------


def month_start(day: dt.date) -> dt.date:
    return day.replace(day=1)


def add_months(month: dt.date, count: int) -> dt.date:
    index = month.year * 12 + month.month - 1 + count
    return dt.date(index // 12, index % 12 + 1, 1)


def months_between(start: dt.date, end: dt.date) -> list[dt.date]:
    """The first days of the months from ``start`` (included) to ``end`` (excluded)."""
    months, month = [], month_start(start)
    while month < end:
        months.append(month)
        month = add_months(month, 1)
    return months


def fiscal_year_of(day: dt.date) -> int:
    """年度: April 2026 to March 2027 is fiscal year 2026."""
    return day.year if day.month >= 4 else day.year - 1


def fiscal_year_start(year: int) -> dt.date:
    return dt.date(year, 4, 1)


def fiscal_quarter_of(day: dt.date) -> int:
    return (day.month - 4) % 12 // 3 + 1


def last_complete_month(today: dt.date | None = None) -> dt.date:
    """The first day of the last month that has ended."""
    return add_months(month_start(today or timezone.localdate()), -1)


def month_label(month: dt.date, language: str | None = None) -> str:
    """2026年6月 in Japanese; June 2026 (CLDR) in the other languages."""
    code = (language or translation.get_language() or "ja").lower()
    if code.startswith("ja"):
        return f"{month.year}年{month.month}月"
    return str(format_skeleton("yMMMM", month, locale=BABEL_LOCALES.get(code, "en")))


def short_month_label(month: dt.date, language: str | None = None) -> str:
    """6月 / Jun: an axis tick; January shows its year (2026年1月 / Jan 2026)."""
    code = (language or translation.get_language() or "ja").lower()
    if code.startswith("ja"):
        return f"{month.year}年{month.month}月" if month.month == 1 else f"{month.month}月"
    locale = BABEL_LOCALES.get(code, "en")
    return str(format_skeleton("yMMM" if month.month == 1 else "MMM", month, locale=locale))


def fiscal_year_label(year: int) -> str:
    return _("FY%(year)s") % {"year": year}


@dataclass(frozen=True)
class Period:
    """A span of whole months: ``start`` (first day, included) to ``end`` (first day, excluded)."""

    start: dt.date
    end: dt.date
    label: str

    @property
    def months(self) -> list[dt.date]:
        return months_between(self.start, self.end)


def period_of(month: dt.date, granularity: Granularity) -> Period:
    """The month, fiscal quarter or fiscal year that holds ``month``."""
    if granularity == "month":
        return Period(month, add_months(month, 1), month_label(month))
    year = fiscal_year_of(month)
    if granularity == "quarter":
        quarter = fiscal_quarter_of(month)
        start = add_months(fiscal_year_start(year), 3 * (quarter - 1))
        label = _("FY%(year)s Q%(quarter)s") % {"year": year, "quarter": quarter}
        return Period(start, add_months(start, 3), label)
    start = fiscal_year_start(year)
    return Period(start, add_months(start, 12), fiscal_year_label(year))


def periods_between(start: dt.date, end: dt.date, granularity: Granularity) -> list[Period]:
    """The periods of ``granularity`` that cover the months from ``start`` to ``end`` (excluded),
    each cut to that range (a fiscal year still running ends at ``end``)."""
    periods: list[Period] = []
    for month in months_between(start, end):
        whole = period_of(month, granularity)
        if periods and periods[-1].label == whole.label:
            continue
        periods.append(Period(max(whole.start, start), min(whole.end, end), whole.label))
    return periods


def fiscal_year_to_date(today: dt.date | None = None) -> Period:
    """The current fiscal year up to its last complete month (the previous fiscal year, whole,
    while no month of the current one has ended yet)."""
    last = last_complete_month(today)
    year = fiscal_year_of(last)
    start, end = fiscal_year_start(year), add_months(last, 1)
    if end == add_months(start, 12):
        label = fiscal_year_label(year)
    else:
        label = _("FY%(year)s (%(first)s to %(last)s)") % {
            "year": year,
            "first": month_label(start),
            "last": month_label(last),
        }
    return Period(start, end, label)


# ---- the cube: the facts of a period, loaded once ----------------------------------------------

ApplicationRow = tuple[dt.date, str, int, str, int, int, int, int, int, int, int, int, int, int]


@dataclass
class Cube:
    """The facts of a span of months, as plain rows (see the module's text)."""

    start: dt.date
    end: dt.date
    # (month, procedure code, department id, channel, submitted, decided, within standard, lead days,
    #  reading seconds, read, keying seconds, keyed, deciding seconds, deciding count)
    applications: list[ApplicationRow] = field(default_factory=list)
    # (month, service key, department id, tickets, served, wait minutes, waited over 30)
    counters: list[tuple[dt.date, str, int, int, int, int, int]] = field(default_factory=list)
    # (month, kind, key, count)
    events: list[tuple[dt.date, str, str, int]] = field(default_factory=list)

    memo: dict[tuple[str, frozenset[str], int | None], dict[dt.date, int]] = field(default_factory=dict)

    def measure_by_month(
        self, measure: str, *, procedure_codes: Iterable[str] = (), department_id: int | None = None
    ) -> dict[dt.date, int]:
        """The sum of ``measure`` per month. Procedures narrow application measures (empty: all);
        a department narrows application and counter measures; event measures are city-wide.
        Computed once per cube for each question (a page asks the same one for every period)."""
        codes = frozenset(procedure_codes)
        key = (measure, codes, department_id)
        if key not in self.memo:
            self.memo[key] = self._measure_by_month(measure, codes, department_id)
        return self.memo[key]

    def _measure_by_month(
        self, measure: str, codes: frozenset[str], department_id: int | None
    ) -> dict[dt.date, int]:
        sums: dict[dt.date, int] = defaultdict(int)
        if measure in APPLICATION_MEASURES:
            channel = {
                Measure.APPLICATIONS_ONLINE: Channel.ONLINE,
                Measure.APPLICATIONS_COUNTER: Channel.COUNTER,
                Measure.APPLICATIONS_PAPER: Channel.PAPER,
                Measure.APPLICATIONS_IMPORTED: Channel.IMPORTED,
            }.get(Measure(measure))
            column = APPLICATION_COLUMNS.get(Measure(measure), 4)
            for row in self.applications:
                if codes and row[1] not in codes:
                    continue
                if department_id is not None and row[2] != department_id:
                    continue
                if channel is not None and row[3] != channel:
                    continue
                sums[row[0]] += int(row[column])  # type: ignore[arg-type]
            if measure in MINUTE_MEASURES:
                return {month: round(seconds / 60) for month, seconds in sums.items()}
        elif measure in COUNTER_MEASURES:
            column = {Measure.TICKETS: 3, Measure.SERVED: 4, Measure.WAIT_MINUTES: 5}.get(Measure(measure), 6)
            for counter in self.counters:
                if department_id is not None and counter[2] != department_id:
                    continue
                sums[counter[0]] += int(counter[column])  # type: ignore[arg-type]
        elif measure in EVENT_MEASURES:
            kind = {
                Measure.ASSISTANT_QUESTIONS: EventMonthFact.Kind.ASSISTANT_QUESTION,
                Measure.ALERTS: EventMonthFact.Kind.ALERT,
            }.get(Measure(measure), EventMonthFact.Kind.SIGN_IN)
            for event in self.events:
                if event[1] != kind:
                    continue
                if measure == Measure.CARD_SIGN_INS and event[2] != CARD_SIGN_IN_KEY:
                    continue
                if measure == Measure.SIGN_INS and event[2] == STAFF_SIGN_IN_KEY:
                    continue  # residents' sign-ins only: staff never use a card to sign in
                sums[event[0]] += event[3]
        return dict(sums)


def kpi_measures(kpis: Iterable[Kpi]) -> set[str]:
    """The measures some KPIs need (to load only those facts)."""
    return {measure for kpi in kpis for measure in (kpi.numerator, kpi.denominator) if measure}


def cube_load(
    *,
    municipality: Municipality,
    start: dt.date,
    end: dt.date,
    department_ids: Sequence[int] | None = None,
    measures: Iterable[str] | None = None,
) -> Cube:
    """The facts of the months from ``start`` to ``end`` (excluded): three queries at most. With
    ``department_ids``, application and counter facts of those departments only; with
    ``measures``, only the fact tables those measures sum."""
    cube = Cube(start=start, end=end)
    wanted = None if measures is None else set(measures)
    applications = ApplicationMonthFact.objects.filter(
        municipality=municipality, month__gte=start, month__lt=end
    )
    counters = CounterDayFact.objects.filter(municipality=municipality, day__gte=start, day__lt=end)
    if department_ids is not None:
        applications = applications.filter(department_id__in=department_ids)
        counters = counters.filter(department_id__in=department_ids)
    if wanted is not None and not wanted & APPLICATION_MEASURES:
        applications = applications.none()
    if wanted is not None and not wanted & COUNTER_MEASURES:
        counters = counters.none()
    cube.applications = [
        (
            row[0],
            row[1],
            row[2],
            row[3],
            row[4],
            row[5],
            row[6],
            row[7],
            row[8],
            row[9],
            row[10],
            row[11],
            row[12],
            row[13],
        )
        for row in applications.values_list(
            "month",
            "procedure__code",
            "department_id",
            "channel",
            "submitted",
            "decided",
            "decided_within_standard",
            "lead_days_sum",
            "reading_seconds_sum",
            "read",
            "keying_seconds_sum",
            "keyed",
            "deciding_seconds_sum",
            "deciding_count",
        )
    ]
    cube.counters = [
        (
            _as_date(row["month"]),
            row["service_key"],
            row["department_id"],
            row["tickets"] or 0,
            row["served"] or 0,
            row["wait"] or 0,
            row["over"] or 0,
        )
        for row in counters.annotate(month=TruncMonth("day"))
        .values("month", "service_key", "department_id")
        .annotate(
            tickets=Sum("tickets"),
            served=Sum("served"),
            wait=Sum("wait_minutes_sum"),
            over=Sum("waited_over_30"),
        )
        .order_by()
    ]
    if wanted is None or wanted & EVENT_MEASURES:
        cube.events = list(
            EventMonthFact.objects.filter(
                municipality=municipality, month__gte=start, month__lt=end
            ).values_list("month", "kind", "key", "count")
        )
    return cube


def _as_date(value: dt.date | dt.datetime) -> dt.date:
    return value.date() if isinstance(value, dt.datetime) else value


# ---- KPI values ------------------------------------------------------------------------------


@dataclass(frozen=True)
class KpiValue:
    """A KPI's value over a period, its target and whether the value meets it."""

    value: Decimal | None
    period_label: str
    target: Decimal | None
    on_track: bool | None


def ratio(numerator: int, denominator: int | None, unit: str) -> Decimal | None:
    """``numerator / denominator × scale`` to one decimal place; None when nothing was counted."""
    scale = SCALE.get(Kpi.Unit(unit), Decimal(1))
    if denominator is None:
        return Decimal(numerator).quantize(ONE_PLACE)
    if not denominator:
        return None
    return (Decimal(numerator) * scale / Decimal(denominator)).quantize(ONE_PLACE, rounding=ROUND_HALF_UP)


def on_track(kpi: Kpi, value: Decimal | None) -> bool | None:
    """Whether ``value`` meets the KPI's target in its direction; None without either."""
    if value is None or kpi.target is None:
        return None
    return value >= kpi.target if kpi.direction == Kpi.Direction.UP else value <= kpi.target


@dataclass(frozen=True)
class KpiSums:
    """The sums behind one KPI value (kept so a table can show how it was computed)."""

    numerator: int
    denominator: int | None


def kpi_procedure_codes(kpi: Kpi, procedure_code: str | None = None) -> list[str] | None:
    """The procedures a KPI counts, narrowed to ``procedure_code``; None when that procedure
    is not among the KPI's (the KPI then has no value under that filter)."""
    codes = list(kpi.procedure_codes or [])
    if procedure_code:
        if codes and procedure_code not in codes:
            return None
        return [procedure_code]
    return codes


def kpi_sums(
    cube: Cube,
    kpi: Kpi,
    months: Iterable[dt.date],
    *,
    department_id: int | None = None,
    procedure_code: str | None = None,
) -> KpiSums | None:
    codes = kpi_procedure_codes(kpi, procedure_code)
    if codes is None:
        return None
    wanted = set(months)
    numerator = cube.measure_by_month(kpi.numerator, procedure_codes=codes, department_id=department_id)
    total = sum(count for month, count in numerator.items() if month in wanted)
    if not kpi.denominator:
        return KpiSums(total, None)
    denominator = cube.measure_by_month(kpi.denominator, procedure_codes=codes, department_id=department_id)
    return KpiSums(total, sum(count for month, count in denominator.items() if month in wanted))


def kpi_value_in(
    cube: Cube,
    kpi: Kpi,
    period: Period,
    *,
    department_id: int | None = None,
    procedure_code: str | None = None,
) -> KpiValue:
    sums = kpi_sums(cube, kpi, period.months, department_id=department_id, procedure_code=procedure_code)
    value = None if sums is None else ratio(sums.numerator, sums.denominator, kpi.unit)
    return KpiValue(value=value, period_label=period.label, target=kpi.target, on_track=on_track(kpi, value))


def kpi_current_values(*, municipality: Municipality, kpis: Iterable[Kpi]) -> dict[int, KpiValue]:
    """Each KPI's value over the current fiscal year to date (April to the last complete month;
    the whole previous fiscal year in April), keyed by the KPI's id. Four queries in all."""
    kpis = list(kpis)
    period = fiscal_year_to_date()
    if not kpis:
        return {}
    cube = cube_load(
        municipality=municipality, start=period.start, end=period.end, measures=kpi_measures(kpis)
    )
    return {kpi.pk: kpi_value_in(cube, kpi, period) for kpi in kpis}


@dataclass(frozen=True)
class SeriesPoint:
    period: Period
    value: Decimal | None
    numerator: int
    denominator: int | None


def kpi_series(
    cube: Cube,
    kpi: Kpi,
    periods: Sequence[Period],
    *,
    department_id: int | None = None,
    procedure_code: str | None = None,
) -> list[SeriesPoint]:
    """The KPI per period (months, quarters or fiscal years), with the sums behind each value."""
    points = []
    for period in periods:
        sums = kpi_sums(cube, kpi, period.months, department_id=department_id, procedure_code=procedure_code)
        if sums is None:
            points.append(SeriesPoint(period, None, 0, None))
            continue
        value = ratio(sums.numerator, sums.denominator, kpi.unit)
        points.append(SeriesPoint(period, value, sums.numerator, sums.denominator))
    return points


def kpi_monthly_values(
    *,
    municipality: Municipality,
    kpi: Kpi,
    start: dt.date,
    end: dt.date,
    procedure_codes: Sequence[str] | None = None,
    cube: Cube | None = None,
) -> list[tuple[dt.date, Decimal | None, int, int | None]]:
    """The KPI's value per month from ``start`` to ``end`` (excluded), over ``procedure_codes``
    instead of the KPI's own procedures when given (the comparison group of an estimate).
    Each row: (month, value, numerator, denominator). ``cube``: facts already loaded for the span."""
    if cube is None:
        cube = cube_load(municipality=municipality, start=start, end=end, measures=kpi_measures([kpi]))
    codes = list(procedure_codes) if procedure_codes is not None else list(kpi.procedure_codes or [])
    numerator = cube.measure_by_month(kpi.numerator, procedure_codes=codes)
    denominator = cube.measure_by_month(kpi.denominator, procedure_codes=codes) if kpi.denominator else None
    rows = []
    for month in months_between(start, end):
        top = numerator.get(month, 0)
        bottom = None if denominator is None else denominator.get(month, 0)
        rows.append((month, ratio(top, bottom, kpi.unit), top, bottom))
    return rows


def facts_span(*, municipality: Municipality) -> tuple[dt.date, dt.date] | None:
    """The first and the last month that have application facts, or None."""
    months = ApplicationMonthFact.objects.filter(municipality=municipality).order_by("month")
    first = months.values_list("month", flat=True).first()
    last = months.reverse().values_list("month", flat=True).first()
    if first is None or last is None:
        return None
    return first, last


def facts_last_refresh(*, municipality: Municipality) -> FactsRefresh | None:
    return (
        FactsRefresh.objects.filter(municipality=municipality, finished_at__isnull=False)
        .order_by("-started_at")
        .first()
    )


# ---- scope -----------------------------------------------------------------------------------


def dashboard_scope(staff: User) -> Scope:
    return scope_of(staff.role, Action.VIEW_DASHBOARDS)


def kpis_for_public(*, municipality: Municipality) -> QuerySet[Kpi]:
    return Kpi.objects.filter(municipality=municipality, is_public=True).select_related("owner")


def kpis_for_staff(*, staff: User) -> QuerySet[Kpi]:
    """The KPIs a staff member sees: all of the city for city-wide viewers; their department's
    and the public ones for the others; none without VIEW_DASHBOARDS."""
    kpis = Kpi.objects.filter(municipality_id=staff.municipality_id).select_related("owner")
    scope = dashboard_scope(staff)
    if scope == Scope.ALL_DEPARTMENTS:
        return kpis
    if scope == Scope.OWN_DEPARTMENT and staff.department_id:
        return kpis.filter(owner_id=staff.department_id) | kpis.filter(is_public=True)
    return kpis.none()


def kpi_get_for_staff(*, staff: User, pk: int) -> Kpi | None:
    """One KPI in the staff member's sight, or None (not found, whatever the reason)."""
    return kpis_for_staff(staff=staff).filter(pk=pk).first()


def kpi_get_public(*, municipality: Municipality, code: str) -> Kpi | None:
    return kpis_for_public(municipality=municipality).filter(code=code).first()


def departments_for_staff(*, staff: User) -> QuerySet[Department]:
    """The departments a staff member may narrow the dashboards to."""
    departments = Department.objects.filter(municipality_id=staff.municipality_id)
    scope = dashboard_scope(staff)
    if scope == Scope.ALL_DEPARTMENTS:
        return departments
    if scope == Scope.OWN_DEPARTMENT and staff.department_id:
        return departments.filter(pk=staff.department_id)
    return departments.none()


def department_ids_in_scope(*, staff: User, department_id: int | None = None) -> list[int] | None:
    """The departments whose facts the staff member sees (None: all, unnarrowed); narrowed to
    ``department_id`` when that one is in scope, else to nothing (an empty list)."""
    scope = dashboard_scope(staff)
    if scope == Scope.ALL_DEPARTMENTS:
        if department_id is None:
            return None
        exists = Department.objects.filter(municipality_id=staff.municipality_id, pk=department_id).exists()
        return [department_id] if exists else []
    if scope == Scope.OWN_DEPARTMENT and staff.department_id:
        if department_id is not None and department_id != staff.department_id:
            return []
        return [staff.department_id]
    return []


def procedures_for_staff(*, staff: User) -> QuerySet[Procedure]:
    """The procedures a staff member may narrow the dashboards to."""
    procedures = Procedure.objects.filter(municipality_id=staff.municipality_id).order_by(
        "department__code", "code"
    )
    ids = department_ids_in_scope(staff=staff)
    return procedures if ids is None else procedures.filter(department_id__in=ids)


def interventions_for_staff(*, staff: User, kpi: Kpi | None = None) -> QuerySet[Intervention]:
    """Interventions in sight: the city's for city-wide viewers, else their department's and
    those linked to a KPI they see."""
    interventions = Intervention.objects.filter(municipality_id=staff.municipality_id).select_related(
        "department"
    )
    if kpi is not None:
        interventions = interventions.filter(kpis=kpi)
    scope = dashboard_scope(staff)
    if scope == Scope.ALL_DEPARTMENTS:
        return interventions
    if scope == Scope.OWN_DEPARTMENT and staff.department_id:
        visible = kpis_for_staff(staff=staff).values("pk")
        return (
            interventions.filter(department_id=staff.department_id) | interventions.filter(kpis__in=visible)
        ).distinct()
    return interventions.none()


def intervention_get_for_staff(*, staff: User, pk: int) -> Intervention | None:
    return interventions_for_staff(staff=staff).filter(pk=pk).first()
