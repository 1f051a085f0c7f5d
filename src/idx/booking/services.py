"""Writes of bookings and waiting tickets.

Booking: ``booking_create`` checks the slot (open, in the future, within the horizon), the
account's limits and its rate, then takes the first free *seat* of the slot. The seat's row is
the guarantee: a partial unique constraint lets only one live booking hold (service, starts_at,
seat), so of two concurrent requests for the last seat one insert fails, the service tries the
next seat and, with none left, answers "full". The resident's user row is locked first, so one
account's concurrent requests cannot together exceed its limits.

Tickets: numbers come from a per-municipality, per-prefix, per-day sequence row that is updated
(and so locked) while the ticket is written. Ticket moves are conditional updates on the status,
so two clerks calling "next" at once never call the same ticket.

Every outermost service owns its transaction, writes its audit entry in it and sends messages
after commit.
"""

from __future__ import annotations

import datetime as dt
import secrets
import uuid
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from idx.audit.services import audit_record
from idx.booking.models import (
    SEAT_HOLDING,
    Booking,
    BookingStatus,
    Closure,
    OpeningHours,
    Resource,
    Service,
    Ticket,
    TicketSequence,
    TicketStatus,
    new_code,
)
from idx.booking.opening import TOKYO, ServiceCalendar
from idx.booking.selectors import today_in_japan
from idx.common.ratelimit import hit, parse_rate
from idx.identity.models import Department, User
from idx.identity.policy import Action, can

# Future bookings one account may hold in all (each service has its own, lower limit too).
MAX_FUTURE_BOOKINGS = 5
# Bookings, rebookings and cancellations per account (a bot booking and releasing slots in a loop).
DEFAULT_BOOKING_RATE = "10/1h"


class BookingRefused(Exception):
    """A booking that cannot be made; ``code`` for programs, ``message`` (translated) for people."""

    def __init__(self, code: str, message: Promise | str):
        super().__init__(code)
        self.code = code
        self.message = message


class NotPermitted(Exception):
    """Outside the caller's scope: answered as "not found"."""


class TicketInvalid(Exception):
    def __init__(self, code: str, message: Promise | str):
        super().__init__(code)
        self.code = code
        self.message = message


def _notify_after_commit(booking_id: int, kind: str, sequence: int) -> None:
    from idx.booking.tasks import notify_booking

    transaction.on_commit(lambda: notify_booking.enqueue(booking_id, kind, sequence))


def _rate_check(resident: User) -> None:
    if not getattr(settings, "IDX_RATELIMIT_ENABLED", True):
        return
    rate = parse_rate(getattr(settings, "IDX_BOOKING_RATE", DEFAULT_BOOKING_RATE))
    if rate is not None and hit(f"booking:account:{resident.pk}", rate) is not None:
        raise BookingRefused(
            "rate_limited", _("You have made too many bookings or changes in a short time. Try again later.")
        )


# ---- booking ---------------------------------------------------------------------------------


def slot_check(*, service: Service, starts_at: dt.datetime, now: dt.datetime | None = None) -> dt.datetime:
    """The end of the slot starting at ``starts_at``; ``BookingRefused`` when it cannot be booked."""
    now = now or timezone.now()
    if not service.active or not service.bookable:
        raise BookingRefused("not_bookable", _("This service cannot be booked online."))
    if timezone.is_naive(starts_at):
        starts_at = starts_at.replace(tzinfo=TOKYO)
    if starts_at <= now:
        raise BookingRefused("past", _("This time has already passed. Choose a later time."))
    if starts_at < now + dt.timedelta(minutes=service.min_notice_minutes):
        raise BookingRefused("too_soon", _("This time is too soon to book. Choose a later time."))
    local = starts_at.astimezone(TOKYO)
    if local.date() > today_in_japan(now) + dt.timedelta(days=service.horizon_days):
        raise BookingRefused(
            "beyond_horizon",
            _("Bookings open %(days)s days ahead. Choose an earlier day.") % {"days": service.horizon_days},
        )
    calendar = ServiceCalendar(service, local.date(), local.date())
    closed = calendar.closed_reason(local.date())
    if closed is not None:
        raise BookingRefused(closed.code, closed.message)
    if local not in calendar.slot_starts(local.date()):
        raise BookingRefused(
            "outside_hours", _("The counter is not open at this time. Choose a listed time.")
        )
    return starts_at + dt.timedelta(minutes=service.slot_minutes)


def _check_limits(*, resident: User, service: Service, now: dt.datetime) -> None:
    future = Booking.objects.filter(
        municipality_id=resident.municipality_id,
        resident=resident,
        status=BookingStatus.CONFIRMED,
        ends_at__gt=now,
    )
    if future.filter(service=service).count() >= service.max_per_account:
        raise BookingRefused(
            "limit_service",
            _("You already have %(count)s bookings of this service. Cancel one before booking another.")
            % {"count": service.max_per_account},
        )
    limit = getattr(settings, "IDX_BOOKING_MAX_FUTURE", MAX_FUTURE_BOOKINGS)
    if future.count() >= limit:
        raise BookingRefused(
            "limit_total",
            _("You already have %(count)s bookings. Cancel one before booking another.") % {"count": limit},
        )


def _take_seat(*, service: Service, starts_at: dt.datetime, fields: dict[str, Any]) -> Booking:
    """Insert the booking on the first free seat; each try is a savepoint, so a seat taken meanwhile
    by a concurrent request (the unique constraint) only moves on to the next seat."""
    taken = set(
        Booking.objects.filter(service=service, starts_at=starts_at, status__in=SEAT_HOLDING).values_list(
            "seat", flat=True
        )
    )
    for seat in range(1, service.capacity + 1):
        if seat in taken:
            continue
        for _attempt in range(3):
            try:
                with transaction.atomic():
                    return Booking.objects.create(service=service, starts_at=starts_at, seat=seat, **fields)
            except IntegrityError:
                seat_gone = Booking.objects.filter(
                    service=service, starts_at=starts_at, seat=seat, status__in=SEAT_HOLDING
                ).exists()
                if seat_gone:
                    break
                fields["code"] = new_code()  # the booking number collided: draw another
    raise BookingRefused("full", _("This time has just been fully booked. Choose another time."))


def meeting_room_new(service: Service) -> str:
    """A video meeting room of one online booking, under the service's meeting address (blank when
    the service has none: the department then sends the link). Unguessable, so that nobody else
    joins a resident's consultation; a rebooking keeps its room."""
    if not service.meeting_url:
        return ""
    return f"{service.meeting_url.rstrip('/')}/{secrets.token_urlsafe(12)}"


def _book(
    *,
    resident: User,
    service: Service,
    starts_at: dt.datetime,
    online: bool,
    note: str,
    now: dt.datetime,
    rebooked_from: Booking | None = None,
) -> Booking:
    if not resident.is_resident or resident.municipality_id != service.municipality_id:
        raise NotPermitted
    if online and not service.online_possible:
        raise BookingRefused("online_not_offered", _("This service has no online consultation."))
    # One account's requests queue here, so together they cannot pass its limits.
    User.objects.select_for_update().filter(pk=resident.pk).first()
    ends_at = slot_check(service=service, starts_at=starts_at, now=now)
    _check_limits(resident=resident, service=service, now=now)
    booking = _take_seat(
        service=service,
        starts_at=starts_at,
        fields={
            "municipality_id": service.municipality_id,
            "resident": resident,
            "ends_at": ends_at,
            "online": online,
            "meeting_url": (
                (rebooked_from.meeting_url if rebooked_from else "") or meeting_room_new(service)
                if online
                else ""
            ),
            "note": note[:500],
            "code": new_code(),
            "ics_uid": rebooked_from.ics_uid if rebooked_from else f"{uuid.uuid4()}@idx",
            "ics_sequence": rebooked_from.ics_sequence + 1 if rebooked_from else 0,
            "rebooked_from": rebooked_from,
        },
    )
    audit_record(
        municipality=service.municipality,
        actor=resident,
        action="booking.rebook" if rebooked_from else "booking.create",
        target_type="booking",
        target_id=booking.public_id,
        after={
            "service": service.code,
            "starts_at": starts_at.isoformat(),
            "seat": booking.seat,
            "from": str(rebooked_from.public_id) if rebooked_from else "",
        },
    )
    return booking


def booking_create(
    *,
    resident: User,
    service: Service,
    starts_at: dt.datetime,
    online: bool = False,
    note: str = "",
    now: dt.datetime | None = None,
) -> Booking:
    """Book the slot starting at ``starts_at`` for ``resident``; the confirmation (e-mail with the
    .ics, and the inbox) is sent after commit."""
    _rate_check(resident)
    now = now or timezone.now()
    with transaction.atomic(durable=True):
        booking = _book(
            resident=resident, service=service, starts_at=starts_at, online=online, note=note, now=now
        )
        _notify_after_commit(booking.pk, "confirmation", booking.ics_sequence)
    return booking


def _release(booking: Booking, now: dt.datetime) -> None:
    """Cancel a confirmed, future booking (conditional: a second cancel changes nothing)."""
    if booking.starts_at <= now:
        raise BookingRefused("past", _("A booking that has begun cannot be cancelled or changed."))
    changed = Booking.objects.filter(pk=booking.pk, status=BookingStatus.CONFIRMED).update(
        status=BookingStatus.CANCELLED, cancelled_at=now, ics_sequence=F("ics_sequence") + 1, updated_at=now
    )
    if not changed:
        raise BookingRefused("not_cancellable", _("This booking is no longer open to changes."))
    booking.refresh_from_db(fields=["status", "cancelled_at", "ics_sequence", "updated_at"])


def booking_cancel(*, booking: Booking, actor: User, now: dt.datetime | None = None) -> Booking:
    """Cancel ``booking`` (by its resident, or staff in scope: the caller has checked which)."""
    if actor.is_resident:
        if booking.resident_id != actor.pk:
            raise NotPermitted
        _rate_check(actor)
    elif not can(actor, Action.SERVE_COUNTER, booking.service.department):
        raise NotPermitted
    now = now or timezone.now()
    with transaction.atomic(durable=True):
        _release(booking, now)
        audit_record(
            municipality=booking.municipality,
            actor=actor,
            action="booking.cancel",
            target_type="booking",
            target_id=booking.public_id,
            before={"status": BookingStatus.CONFIRMED},
            after={"status": BookingStatus.CANCELLED},
        )
        _notify_after_commit(booking.pk, "cancellation", booking.ics_sequence)
    return booking


def booking_rebook(
    *, booking: Booking, resident: User, starts_at: dt.datetime, now: dt.datetime | None = None
) -> Booking:
    """Move ``booking`` to another slot of the same service in one transaction: the old seat is
    released only when the new one is taken. The calendar event keeps its UID (SEQUENCE + 1)."""
    if booking.resident_id != resident.pk:
        raise NotPermitted
    _rate_check(resident)
    now = now or timezone.now()
    with transaction.atomic(durable=True):
        _release(booking, now)
        new = _book(
            resident=resident,
            service=booking.service,
            starts_at=starts_at,
            online=booking.online,
            note=booking.note,
            now=now,
            rebooked_from=booking,
        )
        _notify_after_commit(new.pk, "confirmation", new.ics_sequence)
    return new


def reminders_send(*, today: dt.date | None = None) -> int:
    """Remind residents of tomorrow's bookings; returns how many bookings were reminded.

    Each booking is marked (conditionally) before its messages are written, and the messages are
    idempotent per booking and sequence, so a second run the same day sends nothing new.
    """
    from idx.booking.messages import booking_notify

    today = today or today_in_japan()
    start = dt.datetime.combine(today + dt.timedelta(days=1), dt.time.min, tzinfo=TOKYO)
    due = Booking.objects.filter(
        status=BookingStatus.CONFIRMED,
        reminded_at__isnull=True,
        starts_at__gte=start,
        starts_at__lt=start + dt.timedelta(days=1),
    ).values_list("pk", "ics_sequence")
    reminded = 0
    for booking_id, sequence in list(due):
        with transaction.atomic():
            claimed = Booking.objects.filter(pk=booking_id, reminded_at__isnull=True).update(
                reminded_at=timezone.now()
            )
            if claimed:
                booking_notify(booking_id, "reminder", sequence)
                reminded += 1
    return reminded


# ---- waiting tickets -----------------------------------------------------------------------------


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


# ---- configuration (MANAGE_BOOKING) ------------------------------------------------------------------

SERVICE_FIELDS = (
    "code",
    "name",
    "name_en",
    "description",
    "ticket_prefix",
    "slot_minutes",
    "capacity",
    "horizon_days",
    "min_notice_minutes",
    "max_per_account",
    "online_possible",
    "meeting_url",
    "location",
    "bookable",
    "active",
)


def _require_manage(staff: User, department: Department) -> None:
    if department.municipality_id != staff.municipality_id or not can(
        staff, Action.MANAGE_BOOKING, department
    ):
        raise NotPermitted


def service_save(
    *, staff: User, department: Department, values: dict[str, Any], service: Service | None = None
) -> Service:
    """Create or change a service (validated by the caller's form)."""
    _require_manage(staff, department)
    if service is not None:
        _require_manage(staff, service.department)
    with transaction.atomic(durable=True):
        before = {name: getattr(service, name) for name in SERVICE_FIELDS} if service else {}
        if service is None:
            service = Service(municipality_id=staff.municipality_id)
        service.department = department
        for name in SERVICE_FIELDS:
            if name in values:
                setattr(service, name, values[name])
        service.save()
        audit_record(
            municipality=staff.municipality,
            actor=staff,
            action="booking.service_save",
            target_type="booking_service",
            target_id=service.code,
            before=before,
            after={name: getattr(service, name) for name in SERVICE_FIELDS},
        )
    return service


def hours_replace(
    *, staff: User, service: Service, hours: Iterable[tuple[int, dt.time, dt.time]]
) -> list[OpeningHours]:
    """Replace the weekly opening hours of ``service`` (existing bookings are kept)."""
    _require_manage(staff, service.department)
    rows = sorted(set(hours))
    for weekday, opens, closes in rows:
        if not 0 <= weekday <= 6 or closes <= opens:
            raise BookingRefused("invalid_hours", _("Each period must end after it begins."))
    with transaction.atomic(durable=True):
        OpeningHours.objects.filter(service=service).delete()
        made = OpeningHours.objects.bulk_create(
            OpeningHours(
                municipality_id=service.municipality_id,
                service=service,
                weekday=weekday,
                opens=opens,
                closes=closes,
            )
            for weekday, opens, closes in rows
        )
        audit_record(
            municipality=staff.municipality,
            actor=staff,
            action="booking.hours_replace",
            target_type="booking_service",
            target_id=service.code,
            after={
                "hours": [[weekday, f"{opens:%H:%M}", f"{closes:%H:%M}"] for weekday, opens, closes in rows]
            },
        )
    return made


def closure_add(
    *,
    staff: User,
    department: Department,
    service: Service | None,
    first_day: dt.date,
    last_day: dt.date,
    reason: str,
) -> Closure:
    """Close a department (or one of its services) on some days; bookings already made stay and
    are listed for the staff to contact."""
    _require_manage(staff, department)
    if service is not None and service.department_id != department.pk:
        raise NotPermitted
    if last_day < first_day:
        raise BookingRefused("invalid_closure", _("The last day must not be before the first day."))
    with transaction.atomic(durable=True):
        closure = Closure.objects.create(
            municipality_id=staff.municipality_id,
            department=department,
            service=service,
            first_day=first_day,
            last_day=last_day,
            reason=reason[:200],
        )
        audit_record(
            municipality=staff.municipality,
            actor=staff,
            action="booking.closure_add",
            target_type="booking_closure",
            target_id=closure.pk,
            after={
                "department": department.code,
                "service": service.code if service else "",
                "first_day": first_day.isoformat(),
                "last_day": last_day.isoformat(),
            },
        )
    return closure


def closure_delete(*, staff: User, closure: Closure) -> None:
    if closure.department is None or closure.municipality_id != staff.municipality_id:
        raise NotPermitted
    _require_manage(staff, closure.department)
    with transaction.atomic(durable=True):
        audit_record(
            municipality=staff.municipality,
            actor=staff,
            action="booking.closure_delete",
            target_type="booking_closure",
            target_id=closure.pk,
            before={"first_day": closure.first_day.isoformat(), "last_day": closure.last_day.isoformat()},
        )
        closure.delete()


def resource_save(
    *,
    staff: User,
    department: Department,
    name: str,
    kind: str,
    services: Iterable[Service],
    resource: Resource | None = None,
    active: bool = True,
) -> Resource:
    _require_manage(staff, department)
    chosen = [service for service in services if service.department_id == department.pk]
    with transaction.atomic(durable=True):
        if resource is None:
            resource = Resource(municipality_id=staff.municipality_id, department=department)
        elif resource.department_id != department.pk:
            raise NotPermitted
        resource.name, resource.kind, resource.active = name[:60], kind, active
        resource.save()
        for service in Service.objects.filter(resources=resource).exclude(
            pk__in=[item.pk for item in chosen]
        ):
            service.resources.remove(resource)
        for service in chosen:
            service.resources.add(resource)
        audit_record(
            municipality=staff.municipality,
            actor=staff,
            action="booking.resource_save",
            target_type="booking_resource",
            target_id=resource.pk,
            after={"name": resource.name, "kind": kind, "services": [service.code for service in chosen]},
        )
    return resource
