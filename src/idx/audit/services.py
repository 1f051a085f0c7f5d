"""Writing the audit log. Callers run inside their own transaction, so the entry commits with the action.

Every append locks the municipality's chain head (``SELECT … FOR UPDATE`` on PostgreSQL; SQLite
serializes write transactions anyway), so two concurrent actions of one city chain one after the
other, and a rolled-back action rolls back its entry and the head together.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser
from django.db import transaction
from django.utils import timezone

from idx.audit.chain import normalize_json
from idx.audit.models import AuditChainHead, AuditEntry
from idx.common.models import Municipality


def _locked_head(municipality_id: int) -> AuditChainHead:
    head = AuditChainHead.objects.select_for_update().filter(pk=municipality_id).first()
    if head is None:
        # First entry of this city: create the head without racing a concurrent first entry.
        AuditChainHead.objects.bulk_create(
            [AuditChainHead(municipality_id=municipality_id)], ignore_conflicts=True
        )
        head = AuditChainHead.objects.select_for_update().get(pk=municipality_id)
    return head


def audit_record(
    *,
    municipality: Municipality,
    actor: AbstractBaseUser | None,
    action: str,
    target_type: str,
    target_id: object,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> AuditEntry:
    """Append one entry to the municipality's chain inside the caller's transaction."""
    with transaction.atomic(savepoint=False):
        head = _locked_head(municipality.pk)
        entry = AuditEntry(
            municipality=municipality,
            # By id: the audit trail names no user model (identity imports audit, not the reverse).
            actor_id=actor.pk if actor is not None and actor.is_authenticated else None,
            action=action,
            target_type=target_type,
            target_id=str(target_id),
            before=normalize_json(before or {}),
            after=normalize_json(after or {}),
            # Taken while holding the lock, so time never runs backwards along the chain.
            created_at=timezone.now(),
            previous_hash=head.last_hash,
        )
        entry.entry_hash = entry.compute_hash()
        entry.save(force_insert=True)
        AuditChainHead.objects.filter(pk=head.pk).update(last_hash=entry.entry_hash, last_id=entry.pk)
    return entry


def audit_prune(*, municipality: Municipality, now: dt.datetime | None = None) -> int:
    """Delete entries older than ``IDX_AUDIT_RETENTION_DAYS``; the last deleted one becomes the anchor.

    Only a prefix of the chain (in id order) is ever deleted, so what remains still verifies from
    the anchor. Returns the number of entries deleted.
    """
    cutoff = (now or timezone.now()) - dt.timedelta(days=settings.IDX_AUDIT_RETENTION_DAYS)
    with transaction.atomic(durable=True):
        head = _locked_head(municipality.pk)
        entries = AuditEntry.objects.filter(municipality_id=municipality.pk)
        first_kept = (
            entries.filter(created_at__gte=cutoff).order_by("id").values_list("id", flat=True).first()
        )
        doomed = entries if first_kept is None else entries.filter(id__lt=first_kept)
        last = doomed.order_by("-id").values("id", "entry_hash").first()
        if last is None:
            return 0
        deleted, _ = doomed.delete()
        AuditChainHead.objects.filter(pk=head.pk).update(
            anchor_hash=last["entry_hash"], anchor_id=last["id"], pruned_at=timezone.now()
        )
        audit_record(
            municipality=municipality,
            actor=None,
            action="audit.prune",
            target_type="audit_chain",
            target_id=municipality.code,
            after={
                "deleted": deleted,
                "anchor_id": last["id"],
                "retention_days": settings.IDX_AUDIT_RETENTION_DAYS,
            },
        )
    return deleted


def audit_export_record(
    *,
    municipality: Municipality,
    actor: AbstractBaseUser | None,
    date_from: dt.date,
    date_to: dt.date,
    output: str,
) -> AuditEntry:
    """Record that the audit log of a period was exported (the export itself is audited)."""
    with transaction.atomic():
        return audit_record(
            municipality=municipality,
            actor=actor,
            action="audit.export",
            target_type="audit_chain",
            target_id=municipality.code,
            after={"from": date_from.isoformat(), "to": date_to.isoformat(), "format": output},
        )
