"""The city administrator at a 1280×800 desk sets up a hand-over to a core system (a folder of
this server), is told what is missing first, runs it after a second look, sees the run in the
history and runs it again with nothing new to send; every page is checked with axe-core."""

from __future__ import annotations

import json
from typing import Any

import pytest
from e2e_support import assert_accessible, click_and_wait, screenshot, staff_sign_in

pytestmark = pytest.mark.e2e

ADMIN = "admin@staff.iga.example.jp"


def test_admin_sets_up_a_hand_over_and_runs_it_once(new_context: Any, server: Any) -> None:
    folder = server.data_dir / "handover" / "e2e-kikan"
    folder.mkdir(parents=True, exist_ok=True)
    page = new_context(width=1280, height=800, language="ja").new_page()
    staff_sign_in(page, ADMIN)

    click_and_wait(page, page.locator("nav a[href='/staff/handover/']").first)
    assert page.locator("h1").inner_text() == "基幹系システムへの連携"
    assert_accessible(page, "staff-handover-list")

    click_and_wait(page, page.locator("main a[href='/staff/handover/new/']"))
    page.fill("#id_name", "児童手当 基幹連携（e2e）")
    child_allowance = page.locator("#id_procedure option", has_text="児童手当").first.get_attribute("value")
    page.select_option("#id_procedure", child_allowance)
    page.select_option("#id_destination", "folder")
    click_and_wait(page, page.locator("main form button[type=submit]"))
    assert (
        "フォルダー: フォルダーを入力してください。"
        in page.locator(".error-summary, main").first.inner_text()
    )
    assert page.input_value("#id_name") == "児童手当 基幹連携（e2e）"  # nothing typed is lost
    assert_accessible(page, "staff-handover-form-error")
    screenshot(page, "staff-handover-form-error")

    page.fill("#id_folder", "e2e-kikan")
    click_and_wait(page, page.locator("main form button[type=submit]"))
    assert page.locator("h1").inner_text() == "児童手当 基幹連携（e2e）"
    assert_accessible(page, "staff-handover-target")

    click_and_wait(page, page.locator("main a", has_text="今すぐ実行"))
    assert page.locator("h1").inner_text() == "今すぐ連携しますか？"
    assert_accessible(page, "staff-handover-run")
    screenshot(page, "staff-handover-run")
    assert list(folder.iterdir()) == []  # nothing is sent by looking

    click_and_wait(page, page.locator("main form button[type=submit]"))
    history = page.locator("main table.cases").inner_text()
    assert "配信済み" in history or "新しい案件なし" in history
    assert_accessible(page, "staff-handover-history")
    screenshot(page, "staff-handover-history")
    manifests = sorted(folder.glob("*.manifest.json"))
    first_receipts: list[str] = (
        json.loads(manifests[0].read_text(encoding="utf-8"))["receipts"] if manifests else []
    )

    # Run again: no case goes in a second file.
    click_and_wait(page, page.locator("main a", has_text="今すぐ実行"))
    assert "新しい案件はありません" in page.locator("main").inner_text()
    click_and_wait(page, page.locator("main form button[type=submit]"))
    receipts = [
        receipt
        for manifest in sorted(folder.glob("*.manifest.json"))
        for receipt in json.loads(manifest.read_text(encoding="utf-8"))["receipts"]
    ]
    assert receipts == first_receipts and len(set(receipts)) == len(receipts)
    assert not list(folder.glob(".*.part"))
