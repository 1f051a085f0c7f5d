"""Resident sign-in with My Number Card: the whole flow against the demo identity provider."""

from __future__ import annotations

import pytest
from django.test import Client

from idx.audit.models import AuditEntry
from idx.identity.models import ExternalIdentity, User
from tests.conftest import IGA_HOST
from tests.identity.conftest import HANAKO_BIRTHDATE, CardBrowser, query

pytestmark = pytest.mark.django_db


def test_first_sign_in_creates_a_verified_resident(card_provider, back_channel):
    browser = CardBrowser()
    authorize_url = browser.start()
    params = query(authorize_url)
    assert authorize_url.startswith("http://127.0.0.1:8000/demo-idp/authorize/?")
    assert params["response_type"] == "code"
    assert params["scope"] == "openid name address birthdate gender"
    assert params["code_challenge_method"] == "S256"
    assert params["client_id"] == card_provider.client_id
    assert len(params["state"]) >= 32 and len(params["nonce"]) >= 32
    response = browser.callback(browser.authorize(authorize_url)["Location"])
    assert response.status_code == 302
    assert response["Location"] == "/my/applications/"
    identity = ExternalIdentity.objects.select_related("user").get(provider=card_provider)
    user = identity.user
    assert user.email == ""
    assert user.full_name == "伊賀 花子"
    assert user.verified_name == "伊賀 花子"
    assert user.verified_address == "三重県伊賀市上野丸之内116番地"
    assert user.verified_birthdate == HANAKO_BIRTHDATE
    assert user.verified_gender == "female"
    assert user.identity_verified_at is not None
    assert int(browser.client.session["_auth_user_id"]) == user.pk
    assert browser.client.get("/my/applications/").status_code == 200
    # Back channel went through discovery, JWKS, token and userinfo.
    paths = [path for _method, path in back_channel.calls]
    assert "/demo-idp/.well-known/openid-configuration" in paths
    assert "/demo-idp/jwks/" in paths
    assert ("POST", "/demo-idp/token/") in back_channel.calls
    assert "/demo-idp/userinfo/" in paths
    assert AuditEntry.objects.filter(action="account.sign_up_provider", target_id=str(user.pk)).exists()


def test_second_sign_in_finds_the_same_account_and_two_card_residents_coexist(card_provider):
    CardBrowser().sign_in()
    CardBrowser().sign_in()
    CardBrowser().sign_in(holder="ueno-taro")
    assert ExternalIdentity.objects.filter(provider=card_provider).count() == 2
    assert User.objects.filter(municipality=card_provider.municipality, email="").count() == 2


def test_subject_is_pairwise_per_relying_party(card_provider, watarai):
    from idx.demo_idp.provider import pairwise_subject

    assert pairwise_subject("RP242161", "iga-hanako") != pairwise_subject("RP244708", "iga-hanako")


def test_next_is_kept_and_only_local(card_provider):
    browser = CardBrowser()
    authorize_url = browser.start(next_url="/procedures/child-allowance-certification/")
    response = browser.callback(browser.authorize(authorize_url)["Location"])
    assert response["Location"] == "/procedures/child-allowance-certification/"
    browser = CardBrowser()
    authorize_url = browser.start(next_url="//evil.example/")
    response = browser.callback(browser.authorize(authorize_url)["Location"])
    assert response["Location"] == "/my/applications/"


def test_the_sign_in_page_offers_the_card(iga_client):
    page = iga_client.get("/accounts/login/").content.decode()
    assert 'action="/oidc/my-number-card/start/"' in page


def test_start_needs_post_and_csrf(iga):
    client = Client(HTTP_HOST=IGA_HOST, enforce_csrf_checks=True)
    assert client.get("/oidc/my-number-card/start/").status_code == 405
    assert client.post("/oidc/my-number-card/start/").status_code == 403


def test_cancel_on_the_provider_page(card_provider):
    browser = CardBrowser()
    authorize_url = browser.start()
    response = browser.client.post("/demo-idp/authorize/", {**query(authorize_url), "action": "cancel"})
    assert query(response["Location"])["error"] == "access_denied"
    result = browser.callback(response["Location"])
    assert result["Location"] == "/accounts/login/"
    assert "_auth_user_id" not in browser.client.session
    assert not ExternalIdentity.objects.filter(provider=card_provider).exists()


def test_the_demo_page_checks_holder_and_pin(card_provider):
    browser = CardBrowser()
    authorize_url = browser.start()
    assert browser.authorize(authorize_url, pin="12").status_code == 422
    assert browser.authorize(authorize_url, holder="nobody").status_code == 422
    assert browser.authorize(authorize_url, pin="9876").status_code == 302


def test_another_municipality_has_its_own_client(watarai):
    browser = CardBrowser(Client(HTTP_HOST="watarai.localhost"))
    authorize_url = browser.start()
    assert authorize_url.startswith("http://watarai.localhost:8000/demo-idp/authorize/")
    assert query(authorize_url)["client_id"] == "RP244708"
