"""Writes of waiting tickets: issue them (walk-in or on checking a booking in), call, move and
close them.

Numbers come from a per-municipality, per-prefix, per-day sequence row that is updated (and so
locked) while the ticket is written. Ticket moves are conditional updates on the status, so two
clerks calling "next" at once never call the same ticket.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from idx.audit.services import audit_record
from idx.booking.models import Booking, BookingStatus, Resource, Service, Ticket, TicketSequence, TicketStatus
from idx.booking.opening import TOKYO
from idx.booking.selectors import today_in_japan
from idx.booking.services.bookings import NotPermitted
from idx.common.errors import DomainError
from idx.identity.models import User
from idx.identity.policy import Action, can


class TicketInvalid(DomainError):
    http_status = 422

    def __init__(self, code: str, message: Promise | str):
        super().__init__(code)
        self.code = code
        self.message = message


def _next_number(*, municipality_id: int, day: dt.date, prefix: str) -> int:
    """The next number of the day's sequence; the UPDATE locks the row until the caller commits."""
    for _attempt in range(3):
        if TicketSequence.objects.filter(municipality_id=municipality_id, day=day, prefix=prefix).update(
            last_number=F("last_number") + 1
        ):
            break
        try:
            with transaction.atomic():
                TicketSequence.objects.create(
                    municipality_id=municipality_id, day=day, prefix=prefix, last_number=1
                )
            break
        except IntegrityError:  # made meanwhile by a concurrent first ticket of the day
            continue
    return TicketSequence.objects.get(municipality_id=municipality_id, day=day, prefix=prefix).last_number


def _issue(*, staff: User, service: Service, booking: Booking | None, now: dt.datetime) -> Ticket:
    day = today_in_japan(now)
    number = _next_number(municipality_id=service.municipality_id, day=day, prefix=service.ticket_prefix)
    ticket = Ticket.objects.create(
        municipality_id=service.municipality_id,
        service=service,
        booking=booking,
        day=day,
        prefix=service.ticket_prefix,
        number=number,
        # A booked resident who comes early waits until the booked time; late, from arrival.
        queue_at=max(now, booking.starts_at) if booking is not None else now,
    )
    audit_record(
        municipality=service.municipality,
        actor=staff,
        action="ticket.issue",
        target_type="ticket",
        target_id=ticket.pk,
        after={
            "number": ticket.display_number,
            "service": service.code,
            "booking": str(booking.public_id) if booking else "",
        },
    )
    return ticket


def ticket_issue_walk_in(*, staff: User, service: Service, now: dt.datetime | None = None) -> Ticket:
    """A ticket for a resident without a booking (飛び込み)."""
    if not service.active or not can(staff, Action.SERVE_COUNTER, service.department):
        raise NotPermitted
    now = now or timezone.now()
    with transaction.atomic(durable=True):
        return _issue(staff=staff, service=service, booking=None, now=now)


def _check_in(*, actor: User, booking: Booking, now: dt.datetime) -> Ticket:
    if booking.status == BookingStatus.CHECKED_IN:
        existing = Ticket.objects.filter(booking=booking).first()
        if existing is not None:
            return existing
    if booking.status != BookingStatus.CONFIRMED:
        raise TicketInvalid("not_open", _("This booking was cancelled or has already been served."))
    if booking.starts_at.astimezone(TOKYO).date() != today_in_japan(now):
        raise TicketInvalid("not_today", _("This booking is for another day."))
    Booking.objects.filter(pk=booking.pk).update(status=BookingStatus.CHECKED_IN, updated_at=now)
    return _issue(staff=actor, service=booking.service, booking=booking, now=now)


def _locked_booking(**lookup: Any) -> Booking | None:
    return (
        Booking.objects.select_for_update()
        .filter(**lookup)
        .select_related("service", "service__department", "municipality")
        .first()
    )


def ticket_check_in(*, staff: User, code: str, now: dt.datetime | None = None) -> Ticket:
    """Check a booked resident in by the booking number; the same booking twice gives the same ticket."""
    now = now or timezone.now()
    cleaned = "".join(code.split()).replace("-", "").upper()[:12]
    with transaction.atomic(durable=True):
        booking = _locked_booking(municipality_id=staff.municipality_id, code=cleaned) if cleaned else None
        if booking is None or not can(staff, Action.SERVE_COUNTER, booking.service.department):
            raise TicketInvalid("unknown_code", _("No booking has this number. Check it and try again."))
        return _check_in(actor=staff, booking=booking, now=now)


SELF_CHECK_IN_BEFORE = dt.timedelta(minutes=30)


def ticket_self_check_in(*, resident: User, booking: Booking, now: dt.datetime | None = None) -> Ticket:
    """The resident checks in on arrival (a kiosk or their phone): from 30 minutes before the
    booked time until its end."""
    if booking.resident_id != resident.pk:
        raise NotPermitted
    now = now or timezone.now()
    with transaction.atomic(durable=True):
        locked = _locked_booking(pk=booking.pk, resident=resident)
        if locked is None:
            raise NotPermitted
        if locked.status == BookingStatus.CONFIRMED and not (
            locked.starts_at - SELF_CHECK_IN_BEFORE <= now <= locked.ends_at
        ):
            raise TicketInvalid(
                "not_now", _("You can check in from 30 minutes before your booked time, at the city hall.")
            )
        return _check_in(actor=resident, booking=locked, now=now)


def _services_of(resource: Resource) -> list[int]:
    ids = list(Service.objects.filter(resources=resource, active=True).values_list("pk", flat=True))
    if not ids:  # a counter serving nothing in particular serves its department's services
        ids = list(
            Service.objects.filter(department_id=resource.department_id, active=True).values_list(
                "pk", flat=True
            )
        )
    return ids


def ticket_call_next(*, staff: User, resource: Resource, now: dt.datetime | None = None) -> Ticket | None:
    """Call the first waiting ticket of the services ``resource`` serves to it; ``None`` when
    nobody waits. Concurrent calls at two counters never take the same ticket."""
    if resource.municipality_id != staff.municipality_id or not can(
        staff, Action.SERVE_COUNTER, resource.department
    ):
        raise NotPermitted
    now = now or timezone.now()
    waiting = Ticket.objects.filter(
        municipality_id=staff.municipality_id,
        day=today_in_japan(now),
        service_id__in=_services_of(resource),
        status=TicketStatus.WAITING,
    ).order_by("queue_at", "number")
    for _attempt in range(10):
        candidate = waiting.values_list("pk", flat=True).first()
        if candidate is None:
            return None
        if Ticket.objects.filter(pk=candidate, status=TicketStatus.WAITING).update(
            status=TicketStatus.CALLED, called_at=now, resource=resource, called_by=staff, updated_at=now
        ):
            return Ticket.objects.select_related("service", "resource", "booking").get(pk=candidate)
    return None


_MOVES: dict[str, tuple[list[str], str]] = {
    "recall": ([TicketStatus.CALLED], TicketStatus.CALLED),
    "start": ([TicketStatus.CALLED], TicketStatus.SERVING),
    "finish": ([TicketStatus.CALLED, TicketStatus.SERVING], TicketStatus.DONE),
    "no_show": ([TicketStatus.CALLED], TicketStatus.NO_SHOW),
    "cancel": ([TicketStatus.WAITING], TicketStatus.CANCELLED),
}
_BOOKING_AFTER: dict[str, str] = {
    TicketStatus.DONE: BookingStatus.COMPLETED,
    TicketStatus.NO_SHOW: BookingStatus.NO_SHOW,
}


def ticket_move(*, staff: User, ticket: Ticket, move: str, now: dt.datetime | None = None) -> Ticket:
    """Recall (call again), start serving, finish, mark a no-show, or cancel a waiting ticket."""
    if move not in _MOVES:
        raise TicketInvalid("unknown_move", _("Unknown action."))
    if ticket.municipality_id != staff.municipality_id or not can(
        staff, Action.SERVE_COUNTER, ticket.service.department
    ):
        raise NotPermitted
    now = now or timezone.now()
    sources, target = _MOVES[move]
    fields: dict[str, Any] = {"status": target, "updated_at": now}
    if move == "recall":
        fields["called_at"] = now
    elif move == "start":
        fields["served_at"] = now
    elif target in (TicketStatus.DONE, TicketStatus.NO_SHOW, TicketStatus.CANCELLED):
        fields["finished_at"] = now
    with transaction.atomic(durable=True):
        if not Ticket.objects.filter(pk=ticket.pk, status__in=sources).update(**fields):
            raise TicketInvalid(
                "changed", _("This ticket has changed meanwhile; the list has been refreshed.")
            )
        if move == "finish":
            # Served without pressing "start": the service began when the ticket was called.
            Ticket.objects.filter(pk=ticket.pk, served_at__isnull=True).update(served_at=F("called_at"))
        if ticket.booking_id and target in _BOOKING_AFTER:
            Booking.objects.filter(pk=ticket.booking_id).update(status=_BOOKING_AFTER[target], updated_at=now)
        ticket.refresh_from_db()
    return ticket


def tickets_close_day(*, before: dt.date | None = None, now: dt.datetime | None = None) -> int:
    """Close the tickets of the days before ``before`` (default: today in Japan) left open at the
    counter: waiting or called → did not come; being served → done. Returns how many were closed.

    Run after the counters close (``idx booking_close_day``), so that the waiting-room figures of
    the day are complete and no old number lingers on the display; a second run changes nothing.
    """
    now = now or timezone.now()
    before = before or now.astimezone(TOKYO).date()
    closed = 0
    open_tickets = Ticket.objects.filter(
        day__lt=before, status__in=[TicketStatus.WAITING, TicketStatus.CALLED, TicketStatus.SERVING]
    )
    for ticket in open_tickets.iterator():
        target = TicketStatus.DONE if ticket.status == TicketStatus.SERVING else TicketStatus.NO_SHOW
        with transaction.atomic():
            if not Ticket.objects.filter(pk=ticket.pk, status=ticket.status).update(
                status=target, finished_at=now, updated_at=now
            ):
                continue  # moved by staff meanwhile
            if ticket.booking_id:
                Booking.objects.filter(pk=ticket.booking_id).update(
                    status=_BOOKING_AFTER[target], updated_at=now
                )
        closed += 1
    return closed
