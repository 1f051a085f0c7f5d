"""Reading the audit log: entries of a target, entries of a period, the chain check, the sealer's backlog."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from django.db import connection, transaction
from django.db.models import Count, F, Min, QuerySet
from django.utils import timezone

from idx.audit.chain import GENESIS_HASH, HASHED_FIELDS, compute_entry_hash
from idx.audit.models import AuditChainHead, AuditEntry
from idx.common.models import Municipality

_CHAIN_FIELDS = (*HASHED_FIELDS, "sequence", "previous_hash", "entry_hash")


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
    """Entries of one municipality from ``date_from`` to ``date_to`` inclusive (local dates), in chain
    order; entries not yet sealed come last, in id order."""
    return AuditEntry.objects.filter(
        municipality=municipality,
        created_at__gte=_day_start(date_from),
        created_at__lt=_day_start(date_to + dt.timedelta(days=1)),
    ).order_by(F("sequence").asc(nulls_last=True), "id")


def audit_export_rows(entries: QuerySet[AuditEntry]) -> Iterator[dict[str, Any]]:
    """Plain rows for JSON Lines and CSV exports, read in chunks (memory stays flat).

    An entry not yet sealed has ``sequence`` None and empty hashes."""
    rows = entries.values(*_CHAIN_FIELDS, "actor__email", "actor__role")
    for row in rows.iterator(chunk_size=2000):
        yield {
            "id": row["id"],
            "sequence": row["sequence"],
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

UNSEALED_LISTED = 20


@dataclass(frozen=True)
class ChainProblem:
    kind: str  # "altered" | "inserted" | "deleted"
    entry_id: int | None
    detail: str


@dataclass(frozen=True)
class ChainReport:
    """One municipality's chain: the sealed entries checked, and those not yet sealed counted.

    ``entries`` counts the sealed entries walked; ``unsealed`` the entries the sealer has not
    chained yet (their ids, the first few, in ``unsealed_ids``), which no hash protects yet.
    ``lag`` is the age in seconds of the oldest of them when the check ran (0 when none).
    """

    municipality: Municipality
    entries: int
    problem: ChainProblem | None
    unsealed: int = 0
    unsealed_ids: tuple[int, ...] = ()
    oldest_unsealed_at: dt.datetime | None = None
    checked_at: dt.datetime | None = None

    @property
    def intact(self) -> bool:
        return self.problem is None

    @property
    def lag(self) -> float:
        if self.oldest_unsealed_at is None or self.checked_at is None:
            return 0.0
        return max((self.checked_at - self.oldest_unsealed_at).total_seconds(), 0.0)


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


def _check_sealed(municipality: Municipality, head: AuditChainHead | None) -> tuple[int, ChainProblem | None]:
    """Walk the sealed entries in sequence order from the anchor; the count and the first problem."""
    expected = head.anchor_hash if head else GENESIS_HASH
    expected_sequence = (head.anchor_sequence if head else 0) + 1
    head_sequence = head.last_sequence if head else 0
    rows = (
        AuditEntry.objects.filter(municipality_id=municipality.pk, sequence__isnull=False)
        .order_by("sequence")
        .values(*_CHAIN_FIELDS)
        .iterator(chunk_size=2000)
    )
    count = 0
    previous: dict[str, Any] | None = None
    first_beyond_head: int | None = None

    def found(kind: str, entry_id: int | None, detail: str) -> tuple[int, ChainProblem]:
        return count, ChainProblem(kind, entry_id, detail)

    for row, following in _with_next(rows):
        count += 1
        entry_id = row["id"]
        # Skipping this row restores the chain: it was never part of it.
        skipped_restores = following is not None and following["previous_hash"] == expected
        beyond_head = row["sequence"] > head_sequence
        if _hash_of(row) != row["entry_hash"]:
            if skipped_restores or beyond_head:
                return found("inserted", entry_id, f"entry {entry_id} was inserted into the chain")
            return found(
                "altered", entry_id, f"entry {entry_id} was altered: its contents do not match its hash"
            )
        if row["previous_hash"] != expected:
            if skipped_restores:
                return found("inserted", entry_id, f"entry {entry_id} was inserted into the chain")
            if previous is not None and row["previous_hash"] == previous["previous_hash"]:
                return found(
                    "inserted",
                    previous["id"],
                    f"entry {previous['id']} was inserted into the chain (entry {entry_id} follows its predecessor)",
                )
            after = f"after entry {previous['id']}" if previous is not None else "at the start of the chain"
            return found(
                "deleted",
                entry_id,
                f"entry {entry_id} does not follow its predecessor: entries were deleted {after} "
                "(or the preceding entry was altered and re-hashed)",
            )
        if row["sequence"] != expected_sequence:
            # The hashes link up, so only the positions (which are not hashed) were changed.
            return found(
                "altered",
                entry_id,
                f"entry {entry_id} was renumbered: it is at position {row['sequence']}, "
                f"its predecessor's successor is position {expected_sequence}",
            )
        if beyond_head and first_beyond_head is None:
            first_beyond_head = entry_id
        expected = row["entry_hash"]
        expected_sequence += 1
        previous = row

    if head is None:
        if count:
            return found("deleted", None, "the chain head is missing")
        return 0, None
    last_sequence = previous["sequence"] if previous is not None else head.anchor_sequence
    if head.last_hash == expected and head.last_sequence == last_sequence:
        return count, None
    if first_beyond_head is not None:
        return found(
            "inserted", first_beyond_head, f"entry {first_beyond_head} was appended outside the audit sealer"
        )
    return found(
        "deleted",
        None,
        f"entries at the end were deleted: the chain head records position {head.last_sequence} as the "
        f"last sealed, the log ends at position {last_sequence}",
    )


def _walk(municipality: Municipality) -> ChainReport:
    checked_at = timezone.now()
    head = AuditChainHead.objects.filter(pk=municipality.pk).first()
    count, problem = _check_sealed(municipality, head)
    unsealed = AuditEntry.objects.filter(municipality_id=municipality.pk, sequence__isnull=True)
    backlog = unsealed.aggregate(count=Count("id"), oldest=Min("created_at"))
    listed = (
        tuple(unsealed.order_by("id").values_list("id", flat=True)[:UNSEALED_LISTED])
        if backlog["count"]
        else ()
    )
    return ChainReport(
        municipality,
        count,
        problem,
        unsealed=backlog["count"],
        unsealed_ids=listed,
        oldest_unsealed_at=backlog["oldest"],
        checked_at=checked_at,
    )


def audit_chain_verify(*, municipality: Municipality) -> ChainReport:
    """Walk one municipality's sealed chain in sequence order and report the first altered,
    inserted or deleted entry; count the entries not yet sealed and the age of the oldest.

    Runs in one snapshot (REPEATABLE READ on PostgreSQL when not already inside a transaction),
    so what the sealer commits meanwhile is neither half-seen nor mistaken for tampering.
    """
    if connection.in_atomic_block:
        return _walk(municipality)
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        return _walk(municipality)


# ---- the sealer's backlog ---------------------------------------------------------------------


def seal_backlog() -> list[tuple[str, int, float]]:
    """(municipality code, entries not yet sealed, age in seconds of the oldest of them) for each
    municipality with a backlog, by code; for the metrics gauge. Small and fast while the sealer
    keeps up (a partial index holds only the unsealed entries)."""
    now = timezone.now()
    rows = (
        AuditEntry.objects.filter(sequence__isnull=True)
        .values("municipality__code")
        .annotate(count=Count("id"), oldest=Min("created_at"))
        .order_by("municipality__code")
    )
    return [
        (row["municipality__code"], row["count"], max((now - row["oldest"]).total_seconds(), 0.0))
        for row in rows
    ]
