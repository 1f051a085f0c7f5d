"""Supports under concurrency on PostgreSQL: threads with their own connections and real
transactions. Two tabs at once count once; many residents at once are all counted; toggling
never leaves a count that differs from the support rows."""

from __future__ import annotations

import contextlib
import random
import threading

import pytest
from django.db import connection, connections
from django.utils import timezone

from idx.identity.models import Department, Role
from idx.participation import selectors, services
from idx.participation.models import Proposal, Support
from tests.factories import ResidentFactory, StaffFactory
from tests.participation.conftest import make_process

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="SQLite serialises writers on one lock (the in-memory test database cannot take parallel writers)",
    ),
]


def _setup(iga, *, limit=0):
    department = Department.objects.get(municipality=iga, code="shimin-seikatsu")
    admin = StaffFactory(municipality=iga, department=department, role=Role.DEPARTMENT_ADMIN)
    process = make_process(admin, department, slug=f"race-{random.randint(0, 10**9)}", limit=limit)  # noqa: S311
    author = ResidentFactory(municipality=iga)
    proposals = [
        services.proposal_create(process=process, author=author, title=f"提案 {n}", body="本文")
        for n in range(3)
    ]
    return process, proposals


def _run(workers):
    errors: list[str] = []
    barrier = threading.Barrier(len(workers))

    def wrap(work):
        def run():
            try:
                barrier.wait(timeout=30)
                work()
            except Exception as exc:  # noqa: BLE001 - reported by the assertion
                errors.append(repr(exc))
            finally:
                connections.close_all()

        return run

    threads = [threading.Thread(target=wrap(work)) for work in workers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return errors


def test_two_tabs_supporting_at_once_count_once(iga):
    process, proposals = _setup(iga)
    resident = ResidentFactory(municipality=iga)
    outcomes: list[str] = []
    lock = threading.Lock()

    def tab():
        try:
            services.support_add(proposal=proposals[0], resident=resident)
            result = "counted"
        except services.ParticipationRefused as exc:
            result = exc.code
        with lock:
            outcomes.append(result)

    assert _run([tab for _ in range(6)]) == []
    assert sorted(outcomes) == ["already_supported"] * 5 + ["counted"]
    assert Proposal.objects.get(pk=proposals[0].pk).support_count == 1
    assert selectors.support_counts_verify(process=process) == []


def test_many_residents_supporting_and_withdrawing_at_once_leave_exact_counts(iga):
    process, proposals = _setup(iga)
    residents = [ResidentFactory(municipality=iga) for _ in range(12)]

    def toggler(resident, seed):
        def work():
            rng = random.Random(seed)  # noqa: S311
            for _ in range(15):
                proposal = rng.choice(proposals)
                try:
                    if rng.random() < 0.6:
                        services.support_add(proposal=proposal, resident=resident)
                    else:
                        services.support_remove(proposal=proposal, resident=resident)
                except services.ParticipationRefused:
                    pass

        return work

    assert _run([toggler(resident, seed) for seed, resident in enumerate(residents)]) == []
    assert selectors.support_counts_verify(process=process) == []
    for proposal in proposals:
        assert (
            Proposal.objects.get(pk=proposal.pk).support_count
            == Support.objects.filter(proposal=proposal).count()
        )


def test_the_limit_holds_when_one_resident_supports_from_many_tabs(iga):
    process, proposals = _setup(iga, limit=2)
    resident = ResidentFactory(municipality=iga)

    def tab(proposal):
        def work():
            with contextlib.suppress(services.ParticipationRefused):
                services.support_add(proposal=proposal, resident=resident)

        return work

    assert _run([tab(proposal) for proposal in proposals for _ in range(2)]) == []
    assert Support.objects.filter(process=process, resident=resident).count() == 2
    assert selectors.support_counts_verify(process=process) == []


# ---- participatory budgeting -------------------------------------------------------------------


def _budget_setup(iga):
    from tests.participation.conftest import make_budget_process

    department = Department.objects.get(municipality=iga, code="shimin-seikatsu")
    admin = StaffFactory(municipality=iga, department=department, role=Role.DEPARTMENT_ADMIN)
    return make_budget_process(admin, department, slug=f"race-yosan-{random.randint(0, 10**9)}")  # noqa: S311


def test_one_resident_casting_different_ballots_from_many_tabs_keeps_exactly_one(iga):
    from idx.participation.models import Ballot, BallotChoice

    process = _budget_setup(iga)
    resident = ResidentFactory(municipality=iga, email_verified_at=timezone.now())
    sent = [[1], [2, 4], [3], [1, 2, 4], [3, 4], [2]]

    def tab(numbers):
        def work():
            services.ballot_cast(process=process, resident=resident, numbers=numbers)

        return work

    assert _run([tab(numbers) for numbers in sent]) == []
    ballot = Ballot.objects.get(process=process, resident=resident)
    chosen = sorted(BallotChoice.objects.filter(ballot=ballot).values_list("proposal__number", flat=True))
    assert chosen in sent, "exactly one of the ballots sent, never a mix"
    assert ballot.total == sum(c.cost for c in BallotChoice.objects.filter(ballot=ballot))
    assert ballot.total <= 3_000_000 and ballot.changes == len(sent) - 1


def test_many_residents_voting_at_once_are_all_counted_exactly(iga):
    from idx.participation.models import Ballot, PhaseKind

    process = _budget_setup(iga)
    residents = [ResidentFactory(municipality=iga, email_verified_at=timezone.now()) for _ in range(12)]
    choices = [[3], [1, 2], [4, 2]]

    def voter(resident, index):
        def work():
            for round_ in range(3):  # each changes her ballot twice
                services.ballot_cast(
                    process=process, resident=resident, numbers=choices[(index + round_) % len(choices)]
                )

        return work

    assert _run([voter(resident, index) for index, resident in enumerate(residents)]) == []
    assert Ballot.objects.filter(process=process).count() == 12
    phase = process.phases.get(kind=PhaseKind.BUDGETING)
    rows, ballots, _used = services.budget_tally_rows(phase=phase)
    votes = {row["number"]: row["votes"] for row in rows}
    # Each resident's last ballot is choices[(index + 2) % 3].
    expected = {1: 0, 2: 0, 3: 0, 4: 0}
    for index in range(12):
        for number in choices[(index + 2) % 3]:
            expected[number] += 1
    assert ballots == 12 and votes == expected
