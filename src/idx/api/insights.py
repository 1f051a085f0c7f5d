"""KPIs, dashboards and interventions in the JSON API.

Added to the API by ``idx.api.v1`` after its own routers.

Public (no sign-in): the KPIs the city marked public, with their current value and series.
Staff (VIEW_DASHBOARDS, narrowed to the department scope like the pages): KPIs, a KPI's series
by month / quarter / fiscal year with filters, the channel mix, staff time per case and
channel, the intervention log and an intervention's estimated effect on a KPI. Staff with
EDIT_KPIS create KPIs and log interventions; a refusal answers 422 (403 outside their
departments) with the field it concerns.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any, Literal

from ninja import Field, Router, Schema
from ninja.errors import HttpError

from idx.api.base import ApiRequest, ErrorOut, domain_error, require_staff
from idx.common.i18n import pick
from idx.common.replica import reading_from_replica
from idx.identity.models import Department
from idx.identity.policy import Action, can
from idx.insights.dashboards import (
    KpiDetail,
    dashboard_for_staff,
    filters_parse,
    kpi_detail_for_staff,
    kpi_detail_public,
)
from idx.insights.models import Intervention, Kpi
from idx.insights.selectors import (
    intervention_get_for_staff,
    interventions_for_staff,
    kpi_current_values,
    kpi_get_for_staff,
    kpi_get_public,
    kpis_for_public,
    kpis_for_staff,
)
from idx.insights.services import (
    InsightsForbidden,
    InsightsRefused,
    InterventionData,
    KpiData,
    intervention_log,
    kpi_create,
)

router: Router = Router(tags=["insights"], auth=None)
staff: Router = Router(tags=["staff"])


class KpiOut(Schema):
    code: str
    name: str = Field(description="in the language asked for (Accept-Language), else Japanese")
    names: dict[str, str]
    unit: Literal["percent", "days", "minutes", "count"]
    direction: Literal["up", "down"]
    target: Decimal | None
    target_fiscal_year: int | None
    value: Decimal | None = Field(description="over the current fiscal year to date")
    period: str = Field(description="the period of ``value`` in words")
    on_track: bool | None


class StaffKpiOut(KpiOut):
    id: int
    numerator: str
    denominator: str
    procedures: list[str]
    owner: str = Field(description="the department's code")
    public: bool


class PointOut(Schema):
    period: str
    start: dt.date
    end: dt.date = Field(description="the first day after the period")
    value: Decimal | None
    numerator: int
    denominator: int | None


class SeriesOut(Schema):
    kpi: str
    unit: str
    granularity: Literal["month", "quarter", "fiscal_year"]
    points: list[PointOut]


class ChannelOut(Schema):
    period: str
    start: dt.date
    online: int
    counter: int
    paper: int
    imported: int = Field(description="rows of another system's file taken in by a bulk import")
    online_share: Decimal | None


class StaffTimeOut(Schema):
    channel: Literal["online", "counter", "paper", "imported"]
    label: str = Field(description="the channel in words, in the language asked for")
    applications: int = Field(description="submitted in the period through this channel")
    reading_seconds_per_form: Decimal | None = Field(
        description="the machine's seconds reading one paper form; null where nothing is read"
    )
    forms_read: int
    keying_minutes_per_application: Decimal | None = Field(
        description=(
            "a clerk's minutes putting one application in (verifying a read paper form, filling it "
            "in at the counter); null for online and imported applications or when not measured"
        )
    )
    applications_keyed: int
    review_to_decision_seconds: int | None = Field(
        description=(
            "average seconds from the first opening for review to the decision (wall-clock time, "
            "not working time); null when no decided case was reviewed"
        )
    )
    review_to_decision: str = Field(description="the same in words (2時間15分), an em dash when unknown")
    decided_after_review: int


class InterventionOut(Schema):
    id: int
    title: str
    titles: dict[str, str]
    started_on: dt.date
    department: str
    kpis: list[str]
    procedures: list[str]
    comparison_procedures: list[str]


class EstimateOut(Schema):
    method: Literal["its", "did"] = Field(description="interrupted time series or difference-in-differences")
    effect: float
    low: float = Field(description="95% confidence interval, lower end")
    high: float
    p_value: float


class EffectOut(Schema):
    kpi: str
    intervention: int
    start_month: dt.date
    months_before: int
    months_after: int
    reliable: bool = Field(description="false when too few months: no estimate is given")
    interrupted_time_series: EstimateOut | None
    difference_in_differences: EstimateOut | None
    explanation: dict[str, str] = Field(description='{"ja": …, "en": …}')
    caveats: dict[str, list[str]]


class KpiIn(Schema):
    code: str = Field(min_length=1, max_length=60, pattern=r"^[-a-z0-9_]+$")
    names: dict[str, str]
    numerator: str
    denominator: str = ""
    unit: Literal["percent", "days", "minutes", "count"] = "percent"
    procedures: list[str] = []
    target: Decimal | None = None
    target_fiscal_year: int | None = None
    direction: Literal["up", "down"] = "up"
    owner: str = Field(description="the department's code")
    public: bool = False


class InterventionIn(Schema):
    titles: dict[str, str]
    descriptions: dict[str, str] = {}
    started_on: dt.date
    department: str = Field(description="the department's code")
    kpis: list[str] = Field(default=[], description="KPI codes")
    procedures: list[str] = []
    comparison_procedures: list[str] = []


def _kpi_out(kpi: Kpi, values: dict[int, Any]) -> dict[str, Any]:
    value = values.get(kpi.pk)
    return {
        "code": kpi.code,
        "name": pick(kpi.names),
        "names": kpi.names,
        "unit": kpi.unit,
        "direction": kpi.direction,
        "target": kpi.target,
        "target_fiscal_year": kpi.target_fiscal_year,
        "value": value.value if value else None,
        "period": value.period_label if value else "",
        "on_track": value.on_track if value else None,
    }


def _staff_kpi_out(kpi: Kpi, values: dict[int, Any]) -> dict[str, Any]:
    return _kpi_out(kpi, values) | {
        "id": kpi.pk,
        "numerator": kpi.numerator,
        "denominator": kpi.denominator,
        "procedures": list(kpi.procedure_codes or []),
        "owner": kpi.owner.code,
        "public": kpi.is_public,
    }


def _series_out(detail: KpiDetail) -> dict[str, Any]:
    return {
        "kpi": detail.kpi.code,
        "unit": detail.kpi.unit,
        "granularity": detail.filters.granularity,
        "points": [
            {
                "period": point.period.label,
                "start": point.period.start,
                "end": point.period.end,
                "value": point.value,
                "numerator": point.numerator,
                "denominator": point.denominator,
            }
            for point in detail.series
        ],
    }


def _intervention_out(intervention: Intervention) -> dict[str, Any]:
    return {
        "id": intervention.pk,
        "title": intervention.title,
        "titles": intervention.titles,
        "started_on": intervention.started_on,
        "department": intervention.department.code,
        "kpis": [kpi.code for kpi in intervention.kpis.all()],
        "procedures": intervention.procedure_codes,
        "comparison_procedures": intervention.comparison_procedure_codes,
    }


# ---- public -----------------------------------------------------------------------------------


@router.get("/insights/kpis", response=list[KpiOut], auth=None)
def public_kpis(request: ApiRequest) -> Any:
    """The KPIs the city publishes, each with its value over the current fiscal year to date."""
    with reading_from_replica():
        kpis = list(kpis_for_public(municipality=request.municipality))
        values = kpi_current_values(municipality=request.municipality, kpis=kpis)
        return [_kpi_out(kpi, values) for kpi in kpis]


@router.get("/insights/kpis/{code}/series", response={200: SeriesOut, 404: ErrorOut}, auth=None)
def public_kpi_series(
    request: ApiRequest,
    code: str,
    start: str | None = None,
    end: str | None = None,
    granularity: Literal["month", "quarter", "fiscal_year"] = "month",
) -> Any:
    """A public KPI per month (or fiscal quarter or year) over ``start`` to ``end`` (``2026-06``)."""
    with reading_from_replica():
        kpi = kpi_get_public(municipality=request.municipality, code=code)
        if kpi is None:
            raise HttpError(404, "No such KPI.")
        filters = filters_parse(
            start=start, end=end, granularity=granularity, department=None, procedure=None
        )
        return _series_out(kpi_detail_public(municipality=request.municipality, kpi=kpi, filters=filters))


# ---- staff ------------------------------------------------------------------------------------


def _dashboard_staff(request: ApiRequest) -> Any:
    user = require_staff(request)
    if not can(user, Action.VIEW_DASHBOARDS):
        raise HttpError(403, "You may not see the dashboards.")
    return user


@staff.get("/insights/kpis", response=list[StaffKpiOut])
def staff_kpis(request: ApiRequest) -> Any:
    """The KPIs in the staff member's sight, with their value over the fiscal year to date."""
    with reading_from_replica():
        user = _dashboard_staff(request)
        kpis = list(kpis_for_staff(staff=user))
        values = kpi_current_values(municipality=user.municipality, kpis=kpis)
        return [_staff_kpi_out(kpi, values) for kpi in kpis]


@staff.get("/insights/kpis/{kpi_id}/series", response={200: SeriesOut, 404: ErrorOut})
def staff_kpi_series(
    request: ApiRequest,
    kpi_id: int,
    start: str | None = None,
    end: str | None = None,
    granularity: Literal["month", "quarter", "fiscal_year"] = "month",
    department: int | None = None,
    procedure: str | None = None,
) -> Any:
    with reading_from_replica():
        user = _dashboard_staff(request)
        kpi = kpi_get_for_staff(staff=user, pk=kpi_id)
        if kpi is None:
            raise HttpError(404, "No such KPI.")
        filters = filters_parse(
            start=start,
            end=end,
            granularity=granularity,
            department=str(department) if department is not None else None,
            procedure=procedure,
        )
        return _series_out(kpi_detail_for_staff(staff=user, kpi=kpi, filters=filters))


@staff.get("/insights/staff-time", response=list[StaffTimeOut])
def staff_staff_time(
    request: ApiRequest,
    start: str | None = None,
    end: str | None = None,
    department: int | None = None,
    procedure: str | None = None,
) -> Any:
    """Staff time per case over the months from ``start`` to ``end``, one row per channel:
    machine reading, keying or verifying by staff, review to decision."""
    with reading_from_replica():
        from idx.insights.presentation import duration_text

        user = _dashboard_staff(request)
        filters = filters_parse(
            start=start,
            end=end,
            granularity="month",
            department=str(department) if department is not None else None,
            procedure=procedure,
        )
        board = dashboard_for_staff(staff=user, filters=filters)
        return [
            {
                "channel": row.channel,
                "label": row.label,
                "applications": row.applications,
                "reading_seconds_per_form": row.reading_per_form,
                "forms_read": row.read,
                "keying_minutes_per_application": row.keying_minutes,
                "applications_keyed": row.keyed,
                "review_to_decision_seconds": row.deciding_average_seconds,
                "review_to_decision": duration_text(row.deciding_average_seconds),
                "decided_after_review": row.deciding_count,
            }
            for row in board.staff_times
        ]


@staff.get("/insights/channels", response=list[ChannelOut])
def staff_channels(
    request: ApiRequest,
    start: str | None = None,
    end: str | None = None,
    granularity: Literal["month", "quarter", "fiscal_year"] = "month",
    department: int | None = None,
    procedure: str | None = None,
) -> Any:
    """Applications per period and channel (online, at the counter, on paper, imported)."""
    with reading_from_replica():
        user = _dashboard_staff(request)
        filters = filters_parse(
            start=start,
            end=end,
            granularity=granularity,
            department=str(department) if department is not None else None,
            procedure=procedure,
        )
        board = dashboard_for_staff(staff=user, filters=filters)
        return [
            {
                "period": row.period.label,
                "start": row.period.start,
                "online": row.online,
                "counter": row.counter,
                "paper": row.paper,
                "imported": row.imported,
                "online_share": row.online_share,
            }
            for row in board.channels
        ]


@staff.get("/insights/interventions", response=list[InterventionOut])
def staff_interventions(request: ApiRequest) -> Any:
    with reading_from_replica():
        user = _dashboard_staff(request)
        interventions = interventions_for_staff(staff=user).prefetch_related("kpis")
        return [_intervention_out(intervention) for intervention in interventions[:500]]


@staff.get(
    "/insights/interventions/{intervention_id}/effect",
    response={200: EffectOut, 404: ErrorOut},
)
def staff_intervention_effect(request: ApiRequest, intervention_id: int, kpi: str) -> Any:
    """The intervention's estimated effect on one KPI (by code), with its interval and caveats."""
    with reading_from_replica():
        from idx.insights.effects import effect_estimate

        user = _dashboard_staff(request)
        intervention = intervention_get_for_staff(staff=user, pk=intervention_id)
        chosen = kpis_for_staff(staff=user).filter(code=kpi).first()
        if intervention is None or chosen is None:
            raise HttpError(404, "No such intervention or KPI.")
        report = effect_estimate(kpi=chosen, intervention=intervention)

        def estimate(value: Any) -> dict[str, Any] | None:
            if value is None:
                return None
            return {
                "method": value.method,
                "effect": round(value.effect, 2),
                "low": round(value.low, 2),
                "high": round(value.high, 2),
                "p_value": round(value.p_value, 4),
            }

        return {
            "kpi": chosen.code,
            "intervention": intervention.pk,
            "start_month": report.start_month,
            "months_before": report.months_before,
            "months_after": report.months_after,
            "reliable": report.reliable,
            "interrupted_time_series": estimate(report.its),
            "difference_in_differences": estimate(report.did),
            "explanation": report.explanations,
            "caveats": report.caveats_by_language,
        }


def _department(user: Any, code: str) -> Department | None:
    return Department.objects.filter(municipality_id=user.municipality_id, code=code).first()


@staff.post("/insights/kpis", response={201: StaffKpiOut, 403: ErrorOut, 422: ErrorOut})
def staff_kpi_create(request: ApiRequest, payload: KpiIn) -> Any:
    user = require_staff(request)
    if not can(user, Action.EDIT_KPIS):
        raise HttpError(403, "You may not define KPIs.")
    try:
        kpi = kpi_create(
            actor=user,
            data=KpiData(
                code=payload.code,
                names=payload.names,
                numerator=payload.numerator,
                denominator=payload.denominator,
                unit=payload.unit,
                procedure_codes=payload.procedures,
                target=payload.target,
                target_fiscal_year=payload.target_fiscal_year,
                direction=payload.direction,
                owner=_department(user, payload.owner),
                is_public=payload.public,
            ),
        )
    except (InsightsRefused, InsightsForbidden) as exc:
        return domain_error(request, exc)
    return 201, _staff_kpi_out(kpi, kpi_current_values(municipality=user.municipality, kpis=[kpi]))


@staff.post("/insights/interventions", response={201: InterventionOut, 403: ErrorOut, 422: ErrorOut})
def staff_intervention_log(request: ApiRequest, payload: InterventionIn) -> Any:
    user = require_staff(request)
    if not can(user, Action.EDIT_KPIS):
        raise HttpError(403, "You may not log interventions.")
    kpis = list(kpis_for_staff(staff=user).filter(code__in=payload.kpis))
    if len(kpis) != len(set(payload.kpis)):
        return domain_error(request, InsightsRefused(message="No such KPI.", field="kpis"))
    try:
        intervention = intervention_log(
            actor=user,
            data=InterventionData(
                titles=payload.titles,
                descriptions=payload.descriptions,
                started_on=payload.started_on,
                department=_department(user, payload.department),
                kpis=kpis,
                procedure_codes=payload.procedures,
                comparison_procedure_codes=payload.comparison_procedures,
            ),
        )
    except (InsightsRefused, InsightsForbidden) as exc:
        return domain_error(request, exc)
    return 201, _intervention_out(intervention)
