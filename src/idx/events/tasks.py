"""Background work of events (run by ``idx worker``)."""

from __future__ import annotations

from django_tasks import task


# Words the messages; their sending is a task of its own on the channel's queue.
@task(queue_name="default")
def notify_registrations(registration_ids: list[int], kind: str) -> int:
    from idx.events.messages import registration_notify

    return sum(registration_notify(registration_id, kind) for registration_id in registration_ids)


@task(queue_name="default")
def refund_registration(registration_id: int, reason: str) -> int:
    from idx.events.services import registration_refund

    return registration_refund(registration_id, reason)
