"""The LINE webhook: signatures checked (401 otherwise), a code links the account, unfollow unlinks;
old or already applied events (a captured body sent again) change nothing."""

from __future__ import annotations

import base64
import hashlib
import hmac
import itertools
import json
import re
import time

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


_ids = itertools.count(1)


def stamped(event: dict, *, age_seconds: float = 0) -> dict:
    """``event`` as LINE sends it: its time (ms) and a webhook event id of its own."""
    if not isinstance(event, dict):
        return event
    return {
        "timestamp": int((time.time() - age_seconds) * 1000),
        "webhookEventId": f"01JEXAMPLE{next(_ids):016d}",
        "deliveryContext": {"isRedelivery": False},
        **event,
    }


def body_of(events: list[dict]) -> bytes:
    return json.dumps({"destination": "Uxxx", "events": events}).encode()


def post(
    events: list[dict], *, host: str = IGA_HOST, signature: str | None = None, body: bytes | None = None
):
    body = body or body_of([stamped(event) for event in events])
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


def _code(resident_client) -> str:
    page = resident_client.post("/my/notifications/settings/line-code/").content.decode()
    return re.search(r'id="line-code">([A-Z0-9]{6})<', page).group(1)


def test_a_day_old_signed_event_is_not_applied(resident, resident_client, caplog):
    code = _code(resident_client)
    old = body_of([stamped(text_event(code), age_seconds=24 * 3600)])
    assert post([], body=old).status_code == 200
    assert Subscription.objects.get(user=resident).line_user_id == ""
    assert "reason=stale" in caplog.text
    early = body_of([stamped(text_event(code), age_seconds=-3600)])  # from the future: as bad
    assert post([], body=early).status_code == 200
    assert Subscription.objects.get(user=resident).line_user_id == ""
    # The same code in a fresh event links (positive control).
    assert post([text_event(code)]).status_code == 200
    assert Subscription.objects.get(user=resident).line_user_id == LINE_USER


def test_a_replayed_or_redelivered_event_applies_once(resident, resident_client, caplog):
    assert post([text_event(_code(resident_client))]).status_code == 200
    unfollow = body_of([stamped({"type": "unfollow", "source": {"type": "user", "userId": LINE_USER}})])
    assert post([], body=unfollow).status_code == 200
    assert Subscription.objects.get(user=resident).line_user_id == ""
    # The resident follows again and links with a new code...
    assert post([text_event(_code(resident_client))]).status_code == 200
    assert Subscription.objects.get(user=resident).line_user_id == LINE_USER
    # ...and the captured unfollow, sent again within minutes, does not unlink them.
    assert post([], body=unfollow).status_code == 200
    redelivered = json.loads(unfollow)
    redelivered["events"][0]["deliveryContext"] = {"isRedelivery": True}
    assert post([], body=json.dumps(redelivered).encode()).status_code == 200
    assert Subscription.objects.get(user=resident).line_user_id == LINE_USER
    assert caplog.text.count("reason=seen") == 2


def test_an_event_without_id_or_time_is_not_applied(resident, resident_client):
    code = _code(resident_client)
    for missing in ("webhookEventId", "timestamp"):
        event = stamped(text_event(code))
        del event[missing]
        assert post([], body=body_of([event])).status_code == 200
    assert Subscription.objects.get(user=resident).line_user_id == ""
