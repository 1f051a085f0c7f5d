"""Background work of the procedure catalog (run by ``idx worker``)."""

from __future__ import annotations

from django_tasks import task


@task()
def publish_due_versions() -> list[int]:
    """Publish the scheduled drafts whose moment has come (公開予定); the ids published.

    Idempotent: each draft is checked under a lock, so a second run, or one overlapping with
    ``idx procedures_publish_due``, publishes nothing twice.
    """
    from idx.procedures.services import procedure_versions_publish_due

    return procedure_versions_publish_due()


@task()
def publish_version_if_due(version_id: int) -> bool:
    """Publish one scheduled draft if it is still scheduled and due."""
    from idx.procedures.services import procedure_version_publish_if_due

    return procedure_version_publish_if_due(version_id=version_id)
