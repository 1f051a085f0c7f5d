"""A こども家庭課 clerk at a 1280×800 desk asks for a correction of two items of a 児童手当 claim;
the resident fixes them on a phone (390×844); the clerk sees 変更前 → 変更後 and approves after the
confirmation page. The queue's cells never wrap with 40 cases. axe on every staff page."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from typing import Any

import pytest
from e2e_support import assert_accessible, click_and_wait, screenshot, staff_sign_in

pytestmark = pytest.mark.e2e

CLERK = "kodomo-katei@staff.iga.example.jp"
RESIDENT_PASSWORD = "kodomo-teate-2026!"
NEW_PHONE = "0595-41-2345"
NOTE_PHONE = "日中に連絡がとれる電話番号を入力してください。"
NOTE_BIRTH = "母子健康手帳の生年月日と違います。"

# Made through the same services residents use (a signed 児童手当 claim for a new resident), plus
# thirty more received claims so the queue holds about forty cases as a desk would.
SEED = """
import uuid
from django.utils import timezone
from idx.applications import services
from idx.common.models import Municipality
from idx.demo_idp.jpki import demo_signature
from idx.identity.models import User
from idx.procedures.models import Procedure

iga = Municipality.objects.get(code="242161")
procedure = Procedure.objects.select_related("published_version").get(
    municipality=iga, code="child-allowance-certification"
)

def claim(resident):
    draft = services.application_start(resident=resident, procedure=procedure)
    draft = services.application_save_answers(
        application=draft, actor=resident, answers=dict(procedure.published_version.definition["example"])
    )
    return services.application_submit(
        application=draft, actor=resident, declaration_accepted=True, signature=demo_signature(draft)
    )

def with_files(resident):
    import io
    from PIL import Image
    draft = services.application_start(resident=resident, procedure=procedure)
    draft = services.application_save_answers(
        application=draft, actor=resident, answers=dict(procedure.published_version.definition["example"])
    )
    picture = io.BytesIO()
    Image.new("RGB", (320, 200), (40, 120, 60)).save(picture, format="PNG")
    services.attachment_add(
        application=draft, actor=resident, field_path="bank_document", name="通帳.png", data=picture.getvalue()
    )
    services.attachment_add(
        application=draft, actor=resident, field_path="pension_document", name="資格確認書.pdf",
        data=(
            b"%PDF-1.4\\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\\n2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\\n"
            b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]>>endobj\\ntrailer<</Root 1 0 R>>\\n%%EOF\\n"
        ),
    )
    return services.application_submit(
        application=draft, actor=resident, declaration_accepted=True, signature=demo_signature(draft)
    )

with services.notifications_muted():
    resident = User.objects.create_user(
        municipality=iga, email="{email}", password="{password}", full_name="伊賀 太郎",
        email_verified_at=timezone.now(),
    )
    mine = with_files(resident)
    for index in range({extra}):
        other = User.objects.create_user(
            municipality=iga, email=f"queue-{{uuid.uuid4().hex[:8]}}@example.jp", password="{password}",
            full_name="伊賀 太郎", email_verified_at=timezone.now(),
        )
        claim(other)
print(mine.public_id)
"""


def _seed(server: Any, email: str, extra: int) -> str:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "idx.settings.dev",
        "IDX_DATA_DIR": str(server.data_dir),
        "IDX_TASK_BACKEND": "immediate",
        "IDX_LOG_LEVEL": "WARNING",
    }
    if os.environ.get("DATABASE_URL", "").startswith(("postgres", "postgresql")):
        from conftest import _e2e_database

        env["DATABASE_URL"] = _e2e_database(os.environ["DATABASE_URL"])[0]
    else:
        env.pop("DATABASE_URL", None)
    code = SEED.format(email=email, password=RESIDENT_PASSWORD, extra=extra)
    done = subprocess.run(  # noqa: S603 - fixed argv: this interpreter and the project's CLI
        [sys.executable, "-m", "idx.cli", "manage", "shell", "-c", code],
        env=env,
        cwd=server.data_dir,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout.strip().splitlines()[-1]


def _one_line_cells(page: Any) -> None:
    """Receipt numbers, names, dates and contacts keep to one line at 1280 px."""
    heights = page.locator("table.cases td.nowrap").evaluate_all(
        """cells => cells.map(cell => {
            const style = getComputedStyle(cell);
            const line = parseFloat(style.lineHeight) || parseFloat(style.fontSize) * 1.5;
            // The row is as tall as its tallest cell: measure the cell's own text, not the cell.
            const range = document.createRange();
            range.selectNodeContents(cell);
            const text = range.getBoundingClientRect().height;
            return {text: cell.innerText, lines: Math.round(text / line), wraps: style.whiteSpace};
        })"""
    )
    assert len(heights) >= 5 * 30, len(heights)
    wrapped = [cell for cell in heights if cell["lines"] > 1 or cell["wraps"] != "nowrap"]
    assert not wrapped, wrapped[:5]


def test_clerk_requests_a_correction_of_two_items_and_sees_the_diff(new_context: Any, server: Any) -> None:
    email = f"e2e-correction-{uuid.uuid4().hex[:8]}@example.jp"
    public_id = _seed(server, email, extra=30)

    clerk = new_context(width=1280, height=800, language="ja").new_page()
    staff_sign_in(clerk, CLERK)
    clerk.goto("/staff/?status=")
    assert clerk.locator("table.cases tbody tr").count() >= 31
    _one_line_cells(clerk)
    assert "連絡" in clerk.locator("table.cases thead").inner_text()
    counts = clerk.locator("nav.status-counts").inner_text()
    assert "受付済み" in counts or "申請済み" in counts
    assert_accessible(clerk, "correction-queue")
    screenshot(clerk, "correction-queue")

    # A saved filter: name it, apply it from the list.
    clerk.goto("/staff/?status=submitted")
    clerk.fill("#saved-filter-name", "受付済みの案件")
    click_and_wait(clerk, clerk.locator("form.saved-filter-save button"))
    assert clerk.locator(".saved-filter-list a[href^='?']", has_text="受付済みの案件").count() == 1
    assert "?status=submitted" in clerk.url
    clerk.goto("/staff/?status=")
    click_and_wait(clerk, clerk.locator(".saved-filter-list a[href^='?']", has_text="受付済みの案件"))
    assert clerk.locator("#status").input_value() == "submitted"
    # Deleting it goes through a confirmation page.
    click_and_wait(clerk, clerk.locator(".saved-filter-list a[href$='/delete/']").first)
    assert clerk.locator("h1").inner_text() == "保存した絞り込みを削除しますか？"
    assert_accessible(clerk, "correction-saved-filter-delete")
    click_and_wait(clerk, clerk.locator("main form button[type=submit]"))
    assert "保存した絞り込み「受付済みの案件」を削除しました。" in clerk.locator("main").inner_text()
    assert clerk.locator(".saved-filter-list").count() == 0

    clerk.goto(f"/staff/cases/{public_id}/")
    click_and_wait(clerk, clerk.locator("form[action$='/start-review/'] button"))
    assert "審査を始めました。" in clerk.locator("main").inner_text()
    assert clerk.locator("a[accesskey='c']").count() == 1
    assert clerk.locator("details.keyboard-help summary").inner_text() == "キーボード操作"
    # The attachments are shown in the page (looked at in a tab of its own, so the PDF viewer stays
    # out of the rest of the journey): the image loads under the site's policy, the PDF is framed
    # from the same origin, and each can still be downloaded.
    viewer = clerk.context.new_page()
    viewer.goto(f"/staff/cases/{public_id}/")
    preview = viewer.locator(".attachment-preview img")
    preview.scroll_into_view_if_needed()
    viewer.wait_for_function("img => img.complete && img.naturalWidth === 320", arg=preview.element_handle())
    frame_src = viewer.locator(".attachment-preview iframe").get_attribute("src")
    assert frame_src and frame_src.endswith("?inline=1")
    framed = viewer.request.get(frame_src)
    assert framed.headers["content-type"] == "application/pdf"
    assert framed.headers["x-frame-options"] == "SAMEORIGIN"
    assert "frame-ancestors 'self'" in framed.headers["content-security-policy"]
    download = viewer.request.get(frame_src.removesuffix("?inline=1"))
    assert download.headers["content-disposition"].startswith("attachment;")
    viewer.locator(".attachment-preview iframe").scroll_into_view_if_needed()
    viewer.wait_for_timeout(1000)
    screenshot(viewer, "correction-attachments")
    viewer.close()

    # ---- correction mode: an error first, then two items with notes ------------------------------
    click_and_wait(clerk, clerk.locator("a[href$='/correction/']"))
    assert clerk.locator("h1").inner_text() == "修正を依頼する"
    assert_accessible(clerk, "correction-mode")
    clerk.check('input[name="flag"][value="claimant.phone"]')
    clerk.fill('input[name="note:claimant.phone"]', NOTE_PHONE)
    clerk.check('input[name="flag"][value="children[1].birth_date"]')
    clerk.fill("#correction-message", "2点の確認をお願いします。")
    click_and_wait(clerk, clerk.locator("main form button[type=submit]").first)
    assert clerk.locator("#error-summary").count() == 1
    assert "何を修正してほしいか" in clerk.locator("#error-summary").inner_text()
    assert clerk.locator('input[name="note:claimant.phone"]').input_value() == NOTE_PHONE
    assert clerk.locator("#correction-message").input_value() == "2点の確認をお願いします。"
    assert_accessible(clerk, "correction-mode-error")
    screenshot(clerk, "correction-mode-error")
    clerk.fill('input[name="note:children[1].birth_date"]', NOTE_BIRTH)
    click_and_wait(clerk, clerk.locator("main form button[type=submit]").first)
    assert clerk.locator("h1").inner_text() == "この内容で修正を依頼しますか？"
    review = clerk.locator("#correction-summary").inner_text()
    assert NOTE_PHONE in review and NOTE_BIRTH in review and "2項目" in review
    assert_accessible(clerk, "correction-review")
    screenshot(clerk, "correction-review")
    click_and_wait(clerk, clerk.locator("form[action$='/request-correction/'] button[data-once]"))
    assert "差し戻しました" in clerk.locator("main").inner_text()
    summary = clerk.locator("#correction-open").inner_text()
    assert "修正依頼中：2項目" in summary and "年" in summary
    assert clerk.locator("tr.flagged").count() == 2
    assert_accessible(clerk, "correction-open")
    screenshot(clerk, "correction-open")

    # ---- the resident fixes both items on a phone ---------------------------------------------------
    phone = new_context(width=390, height=844).new_page()
    phone.goto("/accounts/login/")
    phone.fill("#id_email", email)
    phone.fill("#id_password", RESIDENT_PASSWORD)
    click_and_wait(phone, phone.locator("main form button[type=submit]").last)
    phone.goto(f"/my/applications/{public_id}/correct/")
    assert phone.locator(".correction-note").count() == 2
    assert NOTE_BIRTH in phone.locator("main").inner_text()
    phone.locator('[name="f.claimant.phone"]').fill(NEW_PHONE)
    phone.locator('[name="f.children.1.birth_date"]').fill("2019/4/18")
    screenshot(phone, "correction-resident")
    click_and_wait(phone, phone.locator("main form button[type=submit]").last)
    assert phone.url.endswith(f"/my/applications/{public_id}/"), phone.url
    assert phone.locator(".status-resubmitted").count() == 1

    # ---- the clerk sees what changed and approves through the confirmation ----------------------------
    clerk.reload()
    diff = clerk.locator("#correction-diff")
    assert diff.count() == 1
    text = diff.inner_text()
    assert "0595-22-9999" in text and NEW_PHONE in text
    assert "2019年4月8日" in text and "2019年4月18日" in text
    assert "2019-04" not in text
    assert diff.locator("del").count() == 2 and diff.locator("ins").count() == 2
    assert_accessible(clerk, "correction-diff")
    screenshot(clerk, "correction-diff")
    click_and_wait(clerk, clerk.locator("a[href*='decision=approve']"))
    assert clerk.locator("#decision-summary").is_visible()
    assert_accessible(clerk, "correction-approve-confirmation")
    click_and_wait(clerk, clerk.locator("main form button[type=submit]").first)
    main = clerk.locator("main").inner_text()
    assert "承認しました" in main and "保存しました" not in main
    assert clerk.locator("#case-status .status-approved").count() == 1
    screenshot(clerk, "correction-approved")
