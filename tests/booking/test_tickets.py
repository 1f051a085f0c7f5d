"""Waiting tickets: numbering, check-in, calling, moves, position and the estimated wait."""

from __future__ import annotations

import datetime as dt

import pytest

from idx.booking import selectors
from idx.booking.models import BookingStatus, Resource, Ticket, TicketStatus
from idx.booking.services import bookings as booking_services
from idx.booking.services import tickets as ticket_services
from tests.booking.conftest import NOW, at, make_service

pytestmark = pytest.mark.django_db


def test_numbers_per_prefix_per_day_per_municipality(iga, watarai, service, clerk, clerk_other_municipality):
    other = make_service(iga, "kaigo-koureifukushi", ticket_prefix="C")
    from idx.identity.models import User

    kaigo = User.objects.get(municipality=iga, email="kaigo-koureifukushi@staff.iga.example.jp")
    first = ticket_services.ticket_issue_walk_in(staff=clerk, service=service, now=NOW)
    second = ticket_services.ticket_issue_walk_in(staff=clerk, service=service, now=NOW)
    own_prefix = ticket_services.ticket_issue_walk_in(staff=kaigo, service=other, now=NOW)
    assert (first.display_number, second.display_number, own_prefix.display_number) == (
        "T-001",
        "T-002",
        "C-001",
    )
    tomorrow = ticket_services.ticket_issue_walk_in(
        staff=clerk, service=service, now=NOW + dt.timedelta(days=1)
    )
    assert tomorrow.display_number == "T-001"
    watarai_service = make_service(watarai)
    elsewhere = ticket_services.ticket_issue_walk_in(
        staff=clerk_other_municipality, service=watarai_service, now=NOW
    )
    assert elsewhere.display_number == "T-001"
    assert len({first.code, second.code, tomorrow.code, elsewhere.code}) == 4


def test_walk_in_needs_the_department(service, clerk_other_department, clerk_other_municipality):
    for staff in (clerk_other_department, clerk_other_municipality):
        with pytest.raises(booking_services.NotPermitted):
            ticket_services.ticket_issue_walk_in(staff=staff, service=service, now=NOW)


def test_check_in_with_the_booking_number(service, resident, clerk, clerk_other_department):
    booking = booking_services.booking_create(
        resident=resident, service=service, starts_at=at("2026-12-02", "10:00"), now=NOW
    )
    on_the_day = at("2026-12-02", "09:40")
    with pytest.raises(ticket_services.TicketInvalid) as refused:
        ticket_services.ticket_check_in(staff=clerk, code=booking.code, now=NOW)
    assert refused.value.code == "not_today"
    with pytest.raises(ticket_services.TicketInvalid) as refused:
        ticket_services.ticket_check_in(staff=clerk_other_department, code=booking.code, now=on_the_day)
    assert refused.value.code == "unknown_code"
    typed = f" {booking.code[:4].lower()}-{booking.code[4:]} "
    ticket = ticket_services.ticket_check_in(staff=clerk, code=typed, now=on_the_day)
    assert ticket.booking_id == booking.pk
    # An early arrival waits for the booked time; checking in twice gives the same ticket.
    assert ticket.queue_at == booking.starts_at
    assert ticket_services.ticket_check_in(staff=clerk, code=booking.code, now=on_the_day).pk == ticket.pk
    booking.refresh_from_db()
    assert booking.status == BookingStatus.CHECKED_IN


def test_self_check_in_from_half_an_hour_before(service, resident, other_resident):
    booking = booking_services.booking_create(
        resident=resident, service=service, starts_at=at("2026-12-02", "10:00"), now=NOW
    )
    with pytest.raises(ticket_services.TicketInvalid):
        ticket_services.ticket_self_check_in(
            resident=resident, booking=booking, now=at("2026-12-02", "09:00")
        )
    with pytest.raises(booking_services.NotPermitted):
        ticket_services.ticket_self_check_in(
            resident=other_resident, booking=booking, now=at("2026-12-02", "09:45")
        )
    ticket = ticket_services.ticket_self_check_in(
        resident=resident, booking=booking, now=at("2026-12-02", "09:45")
    )
    assert ticket.status == TicketStatus.WAITING


def test_call_next_in_queue_order_and_never_twice(iga, service, counter, clerk, other_clerk):
    second_counter = Resource.objects.create(municipality=iga, department=service.department, name="2番")
    service.resources.add(second_counter)
    first = ticket_services.ticket_issue_walk_in(staff=clerk, service=service, now=NOW)
    second = ticket_services.ticket_issue_walk_in(
        staff=clerk, service=service, now=NOW + dt.timedelta(minutes=1)
    )
    called = ticket_services.ticket_call_next(
        staff=clerk, resource=counter, now=NOW + dt.timedelta(minutes=2)
    )
    also = ticket_services.ticket_call_next(
        staff=other_clerk, resource=second_counter, now=NOW + dt.timedelta(minutes=2)
    )
    assert (called.pk, also.pk) == (first.pk, second.pk)
    assert called.resource == counter and called.called_at is not None
    assert ticket_services.ticket_call_next(staff=clerk, resource=counter, now=NOW) is None


def test_call_next_outside_scope(service, counter, clerk_other_department, clerk_other_municipality):
    for staff in (clerk_other_department, clerk_other_municipality):
        with pytest.raises(booking_services.NotPermitted):
            ticket_services.ticket_call_next(staff=staff, resource=counter, now=NOW)


def test_moves_record_times_and_close_the_booking(service, counter, resident, clerk, clerk_other_department):
    booking = booking_services.booking_create(
        resident=resident, service=service, starts_at=at("2026-12-02", "10:00"), now=NOW
    )
    day = at("2026-12-02", "09:55")
    ticket = ticket_services.ticket_check_in(staff=clerk, code=booking.code, now=day)
    ticket_services.ticket_call_next(staff=clerk, resource=counter, now=day + dt.timedelta(minutes=5))
    with pytest.raises(booking_services.NotPermitted):
        ticket_services.ticket_move(staff=clerk_other_department, ticket=ticket, move="start")
    ticket.refresh_from_db()
    ticket_services.ticket_move(staff=clerk, ticket=ticket, move="start", now=day + dt.timedelta(minutes=6))
    with pytest.raises(ticket_services.TicketInvalid):
        ticket_services.ticket_move(staff=clerk, ticket=ticket, move="no_show")
    done = ticket_services.ticket_move(
        staff=clerk, ticket=ticket, move="finish", now=day + dt.timedelta(minutes=20)
    )
    assert done.status == TicketStatus.DONE
    assert (done.called_at, done.served_at, done.finished_at) == (
        day + dt.timedelta(minutes=5),
        day + dt.timedelta(minutes=6),
        day + dt.timedelta(minutes=20),
    )
    booking.refresh_from_db()
    assert booking.status == BookingStatus.COMPLETED


def test_no_show(service, counter, clerk):
    ticket = ticket_services.ticket_issue_walk_in(staff=clerk, service=service, now=NOW)
    ticket_services.ticket_call_next(staff=clerk, resource=counter, now=NOW)
    moved = ticket_services.ticket_move(
        staff=clerk, ticket=ticket, move="no_show", now=NOW + dt.timedelta(minutes=3)
    )
    assert moved.status == TicketStatus.NO_SHOW and moved.finished_at is not None


def test_position_and_estimated_wait(iga, service, counter, clerk):
    # Two earlier tickets were served in 10 and 20 minutes: 15 minutes on average.
    for minutes in (10, 20):
        done = ticket_services.ticket_issue_walk_in(
            staff=clerk, service=service, now=NOW - dt.timedelta(hours=1)
        )
        Ticket.objects.filter(pk=done.pk).update(
            status=TicketStatus.DONE,
            called_at=NOW - dt.timedelta(minutes=50),
            served_at=NOW - dt.timedelta(minutes=50),
            finished_at=NOW - dt.timedelta(minutes=50 - minutes),
        )
    assert selectors.average_service_minutes(service, NOW) == 15
    tickets = [
        ticket_services.ticket_issue_walk_in(
            staff=clerk, service=service, now=NOW + dt.timedelta(seconds=index)
        )
        for index in range(3)
    ]
    assert selectors.ticket_position(tickets[0], NOW) == selectors.Position(ahead=0, minutes=0)
    assert selectors.ticket_position(tickets[2], NOW) == selectors.Position(ahead=2, minutes=30)
    # A second counter halves the wait.
    service.resources.add(
        Resource.objects.create(municipality=iga, department=service.department, name="2番")
    )
    assert selectors.ticket_position(tickets[2], NOW).minutes == 15
    ticket_services.ticket_call_next(staff=clerk, resource=counter, now=NOW)
    tickets[2].refresh_from_db()
    assert selectors.ticket_position(tickets[2], NOW).ahead == 1


def test_display_state(iga, watarai, service, counter, clerk):
    first = ticket_services.ticket_issue_walk_in(staff=clerk, service=service)
    second = ticket_services.ticket_issue_walk_in(staff=clerk, service=service)
    ticket_services.ticket_call_next(staff=clerk, resource=counter)
    state = selectors.display_state(municipality=iga)
    assert [ticket.pk for ticket in state.calling] == [first.pk]
    assert [ticket.pk for ticket in state.waiting] == [second.pk]
    assert selectors.display_state(municipality=watarai).calling == []


def test_tickets_left_open_are_closed_after_the_day(service, clerk, counter):
    first = ticket_services.ticket_issue_walk_in(staff=clerk, service=service, now=NOW)
    second = ticket_services.ticket_issue_walk_in(staff=clerk, service=service, now=NOW)
    ticket_services.ticket_call_next(staff=clerk, resource=counter, now=NOW)
    ticket_services.ticket_call_next(staff=clerk, resource=counter, now=NOW)
    serving = ticket_services.ticket_issue_walk_in(staff=clerk, service=service, now=NOW)
    ticket_services.ticket_call_next(staff=clerk, resource=counter, now=NOW)
    ticket_services.ticket_move(staff=clerk, ticket=Ticket.objects.get(pk=serving.pk), move="start", now=NOW)
    next_day = NOW + dt.timedelta(days=1)
    today = ticket_services.ticket_issue_walk_in(staff=clerk, service=service, now=next_day)
    assert ticket_services.tickets_close_day(now=next_day) == 3
    statuses = dict(Ticket.objects.values_list("pk", "status"))
    assert statuses[first.pk] == TicketStatus.NO_SHOW and statuses[second.pk] == TicketStatus.NO_SHOW
    assert statuses[serving.pk] == TicketStatus.DONE
    assert statuses[today.pk] == TicketStatus.WAITING  # the new day's ticket stays
    assert ticket_services.tickets_close_day(now=next_day) == 0  # a second run changes nothing
