"""Background work of the intake (run by ``idx worker``): one task per batch, then one per page."""

from __future__ import annotations

from django_tasks import task


@task(queue_name="ocr")
def split_batch(batch_id: int) -> str:
    """Cut an uploaded file of scans into pages; safe to run twice (pages already cut are kept)."""
    from idx.intake.services import scan_batch_split

    return scan_batch_split(batch_id)


@task(queue_name="ocr")
def read_page(page_id: int) -> str:
    """Read one page; a page already read is left alone, so a second run is harmless."""
    from idx.intake.services import scan_page_read

    return scan_page_read(page_id)
