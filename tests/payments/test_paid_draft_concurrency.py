"""Concurrent deliveries on PostgreSQL: the same webhook twice at once, and the submission task run
twice at once, still submit a paid draft exactly once."""

from __future__ import annotations

import os
import threading
from collections.abc import Callable

import pytest
from django.db import connections

from idx.applications.models import Status, StatusChange
from idx.audit.models import AuditEntry
from idx.payments import services
from idx.payments.models import Payment, PaymentEvent
from tests.payments.conftest import paid_event

pytestmark = [
    pytest.mark.skipif(
        not os.environ.get("DATABASE_URL", "").startswith("postgres"),
        reason="row locks are a PostgreSQL matter; SQLite serializes write transactions",
    ),
    # Threads use their own connections, so the data must be committed.
    pytest.mark.django_db(transaction=True),
]


def _at_once(work: Callable[[], object], threads: int = 2) -> list[BaseException]:
    barrier = threading.Barrier(threads)
    errors: list[BaseException] = []

    def run() -> None:
        try:
            barrier.wait(timeout=30)
            work()
        except BaseException as exc:  # noqa: BLE001 - reported by the main thread
            errors.append(exc)
        finally:
            connections.close_all()

    pool = [threading.Thread(target=run) for _ in range(threads)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join(timeout=60)
    return errors


def _submitted_once(payment: Payment) -> None:
    application = payment.application
    application.refresh_from_db()
    assert application.status == Status.SUBMITTED
    assert StatusChange.objects.filter(application=application, to_status=Status.SUBMITTED).count() == 1
    assert (
        AuditEntry.objects.filter(action="application.submit", target_id=application.public_id).count() == 1
    )


def test_the_same_webhook_twice_at_once_submits_once(started):
    assert (
        _at_once(lambda: services.payment_apply_event(provider="fake", event=paid_event(started, "evt-race")))
        == []
    )
    assert PaymentEvent.objects.filter(payment=started).count() == 1
    _submitted_once(started)


def test_the_task_twice_at_once_submits_once(started, monkeypatch):
    monkeypatch.setattr(services, "_enqueue_paid_draft_submission", lambda payment_id: None)
    services.payment_apply_event(provider="fake", event=paid_event(started, "evt-race"))
    started.application.refresh_from_db()
    assert started.application.status == Status.DRAFT  # nothing ran the task yet
    assert _at_once(lambda: services.paid_draft_submit(started.pk)) == []
    _submitted_once(started)
    assert PaymentEvent.objects.get(payment=started).outcome == "paid; application submitted"
