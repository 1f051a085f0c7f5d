"""Writing the audit log: appending entries, sealing them into the hash chain, pruning.

``audit_record`` runs inside the caller's transaction, so the entry commits (or rolls back) with
the action. It is a plain INSERT: no lock, no read of the chain head, so the actions of one city
never wait for each other on the audit log.

``audit_seal`` chains what has committed since (the sealer, run by every ``idx worker`` and by
``idx manage audit_seal``): one short transaction per municipality locks the chain head
(``SELECT … FOR UPDATE`` on PostgreSQL; SQLite's write transactions are serialized anyway), reads
the unsealed entries in id order and gives each its position, its predecessor's hash and its own.
Several sealers at once are safe: the second waits for the head, then sees the first one's work
(each statement of a READ COMMITTED transaction reads what has committed before it). An entry whose
transaction commits after entries with higher ids were sealed is sealed in the next round, with a
later position: the chain's order is ``sequence``, not ``id``.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser
from django.db import router, transaction
from django.utils import timezone

from idx.audit.chain import HASHED_FIELDS, compute_entry_hash, normalize_json
from idx.audit.models import AuditChainHead, AuditEntry
from idx.common.models import Municipality

SEAL_LIMIT = 5000
# Rows per UPDATE statement when sealing (the CASE … WHEN lists stay a reasonable size).
_UPDATE_BATCH = 500


def _locked_head(municipality_id: int) -> AuditChainHead:
    head = AuditChainHead.objects.select_for_update().filter(pk=municipality_id).first()
    if head is None:
        # First seal of this city: create the head without racing a concurrent sealer.
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
    """Append one entry, not yet chained, inside the caller's transaction (one INSERT, no lock).

    The sealer chains it within seconds of the commit; until then ``sequence`` is ``None`` and
    the hashes are empty.
    """
    entry = AuditEntry(
        municipality=municipality,
        # By id: the audit trail names no user model (identity imports audit, not the reverse).
        actor_id=actor.pk if actor is not None and actor.is_authenticated else None,
        action=action,
        target_type=target_type,
        target_id=str(target_id),
        before=normalize_json(before or {}),
        after=normalize_json(after or {}),
        created_at=timezone.now(),
    )
    entry.save(force_insert=True)
    return entry


def _seal_chain(municipality_id: int, limit: int) -> int:
    with transaction.atomic():
        head = _locked_head(municipality_id)
        # Read after the lock is held, so entries sealed by a sealer that held it before are seen
        # as sealed; only committed entries are visible at all.
        rows = list(
            AuditEntry.objects.filter(municipality_id=municipality_id, sequence__isnull=True)
            .order_by("id")
            .values(*HASHED_FIELDS)[:limit]
        )
        if not rows:
            return 0
        previous_hash, position = head.last_hash, head.last_sequence
        sealed = []
        for row in rows:
            position += 1
            # Hashed from the values as stored (JSON and timestamps after the database's round trip).
            entry_hash = compute_entry_hash(
                municipality_id=row["municipality_id"],
                actor_id=row["actor_id"],
                action=row["action"],
                target_type=row["target_type"],
                target_id=row["target_id"],
                before=row["before"],
                after=row["after"],
                created_at=row["created_at"],
                previous_hash=previous_hash,
            )
            sealed.append(
                AuditEntry(
                    pk=row["id"], sequence=position, previous_hash=previous_hash, entry_hash=entry_hash
                )
            )
            previous_hash = entry_hash
        AuditEntry.objects.bulk_update(
            sealed, ["sequence", "previous_hash", "entry_hash"], batch_size=_UPDATE_BATCH
        )
        AuditChainHead.objects.filter(pk=municipality_id).update(
            last_hash=previous_hash, last_sequence=position, sealed_at=timezone.now()
        )
    return len(sealed)


def audit_seal(*, municipality: Municipality | None = None, limit: int = SEAL_LIMIT) -> int:
    """Chain up to ``limit`` committed unsealed entries of each municipality (or of one), oldest id first.

    One short transaction per municipality; call it outside a transaction (inside one, the head
    stays locked until the caller commits). Returns the number of entries sealed.
    """
    if municipality is not None:
        municipality_ids = [municipality.pk]
    else:
        # From the primary, never a replica: the sealer must not miss what just committed.
        pending = (
            AuditEntry.objects.using(router.db_for_write(AuditEntry))
            .filter(sequence__isnull=True)
            .values_list("municipality_id", flat=True)
            .distinct()
            .order_by()
        )
        municipality_ids = sorted(set(pending))
    return sum(_seal_chain(municipality_id, limit) for municipality_id in municipality_ids)


def audit_seal_all(*, municipality: Municipality | None = None, limit: int = SEAL_LIMIT) -> int:
    """Seal until nothing that has committed is left unsealed (rounds of ``limit`` per municipality).

    For an export, a retention run or the end of a data load; the sealer loop uses ``audit_seal``.
    """
    total = 0
    while True:
        sealed = audit_seal(municipality=municipality, limit=limit)
        total += sealed
        if sealed < limit:
            return total


def audit_prune(*, municipality: Municipality, now: dt.datetime | None = None) -> int:
    """Delete entries older than ``IDX_AUDIT_RETENTION_DAYS``; the last deleted one becomes the anchor.

    Seals first, then deletes only a prefix of the sealed chain (in sequence order), so what
    remains still verifies from the anchor; entries not yet sealed are never deleted. Returns the
    number of entries deleted.
    """
    cutoff = (now or timezone.now()) - dt.timedelta(days=settings.IDX_AUDIT_RETENTION_DAYS)
    audit_seal_all(municipality=municipality)
    with transaction.atomic(durable=True):
        head = _locked_head(municipality.pk)
        sealed = AuditEntry.objects.filter(municipality_id=municipality.pk, sequence__isnull=False)
        first_kept = (
            sealed.filter(created_at__gte=cutoff)
            .order_by("sequence")
            .values_list("sequence", flat=True)
            .first()
        )
        doomed = sealed if first_kept is None else sealed.filter(sequence__lt=first_kept)
        last = doomed.order_by("-sequence").values("sequence", "entry_hash").first()
        if last is None:
            return 0
        deleted, _ = doomed.delete()
        AuditChainHead.objects.filter(pk=head.pk).update(
            anchor_hash=last["entry_hash"], anchor_sequence=last["sequence"], pruned_at=timezone.now()
        )
        audit_record(
            municipality=municipality,
            actor=None,
            action="audit.prune",
            target_type="audit_chain",
            target_id=municipality.code,
            after={
                "deleted": deleted,
                "anchor_sequence": last["sequence"],
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
    """Seal what has committed, then record that the audit log of a period was exported.

    Sealing first means the export carries the hashes of everything committed before it; an
    entry committed meanwhile is exported with an empty position and empty hashes (not yet sealed).
    """
    audit_seal_all(municipality=municipality)
    with transaction.atomic():
        return audit_record(
            municipality=municipality,
            actor=actor,
            action="audit.export",
            target_type="audit_chain",
            target_id=municipality.code,
            after={"from": date_from.isoformat(), "to": date_to.isoformat(), "format": output},
        )
