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
