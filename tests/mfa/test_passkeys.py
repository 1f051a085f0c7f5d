"""Passkeys (WebAuthn) on the server: registration, sign-in and re-authentication with a software authenticator."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from idx.audit.models import AuditEntry
from idx.identity.mfa.models import SignInLockout, WebAuthnCredential
from idx.identity.reauth import SESSION_KEY as REAUTH_KEY
from tests.conftest import IGA_HOST
from tests.factories import PASSWORD, StaffFactory
from tests.mfa.soft_authenticator import SoftAuthenticator

ORIGIN = f"http://{IGA_HOST}"


def options(client: Client, purpose: str) -> dict:
    response = client.post(f"/staff/passkey/{purpose}/options/")
    assert response.status_code == 200, response.content
    return json.loads(response.json()["publicKey"])


def verify(client: Client, purpose: str, credential: dict, query: str = ""):
    return client.post(
        f"/staff/passkey/{purpose}/verify/{query}", json.dumps(credential), content_type="application/json"
    )


@pytest.fixture
def newcomer(iga):
    return StaffFactory(municipality=iga, department=None)


@pytest.fixture
def enrolled(newcomer):
    """A staff member who registered a passkey at enrolment, and their authenticator."""
    client = Client(HTTP_HOST=IGA_HOST)
    assert client.post("/staff/login/", {"email": newcomer.email, "password": PASSWORD})["Location"].endswith(
        "/enrol/"
    )
    authenticator = SoftAuthenticator(IGA_HOST, ORIGIN)
    response = verify(client, "register", authenticator.create(options(client, "register")))
    assert response.json() == {"redirect": "/staff/"}
    assert int(client.session["_auth_user_id"]) == newcomer.pk
    return newcomer, authenticator


def test_registration_stores_the_public_key_and_signs_in(enrolled):
    user, _authenticator = enrolled
    credential = WebAuthnCredential.objects.get(user=user)
    assert len(bytes(credential.public_key)) > 60
    assert AuditEntry.objects.filter(
        action="staff.mfa_enrolled", actor=user, after={"factor": "webauthn"}
    ).exists()


def test_sign_in_with_a_passkey(enrolled):
    user, authenticator = enrolled
    client = Client(HTTP_HOST=IGA_HOST)
    assert client.post("/staff/login/", {"email": user.email, "password": PASSWORD})["Location"].endswith(
        "/second-factor/"
    )
    page = client.get("/staff/login/second-factor/").content.decode()
    assert "idx/webauthn" in page and "<script>" not in page
    request_options = options(client, "sign_in")
    assert (
        request_options["allowCredentials"][0]["id"]
        == WebAuthnCredential.objects.get(user=user).credential_id
    )
    response = verify(client, "sign_in", authenticator.get(request_options))
    assert response.json() == {"redirect": "/staff/"}
    assert client.get("/staff/").status_code == 200
    assert WebAuthnCredential.objects.get(user=user).sign_count == 1


def test_tampered_or_replayed_assertion_is_refused(enrolled):
    user, authenticator = enrolled
    client = Client(HTTP_HOST=IGA_HOST)
    client.post("/staff/login/", {"email": user.email, "password": PASSWORD})
    response = verify(client, "sign_in", authenticator.get(options(client, "sign_in"), tamper=True))
    assert response.status_code == 422
    assert "_auth_user_id" not in client.session
    assert SignInLockout.objects.get(user=user).failures == 1
    # An answer to an old challenge: the challenge is used up once verified (or refused).
    old = options(client, "sign_in")
    answer = authenticator.get(old)
    assert verify(client, "sign_in", answer).status_code == 200
    other = Client(HTTP_HOST=IGA_HOST)
    other.post("/staff/login/", {"email": user.email, "password": PASSWORD})
    options(other, "sign_in")
    assert verify(other, "sign_in", answer).status_code == 422


def test_wrong_origin_is_refused(enrolled):
    user, authenticator = enrolled
    client = Client(HTTP_HOST=IGA_HOST)
    client.post("/staff/login/", {"email": user.email, "password": PASSWORD})
    response = verify(
        client, "sign_in", authenticator.get(options(client, "sign_in"), origin="https://evil.example")
    )
    assert response.status_code == 422


def test_passkey_endpoints_need_a_pending_sign_in(municipalities):
    client = Client(HTTP_HOST=IGA_HOST)
    assert client.post("/staff/passkey/sign_in/options/").status_code == 403
    assert client.post("/staff/passkey/register/options/").status_code == 403
    assert client.post("/staff/passkey/other/options/").status_code == 404
    assert client.get("/staff/passkey/sign_in/options/").status_code == 405


def test_enrolled_staff_cannot_add_a_passkey_before_the_second_factor(clerk):
    client = Client(HTTP_HOST=IGA_HOST)
    client.post("/staff/login/", {"email": clerk.email, "password": "idx-demo-2026"})
    assert client.post("/staff/passkey/register/options/").status_code == 403


def test_reauthentication_with_a_passkey(enrolled):
    user, authenticator = enrolled
    client = Client(HTTP_HOST=IGA_HOST)
    client.force_login(user)
    response = verify(
        client, "reauth", authenticator.get(options(client, "reauth")), "?next=/staff/exports/%3Fformat%3Dcsv"
    )
    assert response.json() == {"redirect": "/staff/exports/?format=csv"}
    assert REAUTH_KEY in client.session
