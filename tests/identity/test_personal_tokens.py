"""Personal access tokens: a resident creates them on the account page (or through the API with
the browser session) with a name, scopes and an expiry; the token is shown once and stored hashed;
the API honours the scopes; revoked and expired tokens stop working at once."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re

import pytest
from django.test import Client
from django.utils import timezone

from idx.audit.models import AuditEntry
from idx.identity.models import ApiToken
from idx.identity.services import api_token_issue, personal_token_create
from idx.identity.tokens import scope_needed, token_permits
from tests.conftest import IGA_HOST, WATARAI_HOST, make_submitted, signed_in

pytestmark = pytest.mark.django_db


def bearer(token: str, host: str = IGA_HOST) -> Client:
    return Client(HTTP_HOST=host, HTTP_AUTHORIZATION=f"Bearer {token}")


def post_json(client: Client, path: str, data: dict, **extra) -> object:
    return client.post(path, json.dumps(data), content_type="application/json", **extra)


def create_on_page(client: Client, **fields) -> tuple[object, str]:
    data = {"name": "家計簿アプリ", "scopes": ["applications:read"], "expires_in_days": "30", **fields}
    response = client.post("/my/account/", data)
    match = re.search(r'id="raw-token" readonly value="(idx_[^"]+)"', response.content.decode())
    return response, match.group(1) if match else ""


def test_account_page_needs_a_resident(iga_client, clerk):
    response = iga_client.get("/my/account/")
    assert response.status_code == 302 and "/accounts/login/?next=%2Fmy%2Faccount%2F" in response["Location"]
    assert signed_in(clerk).get("/my/account/").status_code == 302


def test_resident_creates_a_token_shown_once_and_stored_hashed(resident, resident_client):
    response, raw = create_on_page(
        resident_client, scopes=["applications:read", "payments:read"], expires_in_days="90"
    )
    assert response.status_code == 201 and raw.startswith("idx_")
    assert response["Cache-Control"].startswith("no-store") or "no-store" in response["Cache-Control"]
    token = ApiToken.objects.get(user=resident)
    assert token.token_hash == hashlib.sha256(raw.encode()).hexdigest()
    assert raw not in {token.name, token.prefix, token.token_hash, json.dumps(token.scopes)}
    assert token.prefix == raw[:12]
    assert token.scopes == ["applications:read", "payments:read"]
    assert dt.timedelta(days=89) < token.expires_at - timezone.now() <= dt.timedelta(days=90)
    assert AuditEntry.objects.filter(action="api_token.create", target_id=str(token.pk)).exists()
    # Listed afterwards, but never shown again.
    page = resident_client.get("/my/account/").content.decode()
    assert "家計簿アプリ" in page and token.prefix in page and raw not in page


@pytest.mark.parametrize(
    ("fields", "field_id"),
    [
        ({"name": " "}, "id_name"),
        ({"scopes": []}, "field-scopes"),
        ({"scopes": ["staff:write"]}, "field-scopes"),
        ({"expires_in_days": "3650"}, "field-expires_in_days"),
        ({"expires_in_days": ""}, "field-expires_in_days"),
    ],
)
def test_bad_token_requests_name_the_field(resident_client, fields, field_id):
    response, raw = create_on_page(resident_client, **fields)
    assert response.status_code == 422 and raw == ""
    assert f'href="#{field_id}"' in response.content.decode()
    assert not ApiToken.objects.exists()


def test_the_api_honours_scopes(resident, other_resident):
    mine = make_submitted(resident)
    make_submitted(other_resident)
    _token, raw = personal_token_create(
        user=resident, name="read only", scopes=["applications:read"], expires_in_days=7
    )
    client = bearer(raw)
    listed = client.get("/api/v1/applications")
    assert listed.status_code == 200
    assert [item["id"] for item in listed.json()] == [str(mine.public_id)]
    assert client.get(f"/api/v1/applications/{mine.public_id}").status_code == 200
    # Writing, payments and inquiries were not granted.
    refused = post_json(client, "/api/v1/applications", {"procedure": "pregnancy-notification"})
    assert refused.status_code == 403
    assert refused.json()["code"] == "insufficient_scope"
    assert refused["WWW-Authenticate"] == 'Bearer error="insufficient_scope" scope="applications:write"'
    assert client.get("/api/v1/payments").status_code == 403
    paying = post_json(client, f"/api/v1/applications/{mine.public_id}/payments", {"provider": "hosted"})
    assert paying.status_code == 403 and 'scope="payments:write"' in paying["WWW-Authenticate"]
    assert client.get("/api/v1/booking/bookings").status_code == 403
    # Public reading works with any token.
    assert client.get("/api/v1/procedures").status_code == 200


def test_a_write_scope_includes_reading(resident):
    _token, raw = personal_token_create(
        user=resident, name="申請アプリ", scopes=["applications:write"], expires_in_days=30
    )
    client = bearer(raw)
    created = post_json(client, "/api/v1/applications", {"procedure": "pregnancy-notification"})
    assert created.status_code == 201
    assert len(client.get("/api/v1/applications").json()) == 1


def test_expired_and_revoked_tokens_stop_working(resident, resident_client, other_resident_client):
    make_submitted(resident)
    expired, raw_expired = personal_token_create(
        user=resident, name="古い", scopes=["applications:read"], expires_in_days=7
    )
    ApiToken.objects.filter(pk=expired.pk).update(expires_at=timezone.now() - dt.timedelta(seconds=1))
    assert bearer(raw_expired).get("/api/v1/applications").status_code == 401

    token, raw = personal_token_create(
        user=resident, name="伊賀の家計簿", scopes=["applications:read"], expires_in_days=7
    )
    assert bearer(raw).get("/api/v1/applications").status_code == 200
    # Another resident can neither see nor revoke it.
    assert other_resident_client.get(f"/my/account/tokens/{token.pk}/revoke/").status_code == 404
    assert other_resident_client.post(f"/my/account/tokens/{token.pk}/revoke/").status_code == 404
    assert "伊賀の家計簿" not in other_resident_client.get("/my/account/").content.decode()
    # Its owner confirms, then revokes.
    confirm = resident_client.get(f"/my/account/tokens/{token.pk}/revoke/")
    assert confirm.status_code == 200 and "伊賀の家計簿" in confirm.content.decode()
    assert ApiToken.objects.get(pk=token.pk).revoked_at is None
    assert resident_client.post(f"/my/account/tokens/{token.pk}/revoke/").status_code == 302
    assert ApiToken.objects.get(pk=token.pk).revoked_at is not None
    assert bearer(raw).get("/api/v1/applications").status_code == 401


def test_a_token_works_only_in_its_municipality(resident):
    _token, raw = personal_token_create(
        user=resident, name="x", scopes=["applications:read"], expires_in_days=7
    )
    assert bearer(raw, WATARAI_HOST).get("/api/v1/applications").status_code == 401


def test_operator_tokens_keep_full_access_and_are_not_listed(resident, resident_client):
    raw = api_token_issue(user=resident, name="LINE bot")
    assert (
        post_json(bearer(raw), "/api/v1/applications", {"procedure": "pregnancy-notification"}).status_code
        == 201
    )
    assert "LINE bot" not in resident_client.get("/my/account/").content.decode()


def test_tokens_through_the_api_with_the_session(resident, other_resident):
    client = signed_in(resident, enforce_csrf_checks=True)
    client.get("/my/account/")
    csrf = client.cookies["csrftoken"].value
    created = post_json(
        client,
        "/api/v1/tokens",
        {"name": "kakeibo", "scopes": ["payments:read"], "expires_in_days": 30},
        HTTP_X_CSRFTOKEN=csrf,
    )
    assert created.status_code == 201
    body = created.json()
    assert body["token"].startswith("idx_") and body["scopes"] == ["payments:read"] and body["active"]
    listed = client.get("/api/v1/tokens").json()
    assert [item["name"] for item in listed] == ["kakeibo"] and "token" not in listed[0]
    # A token cannot manage tokens, and nobody else sees or revokes this one.
    assert bearer(body["token"]).get("/api/v1/tokens").status_code == 401
    assert (
        post_json(
            bearer(body["token"]),
            "/api/v1/tokens",
            {"name": "more", "scopes": ["applications:write"], "expires_in_days": 365},
        ).status_code
        == 401
    )
    other = signed_in(other_resident)
    assert other.get("/api/v1/tokens").json() == []
    assert other.delete(f"/api/v1/tokens/{body['id']}").status_code == 404
    invalid = post_json(
        client,
        "/api/v1/tokens",
        {"name": "x", "scopes": ["payments:read"], "expires_in_days": 5},
        HTTP_X_CSRFTOKEN=csrf,
    )
    assert invalid.status_code == 422 and invalid.json()["errors"][0]["path"] == "expires_in_days"
    assert client.delete(f"/api/v1/tokens/{body['id']}", HTTP_X_CSRFTOKEN=csrf).status_code == 204
    assert bearer(body["token"]).get("/api/v1/payments").status_code == 401


@pytest.mark.parametrize(
    ("method", "path", "scope"),
    [
        ("GET", "/api/v1/applications", "applications:read"),
        ("PATCH", "/api/v1/applications/abc", "applications:write"),
        ("POST", "/api/v1/applications/abc/payments", "payments:write"),
        ("GET", "/api/v1/payments/PAY-1", "payments:read"),
        ("POST", "/api/v1/booking/bookings/x/cancel", "bookings:write"),
        ("GET", "/api/v1/inquiries/Q-1", "inquiries:read"),
        ("GET", "/api/v1/procedures", None),
        ("GET", "/api/v1/applicationsfoo", None),
    ],
)
def test_scope_of_each_path(method, path, scope):
    assert scope_needed(method=method, path=path).scope == scope


def test_personal_tokens_cannot_write_outside_their_areas():
    assert token_permits(["applications:write"], method="POST", path="/api/v1/faqs/x/feedback") == "write"
    assert token_permits(None, method="POST", path="/api/v1/faqs/x/feedback") is None
    assert token_permits(["applications:read"], method="GET", path="/api/v1/faqs") is None
