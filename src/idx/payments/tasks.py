"""Background work of payments (run by ``idx worker``)."""

from __future__ import annotations

from django_tasks import task


@task(queue_name="default")
def submit_paid_draft(payment_id: int) -> str:
    """The draft a fee was paid for counts as submitted, after the payment's own transaction.

    Safe to run twice, late or out of order: it only ever submits a draft once.
    """
    from idx.payments.services import paid_draft_submit

    return paid_draft_submit(payment_id)


@task(queue_name="default")
def notify_payable(payment_id: int, outcome: str) -> None:
    """Tell the app that owns a payment's payable what happened to it (after the payment committed)."""
    from idx.payments.services import payable_settle

    payable_settle(payment_id, outcome)
