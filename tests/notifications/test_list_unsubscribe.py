"""Topic e-mails carry one-click unsubscribe headers (RFC 2369 / RFC 8058) that work without a form."""

from __future__ import annotations

import email
import email.policy
from urllib.parse import urlparse

import pytest
from django.test import Client

from idx.notifications.models import Subscription
from idx.notifications.services import message_create, message_deliver
from tests.conftest import IGA_HOST

pytestmark = pytest.mark.django_db


def _deliver(iga, resident, **fields):
    message, _made = message_create(
        municipality=iga,
        recipient=resident,
        channel="email",
        address=resident.email,
        purpose="notice",
        key="list-unsubscribe",
        subject="お知らせ",
        body="本文",
        language="ja",
        **fields,
    )
    assert message_deliver(message.pk) == "delivered"


def test_topic_email_has_one_click_unsubscribe(iga, resident, smtp):
    _deliver(iga, resident, topic="childcare")
    parsed = email.message_from_bytes(smtp.messages[-1]["raw"], policy=email.policy.default)
    assert parsed["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    url = "".join(str(parsed["List-Unsubscribe"]).split()).strip("<>")
    assert url.startswith(iga.public_url.rstrip("/") + "/unsubscribe/")
    # The mail program POSTs without a CSRF token or a session.
    response = Client(HTTP_HOST=IGA_HOST, enforce_csrf_checks=True).post(
        urlparse(url).path, {"List-Unsubscribe": "One-Click"}
    )
    assert response.status_code == 200
    assert "childcare" not in Subscription.objects.get(user=resident).topics


def test_emergency_and_personal_email_have_no_unsubscribe(iga, resident, smtp):
    _deliver(iga, resident, topic="disaster", emergency=True)
    parsed = email.message_from_bytes(smtp.messages[-1]["raw"], policy=email.policy.default)
    assert parsed["List-Unsubscribe"] is None
