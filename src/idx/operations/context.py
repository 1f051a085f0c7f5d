"""The request id of the work in progress (a request, or a task a request enqueued)."""

from __future__ import annotations

import re
import uuid
from contextvars import ContextVar

_request_id: ContextVar[str] = ContextVar("idx_request_id", default="")
# What a proxy may hand us as X-Request-ID: short, and nothing a log line could be forged with.
_ACCEPTED = re.compile(r"[A-Za-z0-9._:-]{8,128}")


def request_id() -> str:
    return _request_id.get()


def request_id_set(value: str) -> object:
    """Set the current request id; returns a token for ``request_id_reset``."""
    return _request_id.set(value)


def request_id_reset(token: object) -> None:
    _request_id.reset(token)  # type: ignore[arg-type]


def request_id_from_header(value: str | None) -> str:
    """The proxy's X-Request-ID when it looks like one, otherwise a new one."""
    if value and _ACCEPTED.fullmatch(value):
        return value
    return uuid.uuid4().hex
