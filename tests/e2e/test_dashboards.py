"""The EBPM dashboards with the demo's two years of history.

The city administrator opens the dashboards at a 1280×800 desk: KPI values, the channel chart
and its table, a KPI's page with its line chart, its table and the estimated effect of the LINE
reminder for the 現況届 with its 95% interval. A resident, signed out, reads the public subset
at /insights/ on a 390×844 phone in Japanese, やさしい日本語 and English. axe on every page.
"""

from __future__ import annotations

from typing import Any

import pytest
from e2e_support import assert_accessible, click_and_wait, screenshot, staff_sign_in

pytestmark = pytest.mark.e2e

_READ = (
    "e => { const c = e.cloneNode(true); c.querySelectorAll('rt, rp').forEach(x => x.remove());"
    " return c.textContent.replace(/\\s+/g, ''); }"
)


def test_the_city_administrator_reads_kpis_and_an_estimated_effect(new_context: Any) -> None:
    staff = new_context(width=1280, height=800).new_page()
    staff_sign_in(staff, "admin@staff.iga.example.jp")
    click_and_wait(staff, staff.locator("nav a[href='/staff/insights/']").first)
    assert_accessible(staff, "insights-staff-home")
    cards = staff.locator(".ins-card")
    assert cards.count() >= 5
    national = cards.filter(has_text="国が示す27手続")
    assert "%" in national.locator(".ins-value").inner_text()
    assert national.locator(".ins-status").inner_text()
    # The chart is an image with a name, followed by its table.
    chart = staff.locator("#channels ~ figure svg[role=img]")
    assert chart.count() == 1
    assert "受付方法別" in (chart.get_attribute("aria-label") or "")
    assert staff.locator("table.ins-table").first.locator("tbody tr").count() == 12
    # Filters without a script: by quarter.
    staff.select_option("#id_granularity", "quarter")
    click_and_wait(staff, staff.locator(".ins-filters button[type=submit]"))
    assert "四半期" in staff.locator("table.ins-table").first.inner_text()

    staff.goto("/staff/insights/")
    click_and_wait(staff, staff.locator(".ins-card a", has_text="児童手当の現況届のオンライン率"))
    assert_accessible(staff, "insights-staff-kpi")
    assert staff.locator("svg.ins-chart .ins-marker").count() == 1
    assert staff.locator("#kpi-table tbody tr").count() == 24
    effect = staff.locator(".ins-effect").first
    explanation = effect.locator(".ins-explanation").inner_text()
    assert "95%信頼区間" in explanation, explanation
    assert "上がったと推定されます" in explanation, explanation
    assert effect.locator(".ins-caveats li").count() >= 2
    screenshot(staff, "insights-staff-kpi-effect")
    print("demo effect:", explanation)  # noqa: T201 - shown in the test's output for the record

    click_and_wait(staff, staff.get_by_role("link", name="このKPIを編集"))
    assert_accessible(staff, "insights-staff-kpi-edit")
    staff.goto("/staff/insights/interventions/")
    assert_accessible(staff, "insights-staff-interventions")
    click_and_wait(staff, staff.get_by_role("link", name="施策を記録"))
    assert_accessible(staff, "insights-staff-intervention-new")

    for language, expected in (("ja", "国が示す27手続"), ("ja-easy", "27"), ("en", "national programme")):
        resident = new_context(width=390, height=844, language=language).new_page()
        resident.goto("/insights/")
        assert_accessible(resident, f"insights-public-{language}")
        assert (
            expected in resident.locator("main").evaluate(_READ).replace(" ", "")
            or expected in resident.locator("main").inner_text()
        )
        assert "児童手当の現況届のオンライン率" not in resident.locator("main").inner_text()
        assert resident.evaluate("document.documentElement.scrollWidth") <= 390
        click_and_wait(resident, resident.locator(".ins-card a").first)
        assert_accessible(resident, f"insights-public-kpi-{language}")
        assert resident.locator("svg.ins-chart").count() == 1
        assert resident.locator("#kpi-table tbody tr").count() == 24
        assert resident.evaluate("document.documentElement.scrollWidth") <= 390
