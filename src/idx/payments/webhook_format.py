"""Webhooks in IDX's own signed format, as the hosted checkout and the JPQR acquirer send them.

The request carries ``IDX-Signature`` (signing.py) over a JSON body describing one event::

    {"id": "evt_01H…", "type": "payment.paid", "payment_reference": "PAY-…", "amount": 300,
     "occurred_at": "2025-04-01T09:30:00+09:00", "provider_reference": "txn-…", "method": "qr"}

or a JSON array of such objects. ``provider_reference`` and ``method`` may be left out; other
keys are ignored (a service may add some). Reading is strict, because whatever passes here is
applied to a payment: exact types, an aware timestamp, no duplicate keys, bounded sizes. Anything
else is a ``WebhookRejected`` whose reason names the field, never its value (it is logged).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Collection, Iterable, Mapping
from typing import Any

from idx.payments import signing
from idx.payments.providers import ProviderEvent, WebhookRejected

TYPES = {
    "payment.paid": "paid",
    "payment.refunded": "refunded",
    "payment.failed": "failed",
    "payment.expired": "expired",
}
ALL_KINDS = frozenset(TYPES.values())
MAX_EVENTS = 100
MAX_AMOUNT = 2_147_483_647  # what the database keeps in a PositiveIntegerField
# The columns these values are stored in (PaymentEvent.event_id, Payment.reference, …).
LIMITS = {"id": 120, "payment_reference": 40, "provider_reference": 100, "method": 20}


def _no_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    # Two "amount" keys would mean whatever the last parser in the chain decides: refuse them.
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise WebhookRejected(f"malformed: duplicate key {key[:40]!r}")
        result[key] = value
    return result


def _no_constants(name: str) -> Any:
    raise WebhookRejected("malformed: NaN or Infinity")


def _text(data: Mapping[str, Any], key: str, *, required: bool) -> str:
    value = data.get(key)
    if value is None and not required:
        return ""
    if not isinstance(value, str) or (required and not value):
        raise WebhookRejected(f"malformed: {key}")
    if len(value) > LIMITS[key] or not value.isprintable():
        raise WebhookRejected(f"malformed: {key}")
    return value


def _event(data: Any, kinds: Collection[str]) -> ProviderEvent:
    if not isinstance(data, dict):
        raise WebhookRejected("malformed: an event must be a JSON object")
    event_type = data.get("type")
    kind = TYPES.get(event_type) if isinstance(event_type, str) else None
    if kind is None:
        raise WebhookRejected("malformed: type")
    if kind not in kinds:
        raise WebhookRejected(f"unsupported type {event_type}")
    amount = data.get("amount")
    # bool is an int in Python, and 1.0 is not a number of yen.
    if isinstance(amount, bool) or not isinstance(amount, int) or not 0 <= amount <= MAX_AMOUNT:
        raise WebhookRejected("malformed: amount")
    if kind in ("paid", "refunded") and amount == 0:
        raise WebhookRejected("malformed: amount")
    stamp = data.get("occurred_at")
    try:
        occurred_at = dt.datetime.fromisoformat(stamp) if isinstance(stamp, str) else None
    except ValueError:
        occurred_at = None
    if occurred_at is None or occurred_at.utcoffset() is None:
        raise WebhookRejected("malformed: occurred_at (ISO 8601 with a time zone)")
    return ProviderEvent(
        event_id=_text(data, "id", required=True),
        kind=kind,
        payment_reference=_text(data, "payment_reference", required=True),
        amount=amount,
        occurred_at=occurred_at,
        provider_reference=_text(data, "provider_reference", required=False),
        method=_text(data, "method", required=False),
    )


def events_from_body(body: bytes, *, kinds: Collection[str] = ALL_KINDS) -> list[ProviderEvent]:
    """The events in a webhook body (already verified); WebhookRejected when it is malformed.

    ``kinds`` limits the event types a provider accepts (a JPQR acquirer reports no failures).
    """
    try:
        text = body.decode("utf-8")
        data = json.loads(text, object_pairs_hook=_no_duplicate_keys, parse_constant=_no_constants)
    except UnicodeDecodeError:
        raise WebhookRejected("malformed: not UTF-8") from None
    except (ValueError, RecursionError):
        raise WebhookRejected("malformed: not JSON") from None
    items = data if isinstance(data, list) else [data]
    if not items or len(items) > MAX_EVENTS:
        raise WebhookRejected(f"malformed: 1 to {MAX_EVENTS} events")
    return [_event(item, kinds) for item in items]


def header_value(headers: Mapping[str, str], name: str) -> str:
    """A header by name whatever its case (Django's request.headers, or a plain dict in tests)."""
    value = headers.get(name)
    if value is not None:
        return value
    wanted = name.lower()
    return next((value for key, value in headers.items() if key.lower() == wanted), "")


def signed_events(
    *,
    body: bytes,
    headers: Mapping[str, str],
    secrets: Iterable[str],
    now: dt.datetime,
    kinds: Collection[str] = ALL_KINDS,
) -> list[ProviderEvent]:
    """Verify the ``IDX-Signature`` of a webhook, then read its events.

    The reasons of a refused signature are signing.py's ("no timestamp", "no signature", "stale",
    "mismatch"), which the webhook view answers with 401; a body that cannot be read gets 400.
    """
    usable = [secret for secret in secrets if secret]
    if not usable:
        # Not configured: refuse like a bad signature rather than accept anything.
        raise WebhookRejected("bad signature")
    try:
        signing.verify(body, header_value(headers, signing.HEADER), usable, now=now.timestamp())
    except signing.SignatureInvalid as exc:
        raise WebhookRejected(exc.reason) from None
    return events_from_body(body, kinds=kinds)
