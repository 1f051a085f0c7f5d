"""Opening rules: weekly hours, public holidays, 年末年始, closures, and the slot checks."""

from __future__ import annotations

import datetime as dt

import pytest

from idx.booking import selectors
from idx.booking.models import Booking, Closure
from idx.booking.opening import ServiceCalendar, holiday_name, is_year_end
from idx.booking.services import bookings as booking_services
from idx.booking.services import setup as setup_services
from tests.booking.conftest import NOW, at, make_service
from tests.factories import ResidentFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("day", "closed"),
    [
        ("2026-12-28", False),
        ("2026-12-29", True),
        ("2026-12-31", True),
        ("2027-01-01", True),
        ("2027-01-03", True),
        ("2027-01-04", False),
    ],
)
def test_year_end_holidays(day, closed):
    assert is_year_end(dt.date.fromisoformat(day)) is closed


def test_public_holidays_come_from_jpholiday():
    assert holiday_name(dt.date(2027, 1, 11))  # 成人の日 (second Monday of January)
    assert holiday_name(dt.date(2026, 11, 23))  # 勤労感謝の日
    assert holiday_name(dt.date(2026, 12, 1)) is None


def test_closed_reasons(service):
    calendar = ServiceCalendar(service, dt.date(2026, 12, 1), dt.date(2027, 1, 31))
    assert calendar.closed_reason(dt.date(2026, 12, 1)) is None
    assert calendar.closed_reason(dt.date(2026, 12, 5)).code == "not_open"  # Saturday
    assert calendar.closed_reason(dt.date(2026, 12, 29)).code == "year_end"  # a Tuesday
    assert calendar.closed_reason(dt.date(2027, 1, 11)).code == "holiday"  # a Monday
    assert calendar.slot_starts(dt.date(2026, 12, 1))[0] == at("2026-12-01", "09:00")
    assert len(calendar.slot_starts(dt.date(2026, 12, 1))) == 6  # 9:00 … 11:30


@pytest.mark.parametrize(
    ("starts_at", "code"),
    [
        (at("2026-12-01", "09:30"), "past"),
        (at("2026-12-01", "10:30"), "too_soon"),  # less than an hour ahead
        (at("2026-12-05", "10:00"), "not_open"),
        (at("2026-12-29", "10:00"), "year_end"),
        (at("2027-01-11", "10:00"), "holiday"),
        (at("2026-12-02", "12:00"), "outside_hours"),  # the counter closes at 12:00
        (at("2026-12-02", "09:15"), "outside_hours"),  # not a slot start
        (at("2026-12-02", "08:30"), "outside_hours"),
        (at("2027-03-01", "09:00"), "beyond_horizon"),
    ],
)
def test_bookings_outside_the_rules_are_refused(service, resident, starts_at, code):
    with pytest.raises(booking_services.BookingRefused) as refused:
        booking_services.booking_create(resident=resident, service=service, starts_at=starts_at, now=NOW)
    assert refused.value.code == code
    assert str(refused.value.message)
    assert not Booking.objects.filter(service=service).exists()


def test_refusals_are_translated(service, resident):
    from django.utils import translation

    with pytest.raises(booking_services.BookingRefused) as refused:
        booking_services.booking_create(
            resident=resident, service=service, starts_at=at("2026-12-29", "10:00"), now=NOW
        )
    with translation.override("en"):
        english = str(refused.value.message)
    with translation.override("ja"):
        japanese = str(refused.value.message)
    assert "New Year" in english
    assert japanese  # the Japanese catalogue may not have it yet; it must never be empty


def test_closures_of_the_service_the_department_and_the_city(iga, service, resident, supervisor):
    other = make_service(iga, "kaigo-koureifukushi")
    department = service.department
    setup_services.closure_add(
        staff=supervisor,
        department=department,
        service=None,
        first_day=dt.date(2026, 12, 2),
        last_day=dt.date(2026, 12, 3),
        reason="庁舎点検",
    )
    Closure.objects.create(municipality=iga, first_day=dt.date(2026, 12, 7), last_day=dt.date(2026, 12, 7))
    with pytest.raises(booking_services.BookingRefused) as refused:
        booking_services.booking_create(
            resident=resident, service=service, starts_at=at("2026-12-03", "10:00"), now=NOW
        )
    assert refused.value.code == "closure"
    assert str(refused.value.message) == "庁舎点検"
    # Another department's service is open on those days, but not on the city-wide closure.
    assert booking_services.booking_create(
        resident=resident, service=other, starts_at=at("2026-12-03", "10:00"), now=NOW
    )
    with pytest.raises(booking_services.BookingRefused):
        booking_services.booking_create(
            resident=resident, service=other, starts_at=at("2026-12-07", "10:00"), now=NOW
        )


def test_slot_days_count_free_seats_in_constant_queries(service, django_assert_max_num_queries):
    service.capacity = 2
    service.save()
    first = ResidentFactory(municipality=service.municipality)
    booking_services.booking_create(
        resident=first, service=service, starts_at=at("2026-12-02", "09:00"), now=NOW
    )
    with django_assert_max_num_queries(4):
        days = selectors.slot_days(service=service, now=NOW, days=40)
    by_day = {day.day: day for day in days}
    assert by_day[dt.date(2026, 12, 1)].slots[0].starts_at == at("2026-12-01", "11:00")  # an hour's notice
    assert by_day[dt.date(2026, 12, 2)].slots[0].free == 1
    assert by_day[dt.date(2026, 12, 2)].slots[1].free == 2
    assert by_day[dt.date(2026, 12, 29)].closed and not by_day[dt.date(2026, 12, 29)].slots
    assert by_day[dt.date(2026, 12, 5)].closed
