"""Writes of bookings: make, cancel and move them, and remind residents of them.

``booking_create`` checks the slot (open, in the future, within the horizon), the account's
limits and its rate, then takes the first free *seat* of the slot. The seat's row is the
guarantee: a partial unique constraint lets only one live booking hold (service, starts_at,
seat), so of two concurrent requests for the last seat one insert fails, the service tries the
next seat and, with none left, answers "full". The resident's user row is locked first, so one
account's concurrent requests cannot together exceed its limits.

Every outermost service owns its transaction, writes its audit entry in it and sends messages
after commit.
"""

from __future__ import annotations

import datetime as dt
import secrets
import uuid
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from idx.audit.services import audit_record
from idx.booking.models import SEAT_HOLDING, Booking, BookingStatus, Service, new_code
from idx.booking.opening import TOKYO, ServiceCalendar
from idx.booking.selectors import today_in_japan
from idx.common.errors import DomainError
from idx.common.ratelimit import hit, parse_rate
from idx.identity.models import User
from idx.identity.policy import Action, can

# Future bookings one account may hold in all (each service has its own, lower limit too).
MAX_FUTURE_BOOKINGS = 5
# Bookings, rebookings and cancellations per account (a bot booking and releasing slots in a loop).
DEFAULT_BOOKING_RATE = "10/1h"


class BookingRefused(DomainError):
    """A booking that cannot be made; ``code`` for programs, ``message`` (translated) for people."""

    http_status = 422

    def __init__(self, code: str, message: Promise | str):
        super().__init__(code)
        self.code = code
        self.message = message


class NotPermitted(DomainError):
    """Outside the caller's scope: answered as "not found"."""

    code = "not_permitted"
    http_status = 404


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
