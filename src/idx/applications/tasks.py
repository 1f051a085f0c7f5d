"""Background work of applications (run by ``idx worker``)."""

from __future__ import annotations

from django_tasks import task


# Words the status message; its sending is a task of its own on the channel's queue.
@task(queue_name="default")
def notify_status(application_id: int, status: str, row_version: int) -> int:
    from idx.applications.messages import notify_application_status

    return notify_application_status(application_id, status, row_version)
