"""Appending without the chain lock, and the sealer that chains the committed entries afterwards."""

from __future__ import annotations

import datetime as dt
import io
import json
import logging
import threading
from unittest import mock

import pytest
from django.core.management import CommandError, call_command
from django.db import OperationalError, connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from idx.audit.chain import GENESIS_HASH
from idx.audit.models import AuditChainHead, AuditEntry
from idx.audit.sealer import run_sealer
from idx.audit.selectors import audit_chain_verify, audit_entries_for_period, audit_export_rows, seal_backlog
from idx.audit.services import SEAL_LIMIT, audit_prune, audit_record, audit_seal, audit_seal_all


def _append(municipality, index: int = 0, **fields) -> AuditEntry:
    return audit_record(
        municipality=municipality,
        actor=None,
        action="test.action",
        target_type="thing",
        target_id=index,
        after={"n": index, **fields},
    )


def _verify(*args: str) -> str:
    out = io.StringIO()
    call_command("audit", "verify", *args, stdout=out)
    return out.getvalue()


def _head(municipality) -> tuple[int, str] | None:
    head = AuditChainHead.objects.filter(pk=municipality.pk).first()
    return None if head is None else (head.last_sequence, head.last_hash)


# ---- appending ---------------------------------------------------------------------------------


def test_append_is_one_insert_and_leaves_the_head_alone(iga):
    audit_seal()
    before = _head(iga)
    with CaptureQueriesContext(connection) as queries:
        entry = _append(iga)
    statements = [query["sql"] for query in queries.captured_queries]
    assert len(statements) == 1, statements
    assert statements[0].startswith("INSERT INTO")
    assert "audit_auditchainhead" not in statements[0]
    assert "FOR UPDATE" not in statements[0].upper()
    assert _head(iga) == before
    stored = AuditEntry.objects.get(pk=entry.pk)
    assert (stored.sequence, stored.previous_hash, stored.entry_hash) == (None, "", "")


def test_first_append_of_a_city_makes_no_head(iga):
    AuditEntry.objects.filter(municipality=iga).delete()
    AuditChainHead.objects.filter(pk=iga.pk).delete()
    _append(iga)
    assert not AuditChainHead.objects.filter(pk=iga.pk).exists()
    report = audit_chain_verify(municipality=iga)
    assert report.intact and (report.entries, report.unsealed) == (0, 1)
    assert audit_seal(municipality=iga) == 1
    assert AuditChainHead.objects.get(pk=iga.pk).last_sequence == 1
    assert AuditEntry.objects.get(municipality=iga).previous_hash == GENESIS_HASH


# ---- sealing -----------------------------------------------------------------------------------


def test_sealing_chains_in_id_order_and_moves_the_head(iga, watarai):
    audit_seal()
    start, _ = _head(iga)
    entries = [_append(iga, index) for index in range(4)]
    _append(watarai)
    assert audit_seal(municipality=iga) == 4
    assert AuditEntry.objects.filter(municipality=watarai, sequence__isnull=True).count() == 1
    stored = list(AuditEntry.objects.filter(pk__in=[entry.pk for entry in entries]).order_by("id"))
    assert [entry.sequence for entry in stored] == [start + 1, start + 2, start + 3, start + 4]
    for previous, entry in zip(stored, stored[1:], strict=False):
        assert entry.previous_hash == previous.entry_hash
        assert entry.entry_hash == entry.compute_hash()
    assert _head(iga) == (start + 4, stored[-1].entry_hash)
    assert AuditChainHead.objects.get(pk=iga.pk).sealed_at is not None
    assert audit_seal(municipality=iga) == 0  # nothing twice


def test_limit_bounds_one_round_and_seal_all_goes_on(iga):
    audit_seal()
    for index in range(5):
        _append(iga, index)
    assert audit_seal(municipality=iga, limit=2) == 2
    assert AuditEntry.objects.filter(municipality=iga, sequence__isnull=True).count() == 3
    assert audit_seal_all(municipality=iga, limit=2) == 3
    assert audit_chain_verify(municipality=iga).intact


def test_late_commit_with_a_lower_id_is_sealed_later_and_verifies(iga):
    audit_seal()
    placeholder = _append(iga, 1)  # reserves a low id for the entry that commits late
    later = _append(iga, 2)
    low_id = placeholder.pk
    AuditEntry.objects.filter(pk=low_id).delete()  # not yet committed, as far as the sealer can see
    assert audit_seal() == 1
    later.refresh_from_db()

    # Now the transaction holding the lower id commits.
    (late,) = AuditEntry.objects.bulk_create(
        [
            AuditEntry(
                pk=low_id,
                municipality=iga,
                action="test.late",
                target_type="thing",
                target_id="1",
                after={"late": True},
                created_at=placeholder.created_at,
            )
        ]
    )
    assert audit_seal() == 1
    late.refresh_from_db()
    assert late.pk < later.pk
    assert late.sequence == later.sequence + 1
    assert late.previous_hash == later.entry_hash
    assert audit_chain_verify(municipality=iga).intact
    assert "chain intact" in _verify("--municipality", iga.code)

    # Tampering with it once sealed is caught, at its place in the chain.
    AuditEntry.objects.filter(pk=late.pk).update(after={"late": False})
    report = audit_chain_verify(municipality=iga)
    assert report.problem is not None
    assert (report.problem.kind, report.problem.entry_id) == ("altered", late.pk)


def test_prune_deletes_a_prefix_in_chain_order_not_id_order(iga, settings):
    settings.IDX_AUDIT_RETENTION_DAYS = 30
    real_now = timezone.now()
    with mock.patch("django.utils.timezone.now", return_value=real_now - dt.timedelta(days=40)):
        # Start from an empty chain (its own audit.prune entry is then old, too).
        audit_prune(municipality=iga, now=real_now + dt.timedelta(days=31))
        old = _append(iga, 1)
        old_late = _append(iga, 2)
    recent = _append(iga, 3)
    # The old entry old_late commits only after the recent one was sealed.
    AuditEntry.objects.filter(pk=old_late.pk).delete()
    audit_seal()
    AuditEntry.objects.bulk_create([old_late])
    audit_seal()
    chain = list(
        AuditEntry.objects.filter(municipality=iga).order_by("sequence").values_list("id", flat=True)
    )
    assert chain.index(old.pk) < chain.index(recent.pk) < chain.index(old_late.pk)

    assert audit_prune(municipality=iga) == 2  # the earlier audit.prune entry and `old`
    remaining = set(AuditEntry.objects.filter(municipality=iga).values_list("id", flat=True))
    assert old.pk not in remaining
    assert {recent.pk, old_late.pk} <= remaining  # after the first kept entry, so kept
    head = AuditChainHead.objects.get(pk=iga.pk)
    assert head.anchor_sequence == AuditEntry.objects.get(pk=recent.pk).sequence - 1
    assert AuditEntry.objects.filter(action="audit.prune").latest("id").after["anchor_sequence"] == (
        head.anchor_sequence
    )
    assert audit_chain_verify(municipality=iga).intact


def test_prune_never_deletes_unsealed_entries(iga, settings):
    settings.IDX_AUDIT_RETENTION_DAYS = 1
    with mock.patch("idx.audit.services.audit_seal_all"):  # as if the sealer could not run
        with mock.patch("django.utils.timezone.now", return_value=timezone.now() - dt.timedelta(days=5)):
            waiting = _append(iga)
        audit_prune(municipality=iga, now=timezone.now())
    assert AuditEntry.objects.filter(pk=waiting.pk).exists()


# ---- verification of what is not yet sealed ---------------------------------------------------


def _unsealed_since(municipality, seconds: float, n: int) -> list[AuditEntry]:
    at = timezone.now() - dt.timedelta(seconds=seconds)
    with mock.patch("django.utils.timezone.now", return_value=at):
        return [_append(municipality, index) for index in range(n)]


def test_verify_counts_lists_and_ages_the_unsealed(iga):
    audit_seal()
    _append(iga)
    audit_seal()
    waiting = _unsealed_since(iga, 120, 3)

    report = audit_chain_verify(municipality=iga)
    assert report.intact
    assert report.unsealed == 3
    assert report.unsealed_ids == tuple(entry.pk for entry in waiting)
    assert 119 < report.lag < 180
    # Their fields are as written, untouched by the check.
    assert AuditEntry.objects.get(pk=waiting[0].pk).after == {"n": 0}

    with pytest.raises(CommandError) as failure:
        _verify("--municipality", iga.code)
    assert failure.value.returncode == 3
    assert "sealing lags 120 s behind" in str(failure.value)

    output = _verify("--municipality", iga.code, "--max-lag", "600")
    assert "chain intact; 3 not yet sealed (the oldest for 12" in output
    assert f"not yet sealed: entries {waiting[0].pk}, {waiting[1].pk}, {waiting[2].pk}" in output
    assert "3 not yet sealed" in output.splitlines()[-1]

    audit_seal()
    report = audit_chain_verify(municipality=iga)
    assert (report.unsealed, report.lag) == (0, 0.0)
    assert "not yet sealed" not in _verify("--municipality", iga.code)


def test_a_broken_chain_exits_1_even_when_lagging(iga):
    first = _append(iga)
    _append(iga)
    audit_seal()
    _unsealed_since(iga, 300, 1)
    AuditEntry.objects.filter(pk=first.pk).update(action="changed")
    with pytest.raises(CommandError) as failure:
        _verify("--municipality", iga.code)
    assert failure.value.returncode == 1
    assert f"altered entry {first.pk}" in str(failure.value)
    assert "sealing lags" in str(failure.value)


def test_fresh_unsealed_entries_are_no_problem(iga):
    audit_seal()
    _append(iga)
    output = _verify("--municipality", iga.code)
    assert "chain intact; 1 not yet sealed" in output
    with pytest.raises(CommandError, match="--max-lag must"):
        _verify("--max-lag", "-1")


def test_seal_backlog_per_municipality(iga, watarai):
    audit_seal()
    assert seal_backlog() == []
    _unsealed_since(iga, 30, 2)
    _append(watarai)
    backlog = {code: (count, age) for code, count, age in seal_backlog()}
    assert set(backlog) == {iga.code, watarai.code}
    assert backlog[iga.code][0] == 2 and 29 < backlog[iga.code][1] < 90
    assert backlog[watarai.code][0] == 1 and 0 <= backlog[watarai.code][1] < 30
    audit_seal()
    assert seal_backlog() == []


# ---- exports ------------------------------------------------------------------------------------


def test_export_rows_mark_unsealed_entries_and_put_them_last(iga):
    audit_seal()
    sealed = _append(iga, 1)
    audit_seal()
    waiting = _append(iga, 2)
    today = timezone.localdate()
    rows = list(audit_export_rows(audit_entries_for_period(municipality=iga, date_from=today, date_to=today)))
    assert [row["id"] for row in rows][-2:] == [sealed.pk, waiting.pk]
    assert rows[-1]["sequence"] is None and rows[-1]["entry_hash"] == "" and rows[-1]["previous_hash"] == ""
    assert rows[-2]["sequence"] == AuditEntry.objects.get(pk=sealed.pk).sequence
    assert len(rows[-2]["entry_hash"]) == 64


def test_export_command_seals_first(iga):
    entry = _append(iga)
    today = timezone.localdate().isoformat()
    out = io.StringIO()
    call_command("audit", "export", "--municipality", iga.code, "--from", today, "--to", today, stdout=out)
    rows = {row["id"]: row for row in map(json.loads, out.getvalue().splitlines())}
    stored = AuditEntry.objects.get(pk=entry.pk)
    assert rows[entry.pk]["sequence"] == stored.sequence is not None
    assert rows[entry.pk]["entry_hash"] == stored.entry_hash != ""


# ---- the command and the loop -------------------------------------------------------------------


def test_audit_seal_command_seals_everything(iga, watarai):
    for index in range(3):
        _append(iga, index)
    _append(watarai)
    out = io.StringIO()
    call_command("audit_seal", stdout=out)
    assert "audit entries sealed" in out.getvalue()
    assert not AuditEntry.objects.filter(sequence__isnull=True).exists()
    assert "audit log intact" in _verify()


def test_audit_seal_command_for_one_municipality(iga, watarai):
    _append(iga)
    _append(watarai)
    out = io.StringIO()
    call_command("audit_seal", "--municipality", iga.code, stdout=out)
    assert not AuditEntry.objects.filter(municipality=iga, sequence__isnull=True).exists()
    assert AuditEntry.objects.filter(municipality=watarai, sequence__isnull=True).exists()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--every", "0"], "--every must"),
        (["--municipality", "999999"], "no municipality"),
        (["--follow", "--municipality", "242161"], "leave out --municipality"),
    ],
)
def test_audit_seal_command_refuses_bad_options(iga, args, message):
    with pytest.raises(CommandError, match=message):
        call_command("audit_seal", *args)


def test_audit_seal_follow_runs_the_loop_until_stopped(iga):
    seen: dict[str, object] = {}

    def fake_loop(stop: threading.Event, every: float = 1.0) -> None:
        seen["every"] = every
        seen["stopped_before"] = stop.is_set()

    out = io.StringIO()
    with mock.patch("idx.audit.management.commands.audit_seal.run_sealer", fake_loop):
        call_command("audit_seal", "--follow", "--every", "0.5", stdout=out)
    assert seen == {"every": 0.5, "stopped_before": False}
    assert "sealer stopped" in out.getvalue()


def test_run_sealer_logs_a_failed_round_once_and_goes_on(caplog):
    stop = threading.Event()
    calls: list[int] = []

    def seal() -> int:
        calls.append(1)
        if len(calls) <= 3:
            raise OperationalError("the database is down")
        stop.set()
        return 0

    with (
        mock.patch("idx.audit.sealer.audit_seal", seal),
        mock.patch("idx.audit.sealer.connections") as connections,
        mock.patch("idx.audit.sealer.close_old_connections"),
        caplog.at_level(logging.DEBUG, logger="idx.audit.sealer"),
    ):
        run_sealer(stop, every=0.01)
    assert len(calls) == 4
    errors = [record for record in caplog.records if record.levelno >= logging.ERROR]
    assert len(errors) == 1 and "retrying" in errors[0].getMessage()
    assert any("sealing again" in record.getMessage() for record in caplog.records)
    assert connections.close_all.called


def test_run_sealer_goes_again_at_once_after_a_full_round():
    class RecordingStop(threading.Event):
        waits: list[float | None] = []

        def wait(self, timeout: float | None = None) -> bool:
            self.waits.append(timeout)
            return super().wait(0)

    stop = RecordingStop()
    results = iter([SEAL_LIMIT, SEAL_LIMIT, 3])

    def seal() -> int:
        value = next(results)
        if value < SEAL_LIMIT:
            stop.set()
        return value

    with (
        mock.patch("idx.audit.sealer.audit_seal", seal),
        mock.patch("idx.audit.sealer.connections"),
        mock.patch("idx.audit.sealer.close_old_connections"),
    ):
        run_sealer(stop, every=2.0)
    assert stop.waits == [2.0]  # only after the round that was not full
