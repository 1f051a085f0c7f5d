"""The resident portal: accounts, catalog, the multi-step form, review, receipt and history."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.utils import translation
from django.utils.html import escape
from django.utils.translation import gettext

from idx.applications.models import Application, Status
from idx.audit.models import AuditEntry
from idx.identity.models import User
from idx.procedures.services import shipped_definitions
from tests.conftest import IGA_HOST, make_submitted, sign_at_demo_idp, signed_in


def msg(msgid: str, **params: object) -> str:
    with translation.override("ja"):
        text = gettext(msgid)
    return escape(text % params if params else text)


# ---- accounts ------------------------------------------------------------------------------

SIGN_UP = {"full_name": "新規 さくら", "email": "Sakura.New@Example.jp", "password": "kumo-no-ue-2026"}


def test_sign_up_verify_and_sign_in(iga_client, mailoutbox, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = iga_client.post("/accounts/signup/", SIGN_UP)
    assert response.status_code == 200
    user = User.objects.get(email="sakura.new@example.jp")
    assert user.municipality.code == "242161"
    assert user.email_verified_at is None
    assert user.full_name == "新規 さくら"
    assert user.is_resident
    assert len(mailoutbox) == 1
    message = mailoutbox[0]
    assert message.to == ["sakura.new@example.jp"]
    link = re.search(r"http://127\.0\.0\.1:8000(/accounts/verify/[^/\s]+/)", message.body)
    assert link, message.body

    refused = iga_client.post(
        "/accounts/login/", {"email": SIGN_UP["email"], "password": SIGN_UP["password"]}
    )
    assert refused.status_code == 422
    assert (
        msg("Confirm your e-mail address first: open the link in the message we sent you.")
        in refused.content.decode()
    )
    assert "_auth_user_id" not in iga_client.session

    verified = iga_client.get(link.group(1))
    assert verified.status_code == 302
    assert verified["Location"] == "/accounts/login/"
    user.refresh_from_db()
    assert user.email_verified_at is not None

    signed = iga_client.post("/accounts/login/", {"email": SIGN_UP["email"], "password": SIGN_UP["password"]})
    assert signed.status_code == 302
    assert signed["Location"] == "/my/applications/"
    assert int(iga_client.session["_auth_user_id"]) == user.pk


def test_sign_up_with_a_taken_address_looks_the_same(
    iga_client, resident, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = iga_client.post("/accounts/signup/", {**SIGN_UP, "email": resident.email})
    assert response.status_code == 200
    assert User.objects.filter(email=resident.email).count() == 1
    assert mailoutbox == []


def test_sign_up_with_weak_password(iga_client):
    response = iga_client.post("/accounts/signup/", {**SIGN_UP, "password": "1234567890"})
    assert response.status_code == 422
    assert not User.objects.filter(email="sakura.new@example.jp").exists()


def test_bad_verification_token(iga_client):
    assert iga_client.get("/accounts/verify/not-a-token/").status_code == 400


def test_verification_token_of_another_municipality(watarai_client, resident):
    from idx.identity.services import verification_token

    assert watarai_client.get(f"/accounts/verify/{verification_token(resident)}/").status_code == 400


def test_sign_in_wrong_password_and_staff_refused(iga_client, clerk):
    wrong = iga_client.post(
        "/accounts/login/", {"email": "resident1@iga.example.jp", "password": "wrong-password"}
    )
    assert wrong.status_code == 422
    assert msg("The e-mail address or password is not correct.") in wrong.content.decode()
    staff = iga_client.post("/accounts/login/", {"email": clerk.email, "password": "idx-demo-2026"})
    assert staff.status_code == 422


def test_sign_in_redirects_only_to_local_paths(iga_client):
    data = {"email": "resident1@iga.example.jp", "password": "idx-demo-2026"}
    assert iga_client.post("/accounts/login/?next=//evil.example/", data)["Location"] == "/my/applications/"
    iga_client.post("/accounts/logout/")
    assert iga_client.post("/accounts/login/?next=/procedures/", data)["Location"] == "/procedures/"


def test_pages_need_sign_in(iga_client):
    response = iga_client.get("/my/applications/")
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=%2Fmy%2Fapplications%2F"


# ---- catalog -------------------------------------------------------------------------------


def _codes(response) -> list[str]:
    return re.findall(r'href="/procedures/([a-z0-9-]+)/"', response.content.decode())


def test_catalog_lists_all_thirty(iga_client):
    response = iga_client.get("/")
    assert response.status_code == 200
    assert len(set(_codes(response))) == 30


def test_catalog_search(iga_client):
    expected = {
        data["code"]
        for data in shipped_definitions()
        if any(
            "児童手当" in text for key in ("name", "summary", "eligibility") for text in data[key].values()
        )
    }
    found = set(_codes(iga_client.get("/", {"q": "児童手当"})))
    assert found == expected
    assert "child-allowance-certification" in found
    assert "bulky-waste-collection" not in found
    assert set(_codes(iga_client.get("/", {"q": "児童手当 認定請求"}))) <= found
    assert _codes(iga_client.get("/", {"q": "存在しない手続きです"})) == []


def test_catalog_category_filter(iga_client):
    found = set(_codes(iga_client.get("/", {"category": "nursing_care"})))
    assert len(found) == 11
    assert all(code.startswith(("care-", "high-cost", "home-mod", "welfare-")) for code in found)
    assert _codes(iga_client.get("/", {"category": "disaster"})) == ["disaster-damage-certificate"]


def test_catalog_life_event_filter(iga_client):
    # A birth calls for the 児童手当 認定請求 (and 額改定請求 for a further child) as well.
    assert set(_codes(iga_client.get("/", {"life_event": "pregnancy_birth"}))) == {
        "pregnancy-notification",
        "child-allowance-certification",
        "child-allowance-amount-revision",
    }
    daily = set(_codes(iga_client.get("/", {"life_event": "daily_life"})))
    assert daily == {"bulky-waste-collection", "event-registration", "residence-certificate-request"}
    assert len(set(_codes(iga_client.get("/", {"life_event": "bogus"})))) == 30


def test_procedure_detail(iga_client):
    response = iga_client.get("/procedures/child-allowance-certification/")
    assert response.status_code == 200
    assert "児童手当法第7条" in response.content.decode()
    assert iga_client.get("/procedures/no-such-thing/").status_code == 404


# ---- the form ------------------------------------------------------------------------------

CLAIMANT = {
    "f.claimant.name": "伊賀 花子",
    "f.claimant.name_kana": "イガ ハナコ",
    "f.claimant.birth_date": "昭和60年4月1日",
    "f.claimant.gender": "female",
    "f.claimant.postal_code": "５１８８５０１",
    "f.claimant.address": "三重県伊賀市上野丸之内116番地",
    "f.claimant.phone": "0595-22-9611",
    "f.claimant.pension_type": "kosei_nenkin",
}
CHILD_0 = {
    "f.children.0.name": "伊賀 一郎",
    "f.children.0.name_kana": "イガ イチロウ",
    "f.children.0.birth_date": "R2.4.8",
    "f.children.0.relationship": "biological_child",
    "f.children.0.living_with_claimant": "true",
}
CHILD_1 = {
    "f.children.1.name": "伊賀 二郎",
    "f.children.1.name_kana": "イガ ジロウ",
    "f.children.1.birth_date": "2023-01-31",
    "f.children.1.relationship": "adopted_child",
    "f.children.1.living_with_claimant": "false",
    "f.children.1.address_if_separate": "三重県津市広明町13番地",
}


def start(client) -> Application:
    response = client.post("/procedures/child-allowance-certification/start/", {"start_token": "tok-1"})
    assert response.status_code == 302
    application = Application.objects.get(idempotency_key="tok-1")
    assert response["Location"] == f"/my/applications/{application.public_id}/steps/claimant/"
    return application


def step_url(application, step: str) -> str:
    return f"/my/applications/{application.public_id}/steps/{step}/"


def test_start_twice_with_the_same_token_makes_one_draft(resident_client, resident):
    start(resident_client)
    start(resident_client)
    assert Application.objects.filter(applicant=resident).count() == 1


def test_full_application_with_two_children(
    resident_client, resident, mailoutbox, django_capture_on_commit_callbacks
):
    application = start(resident_client)
    response = resident_client.post(step_url(application, "claimant"), {**CLAIMANT, "action": "next"})
    assert response.status_code == 302
    assert response["Location"] == step_url(application, "spouse")
    response = resident_client.post(
        step_url(application, "spouse"), {"f.has_spouse": "false", "action": "next"}
    )
    assert response["Location"] == step_url(application, "children")

    added = resident_client.post(
        step_url(application, "children"), {"f.children.count": "1", **CHILD_0, "action": "add:children"}
    )
    assert added.status_code == 200
    page = added.content.decode()
    assert 'name="f.children.count" value="2"' in page
    assert 'name="f.children.1.name"' in page
    assert 'value="伊賀 一郎"' in page
    application.refresh_from_db()
    assert application.answers["children"][0]["name"] == "伊賀 一郎"

    response = resident_client.post(
        step_url(application, "children"),
        {"f.children.count": "2", **CHILD_0, **CHILD_1, "f.has_older_children": "false", "action": "next"},
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    assert response["Location"] == step_url(application, "account")
    response = resident_client.post(
        step_url(application, "account"), {"f.payment_method": "public_funds_account", "action": "next"}
    )
    assert response["Location"] == step_url(application, "income")
    response = resident_client.post(
        step_url(application, "income"), {"f.income_year": "２０２５", "action": "next"}
    )
    assert response["Location"] == step_url(application, "attachments")
    response = resident_client.post(
        step_url(application, "attachments"), {"f.remarks": "よろしくお願いします。", "action": "next"}
    )
    assert response["Location"] == f"/my/applications/{application.public_id}/review/"

    application.refresh_from_db()
    answers = application.answers
    assert answers["claimant"]["birth_date"] == "1985-04-01"
    assert answers["claimant"]["postal_code"] == "518-8501"
    assert answers["income_year"] == 2025
    assert [child["name"] for child in answers["children"]] == ["伊賀 一郎", "伊賀 二郎"]
    assert answers["children"][0]["birth_date"] == "2020-04-08"
    assert answers["children"][1]["living_with_claimant"] is False
    assert answers["has_spouse"] is False
    assert application.applicant_name == "伊賀 花子"

    review = resident_client.get(f"/my/applications/{application.public_id}/review/")
    assert review.status_code == 200
    page = review.content.decode()
    assert "1985年4月1日（昭和60年4月1日）" in page
    assert "2020年4月8日（令和2年4月8日）" in page
    assert "伊賀 二郎" in page

    missing = resident_client.post(f"/my/applications/{application.public_id}/review/", {})
    assert missing.status_code == 422
    assert msg("Confirm the declaration to submit.") in missing.content.decode()
    assert Application.objects.get(pk=application.pk).status == Status.DRAFT

    # 児童手当 needs an electronic signature: the button leads to the card's signing service.
    review_url = f"/my/applications/{application.public_id}/review/"
    started = resident_client.post(review_url, {"declaration": "yes"})
    assert Application.objects.get(pk=application.pk).status == Status.DRAFT
    # Someone else's card: refused, back on the review page, nothing lost.
    refused = sign_at_demo_idp(resident_client, started, holder="iga-taro")
    assert refused["Location"] == review_url
    page = resident_client.get(review_url).content.decode()
    assert (
        msg(
            "The card that signed is not the applicant's: the %(items)s in the certificate differ from "
            "the applicant's answers. Check the applicant's details, or sign with the applicant's own card.",
            items="氏名、生年月日",
        )
        in page
    )
    assert Application.objects.get(pk=application.pk).status == Status.DRAFT
    assert Application.objects.get(pk=application.pk).answers == answers
    started = resident_client.post(review_url, {"declaration": "yes"})
    with django_capture_on_commit_callbacks(execute=True):
        submitted = sign_at_demo_idp(resident_client, started, holder="iga-hanako")
    assert submitted.status_code == 302
    assert submitted["Location"] == f"/my/applications/{application.public_id}/receipt/"
    application.refresh_from_db()
    assert application.status == Status.SUBMITTED
    receipt = resident_client.get(submitted["Location"])
    assert receipt.status_code == 200
    assert application.receipt_number in receipt.content.decode()
    assert len(mailoutbox) == 1 and application.receipt_number in mailoutbox[0].subject


def test_validation_errors_keep_what_was_typed(resident_client):
    application = start(resident_client)
    typed = {
        **CLAIMANT,
        "f.claimant.name": "長" * 51,
        "f.claimant.postal_code": "518-850",
        "f.claimant.phone": "でんわ",
        "f.claimant.birth_date": "2026-02-30",
        "f.claimant.name_kana": "いが はなこ",
        "f.moved_in_date": "平成31年5月1日",
        "action": "next",
    }
    response = resident_client.post(step_url(application, "claimant"), typed)
    assert response.status_code == 422
    page = response.content.decode()
    assert 'id="error-summary"' in page
    for field_id in (
        "f-claimant-name",
        "f-claimant-birth-date",
        "f-claimant-postal-code",
        "f-claimant-phone",
        "f-moved-in-date",
    ):
        assert f'href="#{field_id}"' in page, field_id
        assert f'id="{field_id}"' in page
    # Each message names its item, so the error summary says which one (氏名, 郵便番号, …).
    assert msg("“%(label)s” can be at most %(limit)s characters long.", label="氏名", limit=50) in page
    assert msg("Enter “%(label)s” as 7 digits, for example 518-8501.", label="郵便番号") in page
    assert msg("Enter “%(label)s” as a phone number, for example 0595-22-9611.", label="電話番号") in page
    assert (
        msg(
            "Enter “%(label)s” as a date that exists, for example 2026年1月5日 or 令和8年1月5日.",
            label="生年月日",
        )
        in page
    )
    # フリガナ typed in hiragana is converted to katakana, not refused.
    assert msg("Write “%(label)s” in katakana, for example イガ ハナコ.", label="フリガナ") not in page
    assert 'value="イガ ハナコ"' in page
    for value in ("長" * 51, "518-850", "でんわ", "2026-02-30", "平成31年5月1日"):
        assert f'value="{value}"' in page, value
    application.refresh_from_db()
    claimant = application.answers["claimant"]
    assert claimant["name"] == "長" * 51
    assert claimant["postal_code"] == "518-850"
    assert claimant["phone"] == "でんわ"
    assert claimant["birth_date"] == "2026-02-30"
    assert application.answers["moved_in_date"] == "平成31年5月1日"
    # Fixing the errors moves on and keeps the rest.
    fixed = resident_client.post(step_url(application, "claimant"), {**CLAIMANT, "action": "next"})
    assert fixed.status_code == 302


def test_wrong_types_are_kept_and_explained(resident_client):
    application = start(resident_client)
    response = resident_client.post(
        step_url(application, "income"),
        {"f.income_year": "去年", "f.claimant_income_yen": "4,200,000", "action": "next"},
    )
    assert response.status_code == 422
    page = response.content.decode()
    assert 'href="#f-income-year"' in page
    assert (
        msg("Enter the year of “%(label)s” in numbers, for example 2025 or 令和7年.", label="所得の対象年")
        in page
    )
    assert 'value="去年"' in page
    application.refresh_from_db()
    assert application.answers["income_year"] == "去年"
    assert application.answers["claimant_income_yen"] == 4200000


def test_required_answers_missing(resident_client):
    application = start(resident_client)
    response = resident_client.post(step_url(application, "spouse"), {"action": "next"})
    assert response.status_code == 422
    page = response.content.decode()
    assert 'href="#f-has-spouse"' in page


def test_remove_entry(resident_client):
    application = start(resident_client)
    response = resident_client.post(
        step_url(application, "children"),
        {"f.children.count": "2", **CHILD_0, **CHILD_1, "action": "remove:children:0"},
    )
    assert response.status_code == 200
    application.refresh_from_db()
    assert [child["name"] for child in application.answers["children"]] == ["伊賀 二郎"]


def test_save_exit_and_resume(resident_client):
    application = start(resident_client)
    response = resident_client.post(
        step_url(application, "claimant"),
        {"f.claimant.name": "途中 保存", "f.claimant.postal_code": "123", "action": "save_exit"},
    )
    assert response.status_code == 302
    assert response["Location"] == "/my/applications/"
    listing = resident_client.get("/my/applications/")
    page = listing.content.decode()
    assert f"/my/applications/{application.public_id}/" in page
    assert msg("Your answers have been saved. You can continue later from “My applications”.") in page
    detail = resident_client.get(f"/my/applications/{application.public_id}/")
    assert step_url(application, "claimant") in detail.content.decode()
    resumed = resident_client.get(step_url(application, "claimant"))
    assert 'value="途中 保存"' in resumed.content.decode()
    assert 'value="123"' in resumed.content.decode()


def test_back_goes_to_the_previous_step(resident_client):
    application = start(resident_client)
    response = resident_client.post(
        step_url(application, "spouse"), {"f.has_spouse": "true", "action": "back"}
    )
    assert response["Location"] == step_url(application, "claimant")
    application.refresh_from_db()
    assert application.answers == {"has_spouse": True}


def test_unknown_step_is_404(draft_application, resident_client):
    assert resident_client.get(step_url(draft_application, "nope")).status_code == 404


def test_steps_of_a_submitted_application_redirect(submitted_application, resident_client):
    response = resident_client.get(step_url(submitted_application, "claimant"))
    assert response.status_code == 302
    assert response["Location"] == f"/my/applications/{submitted_application.public_id}/"


# ---- after submission ----------------------------------------------------------------------


def test_receipt_pdf(submitted_application, resident_client):
    response = resident_client.get(f"/my/applications/{submitted_application.public_id}/receipt.pdf")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    assert f'filename="{submitted_application.receipt_number}.pdf"' in response["Content-Disposition"]


def test_receipt_of_a_draft(draft_application, resident_client):
    assert (
        resident_client.get(f"/my/applications/{draft_application.public_id}/receipt.pdf").status_code == 404
    )
    response = resident_client.get(f"/my/applications/{draft_application.public_id}/receipt/")
    assert response["Location"] == f"/my/applications/{draft_application.public_id}/review/"


def test_withdraw_before_decision(submitted_application, resident_client):
    url = f"/my/applications/{submitted_application.public_id}/"
    response = resident_client.post(f"{url}withdraw/", {"reason": "別の窓口で申請しました"}, follow=True)
    assert response.status_code == 200
    page = response.content.decode()
    assert msg("Your application has been withdrawn.") in page
    submitted_application.refresh_from_db()
    assert submitted_application.status == Status.WITHDRAWN
    assert submitted_application.status_changes.last().reason == "別の窓口で申請しました"
    again = resident_client.post(f"{url}withdraw/", {}, follow=True)
    assert msg("This application can no longer be withdrawn.") in again.content.decode()


def test_withdraw_after_decision_is_refused(resident, clerk, resident_client):
    from idx.applications import services

    application = make_submitted(resident)
    application = services.case_start_review(
        application=application, staff=clerk, expected_version=application.row_version
    )
    services.case_decide(
        application=application,
        staff=clerk,
        approve=True,
        reason="",
        expected_version=application.row_version,
    )
    response = resident_client.post(f"/my/applications/{application.public_id}/withdraw/", {}, follow=True)
    assert msg("This application can no longer be withdrawn.") in response.content.decode()
    assert Application.objects.get(pk=application.pk).status == Status.APPROVED


def test_my_applications_shows_the_history(resident, clerk, resident_client):
    from idx.applications import services

    application = make_submitted(resident)
    application = services.case_start_review(
        application=application, staff=clerk, expected_version=application.row_version
    )
    services.case_decide(
        application=application,
        staff=clerk,
        approve=False,
        reason="対象外の児童です",
        expected_version=application.row_version,
    )
    listing = resident_client.get("/my/applications/").content.decode()
    assert application.receipt_number in listing
    detail = resident_client.get(f"/my/applications/{application.public_id}/").content.decode()
    with translation.override("ja"):
        labels = [str(Status(value).label) for value in ("submitted", "in_review", "rejected")]
    history = detail.split('<ol class="history">')[1].split("</ol>")[0]
    positions = [history.find(escape(label)) for label in labels]
    assert all(position >= 0 for position in positions), labels
    assert positions == sorted(positions)
    assert "対象外の児童です" in detail


def test_correction_through_the_portal(resident, clerk, resident_client):
    from idx.applications import services

    application = make_submitted(resident)
    application = services.case_request_correction(
        application=application,
        staff=clerk,
        notes={"claimant.phone": "つながりませんでした"},
        message="電話番号をご確認ください。",
        expected_version=application.row_version,
    )
    url = f"/my/applications/{application.public_id}/correct/"
    page = resident_client.get(url).content.decode()
    assert "つながりませんでした" in page
    assert 'name="f.claimant.phone"' in page
    # (the other items of the group are shown too; only the flagged one is taken, see below)
    bad = resident_client.post(url, {"f.claimant.phone": "無し", "f.claimant.name": "偽名"})
    assert bad.status_code == 422
    good = resident_client.post(url, {"f.claimant.phone": "0595-00-1111", "f.claimant.name": "偽名"})
    assert good.status_code == 302
    application.refresh_from_db()
    assert application.status == Status.RESUBMITTED
    assert application.answers["claimant"]["phone"] == "0595-00-1111"
    assert application.answers["claimant"]["name"] == "伊賀 太郎"
    assert application.correction_notes == {}


def test_language_switch_to_english(resident):
    client = signed_in(resident, IGA_HOST)
    client.cookies["idx_language"] = "en"
    page = client.get("/procedures/child-allowance-certification/").content.decode()
    assert "Child Allowance Act, Article 7" in page


@pytest.mark.parametrize(
    "path", ["/", "/procedures/pregnancy-notification/", "/accounts/login/", "/accounts/signup/"]
)
def test_public_pages(iga_client, path):
    assert iga_client.get(path).status_code == 200


@pytest.mark.parametrize(
    "action",
    ["remove:children:²", "remove:children:99", "remove:children", "remove:nothing:0", "add:nothing", "jump"],
)
def test_odd_actions_do_not_crash(draft_application, resident_client, action):
    response = resident_client.post(
        step_url(draft_application, "children"), {"f.children.count": "1", **CHILD_0, "action": action}
    )
    assert response.status_code in (200, 302, 422)
    draft_application.refresh_from_db()
    assert draft_application.answers["children"][0]["name"] == "伊賀 一郎"


@pytest.mark.parametrize(
    "name", ["f.applicant.name", "f.is_proxy", "f.photos.².photo", "f.photos.0.caption", "f.nothing"]
)
def test_uploads_for_items_that_take_no_file_do_not_crash(resident_client, resident, name):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from idx.applications import services
    from idx.applications.models import Attachment
    from tests.applications.test_attachments import png
    from tests.conftest import procedure

    application = services.application_start(
        resident=resident, procedure=procedure(resident.municipality, "disaster-damage-certificate")
    )
    step = "photos" if "photos" in name else "applicant"
    response = resident_client.post(
        step_url(application, step), {"action": "upload", name: SimpleUploadedFile("a.png", png())}
    )
    assert response.status_code in (200, 422)
    assert not Attachment.objects.exists()


def test_submit_from_review_with_missing_answers_shows_the_step(resident_client, resident):
    from tests.conftest import make_draft

    application = make_draft(resident, answers={"claimant": {"name": "伊賀 花子"}})
    response = resident_client.post(
        f"/my/applications/{application.public_id}/review/", {"declaration": "yes"}
    )
    assert response.status_code == 422
    page = response.content.decode()
    assert 'id="error-summary"' in page
    assert 'href="#f-claimant-name-kana"' in page
    assert 'value="伊賀 花子"' in page
    assert Application.objects.get(pk=application.pk).status == Status.DRAFT


def test_a_verification_link_works_once(iga_client, mailoutbox, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        iga_client.post("/accounts/signup/", SIGN_UP)
    link = re.search(r"https?://[^/\s]+(/accounts/verify/[^/\s]+/)", mailoutbox[0].body)
    assert link, mailoutbox[0].body
    user = User.objects.get(email="sakura.new@example.jp")
    assert iga_client.get(link.group(1)).status_code == 302
    user.refresh_from_db()
    confirmed_at = user.email_verified_at
    assert confirmed_at is not None
    # The same link again (a second click, a forwarded or captured message) confirms nothing.
    for client in (iga_client, Client(HTTP_HOST=IGA_HOST)):
        again = client.get(link.group(1))
        assert again.status_code == 400
        assert msg("Each link works once. If you have already confirmed your address with it, sign in.") in (
            again.content.decode()
        )
    user.refresh_from_db()
    assert user.email_verified_at == confirmed_at
    assert AuditEntry.objects.filter(action="account.verify_email", target_id=str(user.pk)).count() == 1
