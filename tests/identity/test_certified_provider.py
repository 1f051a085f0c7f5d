"""Sign-in against an independent, OpenID Certified provider (panva's oidc-provider for Node.js).

The whole code flow runs through the relying party's real views: the portal's start button, the
provider's own sign-in and consent pages, the callback, and the back channel (discovery, JWKS,
token with ``private_key_jwt``, userinfo) over real sockets. The provider is configured as
standards-conforming providers may behave: it rotates keys, replaces a key under the same
``kid``, signs without ``kid``, names its issuer with a trailing slash, and accepts only its issuer
as the client assertion's audience (FAPI 2.0).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

import pytest
from django.test import Client
from joserfc.jwk import ECKey

from idx.common.models import Municipality
from idx.identity.contrib.oidc import client as oidc_client
from idx.identity.contrib.oidc.client import clear_caches
from idx.identity.models import ExternalIdentity, IdentityProvider
from tests.conftest import IGA_HOST
from tests.identity.openid_provider import (
    OpenIdProvider,
    ProviderBrowser,
    free_port,
    node_or_skip,
    signing_key,
)

pytestmark = pytest.mark.django_db

SLUG = "jpki-certified"
CALLBACK = f"http://{IGA_HOST}/oidc/{SLUG}/callback/"
CLIENT_ID = "iga-city-portal"
# 基本4情報 of two card holders, as the provider asserts them.
ACCOUNTS = {
    "hanako-0412": {
        "name": "伊賀 花子",
        "address": {"formatted": "三重県伊賀市上野丸之内116番地"},
        "birthdate": "1985-04-01",
        "gender": "female",
    },
    "taro-7730": {
        "name": "上野 太郎",
        "address": {"formatted": "三重県伊賀市四十九町3184番地"},
        "birthdate": "1979-11-23",
        "gender": "male",
    },
}


@pytest.fixture(autouse=True)
def back_channel(settings) -> Iterator[None]:
    """Real sockets: no test transport between the relying party and the provider."""
    settings.IDX_OIDC_TRANSPORT = ""
    clear_caches()
    yield
    clear_caches()


@pytest.fixture
def relying_party_key() -> ECKey:
    return ECKey.generate_key("P-256", {"use": "sig", "alg": "ES256"}, private=True, auto_kid=True)


@pytest.fixture
def start_provider(tmp_path: Path, relying_party_key: ECKey) -> Iterator[Any]:
    node = node_or_skip()
    started: list[OpenIdProvider] = []

    def start(*, trailing_slash: bool = False, **config: Any) -> OpenIdProvider:
        port = free_port()
        provider = OpenIdProvider(
            node,
            tmp_path,
            port=port,
            issuer=f"http://127.0.0.1:{port}" + ("/" if trailing_slash else ""),
            keys=config.pop("keys", None) or [signing_key("card-2026-1")],
            omit_kid=config.pop("omit_kid", False),
            issuer_audience_only=config.pop("issuer_audience_only", False),
            client={
                "client_id": CLIENT_ID,
                "redirect_uris": [CALLBACK],
                "jwks": {"keys": [relying_party_key.as_dict(private=False)]},
            },
            accounts=ACCOUNTS,
        )
        assert not config, config
        started.append(provider)
        provider.start()
        return provider

    yield start
    for provider in started:
        provider.stop()


def configure(
    iga: Municipality, provider: OpenIdProvider, key: ECKey, *, issuer: str | None = None, audience: str = ""
) -> IdentityProvider:
    return IdentityProvider.objects.create(
        municipality=iga,
        slug=SLUG,
        display_name="マイナンバーカード（認定プロバイダ）",
        method="oidc",
        issuer=provider.issuer if issuer is None else issuer,
        client_id=CLIENT_ID,
        private_key_pem=key.as_pem(private=True).decode(),
        signing_alg="ES256",
        assertion_audience=audience or "token_endpoint",
    )


def sign_in(provider: OpenIdProvider, *, account: str = "hanako-0412", client: Client | None = None) -> Any:
    """The resident presses the card button, signs in and consents at the provider, comes back."""
    portal = client or Client(HTTP_HOST=IGA_HOST)
    start = portal.post(f"/oidc/{SLUG}/start/")
    assert start.status_code == 302, start.content[:300]
    assert start["Location"].startswith(f"{provider.origin}/auth?")
    callback = ProviderBrowser(provider, account=account).authorize(start["Location"])
    assert callback.startswith(CALLBACK), callback
    parts = urlsplit(callback)
    response = portal.get(parts.path, dict(parse_qsl(parts.query)))
    response.portal = portal  # type: ignore[attr-defined]
    response.callback = callback  # type: ignore[attr-defined]
    return response


def assert_signed_in(response: Any, account: str = "hanako-0412") -> None:
    assert response.status_code == 302, response.content[:300]
    assert response["Location"] == "/my/applications/"
    identity = ExternalIdentity.objects.select_related("user").get(provider__slug=SLUG, subject=account)
    assert int(response.portal.session["_auth_user_id"]) == identity.user.pk
    facts = ACCOUNTS[account]
    assert identity.user.verified_name == facts["name"]
    assert identity.user.verified_address == facts["address"]["formatted"]  # type: ignore[index]
    assert identity.user.verified_birthdate.isoformat() == facts["birthdate"]


def assert_refused(response: Any, caplog: pytest.LogCaptureFixture, reason: str) -> None:
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/"
    assert "_auth_user_id" not in response.portal.session
    assert f"reason={reason}" in caplog.text, caplog.text


@pytest.fixture(autouse=True)
def _log(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="idx.identity.oidc")


def test_full_code_flow_signs_a_resident_in_and_checks_the_response_issuer(
    iga, start_provider, relying_party_key
):
    provider = start_provider()
    configure(iga, provider, relying_party_key)
    assert provider.discovery()["authorization_response_iss_parameter_supported"] is True
    response = sign_in(provider)
    # RFC 9207: the provider named itself in the authorization response, and that was checked.
    assert dict(parse_qsl(urlsplit(response.callback).query))["iss"] == provider.issuer
    assert_signed_in(response)
    # A second card holder gets their own account; the first keeps theirs.
    assert_signed_in(sign_in(provider, account="taro-7730"), "taro-7730")
    assert ExternalIdentity.objects.filter(provider__slug=SLUG).count() == 2


def test_a_response_naming_another_issuer_or_none_is_refused(iga, start_provider, relying_party_key, caplog):
    provider = start_provider()
    configure(iga, provider, relying_party_key)
    portal = Client(HTTP_HOST=IGA_HOST)
    for forged_iss, reason in (
        ("https://attacker.example", "authorization_response_iss_mismatch"),
        (provider.issuer + "/", "authorization_response_iss_mismatch"),
        (None, "authorization_response_iss_missing"),
    ):
        start = portal.post(f"/oidc/{SLUG}/start/")
        callback = ProviderBrowser(provider, account="hanako-0412").authorize(start["Location"])
        query = dict(parse_qsl(urlsplit(callback).query))
        if forged_iss is None:
            del query["iss"]
        else:
            query["iss"] = forged_iss
        response = portal.get(f"/oidc/{SLUG}/callback/?{urlencode(query)}")
        response.portal = portal
        assert_refused(response, caplog, reason)
    assert not ExternalIdentity.objects.filter(provider__slug=SLUG).exists()


def test_key_rotation_to_a_new_kid(iga, start_provider, relying_party_key):
    provider = start_provider()
    configure(iga, provider, relying_party_key)
    assert_signed_in(sign_in(provider))
    provider.restart(keys=[signing_key("card-2026-2"), provider.config["keys"][0]])
    assert [key["kid"] for key in provider.jwks()["keys"]] == ["card-2026-2", "card-2026-1"]
    assert_signed_in(sign_in(provider))


def test_a_key_replaced_under_the_same_kid_is_fetched_again_after_a_bad_signature(
    iga, start_provider, relying_party_key
):
    """The cached set verified nothing any more; one refetch (not an hour's wait) recovers."""
    provider = start_provider()
    configure(iga, provider, relying_party_key)
    assert_signed_in(sign_in(provider))
    provider.restart(keys=[signing_key("card-2026-1")])  # same kid, other key
    assert_signed_in(sign_in(provider))


def test_refetching_after_a_bad_signature_is_rate_limited(
    iga, start_provider, relying_party_key, caplog, monkeypatch
):
    provider = start_provider()
    configure(iga, provider, relying_party_key)
    assert_signed_in(sign_in(provider))
    provider.restart(keys=[signing_key("card-2026-1")])
    assert_signed_in(sign_in(provider))  # the one refetch of this minute
    provider.restart(keys=[signing_key("card-2026-1")])
    assert_refused(sign_in(provider), caplog, "id_token_bad_signature")
    monkeypatch.setattr(oidc_client, "JWKS_REFRESH_SECONDS", 0)  # the minute has passed
    assert_signed_in(sign_in(provider))


def test_an_id_token_without_kid_is_verified_with_the_only_key(iga, start_provider, relying_party_key):
    provider = start_provider(omit_kid=True)
    configure(iga, provider, relying_party_key)
    assert all("kid" not in key for key in provider.jwks()["keys"])
    assert_signed_in(sign_in(provider))
    # Rotation without kid: the cached key no longer verifies, the refetched one does.
    provider.restart(keys=[signing_key("unpublished-name")])
    assert_signed_in(sign_in(provider))


def test_without_kid_two_published_keys_are_ambiguous(iga, start_provider, relying_party_key, caplog):
    provider = start_provider(omit_kid=True, keys=[signing_key("a"), signing_key("b")])
    configure(iga, provider, relying_party_key)
    assert len(provider.jwks()["keys"]) == 2
    assert_refused(sign_in(provider), caplog, "id_token_kid_missing")


def test_an_issuer_with_a_trailing_slash_is_compared_exactly(iga, start_provider, relying_party_key, caplog):
    provider = start_provider(trailing_slash=True)
    assert provider.issuer.endswith("/")
    assert provider.discovery()["issuer"] == provider.issuer
    idp = configure(iga, provider, relying_party_key)
    assert_signed_in(sign_in(provider))
    # The same provider configured without the slash is another issuer: refused, not guessed.
    idp.issuer = provider.issuer.rstrip("/")
    idp.save(update_fields=["issuer"])
    clear_caches()
    response = Client(HTTP_HOST=IGA_HOST).post(f"/oidc/{SLUG}/start/")
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/"
    assert "reason=discovery_issuer_mismatch" in caplog.text


@pytest.mark.parametrize("audience", ["issuer", "both"])
def test_client_assertion_audience_is_chosen_per_provider(iga, start_provider, relying_party_key, audience):
    provider = start_provider(issuer_audience_only=audience == "issuer")
    configure(iga, provider, relying_party_key, audience=audience)
    assert_signed_in(sign_in(provider))


def test_a_provider_requiring_its_issuer_refuses_the_token_endpoint_audience(
    iga, start_provider, relying_party_key, caplog
):
    provider = start_provider(issuer_audience_only=True)
    configure(iga, provider, relying_party_key, audience="token_endpoint")
    assert_refused(sign_in(provider), caplog, "token_error_invalid_client")
