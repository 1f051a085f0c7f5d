"""Concurrent appends and sealers on PostgreSQL: the chain head lock keeps one municipality's chain linear."""

from __future__ import annotations

import os
import threading
import time

import pytest
from django.db import connections, transaction

from idx.audit.models import AuditChainHead, AuditEntry
from idx.audit.sealer import run_sealer
from idx.audit.selectors import audit_chain_verify
from idx.audit.services import audit_record, audit_seal
from idx.common.models import Municipality

THREADS = 8
ENTRIES_PER_THREAD = 10


pytestmark = [
    pytest.mark.skipif(
        not os.environ.get("DATABASE_URL", "").startswith("postgres"),
        reason="row locks are a PostgreSQL matter; SQLite serializes write transactions",
    ),
    # Threads use their own connections, so the data must be committed: the database is flushed
    # afterwards and the next test's `municipalities` fixture loads the demo municipalities again.
    pytest.mark.django_db(transaction=True),
]


@pytest.fixture
def committed_municipality(transactional_db):
    return Municipality.objects.create(
        code="249998",
        slug="audit-race",
        name="競合町",
        name_en="Race",
        prefecture="三重県",
        receipt_prefix="RACE",
    )


def test_eight_threads_produce_an_intact_chain(committed_municipality):
    barrier = threading.Barrier(THREADS)
    errors: list[BaseException] = []

    def work(number: int) -> None:
        try:
            barrier.wait(timeout=30)
            for index in range(ENTRIES_PER_THREAD):
                with transaction.atomic():
                    audit_record(
                        municipality=committed_municipality,
                        actor=None,
                        action="race.append",
                        target_type="thread",
                        target_id=number,
                        after={"index": index},
                    )
        except BaseException as exc:  # noqa: BLE001 - reported by the main thread
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=work, args=(number,)) for number in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors, errors
    assert audit_seal(municipality=committed_municipality) == THREADS * ENTRIES_PER_THREAD
    report = audit_chain_verify(municipality=committed_municipality)
    assert report.problem is None, report.problem
    assert report.entries == THREADS * ENTRIES_PER_THREAD
    hashes = AuditEntry.objects.filter(municipality=committed_municipality).values_list(
        "previous_hash", flat=True
    )
    assert len(set(hashes)) == THREADS * ENTRIES_PER_THREAD  # no two entries share a predecessor


def _in_thread(errors: list[BaseException], work, *args) -> threading.Thread:
    def run() -> None:
        try:
            work(*args)
        except BaseException as exc:  # noqa: BLE001 - reported by the main thread
            errors.append(exc)
        finally:
            connections.close_all()

    thread = threading.Thread(target=run)
    thread.start()
    return thread


def test_two_sealers_at_once_make_one_unbroken_chain(committed_municipality):
    """Writers append while two sealers seal in small rounds: one chain, positions 1…n, no gaps."""
    writers_done = threading.Event()
    errors: list[BaseException] = []
    rounds: dict[int, int] = {0: 0, 1: 0}

    def write(number: int) -> None:
        for index in range(ENTRIES_PER_THREAD):
            with transaction.atomic():
                audit_record(
                    municipality=committed_municipality,
                    actor=None,
                    action="race.append",
                    target_type="thread",
                    target_id=number,
                    after={"index": index},
                )

    def seal(number: int) -> None:
        while True:
            finished = writers_done.is_set()
            if audit_seal(municipality=committed_municipality, limit=3):
                rounds[number] += 1
            elif finished:
                return
            else:
                time.sleep(0.005)

    sealers = [_in_thread(errors, seal, number) for number in (0, 1)]
    writers = [_in_thread(errors, write, number) for number in range(THREADS)]
    for thread in writers:
        thread.join(timeout=120)
    writers_done.set()
    for thread in sealers:
        thread.join(timeout=120)
    assert not errors, errors
    assert rounds[0] and rounds[1], rounds  # both sealed

    entries = AuditEntry.objects.filter(municipality=committed_municipality)
    total = THREADS * ENTRIES_PER_THREAD
    assert sorted(entries.values_list("sequence", flat=True)) == list(range(1, total + 1))
    assert len(set(entries.values_list("previous_hash", flat=True))) == total
    report = audit_chain_verify(municipality=committed_municipality)
    assert report.problem is None, report.problem
    assert (report.entries, report.unsealed) == (total, 0)
    assert AuditChainHead.objects.get(pk=committed_municipality.pk).last_sequence == total


def test_an_entry_committed_late_is_sealed_later(committed_municipality):
    """A transaction that took its id first but commits after others were sealed."""
    inserted, commit = threading.Event(), threading.Event()
    errors: list[BaseException] = []
    late_id: list[int] = []

    def slow_action() -> None:
        with transaction.atomic():
            entry = audit_record(
                municipality=committed_municipality,
                actor=None,
                action="race.late",
                target_type="t",
                target_id=1,
            )
            late_id.append(entry.pk)
            inserted.set()
            assert commit.wait(timeout=30)

    thread = _in_thread(errors, slow_action)
    assert inserted.wait(timeout=30)
    with transaction.atomic():
        quick = audit_record(
            municipality=committed_municipality, actor=None, action="race.quick", target_type="t", target_id=2
        )
    assert audit_seal(municipality=committed_municipality) == 1  # the open transaction's entry is unseen
    commit.set()
    thread.join(timeout=30)
    assert not errors, errors
    assert audit_seal(municipality=committed_municipality) == 1

    late = AuditEntry.objects.get(pk=late_id[0])
    quick.refresh_from_db()
    assert late.pk < quick.pk
    assert (quick.sequence, late.sequence) == (1, 2)
    assert late.previous_hash == quick.entry_hash
    assert audit_chain_verify(municipality=committed_municipality).intact


def test_the_sealer_loop_seals_what_commits(committed_municipality):
    stop = threading.Event()
    errors: list[BaseException] = []
    with transaction.atomic():
        entry = audit_record(
            municipality=committed_municipality, actor=None, action="loop", target_type="t", target_id=1
        )
    thread = _in_thread(errors, run_sealer, stop, 0.05)
    try:
        for _ in range(200):
            entry.refresh_from_db()
            if entry.sequence is not None:
                break
            time.sleep(0.05)
    finally:
        stop.set()
        thread.join(timeout=30)
    assert not errors, errors
    assert entry.sequence == 1
    assert not thread.is_alive()
