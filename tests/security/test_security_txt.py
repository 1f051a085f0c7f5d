"""/.well-known/security.txt (RFC 9116)."""

from __future__ import annotations

import datetime as dt

from django.test import override_settings
from django.utils import timezone


def _fields(text: str) -> dict[str, str]:
    return dict(line.split(": ", 1) for line in text.strip().splitlines())


def test_security_txt(iga_client):
    response = iga_client.get("/.well-known/security.txt")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    fields = _fields(response.content.decode())
    assert fields["Contact"] == "mailto:security@127.0.0.1"
    assert fields["Preferred-Languages"] == "ja, en"
    assert fields["Canonical"] == "http://127.0.0.1/.well-known/security.txt"
    expires = dt.datetime.strptime(fields["Expires"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=dt.UTC)
    ahead = expires - timezone.now()
    assert dt.timedelta(days=364) < ahead <= dt.timedelta(days=365)


def test_security_txt_contact_is_configurable(watarai_client):
    with override_settings(IDX_SECURITY_CONTACT="https://city.example.jp/security"):
        fields = _fields(watarai_client.get("/.well-known/security.txt").content.decode())
    assert fields["Contact"] == "https://city.example.jp/security"
    assert fields["Canonical"] == "http://watarai.localhost/.well-known/security.txt"


def test_security_txt_default_contact_follows_the_host(watarai_client):
    fields = _fields(watarai_client.get("/.well-known/security.txt").content.decode())
    assert fields["Contact"] == "mailto:security@watarai.localhost"
