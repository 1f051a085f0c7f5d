"""Background work of the platform's own statistics (run by ``idx worker``)."""

from __future__ import annotations

from django_tasks import task


@task(queue_name="exports")  # rebuilds the facts and writes the statistics files
def insights_refresh(municipality_id: int | None = None) -> int:
    """Rebuild the facts and publish the statistics of one municipality (or of all); the number of
    municipalities refreshed. Idempotent: a second run gives the same facts and publishes nothing
    new (unchanged files make no new version)."""
    from idx.common.models import Municipality
    from idx.insights.statistics import insights_refresh_all

    municipalities = Municipality.objects.all()
    if municipality_id is not None:
        municipalities = municipalities.filter(pk=municipality_id)
    return len(insights_refresh_all(municipalities))
