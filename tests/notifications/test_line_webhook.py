"""The LINE webhook: signatures checked (401 otherwise), a code links the account, unfollow unlinks."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re

import pytest
from django.test import Client

from idx.notifications.models import Subscription
from tests.conftest import IGA_HOST, WATARAI_HOST
from tests.notifications.conftest import LINE_USER

pytestmark = pytest.mark.django_db
SECRET = "line-channel-secret"


@pytest.fixture(autouse=True)
def secret(settings):
    settings.IDX_LINE_CHANNEL_SECRET = SECRET


def post(events: list[dict], *, host: str = IGA_HOST, signature: str | None = None):
    body = json.dumps({"destination": "Uxxx", "events": events}).encode()
    if signature is None:
        signature = base64.b64encode(hmac.new(SECRET.encode(), body, hashlib.sha256).digest()).decode()
    return Client(HTTP_HOST=host).post(
        "/line/webhook/", body, content_type="application/json", headers={"X-Line-Signature": signature}
    )


def text_event(text: str) -> dict:
    return {
        "type": "message",
        "source": {"type": "user", "userId": LINE_USER},
        "message": {"type": "text", "text": text},
    }


def test_bad_signature_is_refused_and_logged(municipalities, caplog):
    assert post([text_event("X")], signature="forged").status_code == 401
    assert post([text_event("X")], signature="").status_code == 401
    assert "bad signature" in caplog.text


def test_code_links_and_unfollow_unlinks(resident, resident_client):
    page = resident_client.post("/my/notifications/settings/line-code/").content.decode()
    code = re.search(r'id="line-code">([A-Z0-9]{6})<', page).group(1)
    assert post([text_event("WRONG1")]).status_code == 200
    assert Subscription.objects.get(user=resident).line_user_id == ""
    assert post([text_event(code.lower())]).status_code == 200
    subscription = Subscription.objects.get(user=resident)
    assert subscription.line_user_id == LINE_USER and "line" in subscription.channels
    # The code works once.
    assert subscription.line_link_code_hash == ""
    post([{"type": "unfollow", "source": {"type": "user", "userId": LINE_USER}}])
    assert Subscription.objects.get(user=resident).line_user_id == ""


def test_a_code_does_not_cross_municipalities(resident, resident_client):
    page = resident_client.post("/my/notifications/settings/line-code/").content.decode()
    code = re.search(r'id="line-code">([A-Z0-9]{6})<', page).group(1)
    assert post([text_event(code)], host=WATARAI_HOST).status_code == 200
    assert Subscription.objects.get(user=resident).line_user_id == ""


def test_malformed_bodies_do_not_break_it(municipalities):
    body = b"not json"
    signature = base64.b64encode(hmac.new(SECRET.encode(), body, hashlib.sha256).digest()).decode()
    response = Client(HTTP_HOST=IGA_HOST).post(
        "/line/webhook/", body, content_type="application/json", headers={"X-Line-Signature": signature}
    )
    assert response.status_code == 400
    assert post([{"type": "message"}, "x", {"source": {}}]).status_code == 200
