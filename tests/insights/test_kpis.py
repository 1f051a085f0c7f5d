"""KPI values from the facts: sums of numerator over sums of denominator, periods, scope."""

from __future__ import annotations

from decimal import Decimal

import pytest

from idx.insights.selectors import (
    add_months,
    cube_load,
    fiscal_year_to_date,
    kpi_current_values,
    kpi_series,
    periods_between,
)
from tests.conftest import clerk_department
from tests.insights.builders import application_facts, counter_facts, make_kpi, months_from, sign_in_facts

pytestmark = pytest.mark.django_db

CARE = "care-needs-certification"
CHILD = "child-allowance-certification"


def test_current_value_is_ratio_of_sums_over_fiscal_year_to_date(iga):
    period = fiscal_year_to_date()
    months = period.months
    # 30 of 100 online in CHILD every month, 60 of 100 in CARE: 90/200 = 45 %.
    application_facts(iga, CHILD, months, online=30, counter=50, paper=20)
    application_facts(iga, CARE, months, online=60, counter=30, paper=10)
    # A month before the fiscal year does not count.
    application_facts(iga, CHILD, [add_months(period.start, -1)], online=100, counter=0, paper=0)
    kpi = make_kpi(iga, clerk_department(iga), target=50)
    values = kpi_current_values(municipality=iga, kpis=[kpi])
    assert values[kpi.pk].value == Decimal("45.0")
    assert values[kpi.pk].target == Decimal(50)
    assert values[kpi.pk].on_track is False
    assert values[kpi.pk].period_label


def test_kpi_narrowed_to_procedures_and_lower_is_better(iga):
    period = fiscal_year_to_date()
    application_facts(iga, CHILD, period.months, online=30, lead_days=8)
    application_facts(iga, CARE, period.months, online=60, counter=30, paper=10, lead_days=20)
    only_child = make_kpi(iga, clerk_department(iga), code="child-online", procedure_codes=[CHILD])
    lead = make_kpi(
        iga,
        clerk_department(iga),
        code="lead",
        numerator="lead_days",
        denominator="decided",
        unit="days",
        target=10,
        direction="down",
    )
    values = kpi_current_values(municipality=iga, kpis=[only_child, lead])
    assert values[only_child.pk].value == Decimal("30.0")
    assert values[lead.pk].value == Decimal("14.0")  # (100×8 + 100×20) / 200
    assert values[lead.pk].on_track is False


def test_waits_and_card_sign_ins(iga):
    period = fiscal_year_to_date()
    department = clerk_department(iga)
    counter_facts(iga, department.pk, [period.start, period.start.replace(day=2)], wait=12)
    sign_in_facts(iga, period.months, card=30, other=70)
    wait = make_kpi(
        iga,
        department,
        code="wait",
        numerator="wait_minutes",
        denominator="served",
        unit="minutes",
        target=15,
        direction="down",
    )
    card = make_kpi(
        iga, department, code="card", numerator="card_sign_ins", denominator="sign_ins", target=40
    )
    values = kpi_current_values(municipality=iga, kpis=[wait, card])
    assert values[wait.pk].value == Decimal("12.0")
    assert values[wait.pk].on_track is True
    assert values[card.pk].value == Decimal("30.0")


def test_no_facts_gives_no_value(iga):
    kpi = make_kpi(iga, clerk_department(iga))
    value = kpi_current_values(municipality=iga, kpis=[kpi])[kpi.pk]
    assert value.value is None
    assert value.on_track is None


def test_other_municipality_facts_do_not_count(iga, watarai):
    period = fiscal_year_to_date()
    application_facts(watarai, CHILD, period.months, online=100, counter=0, paper=0)
    application_facts(iga, CHILD, period.months, online=10, counter=90, paper=0)
    kpi = make_kpi(iga, clerk_department(iga))
    assert kpi_current_values(municipality=iga, kpis=[kpi])[kpi.pk].value == Decimal("10.0")


def test_quarters_and_fiscal_years(iga):
    from datetime import date

    start = date(2025, 4, 1)
    months = months_from(start, 12)
    # Online grows by one each month; counter fixed at 10.
    application_facts(iga, CHILD, months, online=lambda m: months.index(m) + 1, counter=10, paper=0)
    kpi = make_kpi(iga, clerk_department(iga), unit="count", numerator="applications_online", denominator="")
    cube = cube_load(municipality=iga, start=start, end=add_months(start, 12))
    quarters = kpi_series(cube, kpi, periods_between(start, add_months(start, 12), "quarter"))
    assert [point.value for point in quarters] == [Decimal(6), Decimal(15), Decimal(24), Decimal(33)]
    year = kpi_series(cube, kpi, periods_between(start, add_months(start, 12), "fiscal_year"))
    assert len(year) == 1
    assert year[0].value == Decimal(78)


def test_query_count_does_not_grow_with_kpis(iga, django_assert_max_num_queries):
    kpis = [make_kpi(iga, clerk_department(iga), code=f"k{index}") for index in range(8)]
    with django_assert_max_num_queries(3):
        kpi_current_values(municipality=iga, kpis=kpis)


def test_demo_kpis_load_twice_without_facts(iga):
    from idx.demo.insights import NATIONAL_27, load_insights
    from idx.insights.models import Intervention, Kpi

    first = load_insights(iga)
    second = load_insights(iga)
    assert [kpi.pk for kpi in first] == [kpi.pk for kpi in second]
    national = Kpi.objects.get(municipality=iga, code="online-share-national")
    assert len(NATIONAL_27) == 27 and national.procedure_codes == NATIONAL_27
    from idx.procedures.models import Procedure

    assert Procedure.objects.filter(municipality=iga, code__in=NATIONAL_27).count() == 27
    assert all(len(kpi.names) >= 2 for kpi in second)
    intervention = Intervention.objects.get(municipality=iga)
    assert intervention.comparison_procedure_codes
    assert set(intervention.kpis.values_list("code", flat=True)) >= {"online-share-national"}
    values = kpi_current_values(municipality=iga, kpis=second)
    assert all(value.value is None for value in values.values())
