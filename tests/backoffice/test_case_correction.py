"""Correction mode (差し戻し) on the case page: picking items with a note each, a second look before
sending, the flagged items staying visible while the correction is open, the change per item
(変更前 → 変更後) after the resident resubmits, and the attachments shown inline or downloaded."""

from __future__ import annotations

import re

import pytest
from django.utils import translation
from django.utils.html import escape
from django.utils.translation import gettext, ngettext

from idx.applications import services
from idx.applications.models import Application, CorrectionRound, Status
from tests.applications.test_attachments import PDF, png
from tests.conftest import make_draft, make_in_review, signed_in, submit


def msg(msgid: str, **params: object) -> str:
    with translation.override("ja"):
        text = gettext(msgid)
    return escape(text % params if params else text)


@pytest.fixture
def reviewed(resident, clerk):
    return make_in_review(resident, clerk)


def correction_url(application) -> str:
    return f"/staff/cases/{application.public_id}/correction/"


def send_url(application) -> str:
    return f"/staff/cases/{application.public_id}/request-correction/"


PICKED = {
    "flag": ["children[1].birth_date", "children[1].relationship", "claimant.phone"],
    "note:children[1].birth_date": "母子手帳の生年月日と違います。",
    "note:children[1].relationship": "続柄をご確認ください。",
    "note:claimant.phone": "日中につながる番号をお願いします。",
    "message": "3点ご確認のうえ、再提出をお願いします。",
}


def request_correction(client, application) -> None:
    review = client.post(
        correction_url(application), {**PICKED, "step": "review", "row_version": application.row_version}
    )
    assert review.status_code == 200, review.content.decode()[:500]
    sent = client.post(send_url(application), {**PICKED, "row_version": application.row_version}, follow=True)
    assert sent.status_code == 200


# ---- correction mode -------------------------------------------------------------------------


def test_case_page_opens_correction_mode_instead_of_a_checkbox_per_answer(reviewed, clerk_client):
    page = clerk_client.get(f"/staff/cases/{reviewed.public_id}/").content.decode()
    assert f'href="{correction_url(reviewed)}"' in page
    assert 'accesskey="c"' in page
    assert 'name="flag"' not in page and 'name="note:' not in page
    assert msg("(access key C)") in page and msg("(access key A)") in page and msg("(access key R)") in page
    assert msg("Keyboard") in page


def test_correction_mode_lists_every_answer_with_a_checkbox(reviewed, clerk_client):
    response = clerk_client.get(correction_url(reviewed))
    assert response.status_code == 200
    page = response.content.decode()
    assert msg("Request corrections") in page
    assert 'name="flag" value="children[1].birth_date"' in page
    assert 'name="note:children[1].birth_date"' in page
    assert 'name="step" value="review"' in page


def test_nothing_picked_is_named_and_keeps_the_message(reviewed, clerk_client):
    response = clerk_client.post(
        correction_url(reviewed),
        {"step": "review", "row_version": reviewed.row_version, "message": "ご確認ください。"},
    )
    assert response.status_code == 422
    page = response.content.decode()
    assert msg("Pick at least one item for the applicant to correct.") in page
    assert "ご確認ください。</textarea>" in page
    assert Application.objects.get(pk=reviewed.pk).status == Status.IN_REVIEW


def test_a_picked_item_without_a_note_is_named_and_nothing_typed_is_lost(reviewed, clerk_client):
    response = clerk_client.post(
        correction_url(reviewed),
        {
            "step": "review",
            "row_version": reviewed.row_version,
            "flag": ["claimant.phone", "children[1].birth_date"],
            "note:claimant.phone": "日中の番号をお願いします。",
            "note:children[1].birth_date": "  ",
            "message": "2点お願いします。",
        },
    )
    assert response.status_code == 422
    page = response.content.decode()
    with translation.override("ja"):
        from idx.applications.presentation import answer_rows, contextual_labels

        label = contextual_labels(answer_rows(reviewed))["children[1].birth_date"]
    assert label.endswith(" 2：生年月日"), label  # the child it belongs to, not 「2. 生年月日」
    assert msg("Write a note for “%(item)s”: what should the applicant correct?", item=label) in page
    assert 'href="#note-children[1].birth_date"' in page
    assert 'value="日中の番号をお願いします。"' in page
    assert re.search(r'name="flag" value="claimant.phone" id="[^"]+" checked', page)
    assert re.search(r'name="flag" value="children\[1\].birth_date" id="[^"]+" checked', page)
    assert "2点お願いします。</textarea>" in page
    assert not CorrectionRound.objects.filter(application=reviewed).exists()


def test_review_states_the_items_and_notes_before_anything_is_sent(reviewed, clerk_client):
    response = clerk_client.post(
        correction_url(reviewed), {**PICKED, "step": "review", "row_version": reviewed.row_version}
    )
    page = response.content.decode()
    assert msg("Send this correction request?") in page
    for note in (PICKED["note:children[1].birth_date"], PICKED["note:claimant.phone"]):
        assert escape(note) in page
    with translation.override("ja"):
        counted = ngettext(
            "%(name)s is asked to correct %(counter)s item. Only this item becomes editable for them; "
            "the case waits until they resubmit.",
            "%(name)s is asked to correct %(counter)s items. Only these items become editable for them; "
            "the case waits until they resubmit.",
            3,
        ) % {"name": reviewed.applicant_name, "counter": 3}
    assert escape(counted) in page
    assert f'action="{send_url(reviewed)}"' in page
    assert Application.objects.get(pk=reviewed.pk).status == Status.IN_REVIEW


def test_change_from_the_review_goes_back_with_everything_kept(reviewed, clerk_client):
    response = clerk_client.post(
        correction_url(reviewed), {**PICKED, "step": "edit", "row_version": reviewed.row_version}
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert re.search(r'name="flag" value="claimant.phone" id="[^"]+" checked', page)
    assert f'value="{escape(PICKED["note:claimant.phone"])}"' in page


def test_sending_flags_the_items_and_the_case_page_shows_them(reviewed, clerk_client):
    request_correction(clerk_client, reviewed)
    fresh = Application.objects.get(pk=reviewed.pk)
    assert fresh.status == Status.CORRECTION_REQUESTED
    assert set(fresh.correction_notes) == {
        "children[1].birth_date",
        "children[1].relationship",
        "claimant.phone",
    }
    round_ = CorrectionRound.objects.get(application=reviewed)
    assert round_.answers_before["children"][1]["birth_date"] == "2019-04-08"
    assert round_.resubmitted_at is None
    page = clerk_client.get(f"/staff/cases/{reviewed.public_id}/").content.decode()
    assert 'id="correction-open"' in page
    with translation.override("ja"):
        heading = ngettext(
            "Correction requested: %(counter)s item", "Correction requested: %(counter)s items", 3
        )
    assert escape(heading % {"counter": 3}) in page
    assert "修正依頼中：3項目" in page
    assert "年" in page.split('id="correction-open"')[1].split("</p>")[0]  # the date it was sent
    flagged_rows = re.findall(r'<tr class="[^"]*flagged[^"]*" id="answer-([^"]+)"', page)
    assert sorted(flagged_rows) == sorted(PICKED["flag"])
    assert escape(PICKED["note:claimant.phone"]) in page


def test_the_diff_after_resubmission_reads_in_words(reviewed, clerk_client, resident):
    request_correction(clerk_client, reviewed)
    application = Application.objects.get(pk=reviewed.pk)
    answers = dict(application.answers)
    children = [dict(child) for child in answers["children"]]
    children[1]["birth_date"] = "2019-04-18"
    children[1]["relationship"] = "adopted_child"
    children[0]["name"] = "書き換えられない名前"  # not flagged: must stay as submitted
    services.application_save_answers(
        application=application, actor=resident, answers={**answers, "children": children}
    )
    services.application_resubmit(application=Application.objects.get(pk=reviewed.pk), actor=resident)
    fresh = Application.objects.get(pk=reviewed.pk)
    assert fresh.status == Status.RESUBMITTED
    assert fresh.answers["children"][0]["name"] == "伊賀 一郎"
    round_ = CorrectionRound.objects.get(application=reviewed)
    assert round_.resubmitted_at is not None
    page = clerk_client.get(f"/staff/cases/{reviewed.public_id}/").content.decode()
    assert 'id="correction-open"' not in page
    diff = page[
        page.index('id="correction-diff"') : page.index("</section>", page.index('id="correction-diff"'))
    ]
    rows = dict(re.findall(r'<th scope="row">([^<]+)</th>(.*?)</tr>', diff, re.S))
    birth = next(row for label, row in rows.items() if "生年月日" in label)
    assert "<del>2019年4月8日" in birth and "<ins>2019年4月18日" in birth
    relation = next(row for label, row in rows.items() if "続柄" in label)
    assert "<del>子</del>" in relation and "<ins>養子</ins>" in relation
    phone = next(row for label, row in rows.items() if "電話" in label)
    assert msg("No change") in phone and "<del>" not in phone
    assert "2019-04-18" not in diff


def test_yes_no_items_read_as_hai_iie_in_the_diff(reviewed, clerk_client, resident):
    clerk_client.post(
        send_url(reviewed),
        {
            "flag": ["spouse.living_together"],
            "note:spouse.living_together": "別居ではありませんか。",
            "row_version": reviewed.row_version,
        },
    )
    application = Application.objects.get(pk=reviewed.pk)
    answers = dict(application.answers)
    services.application_save_answers(
        application=application,
        actor=resident,
        answers={**answers, "spouse": {**answers["spouse"], "living_together": False}},
    )
    services.application_resubmit(application=Application.objects.get(pk=reviewed.pk), actor=resident)
    page = clerk_client.get(f"/staff/cases/{reviewed.public_id}/").content.decode()
    diff = page[page.index('id="correction-diff"') :]
    assert "<del>はい</del>" in diff and "<ins>いいえ</ins>" in diff
    assert ">True<" not in diff and ">False<" not in diff


def test_correction_mode_is_not_found_for_another_department(reviewed, clerk_other_department):
    client = signed_in(clerk_other_department)
    assert client.get(correction_url(reviewed)).status_code == 404
    response = client.post(
        correction_url(reviewed), {**PICKED, "step": "review", "row_version": reviewed.row_version}
    )
    assert response.status_code == 404


def test_correction_mode_is_not_offered_on_a_decided_case(reviewed, clerk_client, clerk):
    services.case_decide(
        application=reviewed, staff=clerk, approve=True, reason="", expected_version=reviewed.row_version
    )
    response = clerk_client.get(correction_url(reviewed))
    assert response.status_code == 302
    assert (
        f'href="{correction_url(reviewed)}"'
        not in clerk_client.get(f"/staff/cases/{reviewed.public_id}/").content.decode()
    )


# ---- attachments: inline preview and download -------------------------------------------------


@pytest.fixture
def with_files(resident):
    application = make_draft(resident)
    png_file = services.attachment_add(
        application=application, actor=resident, field_path="bank_document", name="通帳 表紙.png", data=png()
    )
    pdf_file = services.attachment_add(
        application=application,
        actor=resident,
        field_path="pension_document",
        name='資格"確認書.pdf',
        data=PDF,
    )
    application = submit(application=Application.objects.get(pk=application.pk), actor=resident)
    return application, png_file, pdf_file


def file_url(application, attachment) -> str:
    return f"/staff/cases/{application.public_id}/files/{attachment.public_id}/"


def test_case_page_previews_images_and_pdfs(with_files, clerk_client):
    application, png_file, pdf_file = with_files
    page = clerk_client.get(f"/staff/cases/{application.public_id}/").content.decode()
    assert f'<img src="{file_url(application, png_file)}?inline=1"' in page
    assert f'<iframe src="{file_url(application, pdf_file)}?inline=1"' in page
    assert f'<a href="{file_url(application, pdf_file)}" download>' in page


def test_inline_image_has_its_type_nosniff_and_may_be_framed_only_by_idx(with_files, clerk_client):
    application, png_file, pdf_file = with_files
    response = clerk_client.get(file_url(application, png_file), {"inline": "1"})
    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Disposition"].startswith("inline")
    pdf = clerk_client.get(file_url(application, pdf_file), {"inline": "1"})
    assert pdf["Content-Type"] == "application/pdf"
    assert pdf["X-Frame-Options"] == "SAMEORIGIN"
    policy = pdf["Content-Security-Policy"]
    assert "frame-ancestors 'self'" in policy and "default-src 'none'" in policy
    assert "unsafe-inline" not in policy


def test_download_is_an_attachment_with_a_safe_filename(with_files, clerk_client):
    application, _png, pdf_file = with_files
    response = clerk_client.get(file_url(application, pdf_file))
    assert response["Content-Type"] == "application/octet-stream"
    assert response["X-Content-Type-Options"] == "nosniff"
    disposition = response["Content-Disposition"]
    assert disposition.startswith("attachment;")
    assert "filename*=utf-8''" in disposition and "%E7%A2%BA%E8%AA%8D%E6%9B%B8.pdf" in disposition
    assert "%22" not in disposition  # the quote in the resident's file name is dropped
    assert "X-Frame-Options" not in response or response["X-Frame-Options"] == "DENY"
    # The case page (not the file) keeps the site's policy: nothing frames it.
    page = clerk_client.get(f"/staff/cases/{application.public_id}/")
    assert "frame-ancestors 'none'" in page["Content-Security-Policy"]


def test_attachments_are_not_found_for_another_department_or_municipality(
    with_files, clerk_other_department, clerk_other_municipality
):
    application, png_file, _pdf = with_files
    for staff in (clerk_other_department,):
        client = signed_in(staff)
        assert client.get(file_url(application, png_file), {"inline": "1"}).status_code == 404
        assert client.get(file_url(application, png_file)).status_code == 404
    from tests.conftest import WATARAI_HOST

    other = signed_in(clerk_other_municipality, host=WATARAI_HOST)
    assert other.get(file_url(application, png_file), {"inline": "1"}).status_code == 404


def test_staff_page_nits_full_width_in_japanese(reviewed, clerk_client):
    page = clerk_client.get(f"/staff/cases/{reviewed.public_id}/").content.decode()
    assert "（第1版）" in page
    assert "(バージョン" not in page


def test_signed_in_clerk_names_the_department_once_in_full_width_brackets(reviewed, clerk, clerk_client):
    page = clerk_client.get(f"/staff/cases/{reviewed.public_id}/").content.decode()
    who = page.split('<span class="who">')[1].split("</span>")[0]
    label = clerk.department.label
    if label in clerk.full_name:
        assert who.count(label) == 1
    else:
        assert who.endswith(f"（{label}）")
    assert "(" not in who


def test_resident_corrects_the_second_childs_birth_date_through_the_portal(
    reviewed, clerk, clerk_client, resident_client
):
    """Only entry 2 has a flagged item: its corrected value stays with entry 2 (not shifted to
    entry 1), and the clerk's diff shows it."""
    services.case_request_correction(
        application=reviewed,
        staff=clerk,
        notes={"claimant.phone": "日中の番号を", "children[1].birth_date": "母子手帳と違います"},
        message="",
        expected_version=reviewed.row_version,
    )
    url = f"/my/applications/{reviewed.public_id}/correct/"
    page = resident_client.get(url).content.decode()
    assert 'name="f.children.1.birth_date"' in page and 'name="f.children.0.birth_date"' not in page
    response = resident_client.post(
        url,
        {"f.claimant.phone": "0595-41-2345", "f.children.count": "2", "f.children.1.birth_date": "2019/4/18"},
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    fresh = Application.objects.get(pk=reviewed.pk)
    assert fresh.status == Status.RESUBMITTED
    assert [child["birth_date"] for child in fresh.answers["children"]] == ["2012-09-20", "2019-04-18"]
    assert fresh.answers["children"][0]["name"] == "伊賀 一郎"
    diff = clerk_client.get(f"/staff/cases/{reviewed.public_id}/").content.decode()
    diff = diff[diff.index('id="correction-diff"') :]
    assert "<ins>2019年4月18日" in diff and "<ins>0595-41-2345</ins>" in diff


def test_case_queue_and_correction_pages_use_full_width_brackets_and_colons(reviewed, clerk_client):
    from django.utils.html import strip_tags

    for url in (
        f"/staff/cases/{reviewed.public_id}/",
        "/staff/",
        correction_url(reviewed),
    ):
        page = clerk_client.get(url).content.decode()
        text = strip_tags(page[page.index("<main") : page.index("</main>")])
        nits = [
            line.strip() for line in text.splitlines() if re.search(r"[()]|[^\s]: |[ぁ-んァ-ン一-龥]:", line)
        ]
        assert not nits, (url, nits[:5])
