"""Fixtures for sign-in through OpenID Connect against the demo identity provider."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from django.test import Client

from idx.identity.contrib.oidc.client import clear_caches
from idx.identity.models import IdentityProvider
from tests.conftest import IGA_HOST
from tests.identity.transport import DjangoClientAdapter

TRANSPORT = "tests.identity.transport.DjangoClientAdapter"


@pytest.fixture(autouse=True)
def back_channel(settings) -> Iterator[type[DjangoClientAdapter]]:
    settings.IDX_OIDC_TRANSPORT = TRANSPORT
    clear_caches()
    DjangoClientAdapter.calls = []
    DjangoClientAdapter.rewrite = None
    yield DjangoClientAdapter
    DjangoClientAdapter.rewrite = None
    clear_caches()


@pytest.fixture
def card_provider(iga) -> IdentityProvider:
    return IdentityProvider.objects.get(municipality=iga, slug="mynumber")


def query(url: str) -> dict[str, str]:
    return {key: values[0] for key, values in parse_qs(urlsplit(url).query).items()}


def path_of(url: str) -> str:
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


class CardBrowser:
    """A resident's browser: the portal and the demo provider are both served by the test client."""

    def __init__(self, client: Client | None = None):
        self.client = client or Client(HTTP_HOST=IGA_HOST)

    def start(self, *, intent: str = "login", next_url: str = "") -> str:
        data = {"intent": intent}
        if next_url:
            data["next"] = next_url
        response = self.client.post("/oidc/my-number-card/start/", data)
        assert response.status_code == 302, response.content[:500]
        return response["Location"]

    def authorize(self, authorize_url: str, *, holder: str = "iga-hanako", pin: str = "1234") -> Any:
        page = self.client.get(path_of(authorize_url))
        assert page.status_code == 200
        data = {**query(authorize_url), "holder": holder, "pin": pin, "action": "sign_in"}
        return self.client.post("/demo-idp/authorize/", data)

    def callback(self, callback_url: str) -> Any:
        return self.client.get(path_of(callback_url))

    def sign_in(self, **kwargs: Any) -> Any:
        response = self.authorize(self.start(), **kwargs)
        assert response.status_code == 302
        return self.callback(response["Location"])


def messages_of(response: Any) -> list[str]:
    return [str(message) for message in response.wsgi_request._messages]


def error_text(client: Client) -> str:
    page = client.get("/accounts/login/")
    found = re.findall(r'<p class="message message-error">(.*?)</p>', page.content.decode())
    return " ".join(found)


HANAKO_BIRTHDATE = dt.date(1985, 4, 1)
