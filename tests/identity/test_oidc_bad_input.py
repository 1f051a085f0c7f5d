"""Bad answers from the provider or the browser: sign-in refused, a clear message, a log line
with a reason code and no personal data."""

from __future__ import annotations

import base64
import json
import logging
import time
from typing import Any

import pytest
import requests
from django.core.management import call_command
from django.utils import translation
from django.utils.translation import gettext
from joserfc import jwt
from joserfc.jwk import ECKey

from idx.demo_idp.models import DemoSigningKey
from idx.identity.models import ExternalIdentity
from tests.identity.conftest import CardBrowser, query

pytestmark = pytest.mark.django_db

REFUSED = (
    "Sign-in was refused because the answer of the sign-in service could not be verified. Please try again."
)
STATE = (
    "Your sign-in could not be completed because it expired or was started in another window. "
    "Please start again."
)


def _payload(token: str) -> dict[str, Any]:
    segment = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4)))


def _newest_key() -> tuple[str, ECKey]:
    stored = DemoSigningKey.objects.order_by("-created_at", "-pk").first()
    assert stored is not None
    return stored.kid, ECKey.import_key(stored.private_jwk)


def _swap_id_token(back_channel, make: Any) -> None:
    """Replace the ID token in the token endpoint's answer with ``make(original_claims)``."""

    def rewrite(request: requests.PreparedRequest, response: requests.Response) -> requests.Response:
        if (
            request.method == "POST"
            and (request.url or "").endswith("/token/")
            and response.status_code == 200
        ):
            body = response.json()
            body["id_token"] = make(_payload(body["id_token"]))
            response._content = json.dumps(body).encode()
        return response

    back_channel.rewrite = rewrite


def _signed(claims: dict[str, Any], *, key: ECKey | None = None, kid: str | None = None) -> str:
    newest_kid, newest = _newest_key()
    return jwt.encode({"alg": "ES256", "kid": kid or newest_kid}, claims, key or newest)


def _assert_refused(browser: CardBrowser, response: Any, caplog, reason: str, message: str = REFUSED) -> None:
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/"
    assert "_auth_user_id" not in browser.client.session
    shown = [str(m) for m in response.wsgi_request._messages]
    with translation.override("ja"):
        japanese = gettext(message)  # the same text as English when the catalog is not compiled
    assert shown == [japanese], shown
    lines = [r.getMessage() for r in caplog.records if r.name == "idx.identity.oidc"]
    assert any(f"reason={reason}" in line for line in lines), lines
    for line in lines:  # no personal data in the log
        assert "伊賀" not in line and "花子" not in line and "1985" not in line
    assert not ExternalIdentity.objects.exists()


def _run(make: Any, back_channel) -> tuple[CardBrowser, Any]:
    _swap_id_token(back_channel, make)
    browser = CardBrowser()
    authorized = browser.authorize(browser.start())
    return browser, browser.callback(authorized["Location"])


@pytest.fixture
def log(caplog):
    caplog.set_level(logging.INFO, logger="idx.identity.oidc")
    return caplog


def test_expired_id_token(card_provider, back_channel, log):
    now = int(time.time())
    browser, response = _run(lambda c: _signed({**c, "iat": now - 7200, "exp": now - 3600}), back_channel)
    _assert_refused(browser, response, log, "id_token_expired")


def test_id_token_issued_in_the_future(card_provider, back_channel, log):
    now = int(time.time())
    browser, response = _run(lambda c: _signed({**c, "iat": now + 3600, "exp": now + 7200}), back_channel)
    _assert_refused(browser, response, log, "id_token_invalid_iat")


def test_id_token_not_valid_before(card_provider, back_channel, log):
    now = int(time.time())
    browser, response = _run(lambda c: _signed({**c, "nbf": now + 3600}), back_channel)
    _assert_refused(browser, response, log, "id_token_invalid_nbf")


def test_small_clock_skew_is_accepted(card_provider, back_channel):
    now = int(time.time())
    browser, response = _run(lambda c: _signed({**c, "iat": now + 20}), back_channel)
    assert response["Location"] == "/my/applications/"


def test_wrong_audience(card_provider, back_channel, log):
    browser, response = _run(lambda c: _signed({**c, "aud": "RP999999"}), back_channel)
    _assert_refused(browser, response, log, "id_token_invalid_aud")


def test_wrong_issuer(card_provider, back_channel, log):
    browser, response = _run(lambda c: _signed({**c, "iss": "http://evil.example/demo-idp"}), back_channel)
    _assert_refused(browser, response, log, "id_token_invalid_iss")


def test_wrong_authorized_party(card_provider, back_channel, log):
    browser, response = _run(lambda c: _signed({**c, "azp": "RP999999"}), back_channel)
    _assert_refused(browser, response, log, "id_token_invalid_azp")


def test_replayed_nonce(card_provider, back_channel, log):
    """An ID token from an earlier sign-in (its nonce) is refused in a new one."""
    captured: dict[str, str] = {}

    def capture(request: requests.PreparedRequest, response: requests.Response) -> requests.Response:
        if (request.url or "").endswith("/token/"):
            captured["id_token"] = response.json()["id_token"]
        return response

    back_channel.rewrite = capture
    first = CardBrowser()
    first.sign_in()
    ExternalIdentity.objects.all().delete()
    browser, response = _run(lambda _c: captured["id_token"], back_channel)
    _assert_refused(browser, response, log, "id_token_invalid_nonce")


def test_tampered_id_token(card_provider, back_channel, log):
    def tamper(claims: dict[str, Any]) -> str:
        token = _signed(claims)
        header, _payload_segment, signature = token.split(".")
        forged = base64.urlsafe_b64encode(json.dumps({**claims, "sub": "someone-else"}).encode()).rstrip(b"=")
        return f"{header}.{forged.decode()}.{signature}"

    browser, response = _run(tamper, back_channel)
    _assert_refused(browser, response, log, "id_token_bad_signature")


def test_unknown_kid_refetches_the_key_set_once(card_provider, back_channel, log):
    stranger = ECKey.generate_key("P-256", private=True)
    browser, response = _run(lambda c: _signed(c, key=stranger, kid="not-published"), back_channel)
    _assert_refused(browser, response, log, "unknown_kid")
    jwks_fetches = [path for _method, path in back_channel.calls if path == "/demo-idp/jwks/"]
    assert len(jwks_fetches) == 2


def test_signature_by_a_key_outside_the_set_under_a_known_kid(card_provider, back_channel, log):
    stranger = ECKey.generate_key("P-256", private=True)
    browser, response = _run(lambda c: _signed(c, key=stranger), back_channel)
    _assert_refused(browser, response, log, "id_token_bad_signature")


def test_key_rotation_is_followed(card_provider, back_channel):
    CardBrowser().sign_in()
    call_command("demo_idp_rotate_keys", stdout=open("/dev/null", "w"))  # noqa: SIM115
    assert DemoSigningKey.objects.count() >= 2
    back_channel.calls.clear()
    response = CardBrowser().sign_in()
    assert response["Location"] == "/my/applications/"
    # The cached set did not know the new kid: fetched once more.
    assert [p for _m, p in back_channel.calls].count("/demo-idp/jwks/") == 1


def test_state_mismatch(card_provider, log):
    browser = CardBrowser()
    authorized = browser.authorize(browser.start())
    params = query(authorized["Location"])
    response = browser.client.get(f"/oidc/mynumber/callback/?code={params['code']}&state=forged-state")
    _assert_refused(browser, response, log, "state_mismatch", STATE)


def test_a_state_works_once(card_provider, log):
    browser = CardBrowser()
    authorized = browser.authorize(browser.start())
    assert browser.callback(authorized["Location"])["Location"] == "/my/applications/"
    browser.client.logout()
    ExternalIdentity.objects.all().delete()
    response = browser.callback(authorized["Location"])
    _assert_refused(browser, response, log, "state_mismatch", STATE)


def test_pkce_mismatch(card_provider, log):
    browser = CardBrowser()
    authorized = browser.authorize(browser.start())
    session = browser.client.session
    flows = session["idx_oidc_flows"]
    for flow in flows.values():
        flow["code_verifier"] = "x" * 64
    session["idx_oidc_flows"] = flows
    session.save()
    response = browser.callback(authorized["Location"])
    _assert_refused(browser, response, log, "token_error_invalid_grant")


def test_token_endpoint_refuses_a_client_assertion_by_another_key(card_provider, iga):
    from django.test import Client

    stranger = ECKey.generate_key("P-256", private=True)
    now = int(time.time())
    assertion = jwt.encode(
        {"alg": "ES256"},
        {
            "iss": card_provider.client_id,
            "sub": card_provider.client_id,
            "aud": "http://127.0.0.1:8000/demo-idp/token/",
            "iat": now,
            "exp": now + 60,
            "jti": "x",
        },
        stranger,
    )
    response = Client(HTTP_HOST="127.0.0.1:8000").post(
        "/demo-idp/token/",
        {
            "grant_type": "authorization_code",
            "code": "anything",
            "client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
            "client_assertion": assertion,
        },
    )
    assert response.status_code == 401
    assert response.json() == {"error": "invalid_client"}


def test_authorize_never_redirects_to_an_unregistered_address(card_provider):
    browser = CardBrowser()
    params = query(browser.start())
    params["redirect_uri"] = "http://evil.example/oidc/mynumber/callback/"
    response = browser.client.get("/demo-idp/authorize/", params)
    assert response.status_code == 400
