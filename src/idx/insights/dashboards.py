"""What the dashboards show, assembled from one cube of facts (see ``selectors``).

``dashboard_for_staff`` gives the back office's page (narrowed to the viewer's departments),
``dashboard_public`` the public subset (public KPIs only, city-wide, no department figures).
Every table here is also what the page's CSV download contains, row for row.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import F
from django.utils.translation import gettext as _

from idx.common.models import Municipality
from idx.identity.models import User
from idx.insights.models import Channel, FactsRefresh, Intervention, Kpi
from idx.insights.selectors import (
    GRANULARITIES,
    Cube,
    Granularity,
    KpiValue,
    Period,
    SeriesPoint,
    add_months,
    cube_load,
    department_ids_in_scope,
    facts_last_refresh,
    interventions_for_staff,
    kpi_measures,
    kpi_series,
    kpi_value_in,
    kpis_for_public,
    kpis_for_staff,
    last_complete_month,
    month_start,
    months_between,
    periods_between,
    ratio,
)
from idx.procedures.models import Procedure


@dataclass(frozen=True)
class Filters:
    """The dashboards' GET form, parsed: months ``start`` to ``end`` (excluded), how they are
    grouped, and optionally one department and one procedure."""

    start: dt.date
    end: dt.date
    granularity: Granularity = "month"
    department_id: int | None = None
    procedure_code: str | None = None

    @property
    def last_month(self) -> dt.date:
        return add_months(self.end, -1)


def filters_default(today: dt.date | None = None) -> Filters:
    """The last twelve complete months, month by month."""
    last = last_complete_month(today)
    return Filters(start=add_months(last, -11), end=add_months(last, 1))


def filters_parse(
    *,
    start: str | None,
    end: str | None,
    granularity: str | None,
    department: str | None,
    procedure: str | None,
    today: dt.date | None = None,
) -> Filters:
    """Filters from the GET form (``2026-06`` months); what does not parse falls back to the
    default, a range given backwards is turned round, and at most 60 months are shown."""
    default = filters_default(today)

    def month(text: str | None) -> dt.date | None:
        try:
            year, number = (int(part) for part in (text or "").split("-")[:2])
            return dt.date(year, number, 1)
        except ValueError:
            return None

    first = month(start) or default.start
    last = month(end) or default.last_month
    if last < first:
        first, last = last, first
    last = (
        min(last, default.last_month) if last > default.last_month and first <= default.last_month else last
    )
    first = max(first, add_months(last, -59))
    chosen: Granularity = "month"
    for candidate in GRANULARITIES:
        if granularity == candidate:
            chosen = candidate
    department_id = int(department) if department and department.isdigit() else None
    return Filters(
        start=first,
        end=add_months(last, 1),
        granularity=chosen,
        department_id=department_id,
        procedure_code=(procedure or "").strip() or None,
    )


@dataclass
class KpiCard:
    kpi: Kpi
    value: KpiValue
    series: list[SeriesPoint]


@dataclass(frozen=True)
class ChannelRow:
    period: Period
    online: int
    counter: int
    paper: int
    imported: int = 0  # rows of another system's file (idx.imports)

    @property
    def total(self) -> int:
        return self.online + self.counter + self.paper + self.imported

    @property
    def online_share(self) -> Decimal | None:
        return ratio(self.online, self.total, Kpi.Unit.PERCENT)


@dataclass(frozen=True)
class LeadRow:
    procedure_code: str
    procedure_name: str
    department_name: str
    standard_days: int | None
    decided: int
    average_days: Decimal | None
    within_standard_share: Decimal | None


@dataclass(frozen=True)
class StaffTimeRow:
    """Staff time per case through one channel: the sums behind each average, None where the
    step does not apply to the channel (nothing is read or keyed of an online application)."""

    channel: str
    applications: int
    reading_seconds: int | None
    read: int
    keying_seconds: int | None
    keyed: int
    deciding_seconds: int
    deciding_count: int

    @property
    def label(self) -> str:
        return str(Channel(self.channel).label)

    @property
    def reading_per_form(self) -> Decimal | None:
        """Seconds of machine reading per paper form."""
        return (
            None if self.reading_seconds is None else ratio(self.reading_seconds, self.read, Kpi.Unit.COUNT)
        )

    @property
    def keying_minutes(self) -> Decimal | None:
        """Minutes a clerk spent putting one application in, where known."""
        if self.keying_seconds is None:
            return None
        return ratio(self.keying_seconds, self.keyed * 60, Kpi.Unit.MINUTES)

    @property
    def deciding_average_seconds(self) -> int | None:
        """Seconds from the first opening for review to the decision, on average."""
        return round(self.deciding_seconds / self.deciding_count) if self.deciding_count else None


# The steps each channel has: paper forms are read by machine and verified by a clerk; a clerk
# fills in a counter application; online and imported applications are not keyed by staff.
READ_CHANNELS = {Channel.PAPER}
KEYED_CHANNELS = {Channel.PAPER, Channel.COUNTER}


@dataclass(frozen=True)
class WaitRow:
    period: Period
    tickets: int
    served: int
    average_minutes: Decimal | None
    over_30_share: Decimal | None


@dataclass(frozen=True)
class SignInRow:
    period: Period
    card: int
    total: int
    card_share: Decimal | None


@dataclass
class Dashboard:
    filters: Filters
    periods: list[Period]
    cards: list[KpiCard] = field(default_factory=list)
    channels: list[ChannelRow] = field(default_factory=list)
    lead_times: list[LeadRow] = field(default_factory=list)
    waits: list[WaitRow] = field(default_factory=list)
    staff_times: list[StaffTimeRow] = field(default_factory=list)
    sign_ins: list[SignInRow] = field(default_factory=list)
    last_refresh: FactsRefresh | None = None
    whole: Period | None = None


def _whole(filters: Filters) -> Period:
    from idx.insights.selectors import month_label

    label = (
        month_label(filters.start)
        if filters.start == filters.last_month
        else _("%(first)s to %(last)s")
        % {"first": month_label(filters.start), "last": month_label(filters.last_month)}
    )
    return Period(filters.start, filters.end, label)


def _cards(
    cube: Cube, kpis: list[Kpi], filters: Filters, periods: list[Period], whole: Period
) -> list[KpiCard]:
    return [
        KpiCard(
            kpi=kpi,
            value=kpi_value_in(
                cube, kpi, whole, department_id=filters.department_id, procedure_code=filters.procedure_code
            ),
            series=kpi_series(
                cube, kpi, periods, department_id=filters.department_id, procedure_code=filters.procedure_code
            ),
        )
        for kpi in kpis
    ]


def _channels(cube: Cube, filters: Filters, periods: list[Period]) -> list[ChannelRow]:
    by_month: dict[tuple[dt.date, str], int] = defaultdict(int)
    for month, code, department_id, channel, submitted, *_rest in cube.applications:
        if filters.procedure_code and code != filters.procedure_code:
            continue
        if filters.department_id is not None and department_id != filters.department_id:
            continue
        by_month[(month, channel)] += submitted
    rows = []
    for period in periods:
        counts = {
            channel: sum(by_month.get((month, channel), 0) for month in period.months)
            for channel in Channel.values
        }
        rows.append(
            ChannelRow(
                period,
                counts[Channel.ONLINE],
                counts[Channel.COUNTER],
                counts[Channel.PAPER],
                counts[Channel.IMPORTED],
            )
        )
    return rows


def _lead_times(cube: Cube, municipality: Municipality, filters: Filters) -> list[LeadRow]:
    sums: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])
    for (
        _month,
        code,
        department_id,
        _channel,
        _submitted,
        decided,
        within,
        lead,
        *_times,
    ) in cube.applications:
        if filters.procedure_code and code != filters.procedure_code:
            continue
        if filters.department_id is not None and department_id != filters.department_id:
            continue
        sums[code][0] += decided
        sums[code][1] += within
        sums[code][2] += lead
    procedures = Procedure.objects.filter(municipality=municipality, code__in=list(sums)).values_list(
        "code", "names", F("department__name"), "published_version__definition__processing_days"
    )
    rows = []
    for code, names, department_name, standard in procedures:
        decided, within, lead = sums[code]
        rows.append(
            LeadRow(
                procedure_code=code,
                procedure_name=(names or {}).get("ja", code),
                department_name=department_name,
                standard_days=int(standard) if standard is not None else None,
                decided=decided,
                average_days=ratio(lead, decided, Kpi.Unit.DAYS),
                within_standard_share=ratio(within, decided, Kpi.Unit.PERCENT),
            )
        )
    return sorted(rows, key=lambda row: (row.department_name, row.procedure_code))


def _staff_times(cube: Cube, filters: Filters) -> list[StaffTimeRow]:
    """Staff time per case over the whole span, one row per channel (online, counter, paper,
    imported)."""
    sums: dict[str, list[int]] = defaultdict(lambda: [0] * 7)
    for row in cube.applications:
        _month, code, department_id, channel, submitted = row[:5]
        if filters.procedure_code and code != filters.procedure_code:
            continue
        if filters.department_id is not None and department_id != filters.department_id:
            continue
        values = sums[channel]
        for index, value in enumerate((submitted, *row[8:14])):
            values[index] += value
    rows = []
    for channel in (Channel.ONLINE, Channel.COUNTER, Channel.PAPER, Channel.IMPORTED):
        submitted, reading, read, keying, keyed, deciding, deciding_count = sums[channel.value]
        rows.append(
            StaffTimeRow(
                channel=channel.value,
                applications=submitted,
                reading_seconds=reading if channel in READ_CHANNELS else None,
                read=read,
                keying_seconds=keying if channel in KEYED_CHANNELS else None,
                keyed=keyed,
                deciding_seconds=deciding,
                deciding_count=deciding_count,
            )
        )
    return rows


def _waits(cube: Cube, filters: Filters, periods: list[Period]) -> list[WaitRow]:
    by_month: dict[dt.date, list[int]] = defaultdict(lambda: [0, 0, 0, 0])
    for month, _service, department_id, tickets, served, wait, over in cube.counters:
        if filters.department_id is not None and department_id != filters.department_id:
            continue
        values = by_month[month]
        values[0] += tickets
        values[1] += served
        values[2] += wait
        values[3] += over
    rows = []
    for period in periods:
        tickets, served, wait, over = (
            sum(by_month[month][index] for month in period.months if month in by_month) for index in range(4)
        )
        rows.append(
            WaitRow(
                period,
                tickets,
                served,
                ratio(wait, served, Kpi.Unit.MINUTES),
                ratio(over, served, Kpi.Unit.PERCENT),
            )
        )
    return rows


def _sign_ins(cube: Cube, periods: list[Period]) -> list[SignInRow]:
    from idx.insights.models import Measure

    card = cube.measure_by_month(Measure.CARD_SIGN_INS)
    total = cube.measure_by_month(Measure.SIGN_INS)
    rows = []
    for period in periods:
        card_count = sum(card.get(month, 0) for month in period.months)
        total_count = sum(total.get(month, 0) for month in period.months)
        rows.append(
            SignInRow(period, card_count, total_count, ratio(card_count, total_count, Kpi.Unit.PERCENT))
        )
    return rows


def dashboard_for_staff(*, staff: User, filters: Filters) -> Dashboard:
    """The back office's dashboards for ``staff`` (see the module's text): about six queries."""
    department_ids = department_ids_in_scope(staff=staff, department_id=filters.department_id)
    periods = periods_between(filters.start, filters.end, filters.granularity)
    whole = _whole(filters)
    board = Dashboard(filters=filters, periods=periods, whole=whole)
    municipality = staff.municipality
    cube = cube_load(
        municipality=municipality, start=filters.start, end=filters.end, department_ids=department_ids
    )
    board.cards = _cards(cube, list(kpis_for_staff(staff=staff)), filters, periods, whole)
    board.channels = _channels(cube, filters, periods)
    board.lead_times = _lead_times(cube, municipality, filters)
    board.waits = _waits(cube, filters, periods)
    board.staff_times = _staff_times(cube, filters)
    board.sign_ins = _sign_ins(cube, periods)
    board.last_refresh = facts_last_refresh(municipality=municipality)
    return board


def dashboard_public(*, municipality: Municipality, filters: Filters) -> Dashboard:
    """The public subset: KPIs marked public, city-wide, with their series (no department or
    procedure filter, no lead-time table by department)."""
    filters = Filters(start=filters.start, end=filters.end, granularity=filters.granularity)
    periods = periods_between(filters.start, filters.end, filters.granularity)
    whole = _whole(filters)
    board = Dashboard(filters=filters, periods=periods, whole=whole)
    kpis = list(kpis_for_public(municipality=municipality))
    cube = cube_load(
        municipality=municipality, start=filters.start, end=filters.end, measures=kpi_measures(kpis)
    )
    board.cards = _cards(cube, kpis, filters, periods, whole)
    board.last_refresh = facts_last_refresh(municipality=municipality)
    return board


@dataclass
class KpiDetail:
    kpi: Kpi
    filters: Filters
    periods: list[Period]
    value: KpiValue
    series: list[SeriesPoint]
    interventions: list[Intervention]


def kpi_detail_for_staff(*, staff: User, kpi: Kpi, filters: Filters) -> KpiDetail:
    """One KPI over the filters' months (by default from two years back, for the effects)."""
    department_ids = department_ids_in_scope(staff=staff, department_id=filters.department_id)
    periods = periods_between(filters.start, filters.end, filters.granularity)
    cube = cube_load(
        municipality=staff.municipality,
        start=filters.start,
        end=filters.end,
        department_ids=department_ids,
        measures=kpi_measures([kpi]),
    )
    whole = _whole(filters)
    return KpiDetail(
        kpi=kpi,
        filters=filters,
        periods=periods,
        value=kpi_value_in(
            cube, kpi, whole, department_id=filters.department_id, procedure_code=filters.procedure_code
        ),
        series=kpi_series(
            cube, kpi, periods, department_id=filters.department_id, procedure_code=filters.procedure_code
        ),
        interventions=list(interventions_for_staff(staff=staff, kpi=kpi).prefetch_related("kpis")),
    )


def kpi_detail_public(*, municipality: Municipality, kpi: Kpi, filters: Filters) -> KpiDetail:
    periods = periods_between(filters.start, filters.end, filters.granularity)
    cube = cube_load(
        municipality=municipality, start=filters.start, end=filters.end, measures=kpi_measures([kpi])
    )
    whole = _whole(filters)
    return KpiDetail(
        kpi=kpi,
        filters=filters,
        periods=periods,
        value=kpi_value_in(cube, kpi, whole),
        series=kpi_series(cube, kpi, periods),
        interventions=[],
    )


def marker_index(periods: list[Period], day: dt.date) -> float | None:
    """Where on a series of periods a day falls (a fraction into its period), or None."""
    for index, period in enumerate(periods):
        if period.start <= day < period.end:
            months = months_between(period.start, period.end)
            within = months.index(month_start(day)) + (day.day - 1) / 31
            return index + within / max(1, len(months)) - 0.5 + 0.5 / max(1, len(months))
    return None
