"""The hash chain: appends link up, and `idx audit verify` names the first tampered entry."""

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
from idx.audit.services import audit_prune, audit_record

# Raw SQL, as someone with database access would tamper (bypassing the model).
assert AuditEntry._meta.db_table == "audit_auditentry"


def _sql(statement: str, params: list[object]) -> None:
    with connection.cursor() as cursor:
        cursor.execute(statement, params)


def _record(municipality, actor=None, n: int = 1, **after):
    return [
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
    assert second.entry_hash == AuditEntry.objects.get(pk=second.pk).compute_hash()
    head = AuditChainHead.objects.get(pk=iga.pk)
    assert (head.last_id, head.last_hash) == (second.pk, second.entry_hash)


def test_chains_are_per_municipality(iga, watarai):
    (in_iga,) = _record(iga)
    (in_watarai,) = _record(watarai)
    assert in_watarai.previous_hash != in_iga.entry_hash
    assert AuditChainHead.objects.get(pk=watarai.pk).last_id == in_watarai.pk


def test_created_at_is_hashed_with_microseconds(iga):
    (entry,) = _record(iga)
    stored = AuditEntry.objects.get(pk=entry.pk)
    assert stored.created_at == entry.created_at
    assert stored.compute_hash() == stored.entry_hash


def test_whole_floats_and_tuples_hash_the_same_after_the_round_trip(iga):
    entry = audit_record(
        municipality=iga, actor=None, action="x", target_type="t", target_id=1, after={"f": 1.0, "t": (1, 2)}
    )
    stored = AuditEntry.objects.get(pk=entry.pk)
    assert stored.after == {"f": 1, "t": [1, 2]}
    assert stored.compute_hash() == entry.entry_hash


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
    assert f"deleted entry {second.pk}" in message


def _forge(municipality, *, pk: int | None, previous_hash: str, valid: bool) -> AuditEntry:
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
    (forged,) = AuditEntry.objects.bulk_create([AuditEntry(pk=pk, entry_hash=entry_hash, **fields)])
    if forged.pk is None:
        forged = AuditEntry.objects.get(target_id="forged", municipality=municipality)
    return forged


@pytest.mark.parametrize("valid", [True, False], ids=["rehashed", "garbage-hash"])
def test_forged_row_appended_at_the_end_is_detected(iga, valid):
    (last,) = _record(iga)
    forged = _forge(iga, pk=None, previous_hash=last.entry_hash, valid=valid)
    assert f"inserted entry {forged.pk}" in _verify_fails("--municipality", iga.code)


@pytest.mark.parametrize("valid", [True, False], ids=["rehashed", "garbage-hash"])
def test_forged_row_inserted_in_the_middle_is_detected(iga, watarai, valid):
    (before,) = _record(iga)
    (gap,) = _record(watarai)  # frees an id between two of 伊賀市's entries once deleted
    _record(iga)
    gap_id = gap.pk
    _sql("DELETE FROM audit_auditentry WHERE id = %s", [gap_id])
    forged = _forge(iga, pk=gap_id, previous_hash=before.entry_hash, valid=valid)
    assert forged.pk == gap_id
    assert f"inserted entry {gap_id}" in _verify_fails("--municipality", iga.code)


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
        _record(iga)
        raise RuntimeError("the action failed")
    assert AuditChainHead.objects.get(pk=iga.pk).last_id == kept.pk
    assert audit_chain_verify(municipality=iga).intact


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

    out = io.StringIO()
    call_command("audit", "prune", "--municipality", iga.code, stdout=out)

    assert "4 entries pruned" in out.getvalue()  # the earlier audit.prune entry and the three
    assert not AuditEntry.objects.filter(pk__in=[entry.pk for entry in old]).exists()
    head = AuditChainHead.objects.get(pk=iga.pk)
    assert (head.anchor_id, head.anchor_hash) == (old[-1].pk, old[-1].entry_hash)
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


# ---- migration of entries written before the chain --------------------------------------------


def test_backfill_migration_chains_existing_entries(iga, watarai):
    import importlib

    from django.apps import apps

    _record(iga, n=3)
    _record(watarai, n=2)
    _sql("UPDATE audit_auditentry SET previous_hash = %s, entry_hash = %s", [GENESIS_HASH, ""])
    AuditChainHead.objects.all().delete()
    assert not audit_chain_verify(municipality=iga).intact

    migration = importlib.import_module("idx.audit.migrations.0003_chain_existing_entries")
    migration.chain_existing_entries(apps, None)

    assert audit_chain_verify(municipality=iga).intact
    assert audit_chain_verify(municipality=watarai).intact
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
