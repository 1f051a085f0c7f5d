"""Signed messages between IDX and payment services: HMAC-SHA256 over the timestamp and the body.

Header ``IDX-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">`` (the scheme of
Stripe and similar services: the timestamp is signed, so an old message cannot be replayed with a
new time). Verification compares in constant time and refuses messages outside the tolerance.
Several ``v1`` values may be present while a secret is being rotated.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import Iterable

HEADER = "IDX-Signature"
TOLERANCE_SECONDS = 300


class SignatureInvalid(Exception):
    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def sign(body: bytes, secret: str, timestamp: int | None = None) -> str:
    """The header value for ``body``."""
    stamp = int(time.time()) if timestamp is None else timestamp
    mac = hmac.new(secret.encode(), f"{stamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={stamp},v1={mac}"


def verify(
    body: bytes,
    header: str,
    secrets: Iterable[str],
    *,
    now: float | None = None,
    tolerance: int = TOLERANCE_SECONDS,
) -> int:
    """The signed timestamp when ``header`` signs ``body`` with one of ``secrets``; else SignatureInvalid."""
    parts: dict[str, list[str]] = {}
    for item in (header or "").split(","):
        key, _, value = item.strip().partition("=")
        if key and value:
            parts.setdefault(key, []).append(value)
    try:
        stamp = int(parts["t"][0])
    except (KeyError, ValueError):
        raise SignatureInvalid("no timestamp") from None
    signatures = parts.get("v1", [])
    if not signatures:
        raise SignatureInvalid("no signature")
    current = time.time() if now is None else now
    if abs(current - stamp) > tolerance:
        raise SignatureInvalid("stale")
    for secret in secrets:
        if not secret:
            continue
        expected = hmac.new(secret.encode(), f"{stamp}.".encode() + body, hashlib.sha256).hexdigest()
        if any(hmac.compare_digest(expected, candidate) for candidate in signatures):
            return stamp
    raise SignatureInvalid("mismatch")
