"""Background work of the notification service (run by ``idx worker``)."""

from __future__ import annotations

from django_tasks import task


@task(queue_name="email")
def deliver_message(message_id: int) -> str:
    from idx.notifications.services import message_deliver

    return message_deliver(message_id)


@task(queue_name="email")
def deliver_messages(message_ids: list[int]) -> int:
    """Many sends in one task (alert fan-out): fewer task rows, the same per-message guarantees."""
    from idx.notifications.services import messages_deliver

    return messages_deliver(list(message_ids))


@task(queue_name="default")
def fan_out_alert(alert_id: int) -> int:
    from idx.notifications.alerts import alert_fan_out

    return alert_fan_out(alert_id)


@task(queue_name="default")
def fan_out_notice(notice_id: int) -> int:
    from idx.notifications.notices import notice_fan_out

    return notice_fan_out(notice_id)
