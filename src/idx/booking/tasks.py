"""Background work of bookings (run by ``idx worker``)."""

from __future__ import annotations

from django_tasks import task


# Words the message; its sending is a task of its own on the channel's queue.
@task(queue_name="default")
def notify_booking(booking_id: int, kind: str, sequence: int) -> int:
    from idx.booking.messages import booking_notify

    return booking_notify(booking_id, kind, sequence)
