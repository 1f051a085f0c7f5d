"""Background work of the notification service (run by ``idx worker``)."""

from __future__ import annotations

from django_tasks import task

# One queue per channel (settings.IDX_TASK_QUEUES), so that a slow push service never holds up
# e-mail; a channel without a queue of its own sends from the e-mail queue.
CHANNEL_QUEUES = {"email": "email", "push": "push", "line": "line"}


def delivery_queue(channel: str) -> str:
    """The queue a message on ``channel`` is sent from."""
    return CHANNEL_QUEUES.get(channel, "email")


@task(queue_name="email")
def deliver_message(message_id: int) -> str:
    """Send one message; enqueued on its channel's queue (``delivery_queue``)."""
    from idx.notifications.services import message_deliver

    return message_deliver(message_id)


@task(queue_name="fanout")
def deliver_messages(message_ids: list[int]) -> int:
    """Many sends in one task (alert fan-out): fewer task rows, the same per-message guarantees."""
    from idx.notifications.services import messages_deliver

    return messages_deliver(list(message_ids))


@task(queue_name="fanout")
def fan_out_alert(alert_id: int) -> int:
    from idx.notifications.alerts import alert_fan_out

    return alert_fan_out(alert_id)


@task(queue_name="fanout")
def fan_out_notice(notice_id: int) -> int:
    from idx.notifications.notices import notice_fan_out

    return notice_fan_out(notice_id)
