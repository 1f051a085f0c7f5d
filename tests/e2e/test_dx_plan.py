"""The DX action plan from a department's desk to a resident's phone.

住民課's head (a department administrator) writes this quarter's progress note for 書かない窓口,
looks at it once more on the confirmation page and publishes it at a 1280×800 desk; a resident,
signed out, finds it on /dx-plan/ on a 390×844 phone in Japanese, やさしい日本語 and English.
axe on every page on the way.
"""

from __future__ import annotations

from typing import Any

import pytest
from e2e_support import assert_accessible, click_and_wait, staff_sign_in

pytestmark = pytest.mark.e2e

NOTE_JA = "聞き取り票を見直し、11月の平均待ち時間は14分になった。税務課の証明発行との連携は1月に始める。"
NOTE_EN = "The interview sheet was revised; the average wait in November was 14 minutes. Tax certificates follow in January."

_READ = (
    "e => { const c = e.cloneNode(true); c.querySelectorAll('rt, rp').forEach(x => x.remove());"
    " return c.textContent.replace(/\\s+/g, ''); }"
)


def test_a_quarterly_note_goes_from_the_department_to_residents(new_context: Any) -> None:
    staff = new_context(width=1280, height=800).new_page()
    staff_sign_in(staff, "jumin-admin@staff.iga.example.jp")
    click_and_wait(staff, staff.locator("nav a[href='/staff/dx-plan/']").first)
    assert_accessible(staff, "dxplan-staff-home")
    # Filters work without a script: only 住民課's initiatives.
    staff.select_option("#department", "jumin")
    click_and_wait(staff, staff.get_by_role("button", name="表示", exact=True))
    assert staff.locator("#initiative-telework").count() == 0
    click_and_wait(staff, staff.locator("#initiative-assisted-counter h3 a"))
    assert_accessible(staff, "dxplan-staff-initiative")
    click_and_wait(staff, staff.get_by_role("link", name="四半期の進捗を書く"))
    assert_accessible(staff, "dxplan-staff-note-new")
    staff.select_option("#id_status", "on_track")
    staff.fill("#id_text_ja", NOTE_JA)
    staff.fill("#id_text_en", NOTE_EN)
    click_and_wait(staff, staff.get_by_role("button", name="下書きを保存"))
    assert "/notes/" in staff.url
    assert_accessible(staff, "dxplan-staff-note-draft")
    click_and_wait(staff, staff.locator("#publish-link"))
    assert "/publish/" in staff.url
    assert "取り下げもできません" in staff.locator("#publish-summary").inner_text()
    assert_accessible(staff, "dxplan-staff-note-publish")
    click_and_wait(staff, staff.locator("#publish-button"))
    assert "/staff/dx-plan/assisted-counter/" in staff.url
    history = staff.locator("#notes li").first.inner_text()
    assert "聞き取り票を見直し" in history and "公表" in history
    assert "順調" in staff.locator("#initiative-status").inner_text()
    # The other forms of the owner pass axe too.
    staff.goto("/staff/dx-plan/assisted-counter/edit/")
    assert_accessible(staff, "dxplan-staff-edit")
    staff.goto("/staff/dx-plan/assisted-counter/milestones/new/")
    assert_accessible(staff, "dxplan-staff-milestone")
    staff.goto("/staff/dx-plan/assisted-counter/targets/")
    assert_accessible(staff, "dxplan-staff-targets")
    staff.goto("/staff/dx-plan/assisted-counter/")
    click_and_wait(staff, staff.locator("a[href*='/milestones/']").filter(has_text="変更").first)
    assert_accessible(staff, "dxplan-staff-milestone-update")

    for language, expected in (("ja", NOTE_JA), ("ja-easy", NOTE_JA), ("en", NOTE_EN)):
        resident = new_context(width=390, height=844, language=language).new_page()
        resident.goto("/dx-plan/")
        assert_accessible(resident, f"dxplan-public-{language}")
        card = resident.locator("#initiative-assisted-counter")
        shown = card.locator(".dx-note").evaluate(_READ)
        assert expected.replace(" ", "") in shown, shown
        assert resident.evaluate("document.documentElement.scrollWidth") <= 390
        click_and_wait(resident, card.locator("h3 a"))
        assert_accessible(resident, f"dxplan-public-initiative-{language}")
        latest = resident.locator("#reports li").first.evaluate(_READ)
        assert expected.replace(" ", "") in latest, latest
        assert "住民課課長" not in resident.locator("main").evaluate(_READ)
        assert resident.evaluate("document.documentElement.scrollWidth") <= 390
