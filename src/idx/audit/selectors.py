"""Reading the audit log: entries of a target, entries of a period, and the chain check."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from django.db import connection, transaction
from django.db.models import QuerySet
from django.utils import timezone

from idx.audit.chain import GENESIS_HASH, compute_entry_hash
from idx.audit.models import AuditChainHead, AuditEntry
from idx.common.models import Municipality

_CHAIN_FIELDS = (
    "id",
    "municipality_id",
    "actor_id",
    "action",
    "target_type",
    "target_id",
    "before",
    "after",
    "created_at",
    "previous_hash",
    "entry_hash",
)


def audit_entries_for_target(
    *, municipality: Municipality, target_type: str, target_id: object
) -> QuerySet[AuditEntry]:
    return AuditEntry.objects.filter(
        municipality=municipality, target_type=target_type, target_id=str(target_id)
    ).select_related("actor")


def _day_start(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def audit_entries_for_period(
    *, municipality: Municipality, date_from: dt.date, date_to: dt.date
) -> QuerySet[AuditEntry]:
    """Entries of one municipality from ``date_from`` to ``date_to`` inclusive (local dates), in chain order."""
    return AuditEntry.objects.filter(
        municipality=municipality,
        created_at__gte=_day_start(date_from),
        created_at__lt=_day_start(date_to + dt.timedelta(days=1)),
    ).order_by("id")


def audit_export_rows(entries: QuerySet[AuditEntry]) -> Iterator[dict[str, Any]]:
    """Plain rows for JSON Lines and CSV exports, read in chunks (memory stays flat)."""
    rows = entries.values(*_CHAIN_FIELDS, "actor__email", "actor__role")
    for row in rows.iterator(chunk_size=2000):
        yield {
            "id": row["id"],
            "created_at": row["created_at"].isoformat(timespec="microseconds"),
            "actor_id": row["actor_id"],
            "actor_email": row["actor__email"] or "",
            "actor_role": row["actor__role"] or "",
            "action": row["action"],
            "target_type": row["target_type"],
            "target_id": row["target_id"],
            "before": row["before"],
            "after": row["after"],
            "previous_hash": row["previous_hash"],
            "entry_hash": row["entry_hash"],
        }


# ---- verification -----------------------------------------------------------------------------


@dataclass(frozen=True)
class ChainProblem:
    kind: str  # "altered" | "inserted" | "deleted"
    entry_id: int | None
    detail: str


@dataclass(frozen=True)
class ChainReport:
    municipality: Municipality
    entries: int
    problem: ChainProblem | None

    @property
    def intact(self) -> bool:
        return self.problem is None


def _hash_of(row: dict[str, Any]) -> str:
    return compute_entry_hash(
        municipality_id=row["municipality_id"],
        actor_id=row["actor_id"],
        action=row["action"],
        target_type=row["target_type"],
        target_id=row["target_id"],
        before=row["before"],
        after=row["after"],
        created_at=row["created_at"],
        previous_hash=row["previous_hash"],
    )


def _with_next(rows: Iterator[dict[str, Any]]) -> Iterator[tuple[dict[str, Any], dict[str, Any] | None]]:
    current = next(rows, None)
    while current is not None:
        following = next(rows, None)
        yield current, following
        current = following


def _walk(municipality: Municipality) -> ChainReport:
    head = AuditChainHead.objects.filter(pk=municipality.pk).first()
    expected = head.anchor_hash if head else GENESIS_HASH
    rows = (
        AuditEntry.objects.filter(municipality_id=municipality.pk)
        .order_by("id")
        .values(*_CHAIN_FIELDS)
        .iterator(chunk_size=2000)
    )
    count = 0
    previous: dict[str, Any] | None = None
    first_beyond_head: int | None = None

    def report(kind: str, entry_id: int | None, detail: str) -> ChainReport:
        return ChainReport(municipality, count, ChainProblem(kind, entry_id, detail))

    for row, following in _with_next(rows):
        count += 1
        entry_id = row["id"]
        # Skipping this row restores the chain: it was never part of it.
        skipped_restores = following is not None and following["previous_hash"] == expected
        beyond_head = head is not None and head.last_id is not None and entry_id > head.last_id
        if _hash_of(row) != row["entry_hash"]:
            if skipped_restores or beyond_head:
                return report("inserted", entry_id, f"entry {entry_id} was inserted into the chain")
            return report(
                "altered", entry_id, f"entry {entry_id} was altered: its contents do not match its hash"
            )
        if row["previous_hash"] != expected:
            if skipped_restores:
                return report("inserted", entry_id, f"entry {entry_id} was inserted into the chain")
            if previous is not None and row["previous_hash"] == previous["previous_hash"]:
                return report(
                    "inserted",
                    previous["id"],
                    f"entry {previous['id']} was inserted into the chain (entry {entry_id} follows its predecessor)",
                )
            after = f"after entry {previous['id']}" if previous is not None else "at the start of the chain"
            return report(
                "deleted",
                entry_id,
                f"entry {entry_id} does not follow its predecessor: entries were deleted {after} "
                "(or the preceding entry was altered and re-hashed)",
            )
        if beyond_head and first_beyond_head is None:
            first_beyond_head = entry_id
        expected = row["entry_hash"]
        previous = row

    if head is None:
        if count:
            return report("deleted", None, "the chain head is missing")
        return ChainReport(municipality, 0, None)
    last_id = previous["id"] if previous is not None else head.anchor_id
    if head.last_hash == expected and head.last_id == last_id:
        return ChainReport(municipality, count, None)
    if first_beyond_head is not None:
        return report(
            "inserted", first_beyond_head, f"entry {first_beyond_head} was appended outside the audit service"
        )
    return report(
        "deleted",
        head.last_id,
        f"entries at the end were deleted: the chain head records entry {head.last_id} as the last, "
        f"the log ends at entry {last_id}",
    )


def audit_chain_verify(*, municipality: Municipality) -> ChainReport:
    """Walk one municipality's chain in id order and report the first altered, inserted or deleted entry.

    Runs in one snapshot (REPEATABLE READ on PostgreSQL when not already inside a transaction),
    so appends that commit meanwhile are neither half-seen nor mistaken for tampering.
    """
    if connection.in_atomic_block:
        return _walk(municipality)
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        return _walk(municipality)
