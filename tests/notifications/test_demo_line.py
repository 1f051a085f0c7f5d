"""The LINE stand-in of the demo: the push endpoint checks requests as LINE does, and its phone page
links a resident's account through the real, signed webhook."""

from __future__ import annotations

import json
import re
import uuid

import pytest
from django.test import Client

from idx.demo_line.models import DemoLinePush
from idx.notifications.line import link_code_issue
from idx.notifications.models import Subscription
from tests.conftest import IGA_HOST

pytestmark = pytest.mark.django_db
USER = "U" + "0123456789abcdef" * 2


@pytest.fixture
def line_demo(settings, municipalities):
    settings.IDX_LINE_CHANNEL_ACCESS_TOKEN = "demo-token"
    settings.IDX_LINE_CHANNEL_SECRET = "demo-secret"
    return Client(HTTP_HOST=IGA_HOST)


def _push(client: Client, token: str = "demo-token", key: str | None = None, body: object = None):
    payload = (
        body
        if body is not None
        else {"to": USER, "messages": [{"type": "text", "text": "避難所が開設されました"}]}
    )
    return client.post(
        "/demo-line/v2/bot/message/push",
        json.dumps(payload),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {token}",
        **({"HTTP_X_LINE_RETRY_KEY": key} if key else {}),
    )


def test_push_endpoint_checks_like_line(line_demo):
    key = str(uuid.uuid4())
    assert _push(line_demo, key=key).status_code == 200
    assert _push(line_demo, key=key).status_code == 409  # a retry of an accepted push
    assert DemoLinePush.objects.filter(to=USER).count() == 1
    assert _push(line_demo, token="wrong").status_code == 401
    assert _push(line_demo, key="not-a-uuid").status_code == 400
    assert _push(line_demo, body={"to": "nobody", "messages": []}).status_code == 400
    assert _push(line_demo, body={"to": USER, "messages": [{"type": "image"}]}).status_code == 400


def test_phone_page_links_the_account_and_shows_pushes(line_demo, resident):
    code = link_code_issue(user=resident)
    page = line_demo.get(f"/demo-line/?user={USER}")
    assert page.status_code == 200
    response = line_demo.post("/demo-line/", {"user": USER, "action": "message", "text": code})
    assert response.status_code == 302 and "sent=200" in response["Location"]
    subscription = Subscription.objects.get(user=resident)
    assert subscription.line_user_id == USER and "line" in subscription.channels
    _push(line_demo, key=str(uuid.uuid4()))
    assert "避難所が開設されました" in line_demo.get(f"/demo-line/?user={USER}").content.decode()
    line_demo.post("/demo-line/", {"user": USER, "action": "unfollow"})
    assert Subscription.objects.get(user=resident).line_user_id == ""


def test_without_a_secret_the_city_refuses_the_event(line_demo, resident, settings):
    code = link_code_issue(user=resident)
    # Without a channel secret nothing can be verified: the city's webhook refuses the event.
    settings.IDX_LINE_CHANNEL_SECRET = ""
    response = line_demo.post("/demo-line/", {"user": USER, "action": "message", "text": code})
    assert "sent=401" in response["Location"]
    assert Subscription.objects.get(user=resident).line_user_id == ""


def test_a_new_visitor_gets_a_demo_user(line_demo):
    response = line_demo.get("/demo-line/")
    assert response.status_code == 302 and re.search(r"user=U[0-9a-f]{32}$", response["Location"])
