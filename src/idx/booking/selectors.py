"""Reads of bookings and tickets, scoped by municipality and by owner or department."""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Count, QuerySet
from django.utils import timezone

from idx.booking.models import (
    SEAT_HOLDING,
    Booking,
    BookingStatus,
    Resource,
    Service,
    Ticket,
    TicketStatus,
)
from idx.booking.opening import TOKYO, ServiceCalendar, Slot
from idx.common.models import Municipality
from idx.identity.models import Department, User
from idx.identity.policy import Action, can


def today_in_japan(now: dt.datetime | None = None) -> dt.date:
    return (now or timezone.now()).astimezone(TOKYO).date()


# ---- services and free slots -----------------------------------------------------------------


def services_for_residents(*, municipality: Municipality) -> QuerySet[Service]:
    return Service.objects.filter(municipality=municipality, active=True, bookable=True).select_related(
        "department"
    )


def service_get(*, municipality: Municipality, code: str, bookable_only: bool = True) -> Service | None:
    services = Service.objects.filter(municipality=municipality, code=code, active=True)
    if bookable_only:
        services = services.filter(bookable=True)
    return services.select_related("department", "municipality").first()


@dataclass
class Day:
    day: dt.date
    closed: str | None
    slots: list[Slot] = field(default_factory=list)

    @property
    def free(self) -> int:
        return sum(slot.free for slot in self.slots)


def slot_days(
    *,
    service: Service,
    now: dt.datetime | None = None,
    first_day: dt.date | None = None,
    days: int | None = None,
) -> list[Day]:
    """The service's days from ``first_day`` (today) to its horizon, each with its slots and
    the seats still free; slots too soon (``min_notice_minutes``) or past are left out.
    Three queries however many days."""
    now = now or timezone.now()
    today = today_in_japan(now)
    first = max(first_day or today, today)
    last = today + dt.timedelta(days=service.horizon_days)
    if days is not None:
        last = min(last, first + dt.timedelta(days=days - 1))
    if last < first:
        return []
    calendar = ServiceCalendar(service, first, last)
    earliest = now + dt.timedelta(minutes=service.min_notice_minutes)
    window_start = dt.datetime.combine(first, dt.time.min, tzinfo=TOKYO)
    window_end = dt.datetime.combine(last + dt.timedelta(days=1), dt.time.min, tzinfo=TOKYO)
    taken = dict(
        Booking.objects.filter(
            service=service, status__in=SEAT_HOLDING, starts_at__gte=window_start, starts_at__lt=window_end
        )
        .values("starts_at")
        .annotate(count=Count("pk"))
        .values_list("starts_at", "count")
    )
    taken = {starts_at.astimezone(TOKYO): count for starts_at, count in taken.items()}
    length = dt.timedelta(minutes=service.slot_minutes)
    result: list[Day] = []
    for day in calendar.days(first, last):
        reason = calendar.closed_reason(day)
        entry = Day(day=day, closed=str(reason.message) if reason else None)
        if reason is None:
            entry.slots = [
                Slot(
                    starts_at=start,
                    ends_at=start + length,
                    free=max(0, service.capacity - taken.get(start, 0)),
                )
                for start in calendar.slot_starts(day)
                if start >= earliest
            ]
        result.append(entry)
    return result


# ---- the resident's bookings -------------------------------------------------------------------


def bookings_for_resident(*, resident: User, include_past: bool = False) -> QuerySet[Booking]:
    bookings = Booking.objects.filter(
        municipality_id=resident.municipality_id, resident=resident
    ).select_related("service", "service__department")
    if not include_past:
        bookings = bookings.filter(status=BookingStatus.CONFIRMED, ends_at__gte=timezone.now())
    return bookings.order_by("starts_at")


def booking_get_for_resident(*, resident: User, public_id: object) -> Booking | None:
    try:
        return (
            Booking.objects.select_related("service", "service__department", "municipality")
            .filter(municipality_id=resident.municipality_id, resident=resident, public_id=str(public_id))
            .first()
        )
    except ValidationError:  # a malformed id is "not found"
        return None


# ---- staff -------------------------------------------------------------------------------------


def departments_for_staff(*, staff: User, action: Action) -> list[Department]:
    return [
        department
        for department in Department.objects.filter(municipality_id=staff.municipality_id)
        if can(staff, action, department)
    ]


def services_for_staff(*, staff: User, action: Action, include_inactive: bool = False) -> QuerySet[Service]:
    services = Service.objects.filter(
        municipality_id=staff.municipality_id,
        department__in=departments_for_staff(staff=staff, action=action),
    ).select_related("department")
    if not include_inactive:
        services = services.filter(active=True)
    return services


def service_get_for_staff(*, staff: User, action: Action, pk: object) -> Service | None:
    if not str(pk).isdecimal():
        return None
    return (
        services_for_staff(staff=staff, action=action, include_inactive=True).filter(pk=int(str(pk))).first()
    )


def resources_for_staff(*, staff: User, action: Action = Action.SERVE_COUNTER) -> QuerySet[Resource]:
    return Resource.objects.filter(
        municipality_id=staff.municipality_id,
        department__in=departments_for_staff(staff=staff, action=action),
        active=True,
    ).select_related("department")


def bookings_of_day_for_staff(
    *, staff: User, day: dt.date, service: Service | None = None
) -> QuerySet[Booking]:
    start = dt.datetime.combine(day, dt.time.min, tzinfo=TOKYO)
    bookings = Booking.objects.filter(
        municipality_id=staff.municipality_id,
        service__in=services_for_staff(staff=staff, action=Action.SERVE_COUNTER, include_inactive=True),
        starts_at__gte=start,
        starts_at__lt=start + dt.timedelta(days=1),
    ).select_related("service", "resident", "ticket")
    if service is not None:
        bookings = bookings.filter(service=service)
    return bookings.order_by("starts_at", "service__code", "seat")


def tickets_of_day_for_staff(*, staff: User, day: dt.date) -> QuerySet[Ticket]:
    return (
        Ticket.objects.filter(
            municipality_id=staff.municipality_id,
            day=day,
            service__in=services_for_staff(staff=staff, action=Action.SERVE_COUNTER, include_inactive=True),
        )
        .select_related("service", "resource", "booking")
        .order_by("queue_at", "number")
    )


def ticket_get_for_staff(*, staff: User, pk: object) -> Ticket | None:
    if not str(pk).isdecimal():
        return None
    return (
        Ticket.objects.filter(
            municipality_id=staff.municipality_id,
            pk=int(str(pk)),
            service__department__in=departments_for_staff(staff=staff, action=Action.SERVE_COUNTER),
        )
        .select_related("service", "booking", "resource")
        .first()
    )


# ---- waiting: position, estimate, display ----------------------------------------------------------

DEFAULT_SERVICE_MINUTES = 10
RECENT_TICKETS = 20


def ticket_get_by_code(*, municipality: Municipality, code: str) -> Ticket | None:
    cleaned = "".join(code.split()).replace("-", "").upper()[:12]
    if not cleaned:
        return None
    return (
        Ticket.objects.filter(municipality=municipality, code=cleaned)
        .select_related("service", "service__department", "resource")
        .first()
    )


def average_service_minutes(service: Service, now: dt.datetime | None = None) -> float:
    """Mean time at the counter of the service's recent finished tickets (last 30 days); the
    slot length, or a default, until there are some."""
    now = now or timezone.now()
    recent = list(
        Ticket.objects.filter(
            service=service,
            status=TicketStatus.DONE,
            served_at__isnull=False,
            finished_at__isnull=False,
            finished_at__gte=now - dt.timedelta(days=30),
        )
        .order_by("-finished_at")
        .values_list("served_at", "finished_at")[:RECENT_TICKETS]
    )
    if not recent:
        return float(min(service.slot_minutes, 30) if service.slot_minutes else DEFAULT_SERVICE_MINUTES)
    total = sum((finished - served).total_seconds() for served, finished in recent if served and finished)
    return max(1.0, total / len(recent) / 60)


@dataclass(frozen=True)
class Position:
    ahead: int  # waiting tickets before this one
    minutes: int  # estimated wait


def ticket_position(ticket: Ticket, now: dt.datetime | None = None) -> Position | None:
    """Where a waiting ticket stands: the tickets of its service before it, and the estimated
    wait (those tickets times the recent mean service time, spread over the service's counters)."""
    if ticket.status != TicketStatus.WAITING:
        return None
    ahead = (
        Ticket.objects.filter(
            municipality_id=ticket.municipality_id,
            day=ticket.day,
            service_id=ticket.service_id,
            status=TicketStatus.WAITING,
        )
        .filter(queue_at__lt=ticket.queue_at)
        .count()
    )
    # Ties in queue_at (same instant) are broken by number.
    ahead += Ticket.objects.filter(
        municipality_id=ticket.municipality_id,
        day=ticket.day,
        service_id=ticket.service_id,
        status=TicketStatus.WAITING,
        queue_at=ticket.queue_at,
        number__lt=ticket.number,
    ).count()
    counters = max(1, ticket.service.resources.filter(active=True).count())
    minutes = math.ceil(ahead * average_service_minutes(ticket.service, now) / counters)
    return Position(ahead=ahead, minutes=minutes)


@dataclass
class DisplayState:
    calling: list[Ticket]
    waiting: list[Ticket]
    day: dt.date


def display_state(
    *, municipality: Municipality, department: Department | None = None, now: dt.datetime | None = None
) -> DisplayState:
    """What the waiting-room screen shows: the numbers called now (newest first) and the next ones."""
    day = today_in_japan(now)
    tickets = Ticket.objects.filter(municipality=municipality, day=day).select_related("resource", "service")
    if department is not None:
        tickets = tickets.filter(service__department=department)
    calling = list(
        tickets.filter(status__in=[TicketStatus.CALLED, TicketStatus.SERVING]).order_by("-called_at")[:8]
    )
    waiting = list(tickets.filter(status=TicketStatus.WAITING).order_by("queue_at", "number")[:12])
    return DisplayState(calling=calling, waiting=waiting, day=day)


def display_departments(*, municipality: Municipality) -> list[Department]:
    return list(
        Department.objects.filter(municipality=municipality, booking_services__active=True)
        .distinct()
        .order_by("code")
    )


def counts_by_status(tickets: QuerySet[Ticket]) -> dict[str, Any]:
    return dict(tickets.values("status").annotate(count=Count("pk")).values_list("status", "count"))
