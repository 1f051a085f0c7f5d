"""Many registrations and cancellations at once (PostgreSQL): places and the waiting list never
exceed their sizes, and a cancelled place is given to exactly one waiting resident."""

from __future__ import annotations

import threading

import pytest
from django.db import connection

from idx.events import services
from idx.events.models import Registration, RegistrationStatus
from tests.events.conftest import make_event
from tests.factories import ResidentFactory

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="parallel writers need PostgreSQL"),
]


def _run(targets):
    from django.db import connections

    barrier = threading.Barrier(len(targets))
    outcomes: list[str] = []
    lock = threading.Lock()

    def attempt(call):
        try:
            barrier.wait(timeout=30)
            result = call()
        except services.EventRefused as exc:
            result = exc.code
        except Exception as exc:  # noqa: BLE001 - reported in the assertion
            result = f"error: {exc!r}"
        finally:
            connections.close_all()
        with lock:
            outcomes.append(result)

    threads = [threading.Thread(target=attempt, args=(target,)) for target in targets]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return outcomes


def test_sixteen_at_once_for_three_places_and_two_waiting(iga):
    event = make_event(iga, capacity=3, waitlist_size=2)
    people = [ResidentFactory(municipality=iga) for _ in range(16)]

    def register(person):
        return lambda: services.registration_create(event=event, resident=person, accept_waitlist=True).status

    outcomes = _run([register(person) for person in people])
    assert sorted(outcomes) == ["confirmed"] * 3 + ["full_waitlist"] * 11 + ["waitlisted"] * 2, outcomes
    assert services.counts_locked(event) == services.Counts(confirmed=3, waitlisted=2)


def test_the_same_resident_in_eight_tabs_registers_once(iga):
    event = make_event(iga, capacity=5)
    person = ResidentFactory(municipality=iga)
    outcomes = _run([lambda: services.registration_create(event=event, resident=person).status] * 8)
    assert sorted(outcomes) == ["already_registered"] * 7 + ["confirmed"], outcomes


def test_parallel_cancellations_promote_each_waiting_exactly_once(iga):
    event = make_event(iga, capacity=4, waitlist_size=4)
    holders = [ResidentFactory(municipality=iga) for _ in range(4)]
    waiting = [ResidentFactory(municipality=iga) for _ in range(4)]
    registrations = [services.registration_create(event=event, resident=p) for p in holders]
    for person in waiting:
        services.registration_create(event=event, resident=person, accept_waitlist=True)
    # Each holder cancels twice at once (two tabs): four places free up, four promotions, no more.
    calls = [
        (lambda r=r, p=p: services.registration_cancel(registration=r, resident=p).status)
        for r, p in zip(registrations, holders, strict=True)
        for _ in range(2)
    ]
    outcomes = _run(calls)
    assert outcomes.count("cancelled") == 8, outcomes
    assert services.counts_locked(event) == services.Counts(confirmed=4, waitlisted=0)
    promoted = Registration.objects.filter(event=event, status=RegistrationStatus.CONFIRMED)
    assert sorted(promoted.values_list("resident_id", flat=True)) == sorted(p.pk for p in waiting)
    assert all(r.promoted_at is not None for r in promoted)
