"""Writes of the EBPM side of insights: KPIs defined as data, and the intervention log.

(The facts' nightly rebuild has its own module, ``idx.insights.facts``.) Each service checks
EDIT_KPIS for the department concerned, validates what it is given (an error names the field),
writes in one transaction and records an audit entry in the same transaction.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from idx.audit.services import audit_record
from idx.common.errors import DomainError
from idx.identity.models import Department, User
from idx.identity.policy import Action, can
from idx.insights.models import Intervention, Kpi, Measure
from idx.procedures.models import Procedure


class InsightsRefused(DomainError):
    """A KPI or an intervention as given cannot be saved; ``field`` names what to fix."""

    code = "insights_refused"
    http_status = 422


class InsightsForbidden(DomainError):
    """The staff member may not define KPIs or log interventions for that department."""

    code = "forbidden"
    http_status = 403
    message = _("You may not change KPIs or interventions of this department.")


@dataclass
class KpiData:
    """What a KPI form or API call gives (see ``Kpi`` for the meaning of each field)."""

    code: str
    names: dict[str, str]
    numerator: str
    denominator: str = ""
    unit: str = Kpi.Unit.PERCENT
    procedure_codes: list[str] = field(default_factory=list)
    target: Decimal | None = None
    target_fiscal_year: int | None = None
    direction: str = Kpi.Direction.UP
    owner: Department | None = None
    is_public: bool = False
    descriptions: dict[str, str] = field(default_factory=dict)
    position: int = 0


@dataclass
class InterventionData:
    titles: dict[str, str]
    started_on: dt.date
    department: Department | None
    descriptions: dict[str, str] = field(default_factory=dict)
    kpis: Sequence[Kpi] = ()
    procedure_codes: list[str] = field(default_factory=list)
    comparison_procedure_codes: list[str] = field(default_factory=list)


def _texts(texts: Mapping[str, str]) -> dict[str, str]:
    return {language: text.strip() for language, text in texts.items() if text and text.strip()}


def _check_procedures(municipality_id: int, codes: Sequence[str], field_name: str) -> list[str]:
    codes = list(dict.fromkeys(code.strip() for code in codes if code.strip()))
    known = set(
        Procedure.objects.filter(municipality_id=municipality_id, code__in=codes).values_list(
            "code", flat=True
        )
    )
    unknown = [code for code in codes if code not in known]
    if unknown:
        raise InsightsRefused(
            message=_("There is no procedure %(codes)s."),
            field=field_name,
            params={"codes": "、".join(unknown)},
        )
    return codes


def _check_department(actor: User, department: Department | None, field_name: str) -> Department:
    if department is None:
        raise InsightsRefused(message=_("Choose the department in charge."), field=field_name)
    if department.municipality_id != actor.municipality_id or not can(actor, Action.EDIT_KPIS, department):
        raise InsightsForbidden(field=field_name)
    return department


def _kpi_checked(*, actor: User, data: KpiData, kpi: Kpi | None) -> dict[str, Any]:
    names = _texts(data.names)
    if not names.get("ja"):
        raise InsightsRefused(message=_("Enter the KPI's name in Japanese."), field="name_ja")
    code = data.code.strip()
    if not code:
        raise InsightsRefused(message=_("Enter a short code for the KPI."), field="code")
    duplicate = Kpi.objects.filter(municipality_id=actor.municipality_id, code=code)
    if kpi is not None:
        duplicate = duplicate.exclude(pk=kpi.pk)
    if duplicate.exists():
        raise InsightsRefused(message=_("Another KPI already has this code."), field="code")
    if data.numerator not in Measure.values:
        raise InsightsRefused(message=_("Choose what is counted."), field="numerator")
    if data.denominator and data.denominator not in Measure.values:
        raise InsightsRefused(message=_("Choose what it is divided by."), field="denominator")
    if data.denominator and data.denominator == data.numerator:
        raise InsightsRefused(
            message=_("Divide by something other than what is counted."), field="denominator"
        )
    if data.unit not in Kpi.Unit.values:
        raise InsightsRefused(message=_("Choose the unit."), field="unit")
    if data.unit == Kpi.Unit.PERCENT and not data.denominator:
        raise InsightsRefused(message=_("A percentage needs something to divide by."), field="denominator")
    if data.direction not in Kpi.Direction.values:
        raise InsightsRefused(message=_("Choose whether higher or lower is better."), field="direction")
    if data.target is not None and data.target < 0:
        raise InsightsRefused(message=_("The target cannot be negative."), field="target")
    if data.target is not None and data.unit == Kpi.Unit.PERCENT and data.target > 100:
        raise InsightsRefused(message=_("A percentage cannot be over 100."), field="target")
    if data.target_fiscal_year is not None and not 2000 <= data.target_fiscal_year <= 2100:
        raise InsightsRefused(
            message=_("Enter the fiscal year as four digits, e.g. 2027."), field="target_fiscal_year"
        )
    owner = _check_department(actor, data.owner, "owner")
    return {
        "code": code,
        "names": names,
        "descriptions": _texts(data.descriptions),
        "numerator": data.numerator,
        "denominator": data.denominator or "",
        "unit": data.unit,
        "procedure_codes": _check_procedures(actor.municipality_id or 0, data.procedure_codes, "procedures"),
        "target": data.target,
        "target_fiscal_year": data.target_fiscal_year,
        "direction": data.direction,
        "owner": owner,
        "is_public": data.is_public,
        "position": data.position,
    }


def _kpi_snapshot(kpi: Kpi) -> dict[str, Any]:
    return {
        "code": kpi.code,
        "names": kpi.names,
        "numerator": kpi.numerator,
        "denominator": kpi.denominator,
        "unit": kpi.unit,
        "procedure_codes": kpi.procedure_codes,
        "target": str(kpi.target) if kpi.target is not None else None,
        "target_fiscal_year": kpi.target_fiscal_year,
        "direction": kpi.direction,
        "owner": kpi.owner.code,
        "is_public": kpi.is_public,
    }


def kpi_create(*, actor: User, data: KpiData) -> Kpi:
    """Define a KPI for the actor's municipality (EDIT_KPIS for its owner department)."""
    values = _kpi_checked(actor=actor, data=data, kpi=None)
    with transaction.atomic():
        kpi = Kpi.objects.create(municipality_id=actor.municipality_id, **values)
        audit_record(
            municipality=kpi.municipality,
            actor=actor,
            action="insights.kpi_create",
            target_type="kpi",
            target_id=kpi.pk,
            after=_kpi_snapshot(kpi),
        )
    return kpi


def kpi_update(*, actor: User, kpi: Kpi, data: KpiData) -> Kpi:
    """Change a KPI: the actor needs EDIT_KPIS for both its current and its new owner."""
    _check_department(actor, kpi.owner, "owner")
    values = _kpi_checked(actor=actor, data=data, kpi=kpi)
    with transaction.atomic():
        before = _kpi_snapshot(kpi)
        for name, value in values.items():
            setattr(kpi, name, value)
        kpi.save(update_fields=[*values.keys(), "updated_at"])
        audit_record(
            municipality=kpi.municipality,
            actor=actor,
            action="insights.kpi_update",
            target_type="kpi",
            target_id=kpi.pk,
            before=before,
            after=_kpi_snapshot(kpi),
        )
    return kpi


def _intervention_checked(*, actor: User, data: InterventionData) -> dict[str, Any]:
    titles = _texts(data.titles)
    if not titles.get("ja"):
        raise InsightsRefused(message=_("Enter what was changed, in Japanese."), field="title_ja")
    if data.started_on is None:
        raise InsightsRefused(message=_("Enter the day the change started."), field="started_on")
    department = _check_department(actor, data.department, "department")
    municipality_id = actor.municipality_id or 0
    procedures = _check_procedures(municipality_id, data.procedure_codes, "procedures")
    comparison = _check_procedures(municipality_id, data.comparison_procedure_codes, "comparison_procedures")
    overlap = set(procedures) & set(comparison)
    if overlap:
        raise InsightsRefused(
            message=_("A procedure the change touched cannot also be a comparison: %(codes)s."),
            field="comparison_procedures",
            params={"codes": "、".join(sorted(overlap))},
        )
    kpis = list(data.kpis)
    if any(kpi.municipality_id != actor.municipality_id for kpi in kpis):
        raise InsightsRefused(message=_("Choose KPIs of your municipality."), field="kpis")
    return {
        "titles": titles,
        "descriptions": _texts(data.descriptions),
        "started_on": data.started_on,
        "department": department,
        "procedure_codes": procedures,
        "comparison_procedure_codes": comparison,
        "kpis": kpis,
    }


def _intervention_snapshot(intervention: Intervention) -> dict[str, Any]:
    return {
        "titles": intervention.titles,
        "started_on": intervention.started_on.isoformat(),
        "department": intervention.department.code,
        "procedure_codes": intervention.procedure_codes,
        "comparison_procedure_codes": intervention.comparison_procedure_codes,
        "kpis": sorted(intervention.kpis.values_list("code", flat=True)),
    }


def intervention_log(*, actor: User, data: InterventionData) -> Intervention:
    """Record a change the city made, with the KPIs it should move and the procedures it touched."""
    values = _intervention_checked(actor=actor, data=data)
    kpis = values.pop("kpis")
    with transaction.atomic():
        intervention = Intervention.objects.create(
            municipality_id=actor.municipality_id, recorded_by=actor, **values
        )
        intervention.kpis.set(kpis)
        audit_record(
            municipality=intervention.municipality,
            actor=actor,
            action="insights.intervention_log",
            target_type="intervention",
            target_id=intervention.pk,
            after=_intervention_snapshot(intervention),
        )
    return intervention


def intervention_update(*, actor: User, intervention: Intervention, data: InterventionData) -> Intervention:
    _check_department(actor, intervention.department, "department")
    values = _intervention_checked(actor=actor, data=data)
    kpis = values.pop("kpis")
    with transaction.atomic():
        before = _intervention_snapshot(intervention)
        for name, value in values.items():
            setattr(intervention, name, value)
        intervention.save(update_fields=[*values.keys(), "updated_at"])
        intervention.kpis.set(kpis)
        audit_record(
            municipality=intervention.municipality,
            actor=actor,
            action="insights.intervention_update",
            target_type="intervention",
            target_id=intervention.pk,
            before=before,
            after=_intervention_snapshot(intervention),
        )
    return intervention
