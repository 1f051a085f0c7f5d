"""Estimated effects on synthetic histories whose true effect is known."""

from __future__ import annotations

import datetime as dt
import random

import pytest

from idx.insights.effects import effect_estimate
from idx.insights.models import Intervention
from tests.conftest import clerk_department
from tests.insights.builders import application_facts, make_kpi, months_from

pytestmark = pytest.mark.django_db

TREATED = "child-allowance-status-report"
COMPARISON = "childcare-facility-status-report"
START = dt.date(2026, 6, 1)
TODAY = dt.date(2026, 12, 4)  # six complete months after the start (June to November)
MONTHS = months_from(dt.date(2024, 12, 1), 24)  # December 2024 to November 2026


def _share(base: float, step: float, seed: int):
    noise = random.Random(seed)
    shares = {month: base + (step if month >= START else 0) + noise.uniform(-2, 2) for month in MONTHS}
    return lambda month: round(10 * shares[month])  # of 1,000 applications a month


def _history(iga, *, step: float, comparison_step: float = 0.0) -> None:
    application_facts(iga, TREATED, MONTHS, online=_share(30, step, 1), counter=0, paper=0)
    # counter + paper make the rest of 1,000: the online count is out of 1,000.
    application_facts(iga, COMPARISON, MONTHS, online=_share(35, comparison_step, 2), counter=0, paper=0)
    from idx.insights.models import ApplicationMonthFact

    for fact in ApplicationMonthFact.objects.filter(municipality=iga, channel="online"):
        ApplicationMonthFact.objects.filter(pk=fact.pk).update(submitted=fact.submitted)
        ApplicationMonthFact.objects.filter(
            municipality=iga, month=fact.month, procedure_id=fact.procedure_id, channel="counter"
        ).update(submitted=1000 - fact.submitted)


def _intervention(iga, kpi, *, started_on=START, comparison=(COMPARISON,)) -> Intervention:
    intervention = Intervention.objects.create(
        municipality=iga,
        titles={"ja": "現況届のリマインダーをLINEでも送信", "en": "Status report reminders by LINE too"},
        started_on=started_on,
        department=clerk_department(iga),
        procedure_codes=[TREATED],
        comparison_procedure_codes=list(comparison),
    )
    intervention.kpis.add(kpi)
    return intervention


def test_known_step_is_inside_both_intervals(iga):
    _history(iga, step=18)
    kpi = make_kpi(iga, clerk_department(iga), procedure_codes=[TREATED, COMPARISON])
    report = effect_estimate(kpi=kpi, intervention=_intervention(iga, kpi), today=TODAY)
    assert report.reliable
    assert (report.months_before, report.months_after) == (18, 6)
    assert report.its is not None
    assert report.its.low < 18 < report.its.high
    assert not report.its.covers_zero
    assert report.did is not None
    assert report.did.low < 18 < report.did.high
    assert "18" in report.explanations["ja"] or "約1" in report.explanations["ja"]
    assert "以降" in report.explanations["ja"]
    assert "95%信頼区間" in report.explanations["ja"]
    assert "confidence interval" in report.explanations["en"]
    # Estimated over the procedure the change touched, not the KPI's two: the text says which.
    assert "施策の対象の手続き（" in report.explanations["ja"]
    assert "of the procedures it touched (" in report.explanations["en"]
    assert any("季節" in caveat for caveat in report.caveats_by_language["ja"])


def test_no_effect_gives_an_interval_around_zero(iga):
    _history(iga, step=0)
    kpi = make_kpi(iga, clerk_department(iga), procedure_codes=[TREATED, COMPARISON])
    report = effect_estimate(kpi=kpi, intervention=_intervention(iga, kpi), today=TODAY)
    assert report.its is not None
    assert report.its.covers_zero
    assert report.did is not None
    assert report.did.covers_zero


def test_a_change_everywhere_is_not_credited_to_the_intervention_by_did(iga):
    # Both groups jump by 10 (a national campaign): ITS sees 10, DiD sees about 0.
    _history(iga, step=10, comparison_step=10)
    kpi = make_kpi(iga, clerk_department(iga), procedure_codes=[TREATED, COMPARISON])
    report = effect_estimate(kpi=kpi, intervention=_intervention(iga, kpi), today=TODAY)
    assert report.its is not None
    assert report.its.low < 10 < report.its.high
    assert report.did is not None
    assert report.did.covers_zero


def test_too_few_months_after_is_refused(iga):
    _history(iga, step=18)
    kpi = make_kpi(iga, clerk_department(iga), procedure_codes=[TREATED, COMPARISON])
    report = effect_estimate(kpi=kpi, intervention=_intervention(iga, kpi), today=dt.date(2026, 8, 10))
    assert not report.reliable
    assert report.its is None
    assert report.months_after == 2
    assert "信頼できる" in report.explanations["ja"] or "推定できません" in report.explanations["ja"]
    assert any("too few months" in caveat.lower() for caveat in report.caveats_by_language["en"])


def test_too_few_months_before_is_refused(iga):
    application_facts(iga, TREATED, months_from(dt.date(2026, 2, 1), 10), online=30)
    kpi = make_kpi(iga, clerk_department(iga))
    report = effect_estimate(kpi=kpi, intervention=_intervention(iga, kpi, comparison=()), today=TODAY)
    assert report.months_before == 4
    assert not report.reliable


def test_other_changes_and_small_counts_are_named(iga):
    application_facts(
        iga, TREATED, MONTHS, online=lambda month: 5 if month >= START else 2, counter=8, paper=0
    )
    kpi = make_kpi(iga, clerk_department(iga), procedure_codes=[TREATED])
    intervention = _intervention(iga, kpi, comparison=())
    other = Intervention.objects.create(
        municipality=iga,
        titles={"ja": "申請フォームを簡素化"},
        started_on=dt.date(2026, 5, 15),
        department=clerk_department(iga),
        procedure_codes=[TREATED],
    )
    assert other.pk
    report = effect_estimate(kpi=kpi, intervention=intervention, today=TODAY)
    english = " ".join(report.caveats_by_language["en"])
    assert "申請フォームを簡素化" in english
    assert "Small counts" in english
    assert "No comparison procedures" in english
