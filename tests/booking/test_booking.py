"""Booking, limits, the rate limit, cancel and rebook, and the guarantee against overbooking."""

from __future__ import annotations

import threading

import pytest
from django.db import IntegrityError, connection, transaction

from idx.booking.models import Booking, BookingStatus
from idx.booking.services import bookings as booking_services
from tests.booking.conftest import NOW, at, make_service
from tests.factories import ResidentFactory

pytestmark = pytest.mark.django_db
SLOT = at("2026-12-02", "10:00")


def test_booking_takes_a_seat_and_gets_a_code(service, resident):
    booking = booking_services.booking_create(
        resident=resident, service=service, starts_at=SLOT, now=NOW, note="相談"
    )
    assert booking.seat == 1
    assert booking.status == BookingStatus.CONFIRMED
    assert booking.ends_at == at("2026-12-02", "10:30")
    assert len(booking.code) == 8 and booking.ics_uid.endswith("@idx")
    assert booking.municipality_id == resident.municipality_id


def test_a_full_slot_is_refused(service, resident, other_resident):
    booking_services.booking_create(resident=resident, service=service, starts_at=SLOT, now=NOW)
    with pytest.raises(booking_services.BookingRefused) as refused:
        booking_services.booking_create(resident=other_resident, service=service, starts_at=SLOT, now=NOW)
    assert refused.value.code == "full"


def test_capacity_gives_one_seat_each(service, resident, other_resident):
    service.capacity = 2
    service.save()
    first = booking_services.booking_create(resident=resident, service=service, starts_at=SLOT, now=NOW)
    second = booking_services.booking_create(
        resident=other_resident, service=service, starts_at=SLOT, now=NOW
    )
    assert {first.seat, second.seat} == {1, 2}


def test_the_database_refuses_a_second_booking_of_a_seat(service, resident, other_resident):
    booking = booking_services.booking_create(resident=resident, service=service, starts_at=SLOT, now=NOW)
    with pytest.raises(IntegrityError), transaction.atomic():
        Booking.objects.create(
            municipality=service.municipality,
            service=service,
            resident=other_resident,
            starts_at=SLOT,
            ends_at=booking.ends_at,
            seat=1,
            ics_uid="x@idx",
        )
    # A cancelled booking frees its seat.
    booking_services.booking_cancel(booking=booking, actor=resident, now=NOW)
    assert (
        booking_services.booking_create(
            resident=other_resident, service=service, starts_at=SLOT, now=NOW
        ).seat
        == 1
    )


def test_a_stale_read_of_the_seats_still_cannot_overbook(service, resident, other_resident, monkeypatch):
    """As if another request took the seat between this request's read and its insert."""
    booking_services.booking_create(resident=resident, service=service, starts_at=SLOT, now=NOW)
    monkeypatch.setattr(booking_services, "SEAT_HOLDING", [])  # the service now sees no seat taken
    with pytest.raises(booking_services.BookingRefused) as refused:
        booking_services.booking_create(resident=other_resident, service=service, starts_at=SLOT, now=NOW)
    assert refused.value.code == "full"
    assert Booking.objects.filter(service=service, starts_at=SLOT).count() == 1


def test_limit_per_service_and_in_all(iga, service, resident, settings):
    booking_services.booking_create(
        resident=resident, service=service, starts_at=at("2026-12-02", "09:00"), now=NOW
    )
    booking_services.booking_create(
        resident=resident, service=service, starts_at=at("2026-12-03", "09:00"), now=NOW
    )
    with pytest.raises(booking_services.BookingRefused) as refused:
        booking_services.booking_create(
            resident=resident, service=service, starts_at=at("2026-12-04", "09:00"), now=NOW
        )
    assert refused.value.code == "limit_service"
    settings.IDX_BOOKING_MAX_FUTURE = 3
    other = make_service(iga, "zeimu")
    booking_services.booking_create(
        resident=resident, service=other, starts_at=at("2026-12-02", "09:00"), now=NOW
    )
    with pytest.raises(booking_services.BookingRefused) as refused:
        booking_services.booking_create(
            resident=resident, service=other, starts_at=at("2026-12-03", "09:00"), now=NOW
        )
    assert refused.value.code == "limit_total"


def test_past_bookings_do_not_count_towards_the_limits(service, resident):
    booking_services.booking_create(
        resident=resident, service=service, starts_at=at("2026-12-02", "09:00"), now=NOW
    )
    booking_services.booking_create(
        resident=resident, service=service, starts_at=at("2026-12-03", "09:00"), now=NOW
    )
    later = at("2026-12-04", "08:00")
    assert booking_services.booking_create(
        resident=resident, service=service, starts_at=at("2026-12-07", "09:00"), now=later
    )


def test_rate_limit_per_account(service, settings):
    from django.core.cache import cache

    cache.clear()
    settings.IDX_RATELIMIT_ENABLED = True
    settings.IDX_BOOKING_RATE = "2/1h"
    bot = ResidentFactory(municipality=service.municipality)
    first = booking_services.booking_create(
        resident=bot, service=service, starts_at=at("2026-12-02", "09:00"), now=NOW
    )
    booking_services.booking_cancel(booking=first, actor=bot, now=NOW)
    with pytest.raises(booking_services.BookingRefused) as refused:
        booking_services.booking_create(
            resident=bot, service=service, starts_at=at("2026-12-02", "09:30"), now=NOW
        )
    assert refused.value.code == "rate_limited"
    # Another account is not affected.
    other = ResidentFactory(municipality=service.municipality)
    assert booking_services.booking_create(
        resident=other, service=service, starts_at=at("2026-12-02", "09:30"), now=NOW
    )
    cache.clear()


def test_staff_and_other_municipalities_cannot_book(service, clerk, watarai_resident):
    for person in (clerk, watarai_resident):
        with pytest.raises(booking_services.NotPermitted):
            booking_services.booking_create(resident=person, service=service, starts_at=SLOT, now=NOW)


def test_online_only_where_offered(service, resident):
    with pytest.raises(booking_services.BookingRefused) as refused:
        booking_services.booking_create(
            resident=resident, service=service, starts_at=SLOT, online=True, now=NOW
        )
    assert refused.value.code == "online_not_offered"


def test_cancel_only_ones_own_and_only_once(service, resident, other_resident):
    booking = booking_services.booking_create(resident=resident, service=service, starts_at=SLOT, now=NOW)
    with pytest.raises(booking_services.NotPermitted):
        booking_services.booking_cancel(booking=booking, actor=other_resident, now=NOW)
    booking_services.booking_cancel(booking=booking, actor=resident, now=NOW)
    booking.refresh_from_db()
    assert booking.status == BookingStatus.CANCELLED and booking.ics_sequence == 1
    with pytest.raises(booking_services.BookingRefused):
        booking_services.booking_cancel(booking=booking, actor=resident, now=NOW)


def test_rebook_keeps_the_calendar_event_and_releases_the_old_seat(service, resident, other_resident):
    booking = booking_services.booking_create(resident=resident, service=service, starts_at=SLOT, now=NOW)
    new = booking_services.booking_rebook(
        booking=booking, resident=resident, starts_at=at("2026-12-03", "11:00"), now=NOW
    )
    booking.refresh_from_db()
    assert booking.status == BookingStatus.CANCELLED
    assert new.ics_uid == booking.ics_uid and new.ics_sequence == booking.ics_sequence + 1
    assert new.rebooked_from_id == booking.pk
    assert booking_services.booking_create(resident=other_resident, service=service, starts_at=SLOT, now=NOW)


def test_a_refused_rebooking_keeps_the_booking(service, resident, other_resident):
    taken = at("2026-12-03", "11:00")
    booking_services.booking_create(resident=other_resident, service=service, starts_at=taken, now=NOW)
    booking = booking_services.booking_create(resident=resident, service=service, starts_at=SLOT, now=NOW)
    with pytest.raises(booking_services.BookingRefused):
        booking_services.booking_rebook(booking=booking, resident=resident, starts_at=taken, now=NOW)
    booking.refresh_from_db()
    assert booking.status == BookingStatus.CONFIRMED


def test_rebook_at_the_limit_is_possible(service, resident):
    first = booking_services.booking_create(
        resident=resident, service=service, starts_at=at("2026-12-02", "09:00"), now=NOW
    )
    booking_services.booking_create(
        resident=resident, service=service, starts_at=at("2026-12-03", "09:00"), now=NOW
    )
    assert booking_services.booking_rebook(
        booking=first, resident=resident, starts_at=at("2026-12-04", "09:00"), now=NOW
    )


# ---- many requests for the last seat at once --------------------------------------------------


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="SQLite serialises writers on one lock (the in-memory test database cannot take parallel writers)",
)
def test_parallel_requests_for_the_last_seat_give_it_to_exactly_one(iga):
    from django.db import connections

    service = make_service(iga, code="race", capacity=2)
    holder = ResidentFactory(municipality=iga)
    booking_services.booking_create(
        resident=holder, service=service, starts_at=SLOT, now=NOW
    )  # one seat left
    people = [ResidentFactory(municipality=iga) for _ in range(12)]
    barrier = threading.Barrier(len(people))
    outcomes: list[str] = []
    lock = threading.Lock()

    def attempt(person):
        try:
            barrier.wait(timeout=30)
            booking_services.booking_create(resident=person, service=service, starts_at=SLOT, now=NOW)
            result = "booked"
        except booking_services.BookingRefused as exc:
            result = exc.code
        except Exception as exc:  # noqa: BLE001 - reported in the assertion
            result = f"error: {exc!r}"
        finally:
            connections.close_all()
        with lock:
            outcomes.append(result)

    threads = [threading.Thread(target=attempt, args=(person,)) for person in people]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert sorted(outcomes) == ["booked"] + ["full"] * (len(people) - 1), outcomes
    live = Booking.objects.filter(service=service, starts_at=SLOT).exclude(status=BookingStatus.CANCELLED)
    assert sorted(live.values_list("seat", flat=True)) == [1, 2]


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="parallel writers need PostgreSQL")
def test_parallel_requests_of_one_account_cannot_pass_its_limit(iga):
    from django.db import connections

    service = make_service(iga, code="hoard", max_per_account=1, capacity=5)
    bot = ResidentFactory(municipality=iga)
    starts = [at("2026-12-02", f"{hour:02d}:{minute:02d}") for hour in (9, 10, 11) for minute in (0, 30)]
    barrier = threading.Barrier(len(starts))
    outcomes: list[str] = []
    lock = threading.Lock()

    def attempt(starts_at):
        try:
            barrier.wait(timeout=30)
            booking_services.booking_create(resident=bot, service=service, starts_at=starts_at, now=NOW)
            result = "booked"
        except booking_services.BookingRefused as exc:
            result = exc.code
        finally:
            connections.close_all()
        with lock:
            outcomes.append(result)

    threads = [threading.Thread(target=attempt, args=(starts_at,)) for starts_at in starts]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert sorted(outcomes) == ["booked"] + ["limit_service"] * (len(starts) - 1), outcomes
