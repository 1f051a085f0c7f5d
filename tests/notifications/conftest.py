"""Local stand-ins for the outside world: a real SMTP server (aiosmtpd) and an HTTP server that
implements the LINE Messaging API push endpoint's request shape, checks it, and deduplicates by
``X-Line-Retry-Key`` as LINE does."""

from __future__ import annotations

import email
import email.policy
import http.server
import json
import re
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class SmtpBox:
    port: int = 0
    messages: list[dict[str, Any]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802 - aiosmtpd's hook
        raw = envelope.original_content or envelope.content
        message = email.message_from_bytes(raw, policy=email.policy.default)
        part = message.get_body(preferencelist=("plain",))
        with self.lock:
            self.messages.append(
                {
                    "to": [address.lower() for address in envelope.rcpt_tos],
                    "subject": str(message.get("subject", "")),
                    "message_id": str(message.get("message-id", "")),
                    "body": part.get_content() if part is not None else "",  # type: ignore[union-attr]
                    "raw": raw,
                }
            )
        return "250 Message accepted for delivery"


@pytest.fixture
def smtp(settings) -> Iterator[SmtpBox]:
    import logging

    from aiosmtpd.controller import Controller

    logging.getLogger("mail.log").setLevel(logging.WARNING)
    box = SmtpBox()
    controller = Controller(box, hostname="127.0.0.1", port=free_port())
    controller.start()
    box.port = controller.port
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = controller.port
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_TIMEOUT = 5
    try:
        yield box
    finally:
        controller.stop()


class LineServer(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, token: str) -> None:
        super().__init__(("127.0.0.1", 0), _LineHandler)
        self.token = token
        self.pushes: list[dict[str, Any]] = []
        self.retry_keys: set[str] = set()
        self.rejected: list[str] = []
        self.fail_next = 0  # answer 500 this many times (a LINE outage)
        self.lock = threading.Lock()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


class _LineHandler(http.server.BaseHTTPRequestHandler):
    server: LineServer

    def _answer(self, status: int, body: dict[str, Any]) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_POST(self) -> None:  # noqa: N802 - http.server's hook
        length = int(self.headers.get("Content-Length", "0"))
        raw = self.rfile.read(length)
        server = self.server
        with server.lock:
            if self.path != "/v2/bot/message/push":
                server.rejected.append(f"path {self.path}")
                return self._answer(404, {"message": "Not found"})
            if self.headers.get("Authorization") != f"Bearer {server.token}":
                server.rejected.append("authorization")
                return self._answer(401, {"message": "Authentication failed"})
            if not (self.headers.get("Content-Type") or "").startswith("application/json"):
                server.rejected.append("content type")
                return self._answer(400, {"message": "The request body has 1 error(s)"})
            key = self.headers.get("X-Line-Retry-Key", "")
            if key and not UUID.fullmatch(key):
                server.rejected.append("retry key")
                return self._answer(400, {"message": "Invalid retry key"})
            try:
                body = json.loads(raw)
                assert isinstance(body["to"], str) and body["to"].startswith("U") and len(body["to"]) == 33
                assert 1 <= len(body["messages"]) <= 5
                for message in body["messages"]:
                    assert message["type"] == "text" and 0 < len(message["text"]) <= 5000
            except (ValueError, KeyError, TypeError, AssertionError):
                server.rejected.append("body")
                return self._answer(400, {"message": "The request body has 1 error(s)"})
            if server.fail_next > 0:
                server.fail_next -= 1
                return self._answer(500, {"message": "Internal error"})
            if key in server.retry_keys:
                return self._answer(409, {"message": "The retry key is already accepted"})
            server.retry_keys.add(key)
            server.pushes.append(body)
        return self._answer(200, {"sentMessages": [{"id": str(len(server.pushes))}]})

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        pass


@pytest.fixture
def line(settings) -> Iterator[LineServer]:
    server = LineServer(token="test-channel-token")
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    settings.IDX_LINE_API_BASE = server.base_url
    settings.IDX_LINE_CHANNEL_ACCESS_TOKEN = server.token
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


LINE_USER = "U" + "0123456789abcdef" * 2
