"""Things other than applications that residents pay for ("payables"), registered by their apps.

A payment belongs to an application, or to a *payable*: a ``kind`` (``"event_registration"``)
and the id of the row of the app that registered the kind. Payments import none of those apps:
each registers its kind from its ``AppConfig.ready()`` with what payments should call when a
payment of that kind becomes paid, is refunded or ends unpaid. The callbacks run after the
payment's own transaction has committed (a task, as for paid drafts: decision 0022), take the
payable's id and the payment's id, and must be idempotent (a duplicate event may call them again).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

PayableCallback = Callable[[int, int], None]  # (payable_id, payment_id)


def _nothing(payable_id: int, payment_id: int) -> None:
    return None


@dataclass(frozen=True)
class Payable:
    kind: str
    paid: PayableCallback = _nothing
    refunded: PayableCallback = _nothing
    expired: PayableCallback = _nothing


_payables: dict[str, Payable] = {}


def payable_register(payable: Payable) -> None:
    """Called by the owning app at start-up; registering a kind again replaces it."""
    _payables[payable.kind] = payable


def payable_for(kind: str) -> Payable | None:
    return _payables.get(kind)


def payable_notify(kind: str, outcome: str, payable_id: int, payment_id: int) -> None:
    """Tell the owner of ``kind`` what happened (``paid``, ``refunded``, ``expired``/``failed``)."""
    payable = _payables.get(kind)
    if payable is None:
        return
    callback = {"paid": payable.paid, "refunded": payable.refunded}.get(outcome, payable.expired)
    callback(payable_id, payment_id)
