"""The hash chain: sealed entries link up, and `idx audit verify` names the first tampered entry."""

from __future__ import annotations

import datetime as dt
import io
import json
from unittest import mock

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.utils import timezone

from idx.audit.chain import GENESIS_HASH, compute_entry_hash
from idx.audit.models import AuditChainHead, AuditEntry
from idx.audit.selectors import audit_chain_verify
from idx.audit.services import audit_prune, audit_record, audit_seal

# Raw SQL, as someone with database access would tamper (bypassing the model).
assert AuditEntry._meta.db_table == "audit_auditentry"


def _sql(statement: str, params: list[object]) -> None:
    with connection.cursor() as cursor:
        cursor.execute(statement, params)


def _record(municipality, actor=None, n: int = 1, *, seal: bool = True, **after):
    """``n`` entries, sealed (as the sealer does within seconds) and read back unless ``seal`` is False."""
    entries = [
        audit_record(
            municipality=municipality,
            actor=actor,
            action="test.action",
            target_type="thing",
            target_id=index,
            before={"n": index},
            after={"n": index + 1, **after},
        )
        for index in range(n)
    ]
    if not seal:
        return entries
    audit_seal()
    return [AuditEntry.objects.get(pk=entry.pk) for entry in entries]


def _verify(*args: str) -> str:
    out = io.StringIO()
    call_command("audit", "verify", *args, stdout=out)
    return out.getvalue()


def _verify_fails(*args: str) -> str:
    with pytest.raises(CommandError) as failure:
        _verify(*args)
    assert failure.value.returncode == 1
    return str(failure.value)


def test_entries_link_to_their_predecessor(iga, clerk):
    first, second = _record(iga, clerk, n=2)
    assert len(first.entry_hash) == 64
    assert second.previous_hash == first.entry_hash
    assert second.entry_hash == second.compute_hash()
    assert second.sequence == first.sequence + 1
    head = AuditChainHead.objects.get(pk=iga.pk)
    assert (head.last_sequence, head.last_hash) == (second.sequence, second.entry_hash)


def test_chains_are_per_municipality(iga, watarai):
    (in_iga,) = _record(iga)
    (in_watarai,) = _record(watarai)
    assert in_watarai.previous_hash != in_iga.entry_hash
    assert in_watarai.sequence == AuditEntry.objects.filter(municipality=watarai).count()  # its own count
    assert AuditChainHead.objects.get(pk=watarai.pk).last_sequence == in_watarai.sequence


def test_created_at_is_hashed_with_microseconds(iga):
    (entry,) = _record(iga, seal=False)
    audit_seal()
    stored = AuditEntry.objects.get(pk=entry.pk)
    assert stored.created_at == entry.created_at
    assert stored.compute_hash() == stored.entry_hash


def test_whole_floats_and_tuples_hash_the_same_after_the_round_trip(iga):
    entry = audit_record(
        municipality=iga, actor=None, action="x", target_type="t", target_id=1, after={"f": 1.0, "t": (1, 2)}
    )
    audit_seal()
    stored = AuditEntry.objects.get(pk=entry.pk)
    assert stored.after == {"f": 1, "t": [1, 2]}
    entry.previous_hash = stored.previous_hash
    assert entry.compute_hash() == stored.entry_hash  # the values as written hash as stored


def test_intact_chain_passes(iga, watarai, clerk):
    _record(iga, clerk, n=3)
    _record(watarai, n=2)
    output = _verify()
    assert "chain intact" in output
    assert "audit log intact" in output
    assert iga.code in _verify("--municipality", iga.code)


def test_altered_row_is_named(iga, clerk):
    _first, second, _third = _record(iga, clerk, n=3)
    _sql('UPDATE audit_auditentry SET "after" = %s WHERE id = %s', ['{"n": 99}', second.pk])
    message = _verify_fails()
    assert f"altered entry {second.pk}" in message
    assert f"altered entry {second.pk}" in _verify_fails("--municipality", iga.code)


def test_altered_actor_is_detected(iga, clerk, supervisor):
    (entry,) = _record(iga, clerk)
    _sql("UPDATE audit_auditentry SET actor_id = %s WHERE id = %s", [supervisor.pk, entry.pk])
    assert f"altered entry {entry.pk}" in _verify_fails("--municipality", iga.code)


def test_other_municipality_is_not_blamed(iga, watarai):
    (entry,) = _record(iga)
    _sql('UPDATE audit_auditentry SET "after" = %s WHERE id = %s', ['{"n": 99}', entry.pk])
    assert "chain intact" in _verify("--municipality", watarai.code)


def test_deleted_row_is_detected(iga):
    first, second, third = _record(iga, n=3)
    _sql("DELETE FROM audit_auditentry WHERE id = %s", [second.pk])
    message = _verify_fails("--municipality", iga.code)
    assert f"deleted entry {third.pk}" in message
    assert f"after entry {first.pk}" in message


def test_deleted_last_row_is_detected(iga):
    _first, second = _record(iga, n=2)
    _sql("DELETE FROM audit_auditentry WHERE id = %s", [second.pk])
    message = _verify_fails("--municipality", iga.code)
    assert "deleted entries: entries at the end were deleted" in message
    assert f"position {second.sequence} as the last sealed" in message


def _forge(municipality, *, pk: int | None, sequence: int, previous_hash: str, valid: bool) -> AuditEntry:
    created_at = timezone.now()
    fields = {
        "municipality_id": municipality.pk,
        "actor_id": None,
        "action": "case.decide",
        "target_type": "application",
        "target_id": "forged",
        "before": {},
        "after": {"status": "approved"},
        "created_at": created_at,
        "previous_hash": previous_hash,
    }
    entry_hash = compute_entry_hash(**fields) if valid else "f" * 64
    # bulk_create skips the model's append-only save(), as a direct INSERT would.
    (forged,) = AuditEntry.objects.bulk_create(
        [AuditEntry(pk=pk, sequence=sequence, entry_hash=entry_hash, **fields)]
    )
    if forged.pk is None:
        forged = AuditEntry.objects.get(target_id="forged", municipality=municipality)
    return forged


@pytest.mark.parametrize("valid", [True, False], ids=["rehashed", "garbage-hash"])
def test_forged_row_appended_at_the_end_is_detected(iga, valid):
    (last,) = _record(iga)
    forged = _forge(iga, pk=None, sequence=last.sequence + 1, previous_hash=last.entry_hash, valid=valid)
    assert f"inserted entry {forged.pk}" in _verify_fails("--municipality", iga.code)


@pytest.mark.parametrize("valid", [True, False], ids=["rehashed", "garbage-hash"])
def test_forged_row_inserted_in_the_middle_is_detected(iga, watarai, valid):
    (before,) = _record(iga)
    (gap,) = _record(watarai)  # frees an id between two of 伊賀市's entries once deleted
    (after,) = _record(iga)
    gap_id = gap.pk
    _sql("DELETE FROM audit_auditentry WHERE id = %s", [gap_id])
    # Make room in the positions, as a forger must (one entry per position).
    _sql("UPDATE audit_auditentry SET sequence = sequence + 1 WHERE id = %s", [after.pk])
    forged = _forge(iga, pk=gap_id, sequence=after.sequence, previous_hash=before.entry_hash, valid=valid)
    assert forged.pk == gap_id
    assert f"inserted entry {gap_id}" in _verify_fails("--municipality", iga.code)


def test_renumbered_positions_are_detected(iga):
    _first, second, third = _record(iga, n=3)
    _sql("UPDATE audit_auditentry SET sequence = sequence + 10 WHERE id = %s", [third.pk])
    message = _verify_fails("--municipality", iga.code)
    assert f"altered entry {third.pk}" in message
    assert "renumbered" in message


def test_swapped_positions_are_detected(iga):
    _first, second, third = _record(iga, n=3)
    _sql("UPDATE audit_auditentry SET sequence = 0 WHERE id = %s", [second.pk])
    _sql("UPDATE audit_auditentry SET sequence = %s WHERE id = %s", [second.sequence, third.pk])
    _sql("UPDATE audit_auditentry SET sequence = %s WHERE id = %s", [third.sequence, second.pk])
    assert not audit_chain_verify(municipality=iga).intact


def test_verify_reports_only_the_first_problem(iga):
    _first, second, third, _fourth = _record(iga, n=4)
    _sql('UPDATE audit_auditentry SET "after" = %s WHERE id IN (%s, %s)', ['{"n": 0}', second.pk, third.pk])
    message = _verify_fails("--municipality", iga.code)
    assert f"entry {second.pk}" in message
    assert f"entry {third.pk}" not in message


def test_unknown_municipality_is_an_error(iga):
    with pytest.raises(CommandError, match="no municipality"):
        _verify("--municipality", "999999")


def test_rolled_back_action_leaves_the_chain_intact(iga):
    from django.db import transaction

    (kept,) = _record(iga)
    with pytest.raises(RuntimeError), transaction.atomic():
        _record(iga, seal=False)
        raise RuntimeError("the action failed")
    assert audit_seal() == 0
    assert AuditChainHead.objects.get(pk=iga.pk).last_sequence == kept.sequence
    report = audit_chain_verify(municipality=iga)
    assert report.intact
    assert report.unsealed == 0


# ---- retention -------------------------------------------------------------------------------


def test_prune_keeps_the_chain_verifiable(iga, settings):
    settings.IDX_AUDIT_RETENTION_DAYS = 30
    real_now = timezone.now()
    long_ago = real_now - dt.timedelta(days=40)
    with mock.patch("django.utils.timezone.now", return_value=long_ago):
        # Start from an empty log (its own audit.prune entry is then old, too).
        audit_prune(municipality=iga, now=real_now + dt.timedelta(days=31))
        old = _record(iga, n=3)
    recent = _record(iga, n=2)
    old_hashes = [entry.entry_hash for entry in old]
    old_sequences = [entry.sequence for entry in old]
    assert old_sequences == sorted(old_sequences) and old_sequences[-1] < recent[0].sequence

    out = io.StringIO()
    call_command("audit", "prune", "--municipality", iga.code, stdout=out)

    assert "4 entries pruned" in out.getvalue()  # the earlier audit.prune entry and the three
    assert not AuditEntry.objects.filter(pk__in=[entry.pk for entry in old]).exists()
    head = AuditChainHead.objects.get(pk=iga.pk)
    assert head.anchor_hash == old_hashes[-1]
    assert head.anchor_sequence == old_sequences[-1]
    assert AuditEntry.objects.filter(municipality=iga, action="audit.prune").exists()
    assert "chain intact" in _verify("--municipality", iga.code)

    # Deleting the first retained entry is still caught against the anchor.
    _sql("DELETE FROM audit_auditentry WHERE id = %s", [recent[0].pk])
    assert f"deleted entry {recent[1].pk}" in _verify_fails("--municipality", iga.code)


def test_prune_of_everything_then_append(iga, settings):
    settings.IDX_AUDIT_RETENTION_DAYS = 1
    _record(iga, n=2)
    assert audit_prune(municipality=iga, now=timezone.now() + dt.timedelta(days=2)) > 0
    assert audit_chain_verify(municipality=iga).intact
    _record(iga)
    assert audit_chain_verify(municipality=iga).intact


def test_nothing_to_prune(iga):
    _record(iga)
    assert audit_prune(municipality=iga) == 0
    assert audit_chain_verify(municipality=iga).intact


# ---- migration of chains sealed before the sealer (positions from the id order) ---------------


def test_numbering_migration_gives_existing_entries_their_positions(iga, watarai, settings):
    import importlib
    from types import SimpleNamespace

    from django.apps import apps

    settings.IDX_AUDIT_RETENTION_DAYS = 1
    _record(iga, n=2)
    audit_prune(municipality=iga, now=timezone.now() + dt.timedelta(days=2))  # an anchor before them
    _record(iga, n=3)
    _record(watarai, n=2)
    audit_seal()
    # As the chains were before: hashed in id order, no positions, heads counting ids.
    _sql("UPDATE audit_auditentry SET sequence = NULL", [])
    _sql("UPDATE audit_auditchainhead SET last_sequence = 12345, anchor_sequence = 99", [])

    migration = importlib.import_module("idx.audit.migrations.0005_number_existing_entries")
    migration.number_existing_entries(apps, SimpleNamespace(connection=connection))

    for municipality in (iga, watarai):
        entries = AuditEntry.objects.filter(municipality=municipality).order_by("id")
        assert list(entries.values_list("sequence", flat=True)) == list(range(1, entries.count() + 1))
        head = AuditChainHead.objects.get(pk=municipality.pk)
        assert (head.last_sequence, head.anchor_sequence) == (entries.count(), 0)
        assert audit_chain_verify(municipality=municipality).intact
    assert AuditChainHead.objects.get(pk=iga.pk).anchor_hash != GENESIS_HASH
    assert "audit log intact" in _verify()


# ---- export from the command line --------------------------------------------------------------


def test_export_streams_json_lines_and_is_audited(iga, watarai, clerk):
    mine = _record(iga, clerk, n=2, note="=SUM(A1)")
    _record(watarai)
    today = timezone.localdate().isoformat()
    out = io.StringIO()
    call_command("audit", "export", "--municipality", iga.code, "--from", today, "--to", today, stdout=out)

    rows = [json.loads(line) for line in out.getvalue().splitlines()]
    ids = [row["id"] for row in rows]
    assert ids == sorted(ids)
    assert {entry.pk for entry in mine} <= set(ids)
    assert not AuditEntry.objects.filter(pk__in=ids).exclude(municipality=iga).exists()
    by_id = {row["id"]: row for row in rows}
    assert by_id[mine[0].pk]["after"] == {"n": 1, "note": "=SUM(A1)"}
    assert by_id[mine[0].pk]["entry_hash"] == mine[0].entry_hash
    export = AuditEntry.objects.filter(municipality=iga, action="audit.export").latest("id")
    assert export.after == {"from": today, "to": today, "format": "jsonl"}


def test_export_of_a_period_without_entries_is_empty(iga):
    _record(iga)
    out = io.StringIO()
    call_command(
        "audit",
        "export",
        "--municipality",
        iga.code,
        "--from",
        "2001-01-01",
        "--to",
        "2001-12-31",
        stdout=out,
    )
    assert out.getvalue() == ""


@pytest.mark.parametrize(
    ("date_from", "date_to", "message"),
    [("2026-13-01", "2026-12-31", "not a date"), ("2026-12-31", "2026-01-01", "before")],
)
def test_export_rejects_bad_dates(iga, date_from, date_to, message):
    with pytest.raises(CommandError, match=message):
        call_command("audit", "export", "--municipality", iga.code, "--from", date_from, "--to", date_to)
