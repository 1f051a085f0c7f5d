"""A fee paid before submission: the payment's transaction writes payments only, and the draft is
submitted afterwards by a task, exactly once whatever arrives twice or out of order."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from idx.applications.models import Status, StatusChange
from idx.audit.models import AuditEntry
from idx.payments import services, tasks
from idx.payments.models import PaymentEvent, PaymentStatus
from tests.payments.conftest import paid_event

pytestmark = pytest.mark.django_db
# The payment's own audit entry is written in its transaction, as every change of IDX is.
ALLOWED = re.compile(r"payments_\w+|audit_auditentry|audit_auditchainhead")


def _written_tables(sql: str) -> set[str]:
    """The tables a statement writes or locks (INSERT, UPDATE, DELETE, SELECT ... FOR UPDATE)."""
    text = sql.replace('"', "").replace("`", "")
    head = text.lstrip().upper()
    if head.startswith("INSERT INTO"):
        return {text.split()[2]}
    if head.startswith("UPDATE"):
        return {text.split()[1]}
    if head.startswith("DELETE FROM"):
        return {text.split()[2]}
    if " FOR UPDATE" in head:
        locked = re.search(r"FOR UPDATE OF ([\w, .]+)", text, re.IGNORECASE)
        if locked:
            return {name.strip().split(".")[-1] for name in locked.group(1).split(",")}
        return set(re.findall(r"FROM (\w+)", text))
    return set()


def test_webhook_transaction_touches_only_payments_tables(started, django_capture_on_commit_callbacks):
    with (
        django_capture_on_commit_callbacks(execute=False) as callbacks,
        CaptureQueriesContext(connection) as queries,
    ):
        outcome = services.payment_apply_event(provider="fake", event=paid_event(started, "evt-1"))
    assert outcome == "paid"
    written = set().union(*(_written_tables(query["sql"]) for query in queries.captured_queries))
    assert "payments_payment" in written and "payments_paymentevent" in written
    assert {table for table in written if not ALLOWED.fullmatch(table)} == set(), written
    # Neither the application's row, its receipt-number sequence nor its status history was touched.
    assert not any(table.startswith("applications_") for table in written)
    assert not any("applications_receiptsequence" in query["sql"] for query in queries.captured_queries)
    started.application.refresh_from_db()
    assert started.application.status == Status.DRAFT
    # The submission waits for the commit, then runs as a task.
    assert len(callbacks) == 1
    callbacks[0]()
    started.application.refresh_from_db()
    assert started.application.status == Status.SUBMITTED and started.application.receipt_number


def test_paid_draft_is_submitted_exactly_once(started, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        services.payment_apply_event(provider="fake", event=paid_event(started, "evt-1"))
    with django_capture_on_commit_callbacks(execute=True) as again:
        # The same webhook delivered twice: stored once, nothing enqueued the second time.
        assert services.payment_apply_event(provider="fake", event=paid_event(started, "evt-1")) == (
            "duplicate: ignored"
        )
    assert again == []
    # A queue delivers at least once: the task run again, late, changes nothing.
    assert tasks.submit_paid_draft.call(started.pk) == ""
    assert services.paid_draft_submit(started.pk) == ""
    application = started.application
    application.refresh_from_db()
    assert application.status == Status.SUBMITTED
    assert StatusChange.objects.filter(application=application, to_status=Status.SUBMITTED).count() == 1
    assert (
        AuditEntry.objects.filter(action="application.submit", target_id=application.public_id).count() == 1
    )
    assert PaymentEvent.objects.get(payment=started).outcome == "paid; application submitted"


def test_task_before_the_payment_is_paid_submits_nothing_then_the_paid_one_does(
    started, django_capture_on_commit_callbacks
):
    """Out of order: the task arrives while the payment is still pending (e.g. a stale delivery)."""
    assert services.paid_draft_submit(started.pk) == "; application not submitted: PaymentRequired"
    started.application.refresh_from_db()
    assert started.application.status == Status.DRAFT
    with django_capture_on_commit_callbacks(execute=True):
        services.payment_apply_event(provider="fake", event=paid_event(started, "evt-1"))
    started.refresh_from_db()
    started.application.refresh_from_db()
    assert started.status == PaymentStatus.PAID and started.application.status == Status.SUBMITTED
    assert (
        StatusChange.objects.filter(application=started.application, to_status=Status.SUBMITTED).count() == 1
    )


def test_answers_changed_after_paying_are_not_submitted(started, django_capture_on_commit_callbacks):
    application = started.application
    # Written around the services (they refuse while the payment runs), as a race would leave it.
    type(application).objects.filter(pk=application.pk).update(answers={**application.answers, "copies": 5})
    with django_capture_on_commit_callbacks(execute=True):
        services.payment_apply_event(provider="fake", event=paid_event(started, "evt-1"))
    application.refresh_from_db()
    assert application.status == Status.DRAFT
    assert PaymentEvent.objects.get(payment=started).outcome == (
        "paid; the answers changed after payment started: not submitted"
    )
