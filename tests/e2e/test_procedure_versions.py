"""A city administrator takes a new version of 粗大ごみ収集の申込 from draft to residents and back, at
1280×800 with axe-core on every page: the draft's changes on the publish page, a schedule for
令和12年4月1日 0時 that is then cancelled, publishing now, the changes between versions, and
withdrawing with a reason. In between, a resident's form on the new version shows and hides the
questions that depend on an answer (``in`` and ``not_equals``) at once with JavaScript."""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from e2e_support import DEMO_PASSWORD, assert_accessible, click_and_wait, screenshot, staff_sign_in

pytestmark = pytest.mark.e2e

CITY_ADMIN = "admin@staff.iga.example.jp"
RESIDENT = "resident3@iga.example.jp"
CODE = "bulky-waste-collection"
DEFINITIONS = Path(__file__).resolve().parents[2] / "src" / "idx" / "procedures" / "definitions"
STEP_URL = re.compile(r"/my/applications/(?P<id>[^/]+)/steps/(?P<step>[^/?#]+)/")


def _text(ja: str, easy: str, en: str) -> dict[str, str]:
    return {"ja": ja, "ja-easy": easy, "en": en}


def revised() -> dict[str, Any]:
    """The next version: 「収集場所の住所（番地まで）」, no 「その他」 item type, a road question for the
    mountain districts (``in``) and a carrying question when the items are not on the ground floor
    (``not_equals``)."""
    data = yaml.safe_load((DEFINITIONS / f"{CODE}.yaml").read_text(encoding="utf-8"))
    data = copy.deepcopy(data)
    applicant = data["steps"][0]["items"]
    next(item for item in applicant if item["field"] == "collection_address")["label"]["ja"] = (
        "収集場所の住所（番地まで）"
    )
    properties = data["schema"]["properties"]
    properties["road_access"] = {"type": "string", "maxLength": 200}
    properties["floor"] = {"type": "string", "enum": ["ground", "upper"]}
    properties["carrying_notes"] = {"type": "string", "maxLength": 200}
    applicant.append(
        {
            "field": "road_access",
            "widget": "textarea",
            "when": {"field": "area", "in": ["shimagahara", "oyamada"]},
            "label": _text(
                "収集車が入れる道", "ごみの車が通れる道", "Road access for the collection vehicle"
            ),
        }
    )
    schedule = next(step for step in data["steps"] if step["id"] == "schedule")
    schedule["items"] += [
        {
            "field": "floor",
            "widget": "radio",
            "label": _text("出すものがある階", "ごみがある階", "Floor where the items are"),
            "options": [
                {"value": "ground", "label": _text("1階", "1かい", "Ground floor")},
                {"value": "upper", "label": _text("2階以上", "2かいより上", "Upper floor")},
            ],
        },
        {
            "field": "carrying_notes",
            "widget": "text",
            "when": {"field": "floor", "not_equals": "ground"},
            "label": _text("運び出しについて", "運び出すこと", "Carrying the items out"),
        },
    ]
    item_type = data["steps"][1]["items"][0]["items"][0]
    item_type["options"] = [option for option in item_type["options"] if option["value"] != "other"]
    properties["items"]["items"]["properties"]["item_type"]["enum"].remove("other")
    return data


def _save_draft(page: Any) -> None:
    page.goto(f"/staff/procedures/{CODE}/edit/")
    page.fill("#definition", json.dumps(revised(), ensure_ascii=False, indent=1))
    click_and_wait(page, page.locator("main form button[value=save]"))
    assert "/edit/" in page.url and page.locator(".error-summary").count() == 0, page.url


def _version_of_draft(page: Any) -> str:
    return re.search(r"バージョン(\d+)", page.locator("#publish-summary dd").first.inner_text()).group(1)


def test_publish_schedule_cancel_withdraw_and_live_conditions(new_context: Any) -> None:
    page = new_context(width=1280, height=800, language="ja").new_page()
    staff_sign_in(page, CITY_ADMIN)
    _save_draft(page)

    # The publish page: the draft's changes against the published version, in words.
    page.goto(f"/staff/procedures/{CODE}/publish/")
    changes = page.locator("#diff-items").inner_text()
    assert "質問「収集場所の住所（番地まで）」を変更しました" in changes
    assert "質問文（日本語）：「収集場所の住所」→「収集場所の住所（番地まで）」" in changes
    assert "選択肢「その他」を削除しました" in changes
    assert "質問「運び出しについて」を追加しました" in changes
    assert "collection_address" not in page.locator("main").inner_text()
    number = _version_of_draft(page)
    assert_accessible(page, "staff-versions-publish")
    screenshot(page, "staff-versions-publish")

    # A mistyped date is named, and nothing typed is lost; then 令和12年4月1日 0時.
    page.locator("#id_when_1").check()
    page.fill("#id_publish_date", "4月はじめ")
    page.fill("#id_publish_time", "0:00")
    page.locator("#id_confirm").check()
    click_and_wait(page, page.locator("#publish-button"))
    assert page.locator("#error-summary").is_visible()
    assert "令和9年4月1日" in page.locator("#error-summary").inner_text()
    assert page.locator("#id_publish_date").input_value() == "4月はじめ"
    assert_accessible(page, "staff-versions-publish-error")
    page.fill("#id_publish_date", "令和12年4月1日")
    page.locator("#id_confirm").check()
    click_and_wait(page, page.locator("#publish-button"))
    assert page.url.endswith(f"/staff/procedures/{CODE}/versions/"), page.url
    assert f"バージョン{number}を2030年4月1日 0:00に公開します。" in page.locator("main").inner_text()
    row = page.locator(f"#version-{number}")
    assert "公開予定（2030年4月1日 0:00）" in row.inner_text()
    assert "公開中" in page.locator("#versions").inner_text()
    assert_accessible(page, "staff-versions-list")
    screenshot(page, "staff-versions-list-scheduled")

    # Cancel the schedule, then publish now.
    page.goto(f"/staff/procedures/{CODE}/publish/")
    assert "2030年4月1日 0:00" in page.locator("#scheduled-at").inner_text()
    click_and_wait(page, page.locator("#unschedule"))
    assert f"バージョン{number}の公開予定を取り消しました。" in page.locator("main").inner_text()
    assert page.locator("#scheduled-at").count() == 0
    page.locator("#id_when_0").check()
    page.locator("#id_confirm").check()
    click_and_wait(page, page.locator("#publish-button"))
    assert f"バージョン{number}を公開しました。" in page.locator("main").inner_text()
    assert "公開中" in page.locator(f"#version-{number}").inner_text()

    # The changes from the version before, from the list's link.
    click_and_wait(page, page.locator(f"#version-{number} a[href*='/versions/diff/']"))
    assert "質問「収集車が入れる道」を追加しました" in page.locator("#diff-items").inner_text()
    assert_accessible(page, "staff-versions-diff")
    screenshot(page, "staff-versions-diff")

    # A resident's form on the new version: the dependent questions appear and go at once.
    resident = new_context(width=1280, height=800, language="ja").new_page()
    resident.goto(f"/procedures/{CODE}/")
    click_and_wait(resident, resident.locator("form[action$='/start/'] button[type=submit]"))
    resident.fill("#id_email", RESIDENT)
    resident.fill("#id_password", DEMO_PASSWORD)
    click_and_wait(resident, resident.locator("main form").last.locator("button[type=submit]"))
    if "/start/" in resident.url and STEP_URL.search(resident.url) is None:
        click_and_wait(resident, resident.locator("main form[action$='/start/'] button[type=submit]"))
    match = STEP_URL.search(resident.url)
    assert match, resident.url
    road = resident.locator("#f-road-access-wrap")
    assert road.is_hidden()
    resident.select_option("#f-area", "oyamada")
    assert road.is_visible()
    resident.select_option("#f-area", "ueno")
    assert road.is_hidden()
    resident.goto(f"/my/applications/{match.group('id')}/steps/schedule/")
    carrying = resident.locator("#f-carrying-notes-wrap")
    assert carrying.is_hidden()
    resident.locator("#f-floor-2").check()  # 2階以上
    assert carrying.is_visible()
    assert_accessible(resident, "portal-conditions-not-equals")
    screenshot(resident, "portal-conditions-not-equals")
    resident.locator("#f-floor-1").check()  # 1階
    assert carrying.is_hidden()

    # Withdraw: the page says which version comes back; a reason is needed.
    page.goto(f"/staff/procedures/{CODE}/versions/")
    click_and_wait(page, page.locator("main a[href$='/withdraw/']"))
    summary = page.locator("#withdraw-summary").inner_text()
    assert f"バージョン{number}を取り下げ" in summary
    previous = re.search(r"バージョン(\d+)を再び公開します", summary).group(1)
    assert "質問「運び出しについて」を削除しました" in page.locator("#diff-items").inner_text()
    assert_accessible(page, "staff-versions-withdraw")
    click_and_wait(page, page.locator("#withdraw-button"))
    assert page.locator("#error-summary").is_visible()
    assert "取り下げの理由を入力してください。" in page.locator("#error-summary").inner_text()
    assert_accessible(page, "staff-versions-withdraw-error")
    page.fill("#id_reason", "住所の質問文の変更は4月からのため")
    click_and_wait(page, page.locator("#withdraw-button"))
    text = page.locator("main").inner_text()
    assert f"バージョン{number}を取り下げました。バージョン{previous}を再び公開しています。" in text
    assert "取り下げ" in page.locator(f"#version-{number}").inner_text()
    assert "住所の質問文の変更は4月からのため" in page.locator(f"#version-{number}").inner_text()
    assert "公開中" in page.locator(f"#version-{previous}").inner_text()
    screenshot(page, "staff-versions-withdrawn")
