"""A 児童手当 claim on paper becomes a case: the blank form is filled in by script, turned and
noised like a scan, uploaded as a batch and read by the machine; a clerk (password and TOTP)
opens the verification screen, corrects an item with the keyboard, accepts with Enter, and finds
the case in the queue marked as made on paper, with the scanned pages attached. Approved, it goes
to the core system in one hand-over file, once, however often the hand-over runs."""

from __future__ import annotations

import copy
import io
import json
import random
import re
from typing import Any

import pytest
from e2e_support import RECEIPT_PATTERN, assert_accessible, click_and_wait, screenshot, staff_sign_in

pytestmark = pytest.mark.e2e

CLERK = "kodomo-katei@staff.iga.example.jp"
ADMIN = "admin@staff.iga.example.jp"  # sets up the hand-over to the core system
PROCEDURE = "child-allowance-certification"
WRITTEN_KANA = "イガ タロオ"  # what the claimant wrote; the clerk corrects it to the registered reading
CORRECT_KANA = "イガ タロウ"


def _scanned_pdf(request_context: Any) -> tuple[bytes, dict[str, Any], Any]:
    """The portal's blank form, filled in by script and scanned (turned, noised), as one PDF."""
    from idx.intake.layout import build_layout
    from idx.intake.simulate import FONTS, fill_page, render_pdf, scan
    from idx.procedures.definition import parse

    detail = request_context.get(f"/api/v1/procedures/{PROCEDURE}").json()
    definition = parse(detail["definition"])
    answers = copy.deepcopy(detail["definition"]["example"])
    answers["claimant"]["name_kana"] = WRITTEN_KANA
    blank = request_context.get(f"/procedures/{PROCEDURE}/paper-form.pdf")
    assert blank.status == 200 and blank.body().startswith(b"%PDF-")
    layout = build_layout(definition)
    pages = []
    for index, image in enumerate(render_pdf(blank.body(), 200)):
        filled = fill_page(
            image, layout.pages[index], answers, dpi=200, font_name=FONTS[0], rng=random.Random(index)
        )
        pages.append(scan(filled, angle=(1.5, -2.0)[index % 2], noise=10, seed=index))
    out = io.BytesIO()
    pages[0].save(out, format="PDF", save_all=True, append_images=pages[1:], resolution=200)
    answers["claimant"]["name_kana"] = CORRECT_KANA
    return out.getvalue(), answers, definition


def _retype(page: Any, field_id: str, text: str) -> None:
    """Correct one input with the keyboard: focus it, select what is there, type over it."""
    page.focus(f"#{field_id}")
    page.keyboard.press("Control+A")
    page.keyboard.type(text)


def test_a_paper_claim_is_read_verified_and_becomes_a_case(new_context: Any, server: Any) -> None:
    from idx.intake.paper import value_at
    from idx.intake.verification import input_value
    from idx.procedures.rendering import html_id

    context = new_context(width=1280, height=800)
    pdf, answers, definition = _scanned_pdf(context.request)

    clerk = context.new_page()
    staff_sign_in(clerk, CLERK)
    clerk.goto("/staff/intake/")
    clerk.set_input_files(
        "#id_file", {"name": "paper-claims.pdf", "mimeType": "application/pdf", "buffer": pdf}
    )
    # The pages are split and read while the upload is answered (the demo's tasks run at once).
    with clerk.expect_navigation(timeout=120_000):
        clerk.locator("main form button[type=submit]").click(no_wait_after=True)
    assert "/staff/intake/scn_" in clerk.url, clerk.url
    click_and_wait(clerk, clerk.locator("main a[href*='/forms/']").first)
    assert "/forms/" in clerk.url, clerk.url
    assert_accessible(clerk, "paper-intake-01-verify")

    # The first item has the focus; the clerk goes to the katakana name and types over it.
    kana_id = html_id("claimant.name_kana")
    assert clerk.locator(f"#{kana_id}").input_value() != CORRECT_KANA
    _retype(clerk, kana_id, CORRECT_KANA)
    with clerk.expect_navigation(timeout=60_000):
        clerk.keyboard.press("Enter")
    # What the machine misread in a way the rules refuse is named at the top: typed over, then Enter.
    for _round in range(3):
        if clerk.locator("#error-summary").count() == 0:
            break
        screenshot(clerk, "paper-intake-02-refused")
        assert_accessible(clerk)
        hrefs = clerk.eval_on_selector_all(
            "#error-summary a", "links => links.map(l => l.getAttribute('href'))"
        )
        paths = {html_id(zone.path): zone.path for zone in _zones(definition)}
        for href in hrefs:
            field_id = href.lstrip("#")
            if field_id not in paths:
                continue
            expected = input_value(value_at(answers, paths[field_id]))
            if clerk.locator(f"select#{field_id}").count():
                clerk.focus(f"#{field_id}")
                clerk.select_option(f"#{field_id}", expected)
            else:
                _retype(clerk, field_id, expected)
        clerk.focus(f"#{kana_id}")
        with clerk.expect_navigation(timeout=60_000):
            clerk.keyboard.press("Enter")
    assert clerk.locator("#error-summary").count() == 0, clerk.inner_text("main")
    accepted = clerk.inner_text(".messages")
    receipt = RECEIPT_PATTERN.search(accepted)
    assert receipt, accepted

    # The case is in the queue, made on paper (紙), with the scanned pages on its page.
    clerk.goto(f"/staff/?q={receipt.group(0)}")
    row = clerk.locator("table.cases tbody tr", has_text=receipt.group(0))
    assert "紙" in row.locator(".case-channel").inner_text()
    click_and_wait(clerk, row.locator(f"a:has-text('{receipt.group(0)}')"))
    assert "紙" in clerk.inner_text(".case-channel")
    main = clerk.inner_text("main")
    assert CORRECT_KANA in main
    scans = clerk.locator(".case-attachments a[download]")
    assert scans.count() >= 2 and re.search(r"paper-form-.+-page-1\.png", main), main
    assert_accessible(clerk, "paper-intake-03-case")

    # The clerk approves it; the hand-over to the core system carries it once, even run twice.
    click_and_wait(clerk, clerk.locator("form[action$='/start-review/'] button"))
    click_and_wait(clerk, clerk.locator("a[href*='decision=approve']"))
    click_and_wait(clerk, clerk.locator("main form button[type=submit]"))
    assert clerk.locator("#case-status .status-approved").count() == 1
    folder = server.data_dir / "handover" / "e2e-paper"
    folder.mkdir(parents=True, exist_ok=True)
    admin = new_context(width=1280, height=800, language="ja").new_page()
    staff_sign_in(admin, ADMIN)
    admin.goto("/staff/handover/new/")
    admin.fill("#id_name", "児童手当 紙の申請の連携（e2e）")
    option = admin.locator(
        "#id_procedure option", has_text="児童手当の額についての認定請求"
    ).first.get_attribute("value")
    admin.select_option("#id_procedure", option)
    admin.select_option("#id_destination", "folder")
    admin.fill("#id_folder", "e2e-paper")
    click_and_wait(admin, admin.locator("main form button[type=submit]"))
    # A new target first hands over the earlier decided cases too (at most 5,000 a run); it runs
    # until nothing is new, and then once more.
    for _run in range(6):
        click_and_wait(admin, admin.locator("main a", has_text="今すぐ実行"))
        nothing_new = "新しい案件はありません" in admin.locator("main").inner_text()
        click_and_wait(admin, admin.locator("main form button[type=submit]"))
        if nothing_new:
            break
    else:
        raise AssertionError("the hand-over still found new cases after six runs")
    handed_over = [
        number
        for manifest in sorted(folder.glob("*.manifest.json"))
        for number in json.loads(manifest.read_text(encoding="utf-8"))["receipts"]
    ]
    assert handed_over.count(receipt.group(0)) == 1, handed_over
    data_files = [
        path for path in folder.glob("*.csv") if receipt.group(0) in path.read_text(encoding="utf-8")
    ]
    assert len(data_files) == 1


def _zones(definition: Any) -> list[Any]:
    from idx.intake.layout import build_layout

    return [zone for _page, zone in build_layout(definition).zones()]
