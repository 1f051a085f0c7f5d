"""Daily reminders: ``idx notifications reminders`` runs every sender the domains registered.

A domain that reminds residents of something (a procedure's yearly deadline, …) registers a
function ``send(today) -> messages made`` with ``register_reminders`` from its
``AppConfig.ready()``; it writes its messages through the notification service, idempotent per
day, so a second run on the same day sends nothing new.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

ReminderSender = Callable[[dt.date], int]

SENDERS: list[ReminderSender] = []


def register_reminders(send: ReminderSender) -> None:
    """Run ``send`` with the daily reminders (registering it again changes nothing)."""
    if send not in SENDERS:
        SENDERS.append(send)


def reminders_send(today: dt.date) -> int:
    """Write today's reminders of every registered sender; returns how many messages were new."""
    return sum(send(today) for send in SENDERS)
