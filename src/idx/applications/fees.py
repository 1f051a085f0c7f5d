"""The three questions applications ask about fees, answered by the payments app.

Payments sit beside applications: the payments app reads applications and submits a draft once
its fee is paid, and applications never import the payments app. What applications must know of
payments (is a payment running on this draft, how much is still due before it may be submitted,
was a payment ever started for it) goes through ``FeeChecks``, which the payments app registers
when Django starts (``PaymentsConfig.ready``). Without it (a project with no payments app) no
fee is ever due and nothing holds a draft.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from idx.applications.models import Application


@dataclass(frozen=True)
class FeeChecks:
    payment_running: Callable[[Application], bool]
    """A payment started for the draft and not over yet (its answers stay as they were)."""
    due_before_submission: Callable[[Application], int]
    """Yen still to pay before the draft may be submitted (0: none, or paid for these answers)."""
    has_payments: Callable[[Application], bool]
    """A payment was ever started for the application (its record refers to it: keep it)."""


NO_FEES = FeeChecks(
    payment_running=lambda application: False,
    due_before_submission=lambda application: 0,
    has_payments=lambda application: False,
)

_registered: list[FeeChecks] = [NO_FEES]


def fee_checks_register(checks: FeeChecks) -> None:
    """Called once by the payments app at start-up; a later call replaces the earlier checks."""
    _registered[0] = checks


def fee_checks() -> FeeChecks:
    return _registered[0]
