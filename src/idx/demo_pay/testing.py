"""An in-process HTTP transport for tests: requests to this deployment go to Django's test client.

Unlike the OIDC back channel's adapter it passes every request header on (webhooks need
``IDX-Signature``). Use it with ``settings.IDX_PAYMENTS_TRANSPORT = "idx.demo_pay.testing.DjangoClientTransport"``.
"""

from __future__ import annotations

from typing import Any, ClassVar
from urllib.parse import parse_qs, urlsplit

import requests
from django.test import Client
from requests.adapters import BaseAdapter
from requests.structures import CaseInsensitiveDict

SKIPPED = {"host", "content-length", "content-type", "cookie", "connection", "accept-encoding"}


class DjangoClientTransport(BaseAdapter):
    # Every request sent, for assertions: (method, path, status).
    calls: ClassVar[list[tuple[str, str, int]]] = []

    def send(self, request: requests.PreparedRequest, *args: Any, **kwargs: Any) -> requests.Response:
        parts = urlsplit(request.url or "")
        path = parts.path + (f"?{parts.query}" if parts.query else "")
        body = request.body or b""
        if not isinstance(body, bytes | str):
            raise TypeError("streamed request bodies are not supported here")
        headers = {
            key: value if isinstance(value, str) else value.decode()
            for key, value in request.headers.items()
            if key.lower() not in SKIPPED
        }
        content_type = request.headers.get("Content-Type", "application/octet-stream")
        response = Client(HTTP_HOST=parts.netloc).generic(
            request.method or "GET",
            path,
            data=body if isinstance(body, bytes) else body.encode(),
            content_type=content_type if isinstance(content_type, str) else content_type.decode(),
            headers=headers,
            secure=parts.scheme == "https",
        )
        out = requests.Response()
        out.status_code = response.status_code
        out._content = response.content
        out.headers = CaseInsensitiveDict(dict(response.items()))
        out.url = request.url or ""
        out.request = request
        out.encoding = "utf-8"
        DjangoClientTransport.calls.append((request.method or "GET", parts.path, response.status_code))
        return out

    def close(self) -> None:
        pass


def checkout_path(checkout_url: str) -> str:
    return urlsplit(checkout_url).path


def pay_in_browser(
    client: Client, checkout_url: str, *, method: str = "card", card_number: str = "4242 4242 4242 4242"
) -> Any:
    """Open the checkout page and pay as a resident would (the answer redirects to the return URL)."""
    path = checkout_path(checkout_url)
    page = client.get(path)
    assert page.status_code == 200, page.content[:300]
    return client.post(path, {"action": "pay", "method": method, "card_number": card_number})


def return_params(response: Any) -> dict[str, str]:
    """The signed query parameters of the checkout's redirect back to the merchant."""
    assert response.status_code == 302, response.content[:300]
    return {key: values[0] for key, values in parse_qs(urlsplit(response["Location"]).query).items()}
