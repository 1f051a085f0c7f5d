"""A resident claims the child allowance on a phone; a clerk asks for a correction, then approves."""

from __future__ import annotations

import copy
import re
import uuid
from pathlib import Path
from typing import Any

import pytest
import yaml
from e2e_support import (
    RECEIPT_PATTERN,
    assert_accessible,
    assert_no_form_errors,
    click_and_wait,
    fill_answers,
    staff_sign_in,
)

pytestmark = pytest.mark.e2e

DEFINITION = (
    Path(__file__).resolve().parents[2]
    / "src"
    / "idx"
    / "procedures"
    / "definitions"
    / "child-allowance-certification.yaml"
)
PROCEDURE_NAME = "児童手当等の受給資格及び児童手当の額についての認定請求"
CLERK_EMAIL = "kodomo-katei@staff.iga.example.jp"
NEW_PHONE = "0595-41-2345"
SAVE_EXIT_STEP = "account"
# The resident signed up in Japanese, so the status e-mails are in Japanese ("状況: …" line).
STATUS_SUBMITTED = "申請済み"
STATUS_CORRECTION = "差し戻し（補正依頼）"
STATUS_APPROVED = "承認"


def _status_of(mail: Any) -> str | None:
    found = re.search(r"^(?:状況|Status): (.+?)\s*$", mail.body, re.MULTILINE)
    return found.group(1) if found else None


def _example() -> dict[str, Any]:
    data = yaml.safe_load(DEFINITION.read_text(encoding="utf-8"))
    return copy.deepcopy(data["example"])


def _main_submit(page: Any) -> Any:
    return page.locator("main form button[type=submit]").last


def test_child_allowance_journey(new_context: Any, mailbox: Any, server: Any) -> None:
    example = _example()
    resident_email = f"e2e-{uuid.uuid4().hex[:10]}@example.jp"
    resident_password = "kodomo-teate-2026!"
    visited: list[str] = []

    def check(page: Any, name: str) -> None:
        """axe on every page the journey passes through (numbered screenshots in output/)."""
        assert_accessible(page, f"journey-{len(visited):02d}-{name}")
        visited.append(name)

    resident_context = new_context(width=390, height=844)
    page = resident_context.new_page()

    # ---- sign up and confirm the address ------------------------------------------------
    page.goto("/accounts/signup/")
    check(page, "signup")
    page.fill("#id_full_name", "伊賀 太郎")
    page.fill("#id_email", resident_email)
    page.fill("#id_password", resident_password)
    click_and_wait(page, _main_submit(page))
    assert resident_email in page.inner_text("main")
    check(page, "signup-done")

    verification = mailbox.wait_for(
        lambda mail: resident_email in mail.to and "/accounts/verify/" in mail.body,
        what="verification e-mail",
    )
    link = re.search(r"https?://\S+/accounts/verify/\S+/", verification.body)
    assert link, verification.body
    assert link.group(0).startswith(server.base_url), "the link must point at the served application"
    page.goto(link.group(0))
    assert page.url.endswith("/accounts/login/"), page.url
    assert page.locator(".message-success").count() == 1
    check(page, "signin")
    page.fill("#id_email", resident_email)
    page.fill("#id_password", resident_password)
    click_and_wait(page, _main_submit(page))
    assert "/my/applications/" in page.url

    # ---- find the procedure in the catalog -----------------------------------------------
    page.goto("/")
    check(page, "catalog")
    page.fill("#q", "児童手当 認定請求")
    click_and_wait(page, page.locator("form[role=search] button[type=submit]"))
    results = page.locator(".card-list .card h3 a")
    assert PROCEDURE_NAME in results.all_inner_texts()
    check(page, "catalog-search")
    click_and_wait(page, page.get_by_role("link", name=PROCEDURE_NAME, exact=True))
    assert page.locator("h1").inner_text() == PROCEDURE_NAME
    check(page, "procedure")
    click_and_wait(page, page.locator("form[action$='/start/'] button[type=submit]"))

    # ---- fill the steps ------------------------------------------------------------------
    step_url = re.compile(r"/my/applications/(?P<id>[^/]+)/steps/(?P<step>[^/]+)/$")
    match = step_url.search(page.url)
    assert match, page.url
    public_id = match.group("id")
    saved_for_later = False
    steps_seen: list[str] = []
    while True:
        match = step_url.search(page.url)
        if not match:
            break
        step = match.group("step")
        steps_seen.append(step)
        check(page, f"step-{step}")
        filled = fill_answers(page, example)
        if "children" in filled:
            # Both children are in: the second one came through the "add a child" button.
            assert page.locator('[name="f.children.1.name"]').input_value() == example["children"][1]["name"]
        if step == SAVE_EXIT_STEP and not saved_for_later:
            saved_for_later = True
            click_and_wait(page, page.locator('button[name="action"][value="save_exit"]'))
            assert page.url.endswith("/my/applications/"), page.url
            check(page, "my-applications-draft")
            card = page.locator(".card").filter(has=page.locator(f"a[href*='{public_id}']"))
            assert card.locator(".status-draft").count() == 1
            click_and_wait(page, card.locator(f"a[href$='/my/applications/{public_id}/']"))
            check(page, "application-detail-draft")
            click_and_wait(page, page.locator(f"main a[href*='/my/applications/{public_id}/steps/']"))
            # Everything typed before leaving is still there.
            assert page.locator('[name="f.claimant.name"]').input_value() == example["claimant"]["name"]
            continue
        click_and_wait(page, page.locator('button[name="action"][value="next"]'))
        assert_no_form_errors(page)
    assert saved_for_later
    assert steps_seen.count(SAVE_EXIT_STEP) == 2, steps_seen

    # ---- review and submit ---------------------------------------------------------------
    assert page.url.endswith(f"/my/applications/{public_id}/review/"), page.url
    review = page.inner_text("main")
    for text in (example["claimant"]["name"], example["children"][0]["name"], example["children"][1]["name"]):
        assert text in review
    check(page, "review")
    page.check("#declaration")
    # 児童手当 replaces the seal with an electronic signature: the card's signing service opens.
    click_and_wait(page, page.locator("main form button[data-once]"))
    assert "/demo-idp/authorize/" in page.url, page.url
    check(page, "demo-idp-sign")
    page.check("#holder-iga-taro")  # the claimant typed above is this card's holder
    page.fill("#pin", "sign2026")
    click_and_wait(page, page.locator("button[value=sign]"))
    assert page.url.endswith("/receipt/"), page.url
    assert page.locator(".signature-status").count() == 1
    receipt_number = page.locator(".receipt-number strong").inner_text().strip()
    assert RECEIPT_PATTERN.fullmatch(receipt_number), receipt_number
    check(page, "receipt")

    submitted_mail = mailbox.wait_for(
        lambda mail: (
            resident_email in mail.to
            and receipt_number in mail.subject
            and receipt_number in mail.body
            and _status_of(mail) == STATUS_SUBMITTED
        ),
        what="submission e-mail",
    )

    # ---- the clerk asks for a correction ---------------------------------------------------
    clerk = new_context(width=1280, height=900).new_page()
    clerk.goto("/staff/login/")
    check(clerk, "staff-signin")
    staff_sign_in(clerk, CLERK_EMAIL, check)  # password and TOTP; axe on the second-factor page
    assert clerk.url.endswith("/staff/"), clerk.url
    check(clerk, "queue")
    clerk.fill("#q", receipt_number)
    click_and_wait(clerk, clerk.locator("form.filter-form button[type=submit]"))
    case_links = clerk.locator("table.cases tbody a")
    assert case_links.all_inner_texts() == [receipt_number]
    check(clerk, "queue-search")
    click_and_wait(clerk, case_links.first)
    check(clerk, "case-submitted")
    click_and_wait(clerk, clerk.locator("form[action$='/start-review/'] button[type=submit]"))
    assert clerk.locator(".status-in_review").count() == 1
    check(clerk, "case-in-review")
    # Correction mode: pick the item, write its note, then a second look before sending.
    click_and_wait(clerk, clerk.locator("a[href$='/correction/']"))
    clerk.check('input[name="flag"][value="claimant.phone"]')
    clerk.fill('input[name="note:claimant.phone"]', "日中に連絡がとれる電話番号を入力してください。")
    clerk.fill("#correction-message", "電話番号の確認をお願いします。")
    click_and_wait(clerk, clerk.locator("main form button[type=submit]").first)
    click_and_wait(clerk, clerk.locator("form[action$='/request-correction/'] button[data-once]"))
    assert clerk.locator(".status-correction_requested").count() == 1
    check(clerk, "case-correction-requested")

    correction_mail = mailbox.wait_for(
        lambda mail: (
            resident_email in mail.to
            and receipt_number in mail.body
            and _status_of(mail) == STATUS_CORRECTION
        ),
        what="correction-requested e-mail",
    )

    # ---- the resident corrects only the flagged item -----------------------------------------
    page.goto("/my/applications/")
    card = page.locator(".card").filter(has=page.locator(f"a[href*='{public_id}']"))
    assert card.locator(".status-correction_requested").count() == 1
    check(page, "my-applications-correction")
    click_and_wait(page, card.locator("a[href$='/correct/']"))
    assert "電話番号の確認をお願いします。" in page.inner_text("main")
    assert page.locator(".correction-note").count() == 1
    check(page, "correction")
    phone = page.locator('[name="f.claimant.phone"]')
    assert phone.input_value() == example["claimant"]["phone"]
    phone.fill(NEW_PHONE)
    click_and_wait(page, page.locator("main form button[type=submit]"))
    assert page.url.endswith(f"/my/applications/{public_id}/"), page.url
    assert page.locator(".status-resubmitted").count() == 1
    check(page, "application-detail-resubmitted")

    # ---- the clerk approves -------------------------------------------------------------------
    clerk.reload()
    answers = clerk.inner_text("table.answers-table")
    assert NEW_PHONE in answers and example["claimant"]["phone"] not in answers
    assert example["claimant"]["name"] in answers  # the rest is as submitted
    check(clerk, "case-resubmitted")
    # Approving is irreversible: it goes through a confirmation page, which names the applicant.
    click_and_wait(clerk, clerk.locator("a[href*='decision=approve']"))
    assert clerk.locator("#decision-summary").is_visible()
    check(clerk, "case-approve-confirm")
    clerk.fill("#decision-reason", "認定しました。")
    click_and_wait(clerk, clerk.locator("main form button[type=submit]"))
    assert clerk.locator("#case-status .status-approved").count() == 1
    check(clerk, "case-approved")

    approval_mail = mailbox.wait_for(
        lambda mail: (
            resident_email in mail.to and receipt_number in mail.body and _status_of(mail) == STATUS_APPROVED
        ),
        what="approval e-mail",
    )

    # ---- the resident sees the decision --------------------------------------------------------
    page.goto(f"/my/applications/{public_id}/")
    assert page.locator(".status-approved").count() == 1
    assert page.locator(".panel-success").count() == 1
    check(page, "application-detail-approved")

    # ---- the e-mails -----------------------------------------------------------------------------
    received = mailbox.to(resident_email)
    assert received[0] is verification, [mail.subject for mail in received]
    assert receipt_number not in verification.body
    for mail in (submitted_mail, correction_mail, approval_mail):
        assert mail in received
        assert receipt_number in mail.body
        assert f"{server.base_url}/my/applications/{public_id}/" in mail.body
    # Every later message is about this application (the service also tells of "in review" and "resubmitted").
    assert all(receipt_number in mail.body for mail in received[1:]), [mail.subject for mail in received]
    assert [_status_of(mail) for mail in received[1:]][-1] == STATUS_APPROVED
