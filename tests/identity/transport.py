"""Back-channel HTTP for tests: the relying party's requests (discovery, JWKS, token, userinfo)
go through requests and Authlib as usual, and this transport adapter hands them to Django's
test client instead of a socket. The e2e test covers the same calls over a real socket."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar
from urllib.parse import urlsplit

import requests
from django.test import Client
from requests.adapters import BaseAdapter
from requests.structures import CaseInsensitiveDict

Rewrite = Callable[[requests.PreparedRequest, requests.Response], requests.Response]


class DjangoClientAdapter(BaseAdapter):
    calls: ClassVar[list[tuple[str, str]]] = []
    rewrite: ClassVar[Rewrite | None] = None

    def send(self, request: requests.PreparedRequest, *args: Any, **kwargs: Any) -> requests.Response:
        parts = urlsplit(request.url or "")
        path = parts.path + (f"?{parts.query}" if parts.query else "")
        body = request.body or b""
        headers = {
            key: value
            for key, value in request.headers.items()
            if key.lower() in ("authorization", "accept", "user-agent")
        }
        response = Client(HTTP_HOST=parts.netloc).generic(
            request.method or "GET",
            path,
            data=body if isinstance(body, bytes) else body.encode(),
            content_type=request.headers.get("Content-Type", "application/octet-stream"),
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
        DjangoClientAdapter.calls.append((request.method or "GET", parts.path))
        if DjangoClientAdapter.rewrite is not None:
            out = DjangoClientAdapter.rewrite(request, out)
        return out

    def close(self) -> None:
        pass
