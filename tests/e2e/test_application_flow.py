"""The resident's way through an application on a 390×844 phone, signed out first: back where they
were after signing up and in, every problem at once in a focused summary at the top, conditional
questions appearing at once with JavaScript, the page opening at a new child's entry, 「変更」
returning to the check page, once-only details, and a confirmed deletion. axe-core on every page;
screenshots in the e2e output folder. (Withdrawing a paid application, the new entry's keyboard
focus and the conditions without JavaScript are in test_withdraw_repeat_and_conditions.py.)"""

from __future__ import annotations

import copy
import re
import uuid
from pathlib import Path
from typing import Any

import pytest
import yaml
from e2e_support import (
    DEMO_PASSWORD,
    assert_accessible,
    assert_no_form_errors,
    click_and_wait,
    fill_answers,
)

pytestmark = pytest.mark.e2e

DEFINITIONS = Path(__file__).resolve().parents[2] / "src" / "idx" / "procedures" / "definitions"
CERTIFICATE = "residence-certificate-request"
CHILD_ALLOWANCE = "child-allowance-certification"
RESIDENT = "resident2@iga.example.jp"
STEP_URL = re.compile(r"/my/applications/(?P<id>[^/]+)/steps/(?P<step>[^/?#]+)/")


def _example(code: str) -> dict[str, Any]:
    data = yaml.safe_load((DEFINITIONS / f"{code}.yaml").read_text(encoding="utf-8"))
    return copy.deepcopy(data["example"])


def _focused_id(page: Any) -> str:
    return str(page.evaluate("() => document.activeElement ? document.activeElement.id : ''"))


def _assert_summary_focused(page: Any) -> list[str]:
    """The error summary is at the top of the page, has the focus, and each line links to a field."""
    summary = page.locator("#error-summary")
    assert summary.count() == 1
    assert _focused_id(page) == "error-summary"
    box = summary.bounding_box()
    assert box is not None and box["y"] < 844, "the summary must be on the first screen"
    targets = [
        href.lstrip("#")
        for href in summary.locator("a").evaluate_all("els => els.map(e => e.getAttribute('href'))")
    ]
    assert targets
    for target in targets:
        assert page.locator(f"#{target}").count() == 1, target
    return targets


def _sign_in_here(page: Any, email: str, password: str = DEMO_PASSWORD) -> None:
    assert "/accounts/login/" in page.url, page.url
    page.fill("#id_email", email)
    page.fill("#id_password", password)
    click_and_wait(page, page.locator("main form").last.locator("button[type=submit]"))


@pytest.mark.parametrize("language", ["ja", "ja-easy", "en"])
def test_signed_out_start_sign_up_and_continue(new_context: Any, mailbox: Any, language: str) -> None:
    """「申請を始める」 while signed out → sign up → confirm the address → sign in → the start page."""
    page = new_context(width=390, height=844, language=language).new_page()
    shot = f"flow-{language}"
    page.goto(f"/procedures/{CERTIFICATE}/")
    assert_accessible(page, f"{shot}-01-procedure")
    click_and_wait(page, page.locator("form[action$='/start/'] button[type=submit]"))
    assert "/accounts/login/" in page.url and "next=" in page.url, page.url
    assert_accessible(page, f"{shot}-02-sign-in")
    # No account yet: the sign-up link keeps where the resident was going.
    click_and_wait(page, page.locator("main a[href^='/accounts/signup/?next=']"))
    assert_accessible(page, f"{shot}-03-sign-up")
    # A refused sign-up: the summary at the top, focused, naming each field.
    click_and_wait(page, page.locator("main form button[type=submit]"))
    targets = _assert_summary_focused(page)
    assert targets[0] == "id_full_name"
    assert_accessible(page, f"{shot}-04-sign-up-errors")
    email = f"flow-{language}-{uuid.uuid4().hex[:8]}@example.jp"
    password = "tsuzuki-kara-2026"
    page.fill("#id_full_name", "伊賀 みどり")
    page.fill("#id_email", email)
    page.fill("#id_password", password)
    click_and_wait(page, page.locator("main form button[type=submit]"))
    mail = mailbox.wait_for(lambda m: email in m.to and "/accounts/verify/" in m.body, what="verification")
    link = re.search(r"https?://\S+/accounts/verify/\S+/", mail.body)
    assert link
    page.goto(link.group(0))
    assert "/accounts/login/" in page.url and "next=" in page.url, page.url
    _sign_in_here(page, email, password)
    # Back to what the resident was doing: the start page (never a blank 405).
    assert page.url.endswith(f"/procedures/{CERTIFICATE}/start/"), page.url
    assert_accessible(page, f"{shot}-05-start")
    click_and_wait(page, page.locator("main form[action$='/start/'] button[type=submit]"))
    assert STEP_URL.search(page.url), page.url
    # Once-only: the name of the account is offered, and filled in only on request.
    offer = page.locator("#prefill-offer")
    assert offer.count() == 1 and "みどり" in offer.inner_text()  # (with readings in やさしい日本語)
    assert page.locator('[name="f.requester.name"]').input_value() == ""
    assert_accessible(page, f"{shot}-06-step-offer")
    click_and_wait(page, page.locator('button[name="action"][value="prefill"]'))
    assert page.locator('[name="f.requester.name"]').input_value() == "伊賀 みどり"
    # Every problem of the step at once, in the summary that has the focus.
    click_and_wait(page, page.locator('button[name="action"][value="next"]'))
    targets = _assert_summary_focused(page)
    assert len(targets) >= 3
    assert_accessible(page, f"{shot}-07-step-errors")
    page.locator("#error-summary a").first.click()
    assert _focused_id(page) == targets[0] or page.evaluate("() => location.hash") == f"#{targets[0]}"


def test_child_allowance_flow_with_javascript(new_context: Any) -> None:
    example = _example(CHILD_ALLOWANCE)
    page = new_context(width=390, height=844).new_page()
    page.goto(f"/procedures/{CHILD_ALLOWANCE}/")
    click_and_wait(page, page.locator("form[action$='/start/'] button[type=submit]"))
    _sign_in_here(page, RESIDENT)
    assert page.url.endswith(f"/procedures/{CHILD_ALLOWANCE}/start/"), page.url
    click_and_wait(page, page.locator("main form[action$='/start/'] button[type=submit]"))
    public_id = STEP_URL.search(page.url).group("id")

    # A malformed 個人番号 hides nothing: every missing item is listed with it.
    page.fill('[name="f.claimant.name"]', example["claimant"]["name"])
    page.fill('[name="f.claimant.my_number"]', "1234")
    click_and_wait(page, page.locator('button[name="action"][value="next"]'))
    targets = _assert_summary_focused(page)
    assert (
        "f-claimant-my-number" in targets
        and "f-claimant-name-kana" in targets
        and "f-claimant-address" in targets
    )
    assert_accessible(page, "flow-ja-10-claimant-errors")
    fill_answers(page, {"claimant": example["claimant"]})
    click_and_wait(page, page.locator('button[name="action"][value="next"]'))
    assert_no_form_errors(page)

    # 配偶者: nothing of the spouse before the question is answered; "yes" shows it at once.
    assert page.url.endswith("/steps/spouse/"), page.url
    spouse = page.locator("#f-spouse-wrap")
    assert spouse.is_hidden()
    assert_accessible(page, "flow-ja-11-spouse-unanswered")
    page.locator("#f-has-spouse-yes").check()
    assert spouse.is_visible()
    page.locator("#f-has-spouse-no").check()
    assert spouse.is_hidden()
    page.locator("#f-has-spouse-yes").check()
    fill_answers(page, {"spouse": example["spouse"]})
    assert_accessible(page, "flow-ja-12-spouse-answered")
    click_and_wait(page, page.locator('button[name="action"][value="next"]'))
    assert_no_form_errors(page)

    # 児童を追加: the page opens at the new child, its first input focused and on screen.
    assert page.url.endswith("/steps/children/"), page.url
    fill_answers(page, {"children": example["children"][:1]})
    click_and_wait(page, page.locator('button[name="action"][value="add:children"]'))
    assert page.locator("#f-children-1-name").get_attribute("autofocus") is not None
    assert page.evaluate("() => location.hash") == "#f-children-1"
    top = page.evaluate("() => document.getElementById('f-children-1-name').getBoundingClientRect().top")
    assert 0 <= top < 844, top
    assert_accessible(page, "flow-ja-13-child-added")
    fill_answers(page, {key: value for key, value in example.items() if key != "children"})
    fill_answers(page, {"children": example["children"][:2]})

    # The remaining steps, then the check page.
    for _ in range(10):
        if not STEP_URL.search(page.url):
            break
        fill_answers(page, example)
        click_and_wait(page, page.locator('button[name="action"][value="next"]'))
        assert_no_form_errors(page)
    assert page.url.split("#")[0].endswith(f"/my/applications/{public_id}/review/"), page.url
    assert_accessible(page, "flow-ja-14-review")
    # Submitting without the declaration: the summary at the top, focused, linking to the tick box.
    click_and_wait(page, page.locator("main form button[type=submit]").last)
    assert _assert_summary_focused(page) == ["declaration"]
    assert_accessible(page, "flow-ja-15-review-errors")
    # 「変更」 leads to the step and back to the check page, not through every later step.
    click_and_wait(page, page.locator("main a[href$='/steps/claimant/?return=review']"))
    page.fill('[name="f.claimant.phone"]', "0595-41-2345")
    assert_accessible(page, "flow-ja-16-change-step")
    click_and_wait(page, page.locator('button[name="action"][value="next"]'))
    assert page.url.split("#")[0].endswith(f"/my/applications/{public_id}/review/"), page.url
    assert "0595-41-2345" in page.inner_text("main")

    # Deleting the draft is confirmed on a warning page first.
    page.goto(f"/my/applications/{public_id}/")
    click_and_wait(page, page.locator(f"main a[href$='/my/applications/{public_id}/discard/']"))
    assert page.locator(".panel-warning").count() == 1
    assert_accessible(page, "flow-ja-17-delete-confirm")
    click_and_wait(page, page.locator("main form button[type=submit]"))
    assert page.url.split("#")[0].endswith("/my/applications/"), page.url
    assert page.locator(f"a[href*='{public_id}']").count() == 0
