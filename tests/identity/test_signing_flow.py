"""Signing from the review page through the demo provider's signing API (sign transaction,
authorization with scope ``sign``, code exchange, JWE result), then verification and submission."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

import pytest
from django.test import Client
from django.utils import translation
from django.utils.html import escape
from django.utils.translation import gettext

from idx.applications.models import Application, ApplicationSignature, Status
from idx.demo_idp.models import DemoSignTransaction
from tests.conftest import IGA_HOST, example_answers, make_draft, procedure, sign_at_demo_idp, signed_in

pytestmark = pytest.mark.django_db


def msg(msgid: str) -> str:
    with translation.override("ja"):
        return escape(gettext(msgid))


def messages_on(client: Client, url: str) -> str:
    page = client.get(url).content.decode()
    return " ".join(re.findall(r'<p class="message message-\w+">(.*?)</p>', page))


def review_url(application) -> str:
    return f"/my/applications/{application.public_id}/review/"


def test_review_page_offers_signing_and_allows_the_provider_as_form_target(resident_client, resident):
    application = make_draft(resident)
    response = resident_client.get(review_url(application))
    assert response.status_code == 200
    assert msg("Sign with My Number Card and submit") in response.content.decode()
    form_action = next(
        part for part in response["Content-Security-Policy"].split(";") if "form-action" in part
    )
    assert "http://127.0.0.1:8000" in form_action


def test_sign_and_submit(resident_client, resident, clerk_client, back_channel):
    application = make_draft(resident)
    started = resident_client.post(review_url(application), {"declaration": "yes"})
    query = parse_qs(urlsplit(started["Location"]).query)
    assert query["scope"] == ["openid sign"] and query["sign_transaction_id"]
    transaction = DemoSignTransaction.objects.get(public_id=query["sign_transaction_id"][0])
    assert transaction.signed_at is None
    done = sign_at_demo_idp(resident_client, started, holder="iga-taro")
    receipt = f"/my/applications/{application.public_id}/receipt/"
    assert done["Location"] == receipt
    application.refresh_from_db()
    assert application.status == Status.SUBMITTED
    signature = ApplicationSignature.objects.get(application=application)
    assert signature.signer_name == "伊賀 太郎"
    # The CRL was fetched from its distribution point, and the result came through the signing API.
    paths = [path for _method, path in back_channel.calls]
    assert "/demo-idp/crl/" in paths
    assert f"/demo-idp/sign-transactions/{transaction.public_id}/result" in paths
    page = resident_client.get(receipt).content.decode()
    assert 'class="signature-status"' in page
    case = clerk_client.get(f"/staff/cases/{application.public_id}/").content.decode()
    assert msg("Verified") in case and signature.certificate_serial in case


def test_revoked_certificate_is_refused_and_the_draft_kept(resident_client, resident):
    answers = example_answers(procedure(resident.municipality))
    answers["claimant"].update(
        name="島ヶ原 次郎", birth_date="1958-09-30", address="三重県伊賀市島ヶ原5555番地"
    )
    application = make_draft(resident, answers=answers)
    before = Application.objects.get(pk=application.pk).answers
    started = resident_client.post(review_url(application), {"declaration": "yes"})
    refused = sign_at_demo_idp(resident_client, started, holder="shimagahara-jiro")
    assert refused["Location"] == review_url(application)
    assert msg(
        "The signing certificate of this card has been revoked (for example after a move). Renew it at "
        "the counter, then sign again. Your answers are kept."
    ) in messages_on(resident_client, review_url(application))
    current = Application.objects.get(pk=application.pk)
    assert current.status == Status.DRAFT and current.answers == before


def test_cancel_at_the_provider(resident_client, resident):
    application = make_draft(resident)
    started = resident_client.post(review_url(application), {"declaration": "yes"})
    parts = urlsplit(started["Location"])
    fields = {key: values[0] for key, values in parse_qs(parts.query).items()}
    back = resident_client.post(parts.path, {**fields, "action": "cancel"})
    assert "error=access_denied" in back["Location"]
    back_parts = urlsplit(back["Location"])
    response = resident_client.get(f"{back_parts.path}?{back_parts.query}")
    assert response["Location"] == review_url(application)
    assert msg("Signing was cancelled. Your answers are kept.") in messages_on(
        resident_client, review_url(application)
    )
    assert Application.objects.get(pk=application.pk).status == Status.DRAFT


def test_answers_changed_after_signing_began(resident_client, resident):
    application = make_draft(resident)
    started = resident_client.post(review_url(application), {"declaration": "yes"})
    # Another window saves a different phone number while the card is signing.
    answers = Application.objects.get(pk=application.pk).answers
    Application.objects.filter(pk=application.pk).update(
        answers={**answers, "claimant": {**answers["claimant"], "phone": "0595-00-1111"}}
    )
    refused = sign_at_demo_idp(resident_client, started, holder="iga-taro")
    assert refused["Location"] == review_url(application)
    assert msg(
        "Your answers changed after you signed. Check them and sign again: a signature covers exactly "
        "the answers you saw."
    ) in messages_on(resident_client, review_url(application))
    assert Application.objects.get(pk=application.pk).status == Status.DRAFT


def test_the_callback_works_once_and_only_in_the_starting_session(resident_client, resident):
    application = make_draft(resident)
    started = resident_client.post(review_url(application), {"declaration": "yes"})
    parts = urlsplit(started["Location"])
    fields = {key: values[0] for key, values in parse_qs(parts.query).items()}
    back = resident_client.post(
        parts.path, {**fields, "holder": "iga-taro", "pin": "abc123", "action": "sign"}
    )
    back_parts = urlsplit(back["Location"])
    callback = f"{back_parts.path}?{back_parts.query}"
    # Another signed-in session cannot use the code and state.
    other = signed_in(resident)
    assert other.get(callback)["Location"] == "/my/applications/"
    assert resident_client.get(callback)["Location"] == f"/my/applications/{application.public_id}/receipt/"
    # A replay finds no flow.
    assert resident_client.get(callback)["Location"] == "/my/applications/"
    assert ApplicationSignature.objects.filter(application=application).count() == 1


def test_a_short_signing_password_is_asked_again(resident_client, resident):
    application = make_draft(resident)
    started = resident_client.post(review_url(application), {"declaration": "yes"})
    parts = urlsplit(started["Location"])
    fields = {key: values[0] for key, values in parse_qs(parts.query).items()}
    page = resident_client.post(parts.path, {**fields, "holder": "iga-taro", "pin": "1234", "action": "sign"})
    assert page.status_code == 422
    assert DemoSignTransaction.objects.get(public_id=fields["sign_transaction_id"]).signed_at is None


def test_sign_result_needs_the_holders_token(resident_client, resident):
    application = make_draft(resident)
    started = resident_client.post(review_url(application), {"declaration": "yes"})
    transaction_id = parse_qs(urlsplit(started["Location"]).query)["sign_transaction_id"][0]
    sign_at_demo_idp(resident_client, started, holder="iga-taro")
    url = f"/demo-idp/sign-transactions/{transaction_id}/result"
    anonymous = Client(HTTP_HOST=IGA_HOST)
    assert anonymous.get(url).status_code == 401
    assert anonymous.get(url, headers={"Authorization": "Bearer forged"}).status_code == 401


def test_sign_transactions_need_a_client_token(municipalities):
    client = Client(HTTP_HOST=IGA_HOST)
    response = client.post(
        "/demo-idp/sign-transactions/", {"digest": "AAAA"}, content_type="application/json"
    )
    assert response.status_code == 401


def test_missing_declaration_does_not_leave_for_the_provider(resident_client, resident):
    application = make_draft(resident)
    response = resident_client.post(review_url(application), {})
    assert response.status_code == 422
    assert DemoSignTransaction.objects.count() == 0


def test_a_signing_answer_naming_another_issuer_is_refused(resident_client, resident, caplog):
    """RFC 9207: an authorization response that names another provider (a mix-up) signs nothing."""
    application = make_draft(resident)
    started = resident_client.post(review_url(application), {"declaration": "yes"})
    parts = urlsplit(started["Location"])
    fields = {key: values[0] for key, values in parse_qs(parts.query).items()}
    back = resident_client.post(
        parts.path, {**fields, "holder": "iga-taro", "pin": "abc123", "action": "sign"}
    )
    back_parts = urlsplit(back["Location"])
    response = resident_client.get(f"{back_parts.path}?{back_parts.query}&iss=https%3A%2F%2Fattacker.example")
    assert response["Location"] == review_url(application)
    assert "reason=authorization_response_iss_mismatch" in caplog.text
    assert msg(
        "The answer of the signing service could not be verified. Your answers are kept; please sign again."
    ) in messages_on(resident_client, review_url(application))
    assert Application.objects.get(pk=application.pk).status == Status.DRAFT
    assert not ApplicationSignature.objects.filter(application=application).exists()
