"""API of counter bookings and waiting tickets.

Public (no sign-in): services, free slots, a ticket's status by its code, the display state.
Residents: book, list, cancel, rebook and check in their own bookings. Staff: the day's
bookings, check-in by booking number, walk-in tickets, calling the next ticket and ticket moves.
Refusals answer 422 with a ``code`` (``full``, ``holiday``, ``year_end``, ``outside_hours``,
``past``, ``beyond_horizon``, ``limit_service``, ``rate_limited`` …) and a translated message.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any, Literal

from django.http import HttpResponse
from ninja import Field, Path, Router, Schema
from ninja.errors import HttpError
from ninja.responses import Status

from idx.api.base import ApiRequest, ErrorOut, error_response, require_resident, require_staff
from idx.api.fields import IsoDate, IsoDateTime, StrictBool, StrictInt
from idx.booking import selectors
from idx.booking.models import Booking, Ticket
from idx.booking.opening import TOKYO
from idx.booking.services import bookings as booking_services
from idx.booking.services import tickets as ticket_services
from idx.identity.models import Department
from idx.identity.policy import Action

router: Router = Router(tags=["booking"])
staff: Router = Router(tags=["staff"])


class ServiceOut(Schema):
    code: str
    name: str
    name_en: str
    description: str
    department: str
    place: str
    slot_minutes: int
    capacity: int
    horizon_days: int
    online_possible: bool


class SlotOut(Schema):
    starts_at: dt.datetime
    ends_at: dt.datetime
    free: int


class DayOut(Schema):
    day: dt.date
    closed: str | None
    slots: list[SlotOut]


class BookingIn(Schema):
    service: str = Field(min_length=1, max_length=40, description="the service's code")
    starts_at: IsoDateTime = Field(description="A slot start from …/slots (with its UTC offset)")
    online: StrictBool = False
    note: str = Field(default="", max_length=500)


class RebookIn(Schema):
    starts_at: IsoDateTime


class BookingOut(Schema):
    id: uuid.UUID
    code: str
    service: str
    starts_at: dt.datetime
    ends_at: dt.datetime
    status: str
    online: bool
    meeting_url: str
    place: str
    note: str


class TicketOut(Schema):
    number: str
    code: str
    service: str
    status: str
    counter: str
    ahead: int | None
    estimated_minutes: int | None
    called_at: dt.datetime | None


class DisplayTicketOut(Schema):
    number: str
    service: str
    counter: str


class DisplayOut(Schema):
    day: dt.date
    calling: list[DisplayTicketOut]
    waiting: list[DisplayTicketOut]


class CheckInIn(Schema):
    code: str = Field(max_length=20)


class WalkInIn(Schema):
    service: str = Field(min_length=1, max_length=40, description="the service's code")


class CallNextIn(Schema):
    resource: StrictInt = Field(ge=1, le=2_147_483_647, description="the counter's id")


class StaffBookingOut(BookingOut):
    resident_name: str
    ticket: str | None


def _service_out(service: Any) -> dict[str, Any]:
    return {
        "code": service.code,
        "name": service.name,
        "name_en": service.name_en,
        "description": service.description,
        "department": service.department.code,
        "place": service.place,
        "slot_minutes": service.slot_minutes,
        "capacity": service.capacity,
        "horizon_days": service.horizon_days,
        "online_possible": service.online_possible,
    }


def _booking_out(booking: Booking) -> dict[str, Any]:
    return {
        "id": booking.public_id,
        "code": booking.code,
        "service": booking.service.code,
        "starts_at": booking.starts_at.astimezone(TOKYO),
        "ends_at": booking.ends_at.astimezone(TOKYO),
        "status": booking.status,
        "online": booking.online,
        "meeting_url": booking.meeting_url if booking.online else "",
        "place": booking.service.place,
        "note": booking.note,
    }


def _ticket_out(ticket: Ticket) -> dict[str, Any]:
    position = selectors.ticket_position(ticket)
    return {
        "number": ticket.display_number,
        "code": ticket.code,
        "service": ticket.service.code,
        "status": ticket.status,
        "counter": ticket.resource.name if ticket.resource else "",
        "ahead": position.ahead if position else None,
        "estimated_minutes": position.minutes if position else None,
        "called_at": ticket.called_at,
    }


def _refused(
    request: ApiRequest, exc: booking_services.BookingRefused | ticket_services.TicketInvalid
) -> HttpResponse:
    return error_response(request, 422, exc.code, str(exc.message))


def _own(request: ApiRequest, booking_id: uuid.UUID) -> Booking:
    booking = selectors.booking_get_for_resident(resident=require_resident(request), public_id=booking_id)
    if booking is None:
        raise HttpError(404, "Not found.")
    return booking


# ---- public --------------------------------------------------------------------------------------


@router.get("/booking/services", response=list[ServiceOut], auth=None)
def list_services(request: ApiRequest) -> Any:
    return [
        _service_out(service)
        for service in selectors.services_for_residents(municipality=request.municipality)
    ]


@router.get("/booking/services/{code}/slots", response={200: list[DayOut], 404: ErrorOut}, auth=None)
def list_slots(request: ApiRequest, code: str, start: IsoDate | None = None, days: int = 7) -> Any:
    """Days from ``start`` (default today, Japan time) with their free slots; closed days say why."""
    service = selectors.service_get(municipality=request.municipality, code=code)
    if service is None:
        raise HttpError(404, "No such service.")
    found = selectors.slot_days(service=service, first_day=start, days=max(1, min(days, 62)))
    return [
        {
            "day": day.day,
            "closed": day.closed,
            "slots": [
                {"starts_at": slot.starts_at, "ends_at": slot.ends_at, "free": slot.free}
                for slot in day.slots
            ],
        }
        for day in found
    ]


@router.get("/booking/tickets/{code}", response={200: TicketOut, 404: ErrorOut}, auth=None)
def ticket_status(request: ApiRequest, code: str) -> Any:
    """A waiting ticket by the code printed on it: its status, the people before it, the estimated wait."""
    ticket = selectors.ticket_get_by_code(municipality=request.municipality, code=code)
    if ticket is None or ticket.day != selectors.today_in_japan():
        raise HttpError(404, "No such ticket today.")
    return _ticket_out(ticket)


@router.get("/booking/display", response={200: DisplayOut, 404: ErrorOut}, auth=None)
def display_state(request: ApiRequest, department: str = "") -> Any:
    """What the waiting-room screen shows (numbers only, never names)."""
    chosen = None
    if department:
        chosen = Department.objects.filter(municipality=request.municipality, code=department[:40]).first()
        if chosen is None:
            raise HttpError(404, "No such department.")
    state = selectors.display_state(municipality=request.municipality, department=chosen)

    def out(ticket: Ticket) -> dict[str, str]:
        return {
            "number": ticket.display_number,
            "service": ticket.service.code,
            "counter": ticket.resource.name if ticket.resource else "",
        }

    return {
        "day": state.day,
        "calling": [out(t) for t in state.calling],
        "waiting": [out(t) for t in state.waiting],
    }


# ---- residents -----------------------------------------------------------------------------------


@router.get("/booking/bookings", response=list[BookingOut])
def list_my_bookings(request: ApiRequest, include_past: bool = False) -> Any:
    bookings = selectors.bookings_for_resident(resident=require_resident(request), include_past=include_past)
    return [_booking_out(booking) for booking in bookings[:200]]


@router.post("/booking/bookings", response={201: BookingOut, 404: ErrorOut, 422: ErrorOut})
def create_booking(request: ApiRequest, payload: BookingIn) -> Any:
    resident = require_resident(request)
    service = selectors.service_get(municipality=request.municipality, code=payload.service)
    if service is None:
        raise HttpError(404, "No such service.")
    try:
        booking = booking_services.booking_create(
            resident=resident,
            service=service,
            starts_at=payload.starts_at,
            online=payload.online,
            note=payload.note,
        )
    except booking_services.BookingRefused as exc:
        return _refused(request, exc)
    except booking_services.NotPermitted as exc:
        raise HttpError(404, "Not found.") from exc
    return Status(201, _booking_out(booking))


@router.get("/booking/bookings/{booking_id}", response={200: BookingOut, 404: ErrorOut})
def get_booking(request: ApiRequest, booking_id: uuid.UUID) -> Any:
    return _booking_out(_own(request, booking_id))


@router.post(
    "/booking/bookings/{booking_id}/cancel", response={200: BookingOut, 404: ErrorOut, 422: ErrorOut}
)
def cancel_booking(request: ApiRequest, booking_id: uuid.UUID) -> Any:
    booking = _own(request, booking_id)
    try:
        booking_services.booking_cancel(booking=booking, actor=request.auth)
    except booking_services.BookingRefused as exc:
        return _refused(request, exc)
    return _booking_out(booking)


@router.post(
    "/booking/bookings/{booking_id}/rebook", response={201: BookingOut, 404: ErrorOut, 422: ErrorOut}
)
def rebook_booking(request: ApiRequest, booking_id: uuid.UUID, payload: RebookIn) -> Any:
    booking = _own(request, booking_id)
    try:
        new = booking_services.booking_rebook(
            booking=booking, resident=request.auth, starts_at=payload.starts_at
        )
    except booking_services.BookingRefused as exc:
        return _refused(request, exc)
    return Status(201, _booking_out(new))


@router.post(
    "/booking/bookings/{booking_id}/check-in", response={200: TicketOut, 404: ErrorOut, 422: ErrorOut}
)
def check_in_own_booking(request: ApiRequest, booking_id: uuid.UUID) -> Any:
    """Check in on arrival (from 30 minutes before the booked time): answers the waiting ticket."""
    booking = _own(request, booking_id)
    try:
        ticket = ticket_services.ticket_self_check_in(resident=request.auth, booking=booking)
    except ticket_services.TicketInvalid as exc:
        return _refused(request, exc)
    return _ticket_out(ticket)


# ---- staff ----------------------------------------------------------------------------------------


@staff.get("/booking/bookings", response={200: list[StaffBookingOut], 404: ErrorOut})
def staff_day_bookings(request: ApiRequest, day: IsoDate | None = None) -> Any:
    user = require_staff(request)
    if not selectors.departments_for_staff(staff=user, action=Action.SERVE_COUNTER):
        raise HttpError(404, "Not found.")
    bookings = selectors.bookings_of_day_for_staff(staff=user, day=day or selectors.today_in_japan())
    return [
        {
            **_booking_out(booking),
            "resident_name": booking.resident.full_name,
            "ticket": booking.ticket.display_number if hasattr(booking, "ticket") else None,
        }
        for booking in bookings
    ]


@staff.post("/booking/check-in", response={200: TicketOut, 422: ErrorOut})
def staff_check_in(request: ApiRequest, payload: CheckInIn) -> Any:
    try:
        ticket = ticket_services.ticket_check_in(staff=require_staff(request), code=payload.code)
    except ticket_services.TicketInvalid as exc:
        return _refused(request, exc)
    return _ticket_out(ticket)


@staff.post("/booking/walk-in", response={201: TicketOut, 404: ErrorOut})
def staff_walk_in(request: ApiRequest, payload: WalkInIn) -> Any:
    user = require_staff(request)
    service = (
        selectors.services_for_staff(staff=user, action=Action.SERVE_COUNTER)
        .filter(code=payload.service)
        .first()
    )
    if service is None:
        raise HttpError(404, "No such service.")
    return Status(201, _ticket_out(ticket_services.ticket_issue_walk_in(staff=user, service=service)))


@staff.post("/booking/call-next", response={200: TicketOut, 204: None, 404: ErrorOut})
def staff_call_next(request: ApiRequest, payload: CallNextIn) -> Any:
    """Call the next waiting ticket to the counter ``resource``; 204 when nobody waits."""
    user = require_staff(request)
    resource = selectors.resources_for_staff(staff=user).filter(pk=payload.resource).first()
    if resource is None:
        raise HttpError(404, "No such counter.")
    ticket = ticket_services.ticket_call_next(staff=user, resource=resource)
    if ticket is None:
        return Status(204, None)
    return _ticket_out(ticket)


@staff.post("/booking/tickets/{ticket_id}/{move}", response={200: TicketOut, 404: ErrorOut, 409: ErrorOut})
def staff_ticket_move(
    request: ApiRequest,
    ticket_id: int = Path(..., ge=1, le=2_147_483_647),
    move: Literal["start", "finish", "no_show", "recall", "cancel"] = Path(...),
) -> Any:
    """``move``: ``start``, ``finish``, ``no_show``, ``recall`` or ``cancel``."""
    user = require_staff(request)
    ticket = selectors.ticket_get_for_staff(staff=user, pk=ticket_id)
    if ticket is None:
        raise HttpError(404, "Not found.")
    try:
        moved = ticket_services.ticket_move(staff=user, ticket=ticket, move=move)
    except ticket_services.TicketInvalid as exc:
        return error_response(request, 409, exc.code, str(exc.message))
    return _ticket_out(moved)
