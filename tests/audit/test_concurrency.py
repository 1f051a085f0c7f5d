"""Concurrent appends on PostgreSQL: the chain head lock keeps one municipality's chain linear."""

from __future__ import annotations

import os
import threading

import pytest
from django.db import connections, transaction

from idx.audit.models import AuditEntry
from idx.audit.selectors import audit_chain_verify
from idx.audit.services import audit_record
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
    report = audit_chain_verify(municipality=committed_municipality)
    assert report.problem is None, report.problem
    assert report.entries == THREADS * ENTRIES_PER_THREAD
    hashes = AuditEntry.objects.filter(municipality=committed_municipality).values_list(
        "previous_hash", flat=True
    )
    assert len(set(hashes)) == THREADS * ENTRIES_PER_THREAD  # no two entries share a predecessor
