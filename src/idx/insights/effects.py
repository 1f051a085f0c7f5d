"""The estimated effect of an intervention on a KPI, with its uncertainty and its caveats.

Two estimates, both on the KPI's monthly values (percentage points for a percentage):

* **Interrupted time series** (segmented regression): ``y = b0 + b1·t + b2·post + b3·(t − t0)·post``
  fitted by OLS with Newey–West (HAC) standard errors, which allow for months that resemble their
  neighbours. ``b2`` is the change in level when the intervention started, ``b3`` the change in
  the monthly trend.
* **Difference-in-differences**, when comparable procedures are named on the intervention: the
  KPI of the touched procedures and of the comparison procedures per month, ``y = month effects +
  treated + treated × post``, with heteroskedasticity-robust (HC1) standard errors. The coefficient
  of ``treated × post`` is the estimate: how much more the touched procedures changed than the
  comparison did over the same months, which removes what happened to every procedure (a season,
  a national campaign).

An estimate needs at least 6 months before and 3 after the start; with fewer it is refused. The
caveats that apply are always printed with it. statsmodels (and numpy) are imported inside
``effect_estimate`` only, so a web process that never asks for an estimate does not load them.
The month in which an intervention started part-way is left out (it is neither before nor after).
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Literal

from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from idx.common.dates import format_date
from idx.common.models import Municipality
from idx.insights.models import Intervention, Kpi
from idx.insights.selectors import (
    add_months,
    cube_load,
    kpi_measures,
    last_complete_month,
    month_label,
    month_start,
    months_between,
)
from idx.insights.selectors import (
    kpi_monthly_values as monthly_values,
)
from idx.procedures.models import Procedure

MIN_MONTHS_BEFORE = 6
MIN_MONTHS_AFTER = 3
MAX_MONTHS_BEFORE = 36
SMALL_COUNT = 30  # a month whose denominator is below this makes the share jumpy
Z_95 = 1.959963984540054


@dataclass(frozen=True)
class Estimate:
    """One estimate: the effect (KPI units), its 95% confidence interval and p-value."""

    method: Literal["its", "did"]
    effect: float
    low: float
    high: float
    p_value: float
    slope_change: float | None = None  # ITS only: change of the monthly trend
    slope_low: float | None = None
    slope_high: float | None = None

    @property
    def covers_zero(self) -> bool:
        return self.low <= 0 <= self.high


@dataclass(frozen=True)
class MonthRow:
    month: dt.date
    treated: float | None
    comparison: float | None
    treated_denominator: int | None


@dataclass
class EffectReport:
    kpi: Kpi
    intervention: Intervention
    start_month: dt.date
    months_before: int
    months_after: int
    reliable: bool
    its: Estimate | None = None
    did: Estimate | None = None
    rows: list[MonthRow] = field(default_factory=list)
    caveats: list[str] = field(default_factory=list)
    explanation: str = ""
    explanations: dict[str, str] = field(default_factory=dict)  # {"ja": ..., "en": ...}
    caveats_by_language: dict[str, list[str]] = field(default_factory=dict)


def unit_word(kpi: Kpi) -> str:
    return {
        Kpi.Unit.PERCENT: pgettext("unit of an estimated effect", "points"),
        Kpi.Unit.DAYS: pgettext("unit of an estimated effect", "days"),
        Kpi.Unit.MINUTES: pgettext("unit of an estimated effect", "minutes"),
    }.get(Kpi.Unit(kpi.unit), pgettext("unit of an estimated effect", "cases"))


def _number(value: float) -> str:
    """A figure as people read it: one decimal at most, no "-0"."""
    rounded = round(value, 1)
    if rounded == 0:
        rounded = 0.0
    return f"{rounded:,.0f}" if rounded == int(rounded) else f"{rounded:,.1f}"


def _its(values: list[float], start_index: int) -> Estimate:
    import numpy as np
    from statsmodels.regression.linear_model import OLS

    y = np.asarray(values, dtype=float)
    t = np.arange(len(y), dtype=float)
    post = (t >= start_index).astype(float)
    since = (t - start_index) * post
    design = np.column_stack([np.ones_like(t), t, post, since])
    lags = max(1, int(math.floor(4 * (len(y) / 100) ** (2 / 9))))
    fit = OLS(y, design).fit(cov_type="HAC", cov_kwds={"maxlags": lags})
    interval = fit.conf_int(alpha=0.05)
    return Estimate(
        method="its",
        effect=float(fit.params[2]),
        low=float(interval[2][0]),
        high=float(interval[2][1]),
        p_value=float(fit.pvalues[2]),
        slope_change=float(fit.params[3]),
        slope_low=float(interval[3][0]),
        slope_high=float(interval[3][1]),
    )


def _did(treated: list[float], comparison: list[float], start_index: int) -> Estimate:
    import numpy as np
    from statsmodels.regression.linear_model import OLS

    months = len(treated)
    y = np.asarray(treated + comparison, dtype=float)
    is_treated = np.concatenate([np.ones(months), np.zeros(months)])
    post = np.concatenate([np.arange(months) >= start_index] * 2).astype(float)
    month_effects = np.vstack([np.eye(months), np.eye(months)])  # one intercept per month
    design = np.column_stack([month_effects, is_treated, is_treated * post])
    fit = OLS(y, design).fit(cov_type="HC1")
    index = design.shape[1] - 1
    interval = fit.conf_int(alpha=0.05)
    return Estimate(
        method="did",
        effect=float(fit.params[index]),
        low=float(interval[index][0]),
        high=float(interval[index][1]),
        p_value=float(fit.pvalues[index]),
    )


def _procedure_names(municipality: Municipality, codes: list[str]) -> str:
    names = {
        procedure.code: procedure.names.get("ja", procedure.code)
        for procedure in Procedure.objects.filter(municipality=municipality, code__in=codes)
    }
    return "、".join(names.get(code, code) for code in codes)


def _caveats(
    report: EffectReport,
    values_before: list[float],
    denominators: list[int | None],
    others: list[Intervention],
) -> list[str]:
    kpi = report.kpi
    caveats: list[str] = []
    if not report.reliable:
        caveats.append(
            _(
                "Too few months to estimate an effect: %(before)s before and %(after)s after the start; "
                "at least %(min_before)s before and %(min_after)s after are needed. No estimate is shown."
            )
            % {
                "before": report.months_before,
                "after": report.months_after,
                "min_before": MIN_MONTHS_BEFORE,
                "min_after": MIN_MONTHS_AFTER,
            }
        )
    for other in others:
        caveats.append(
            _("Another change started close to it (%(date)s: %(title)s); part of the effect may be its.")
            % {"date": format_date(other.started_on, weekday=False), "title": other.title}
        )
    if report.months_before < 24:
        caveats.append(
            _(
                "Seasons: with less than two years before the start, a season (the 現況届 in June, moves in "
                "March and April) cannot be told apart from the effect."
            )
        )
    else:
        caveats.append(
            _("Seasons: months of the year differ; compare with the same months of earlier years.")
        )
    if not report.intervention.comparison_procedure_codes:
        caveats.append(
            _(
                "No comparison procedures were named: whatever else changed at the same time (a national "
                "campaign, a new version of a form) is counted in the estimate."
            )
        )
    if len(values_before) >= 6:
        mean = sum(values_before) / len(values_before)
        spread = (sum((value - mean) ** 2 for value in values_before) / (len(values_before) - 1)) ** 0.5
        recent = sum(values_before[-3:]) / 3
        if spread and abs(recent - mean) > 1.5 * spread:
            caveats.append(
                _(
                    "Regression to the mean: the last months before the start were unusually far from the "
                    "usual level; part of the change may be a return to normal."
                )
            )
        else:
            caveats.append(
                _(
                    "Regression to the mean: if the change was made because of a bad month, part of the "
                    "improvement would have come anyway."
                )
            )
    known = [count for count in denominators if count is not None]
    if kpi.denominator and known and min(known) < SMALL_COUNT:
        caveats.append(
            _("Small counts: some months have fewer than %(count)s cases, so monthly values jump by chance.")
            % {"count": SMALL_COUNT}
        )
    return caveats


def _explanation(report: EffectReport, comparison_names: str, treated_names: str = "") -> str:
    kpi = report.kpi
    month = month_label(report.start_month)
    # Estimated over the procedures the change touched only, not the KPI's whole scope: say so,
    # or a reader takes a step of one procedure for a step of the whole KPI.
    measured = (
        _("%(kpi)s of the procedures it touched (%(names)s)") % {"kpi": kpi.name, "names": treated_names}
        if treated_names
        else kpi.name
    )
    if not report.reliable or report.its is None:
        return _(
            "The effect of this change on %(kpi)s cannot be estimated reliably yet: there are %(before)s months "
            "before and %(after)s months after its start."
        ) % {"kpi": kpi.name, "before": report.months_before, "after": report.months_after}
    its = report.its
    values = {
        "month": month,
        "kpi": measured,
        "effect": _number(abs(its.effect)),
        "low": _number(its.low),
        "high": _number(its.high),
        "unit": unit_word(kpi),
    }
    if its.effect >= 0:
        text = (
            _(
                "From %(month)s on, %(kpi)s is estimated to have risen by about %(effect)s %(unit)s "
                "(95%% confidence interval: %(low)s to %(high)s %(unit)s)."
            )
            % values
        )
    else:
        text = (
            _(
                "From %(month)s on, %(kpi)s is estimated to have fallen by about %(effect)s %(unit)s "
                "(95%% confidence interval: %(low)s to %(high)s %(unit)s)."
            )
            % values
        )
    parts = [text]
    if its.covers_zero:
        parts.append(_("The interval includes zero: the data do not show that the change made a difference."))
    if report.did is not None:
        did = report.did
        parts.append(
            _(
                "Compared with procedures the change did not touch (%(names)s), the difference is about "
                "%(effect)s %(unit)s (95%% confidence interval: %(low)s to %(high)s %(unit)s)."
            )
            % {
                "names": comparison_names,
                "effect": _number(did.effect),
                "low": _number(did.low),
                "high": _number(did.high),
                "unit": unit_word(kpi),
            }
        )
        if did.covers_zero:
            parts.append(_("Against the comparison, the interval includes zero."))
    separator = "" if (translation.get_language() or "ja").startswith("ja") else " "
    return separator.join(parts)


def effect_estimate(*, kpi: Kpi, intervention: Intervention, today: dt.date | None = None) -> EffectReport:
    """Estimate the intervention's effect on the KPI (see the module's text). The report's
    texts are in the active language; ``explanations`` and ``caveats_by_language`` hold them in
    Japanese and English too."""
    municipality = kpi.municipality
    started = intervention.started_on
    start_month = month_start(started) if started.day == 1 else add_months(month_start(started), 1)
    partial_month = None if started.day == 1 else month_start(started)
    end = add_months(last_complete_month(today), 1)
    begin = add_months(start_month, -MAX_MONTHS_BEFORE)
    treated_codes = list(intervention.procedure_codes) or list(kpi.procedure_codes or [])
    if kpi.procedure_codes and intervention.procedure_codes:
        narrowed = [code for code in intervention.procedure_codes if code in kpi.procedure_codes]
        treated_codes = narrowed or treated_codes
    cube = cube_load(municipality=municipality, start=begin, end=end, measures=kpi_measures([kpi]))
    treated = monthly_values(
        municipality=municipality, kpi=kpi, start=begin, end=end, procedure_codes=treated_codes, cube=cube
    )
    comparison_codes = list(intervention.comparison_procedure_codes)
    comparison = (
        monthly_values(
            municipality=municipality,
            kpi=kpi,
            start=begin,
            end=end,
            procedure_codes=comparison_codes,
            cube=cube,
        )
        if comparison_codes
        else []
    )
    comparison_by_month = {row[0]: row[1] for row in comparison}
    # From the first month with a value; the partial month left out.
    rows: list[MonthRow] = []
    for month, value, _numerator, denominator in treated:
        if month == partial_month:
            continue
        if value is None and not rows:
            continue
        compared = comparison_by_month.get(month)
        rows.append(
            MonthRow(
                month=month,
                treated=float(value) if value is not None else None,
                comparison=float(compared) if compared is not None else None,
                treated_denominator=denominator,
            )
        )
    usable = [row for row in rows if row.treated is not None]
    before = [row for row in usable if row.month < start_month]
    after = [row for row in usable if row.month >= start_month]
    report = EffectReport(
        kpi=kpi,
        intervention=intervention,
        start_month=start_month,
        months_before=len(before),
        months_after=len(after),
        reliable=len(before) >= MIN_MONTHS_BEFORE and len(after) >= MIN_MONTHS_AFTER,
        rows=rows,
    )
    if report.reliable:
        series = [row.treated for row in usable if row.treated is not None]
        report.its = _its(series, len(before))
        paired = [row for row in usable if row.comparison is not None]
        paired_before = sum(1 for row in paired if row.month < start_month)
        paired_after = len(paired) - paired_before
        if comparison_codes and paired_before >= MIN_MONTHS_BEFORE and paired_after >= MIN_MONTHS_AFTER:
            report.did = _did(
                [row.treated for row in paired if row.treated is not None],
                [row.comparison for row in paired if row.comparison is not None],
                paired_before,
            )
    window_start, window_end = add_months(start_month, -2), add_months(start_month, 3)
    others = [
        other
        for other in Intervention.objects.filter(
            municipality=municipality, started_on__gte=window_start, started_on__lt=window_end
        ).exclude(pk=intervention.pk)
        if other.kpis.filter(pk=kpi.pk).exists() or set(other.procedure_codes) & set(treated_codes)
    ]
    values_before = [row.treated for row in before if row.treated is not None]
    denominators = [row.treated_denominator for row in usable]
    comparison_names = _procedure_names(municipality, comparison_codes) if comparison_codes else ""
    narrowed_scope = bool(treated_codes) and set(treated_codes) != set(kpi.procedure_codes or [])
    treated_names = _procedure_names(municipality, treated_codes) if narrowed_scope else ""
    for language in ("ja", "en"):
        with translation.override(language):
            report.explanations[language] = _explanation(report, comparison_names, treated_names)
            report.caveats_by_language[language] = _caveats(report, values_before, denominators, others)
    report.explanation = _explanation(report, comparison_names, treated_names)
    report.caveats = _caveats(report, values_before, denominators, others)
    return report


def estimate_as_dict(estimate: Estimate | None) -> dict[str, Any] | None:
    if estimate is None:
        return None
    return {
        "method": estimate.method,
        "effect": Decimal(str(round(estimate.effect, 2))),
        "low": Decimal(str(round(estimate.low, 2))),
        "high": Decimal(str(round(estimate.high, 2))),
        "p_value": round(estimate.p_value, 4),
    }


__all__ = ["EffectReport", "Estimate", "MonthRow", "effect_estimate", "estimate_as_dict", "months_between"]
