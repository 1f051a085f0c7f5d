"""The resident's way through an application: back where they were after signing in, every problem
reported at once at the top of the page, "change" returning to the check page, repeat entries,
conditional questions, confirmed withdrawals and deletions."""

from __future__ import annotations

import datetime as dt
import re
from urllib.parse import parse_qs, urlsplit

import pytest
from django.test import Client
from django.utils import timezone, translation
from django.utils.html import escape
from django.utils.translation import gettext

from idx.applications.models import Application, Status
from idx.demo.loader import DEMO_PASSWORD
from idx.payments.models import Payment, PaymentStatus
from tests.conftest import IGA_HOST, make_draft, make_submitted, signed_in

pytestmark = pytest.mark.django_db

CHILD_ALLOWANCE = "child-allowance-certification"
START = f"/procedures/{CHILD_ALLOWANCE}/start/"


def msg(msgid: str, **params: object) -> str:
    with translation.override("ja"):
        text = gettext(msgid)
    return escape(text % params if params else text)


def _sign_in(client: Client, response, email: str = "resident1@iga.example.jp"):
    """Follow a redirect to the sign-in page and sign in there; the answer of the sign-in POST."""
    assert response.status_code == 302, response.content[:300]
    login_url = response["Location"]
    assert urlsplit(login_url).path == "/accounts/login/", login_url
    assert client.get(login_url).status_code == 200
    return client.post(login_url, {"email": email, "password": DEMO_PASSWORD})


def _summary_links(page: str) -> list[str]:
    box = re.search(r'<div class="error-summary"[^>]*data-error-summary[^>]*>(.*?)</div>', page, re.S)
    assert box, "no error summary on the page"
    return re.findall(r'<a href="#([^"]+)"', box.group(1))


def _assert_summary(page: str) -> list[str]:
    """One summary, at the top of the content, focused on opening, each line linking to a field there."""
    assert page.count('id="error-summary"') == 1
    opening = re.search(r'<div class="error-summary"[^>]*>', page)
    assert opening and "autofocus" in opening.group(0) and 'tabindex="-1"' in opening.group(0)
    main = page[page.index("<main") :]
    assert main.index('id="error-summary"') < main.index("<form") if "<form" in main else True
    links = _summary_links(page)
    assert links
    for target in links:
        assert f'id="{target}"' in page, f"the summary links to #{target}, which is not on the page"
    return links


# ---- 1. back to what the resident was doing --------------------------------------------------


def test_start_while_signed_out_continues_after_sign_in(iga_client):
    response = iga_client.post(START, {"start_token": "tok-signed-out"})
    assert parse_qs(urlsplit(response["Location"]).query)["next"] == [START]
    signed = _sign_in(iga_client, response)
    assert signed.status_code == 302 and signed["Location"] == START
    page = iga_client.get(START)
    assert page.status_code == 200  # not 405
    body = page.content.decode()
    assert f'<form method="post" action="{START}">' in body and 'name="start_token"' in body
    assert not Application.objects.filter(applicant__email="resident1@iga.example.jp").exists()
    token = re.search(r'name="start_token" value="([0-9a-f]+)"', body).group(1)
    started = iga_client.post(START, {"start_token": token})
    application = Application.objects.get(idempotency_key=token)
    assert started["Location"] == f"/my/applications/{application.public_id}/steps/claimant/"


def test_sign_up_on_the_way_keeps_the_destination(iga_client, mailoutbox, django_capture_on_commit_callbacks):
    login = iga_client.get(f"/accounts/login/?next={START}").content.decode()
    assert f'href="/accounts/signup/?next={START.replace("/", "%2F")}"' in login
    with django_capture_on_commit_callbacks(execute=True):
        done = iga_client.post(
            f"/accounts/signup/?next={START}",
            {"full_name": "途中 さくら", "email": "tochuu@example.jp", "password": "kumo-no-ue-2026"},
        )
    assert done.status_code == 200
    link = re.search(r"/accounts/verify/[^/\s]+/", mailoutbox[-1].body).group(0)
    verified = iga_client.get(link)
    assert verified.status_code == 302
    assert parse_qs(urlsplit(verified["Location"]).query)["next"] == [START]
    signed = iga_client.post(
        verified["Location"], {"email": "tochuu@example.jp", "password": "kumo-no-ue-2026"}
    )
    assert signed["Location"] == START


def test_card_sign_in_form_carries_the_destination(iga_client):
    page = iga_client.get(f"/accounts/login/?next={START}").content.decode()
    if 'name="next"' in page:  # card sign-in is offered: its form hands the destination on
        assert f'name="next" value="{START}"' in page


def test_sign_in_refuses_foreign_destinations(iga_client):
    response = iga_client.post(
        "/accounts/login/?next=//evil.example/",
        {"email": "resident1@iga.example.jp", "password": DEMO_PASSWORD},
    )
    assert response["Location"] == "/my/applications/"


@pytest.mark.parametrize("action", ["withdraw", "discard"])
def test_protected_actions_answer_get_after_sign_in(iga_client, resident, action):
    application = make_submitted(resident) if action == "withdraw" else make_draft(resident)
    url = f"/my/applications/{application.public_id}/{action}/"
    response = iga_client.post(url, {})
    signed = _sign_in(iga_client, response)
    assert signed["Location"] == url
    page = iga_client.get(url)
    assert page.status_code == 200
    # Nothing happened on the way: the resident confirms first.
    application.refresh_from_db()
    assert application.status in (Status.SUBMITTED, Status.DRAFT)


def test_booking_keeps_the_chosen_slot_through_sign_in(iga_client, iga):
    from idx.booking import selectors
    from tests.booking.conftest import make_service

    service = make_service(iga)
    slots = [slot for day in selectors.slot_days(service=service) for slot in day.slots if slot.free]
    chosen = slots[3].starts_at.isoformat()
    response = iga_client.post(
        f"/booking/{service.code}/", {"starts_at": chosen, "online": "on", "note": "私事"}
    )
    next_url = parse_qs(urlsplit(response["Location"]).query)["next"][0]
    assert "私事" not in next_url  # the note is personal: it never goes into an address
    signed = _sign_in(iga_client, response)
    assert signed["Location"] == next_url
    page = iga_client.get(next_url).content.decode()
    assert re.search(rf'value="{re.escape(chosen)}" checked', page)


# ---- 2. the error summary on every refused form ----------------------------------------------


def test_review_without_the_declaration_shows_the_summary(resident_client, resident):
    application = make_draft(resident)
    response = resident_client.post(f"/my/applications/{application.public_id}/review/", {})
    assert response.status_code == 422
    page = response.content.decode()
    assert _assert_summary(page) == ["declaration"]
    assert msg("Confirm the declaration to submit.") in page


def test_sign_in_and_sign_up_errors_show_the_summary(iga_client):
    wrong = iga_client.post("/accounts/login/", {"email": "resident1@iga.example.jp", "password": "nope"})
    assert wrong.status_code == 422
    assert _assert_summary(wrong.content.decode()) == ["id_email"]
    empty = iga_client.post("/accounts/login/", {})
    assert _assert_summary(empty.content.decode()) == ["id_email", "id_password"]
    weak = iga_client.post("/accounts/signup/", {"full_name": "", "email": "x@example.jp", "password": "123"})
    assert weak.status_code == 422
    links = _assert_summary(weak.content.decode())
    assert links[0] == "id_full_name" and set(links) == {"id_full_name", "id_password"}


def test_withdraw_with_a_too_long_reason_shows_the_summary(resident_client, resident):
    application = make_submitted(resident)
    response = resident_client.post(
        f"/my/applications/{application.public_id}/withdraw/", {"reason": "あ" * 1001}
    )
    assert response.status_code == 422
    assert _assert_summary(response.content.decode()) == ["id_reason"]
    assert Application.objects.get(pk=application.pk).status == Status.SUBMITTED


# ---- 3. every problem of a step at once ------------------------------------------------------


def test_a_malformed_my_number_hides_no_other_error(resident_client, resident):
    application = make_draft(resident, answers={})
    response = resident_client.post(
        f"/my/applications/{application.public_id}/steps/claimant/",
        {
            "f.claimant.name": "伊賀 花子",
            "f.claimant.name_kana": "",
            "f.claimant.birth_date": "1985-02-30",
            "f.claimant.my_number": "1234",
            "action": "next",
        },
    )
    assert response.status_code == 422
    links = _assert_summary(response.content.decode())
    assert "f-claimant-my-number" in links
    for other in ("f-claimant-name-kana", "f-claimant-birth-date", "f-claimant-gender", "f-claimant-address"):
        assert other in links
    assert links.count("f-claimant-my-number") == 1
    application.refresh_from_db()
    assert application.answers["claimant"]["name"] == "伊賀 花子"
    assert "my_number" not in application.answers["claimant"]


# ---- 4. "change" returns to the check page ---------------------------------------------------


def test_change_on_the_check_page_returns_there(resident_client, resident):
    application = make_draft(resident)
    review = resident_client.get(f"/my/applications/{application.public_id}/review/").content.decode()
    change = f"/my/applications/{application.public_id}/steps/claimant/?return=review"
    assert f'href="{change}"' in review
    step = resident_client.get(change).content.decode()
    assert '<input type="hidden" name="return" value="review">' in step
    data = {
        key: value
        for key, value in re.findall(r'name="(f\.[^"]+)"[^>]*value="([^"]*)"', step)
        if not key.endswith(".my_number")
    }
    data.update({"f.claimant.phone": "0595-41-2345", "f.claimant.gender": "female", "return": "review"})
    data["f.claimant.pension_type"] = application.answers["claimant"]["pension_type"]
    saved = resident_client.post(change.split("?")[0], {**data, "action": "next"})
    assert saved.status_code == 302, saved.content.decode()[:2000]
    assert saved["Location"] == f"/my/applications/{application.public_id}/review/"
    application.refresh_from_db()
    assert application.answers["claimant"]["phone"] == "0595-41-2345"


def test_change_that_opens_a_later_question_goes_there_first(resident_client, resident):
    application = make_draft(resident)
    answers = dict(application.answers)
    assert answers["payment_method"] == "public_funds_account" or "bank_account" in answers
    url = f"/my/applications/{application.public_id}/steps/spouse/"
    response = resident_client.post(
        url, {"f.has_spouse": "true", "_live_conditions": "1", "return": "review", "action": "next"}
    )
    # The spouse's details are on the same step: asked here, not after the check page.
    assert response.status_code == 422
    assert "f-spouse-name" in _summary_links(response.content.decode())


# ---- 5. "add a child" keeps the resident at the new entry ------------------------------------


def test_add_entry_opens_at_the_new_entry(resident_client, resident):
    application = make_draft(resident)
    url = f"/my/applications/{application.public_id}/steps/children/"
    page = resident_client.get(url).content.decode()
    count = len(application.answers["children"])
    assert f'formaction="{url}#f-children-{count}"' in page
    added = resident_client.post(url, {**_children_form(application), "action": "add:children"})
    assert added.status_code == 200
    body = added.content.decode()
    assert f'<fieldset class="repeat-entry" id="f-children-{count}">' in body
    focused = re.findall(r"<(?:input|select|textarea)[^>]*autofocus[^>]*>", body)
    assert len(focused) == 1 and f'id="f-children-{count}-name"' in focused[0]


def _children_form(application: Application) -> dict[str, str]:
    data: dict[str, str] = {"f.children.count": str(len(application.answers["children"]))}
    for index, child in enumerate(application.answers["children"]):
        for key, value in child.items():
            if key == "my_number":
                continue
            data[f"f.children.{index}.{key}"] = (
                ("true" if value else "false") if isinstance(value, bool) else str(value)
            )
    data["f.has_older_children"] = "false"
    return data


# ---- 6. withdrawing: confirmed, and what happens to the fee ----------------------------------


def _paid(application: Application, amount: int = 300, refunded: int = 0) -> Payment:
    return Payment.objects.create(
        municipality=application.municipality,
        department=application.department,
        application=application,
        purpose="住民票の写し 1通",
        amount=amount,
        paid_amount=amount,
        refunded_amount=refunded,
        status=PaymentStatus.PAID if not refunded else PaymentStatus.REFUNDED,
        provider="hosted",
        expires_at=timezone.now() + dt.timedelta(days=30),
    )


def test_withdraw_asks_first_and_says_what_happens_to_the_fee(resident_client, resident):
    application = make_submitted(resident)
    _paid(application, 300)
    detail = resident_client.get(f"/my/applications/{application.public_id}/").content.decode()
    url = f"/my/applications/{application.public_id}/withdraw/"
    assert f'href="{url}"' in detail and f'action="{url}"' not in detail  # no one-tap withdrawal
    confirm = resident_client.get(url)
    page = confirm.content.decode()
    assert confirm.status_code == 200 and "panel-warning" in page and "button-warning" in page
    fee_text = msg(
        "You paid a fee of %(amount)s yen. Withdrawing does not refund it by itself: the department "
        "decides whether it can be refunded.",
        amount=300,
    )
    assert fee_text in page
    assert application.department.name in page
    assert Application.objects.get(pk=application.pk).status == Status.SUBMITTED
    done = resident_client.post(url, {"reason": "別の方法で申請します"})
    assert done["Location"] == f"/my/applications/{application.public_id}/"
    assert Application.objects.get(pk=application.pk).status == Status.WITHDRAWN
    after = resident_client.get(done["Location"]).content.decode()
    assert 'id="fee-after-withdrawal"' in after and fee_text in after


def test_withdrawn_and_refunded_fee_is_shown(resident_client, resident):
    application = make_submitted(resident)
    _paid(application, 300, refunded=300)
    resident_client.post(f"/my/applications/{application.public_id}/withdraw/", {})
    after = resident_client.get(f"/my/applications/{application.public_id}/").content.decode()
    assert msg("The fee of %(amount)s yen has been refunded.", amount=300) in after


def test_api_withdraw_reports_the_fee(resident, resident_client):
    application = make_submitted(resident)
    _paid(application, 450)
    response = resident_client.post(
        f"/api/v1/applications/{application.public_id}/withdraw",
        {"reason": ""},
        content_type="application/json",
    )
    assert response.status_code == 200, response.content[:500]
    assert response.json()["fee_paid"] == {
        "paid_amount": 450,
        "refunded_amount": 0,
        "refund": "ask_department",
    }
    detail = resident_client.get(f"/api/v1/applications/{application.public_id}").json()
    assert detail["fee_paid"]["refund"] == "ask_department"


# ---- 7. deleting a draft ---------------------------------------------------------------------


def test_draft_delete_is_confirmed(resident_client, resident):
    application = make_draft(resident)
    url = f"/my/applications/{application.public_id}/discard/"
    detail = resident_client.get(f"/my/applications/{application.public_id}/").content.decode()
    assert f'href="{url}"' in detail
    assert resident_client.get(url).status_code == 200
    assert Application.objects.filter(pk=application.pk).exists()
    assert resident_client.post(url)["Location"] == "/my/applications/"
    assert not Application.objects.filter(pk=application.pk).exists()


def test_draft_with_a_payment_is_kept_without_an_error_page(resident_client, resident):
    application = make_draft(resident)
    payment = _paid(application, 300)
    Payment.objects.filter(pk=payment.pk).update(status=PaymentStatus.FAILED, paid_amount=0)
    url = f"/my/applications/{application.public_id}/discard/"
    detail = resident_client.get(f"/my/applications/{application.public_id}/").content.decode()
    assert f'href="{url}"' not in detail
    response = resident_client.post(url)
    assert response.status_code == 302
    assert Application.objects.filter(pk=application.pk).exists()
    shown = resident_client.get(response["Location"]).content.decode()
    assert msg("This draft cannot be deleted because a payment was made for it.") in shown


# ---- 23. conditional questions ---------------------------------------------------------------


def _spouse_wrap(page: str) -> str:
    return re.search(r'<div class="field[^"]*" id="f-spouse-wrap"[^>]*>', page).group(0)


def test_conditional_questions_wait_for_their_condition(resident_client, resident):
    application = make_draft(resident, answers={})
    url = f"/my/applications/{application.public_id}/steps/spouse/"
    page = resident_client.get(url).content.decode()
    assert " hidden" in _spouse_wrap(page)  # no required marks before 「配偶者はいますか」 is answered
    # Without JavaScript: "yes" opens the spouse's questions on the same page, nothing marked red.
    opened = resident_client.post(url, {"f.has_spouse": "true", "action": "next"})
    assert opened.status_code == 200
    body = opened.content.decode()
    assert " hidden" not in _spouse_wrap(body)
    assert 'id="error-summary"' not in body and 'id="revealed-note"' in body
    assert re.search(r'<input[^>]*id="f-spouse-name"[^>]*autofocus', body)
    # The same answer again, still without the details: now they are missing.
    missing = resident_client.post(url, {"f.has_spouse": "true", "action": "next"})
    assert missing.status_code == 422 and "f-spouse-name" in _summary_links(missing.content.decode())


def test_with_javascript_the_step_goes_on_at_once(resident_client, resident):
    application = make_draft(resident, answers={})
    url = f"/my/applications/{application.public_id}/steps/spouse/"
    response = resident_client.post(
        url,
        {
            "f.has_spouse": "true",
            "f.spouse.name": "伊賀 太郎",
            "f.spouse.name_kana": "イガ タロウ",
            "f.spouse.birth_date": "1984-05-05",
            "f.spouse.living_together": "true",
            "_live_conditions": "1",
            "action": "next",
        },
    )
    assert response.status_code == 302
    assert response["Location"].endswith("/steps/children/")


def test_answers_of_hidden_questions_are_not_kept(resident_client, resident):
    application = make_draft(resident)
    url = f"/my/applications/{application.public_id}/steps/spouse/"
    resident_client.post(
        url,
        {
            "f.has_spouse": "true",
            "f.spouse.name": "伊賀 太郎",
            "f.spouse.name_kana": "イガ タロウ",
            "f.spouse.birth_date": "1984-05-05",
            "f.spouse.living_together": "true",
            "_live_conditions": "1",
            "action": "next",
        },
    )
    application.refresh_from_db()
    assert application.answers["spouse"]["name"] == "伊賀 太郎"
    # "No" after all: the spouse's details typed before are still in the (hidden) inputs, but not kept.
    resident_client.post(
        url,
        {"f.has_spouse": "false", "f.spouse.name": "伊賀 太郎", "_live_conditions": "1", "action": "next"},
    )
    application.refresh_from_db()
    assert application.answers["has_spouse"] is False and "spouse" not in application.answers


def test_another_resident_cannot_open_the_confirmations(resident, other_resident):
    application = make_submitted(resident)
    other = signed_in(other_resident, IGA_HOST)
    for action in ("withdraw", "discard"):
        assert other.get(f"/my/applications/{application.public_id}/{action}/").status_code == 404
        assert other.post(f"/my/applications/{application.public_id}/{action}/").status_code == 404


# ---- 24. once-only: the applicant's details from before --------------------------------------

CERTIFICATE = "residence-certificate-request"


def test_details_from_the_last_application_are_offered_and_filled_on_request(
    resident_client, resident, other_resident
):
    make_submitted(other_resident)  # another resident's answers are never offered
    earlier = make_submitted(resident)
    claimant = earlier.answers["claimant"]
    draft = make_draft(resident, CERTIFICATE, answers={})
    url = f"/my/applications/{draft.public_id}/steps/requester/"
    page = resident_client.get(url).content.decode()
    assert 'id="prefill-offer"' in page
    assert claimant["address"] in page and claimant["phone"] in page
    assert other_resident.full_name not in page
    draft.refresh_from_db()
    assert draft.answers == {}  # nothing filled in before the resident says so
    filled = resident_client.post(
        url, {"f.requester.phone": "0595-41-0000", "action": "prefill"}
    )  # a number typed now stays
    assert filled.status_code == 200
    body = filled.content.decode()
    assert 'id="prefill-done"' in body and 'id="prefill-offer"' not in body
    draft.refresh_from_db()
    requester = draft.answers["requester"]
    assert requester["name"] == claimant["name"] and requester["address"] == claimant["address"]
    assert requester["postal_code"] == claimant["postal_code"]
    assert requester["phone"] == "0595-41-0000"
    # Filled in, still editable: plain inputs holding the values.
    assert re.search(
        rf'<input type="text" name="f.requester.address" id="f-requester-address" value="{claimant["address"]}"',
        body,
    )


def test_without_an_earlier_application_the_account_name_is_offered(resident_client, resident):
    draft = make_draft(resident, CERTIFICATE, answers={})
    page = resident_client.get(f"/my/applications/{draft.public_id}/steps/requester/").content.decode()
    assert 'id="prefill-offer"' in page and resident.full_name in page
    resident_client.post(f"/my/applications/{draft.public_id}/steps/requester/", {"action": "prefill"})
    draft.refresh_from_db()
    assert draft.answers["requester"]["name"] == resident.full_name


def test_counter_pages_use_the_same_summary(iga_client):
    wrong = iga_client.post("/counter/", {"code": "000000"})
    assert wrong.status_code == 422
    assert _assert_summary(wrong.content.decode()) == ["code"]


def test_a_child_address_shows_only_when_the_child_lives_apart(resident_client, resident):
    application = make_draft(resident)
    url = f"/my/applications/{application.public_id}/steps/children/"
    page = resident_client.get(url).content.decode()
    # Each entry's address depends on that entry's 同居 answer (the browser hides it at once).
    wrap = re.search(r'<div class="field[^"]*" id="f-children-0-address-if-separate-wrap"[^>]*>', page).group(
        0
    )
    assert 'data-when="f-children-0-living-with-claimant"' in wrap and 'data-when-value="false"' in wrap
    living_together = application.answers["children"][0]["living_with_claimant"] is True
    assert (" hidden" in wrap) is living_together
    data = _children_form(application)
    data.update(
        {
            "f.children.0.living_with_claimant": "true",
            "f.children.0.address_if_separate": "三重県四日市市諏訪町1番5号",
            "action": "next",
            "_live_conditions": "1",
        }
    )
    resident_client.post(url, data)
    application.refresh_from_db()
    assert "address_if_separate" not in application.answers["children"][0]
    review = resident_client.get(f"/my/applications/{application.public_id}/review/").content.decode()
    assert "三重県四日市市諏訪町1番5号" not in review
