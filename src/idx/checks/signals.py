"""Run the checks after each submission and resubmission, once the transaction has committed.

Applications know nothing of checks: every status change is a ``StatusChange`` row, and a new one
that reaches ``submitted`` or ``resubmitted`` enqueues :func:`idx.checks.tasks.run_checks` after
commit (persist first, then enqueue: a lost task is made good by running the checks again).
Only versions that declare checks get a task: most procedures have none, and a submission should
not pay for a task row that would do nothing.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.db.models.signals import post_save
from django.dispatch import receiver

from idx.applications.models import Status, StatusChange


@receiver(post_save, sender=StatusChange, dispatch_uid="idx.checks.run_after_submission")
def run_after_submission(
    sender: type[StatusChange], instance: StatusChange, created: bool, **kwargs: Any
) -> None:
    if not created or instance.to_status not in (Status.SUBMITTED, Status.RESUBMITTED):
        return
    # The submission has just validated the answers against this version, so it is loaded already.
    version = instance.application.procedure_version
    if version is None or not version.definition.get("checks"):
        return
    application_id = instance.application_id

    def enqueue() -> None:
        from idx.checks.tasks import run_checks

        run_checks.enqueue(application_id)

    transaction.on_commit(enqueue)
