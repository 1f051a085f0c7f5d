"""Background work of the DX action plan (run by ``idx worker``)."""

from __future__ import annotations

from django_tasks import task


@task(queue_name="exports")  # writes the open dataset
def plan_dataset_refresh(municipality_id: int) -> bool:
    """Regenerate the plan's open dataset after progress was published; True when there is one.

    Idempotent: the same plan gives the same files, and unchanged files make no new version.
    """
    from idx.common.models import Municipality
    from idx.dxplan import services

    municipality = Municipality.objects.filter(pk=municipality_id).first()
    if municipality is None:
        return False
    return services.plan_dataset_refresh(municipality=municipality) is not None
