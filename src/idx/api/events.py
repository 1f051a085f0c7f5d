"""Events and courses in the JSON API.

Public (no sign-in): search events, one event with its places left and accessibility.
Residents: register (or join the waiting list), list their registrations (with the check-in code
and, for an online event, their own join link), cancel. Staff: an event's participants with the
help each asked for (デジタル活用支援), and check-in by code. Refusals answer 422 with a ``code``
(``full``, ``full_waitlist``, ``deadline``, ``already_registered``, ``too_long`` …), a translated
message and the field concerned.

Added to the API by ``idx.api.v1`` after its own routers.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any, Literal

from ninja import Field, Router, Schema
from ninja.errors import HttpError
from ninja.responses import Status

from idx.api.base import ApiRequest, ErrorOut, require_resident, require_staff
from idx.api.fields import IsoDate, IsoDateTime, StrictBool, StrictInt
from idx.common.i18n import pick
from idx.events import selectors, services
from idx.events.models import Accessibility, Area, Category, Event, HelpTopic, Registration

router: Router = Router(tags=["events"])
staff: Router = Router(tags=["staff"])


class EventOut(Schema):
    id: uuid.UUID
    title: str
    titles: dict[str, str]
    description: str
    category: str
    category_label: str
    area: str
    area_label: str
    place: str
    starts_at: dt.datetime
    ends_at: dt.datetime
    registration_deadline: dt.datetime
    cancel_deadline: dt.datetime
    capacity: int
    places_left: int
    waitlist_size: int
    waitlist_left: int
    max_companions: int
    fee: int = Field(description="yen per person; 0 = free")
    online: bool
    status: str
    accessibility: list[str] = Field(description="codes: " + ", ".join(Accessibility.values))
    accessibility_labels: list[str]
    accessibility_note: str
    digital_support: bool
    help_topics: list[str] = Field(description="what residents may ask help with (digital support only)")


class RegisterIn(Schema):
    companions: StrictInt = Field(default=0, ge=0, le=20)
    help_topics: list[str] = Field(default_factory=list, max_length=10)
    help_note: str = Field(default="", max_length=2000, description="at most 500 characters are accepted")
    accept_waitlist: StrictBool = Field(
        default=False, description="join the waiting list when the event is full"
    )


class RegistrationOut(Schema):
    id: uuid.UUID
    event: uuid.UUID
    event_title: str
    starts_at: dt.datetime
    status: Literal["confirmed", "waitlisted", "cancelled"]
    waitlist_position: int | None
    companions: int
    help_topics: list[str]
    help_note: str
    check_in_code: str = Field(description="the content of the entrance QR code (confirmed only)")
    join_url: str = Field(description="the registrant's own link to an online event (confirmed only)")
    payment_state: str
    checked_in: bool
    cancelled_by_city: bool


class ParticipantOut(Schema):
    registration: uuid.UUID
    name: str
    name_kana: str
    status: str
    people: int
    help_topics: list[str]
    help_labels: list[str]
    help_note: str
    payment_state: str
    checked_in_at: dt.datetime | None


class EventCheckInIn(Schema):
    code: str = Field(min_length=1, max_length=40)


class CheckInOut(Schema):
    registration: uuid.UUID
    name: str
    people: int
    already_checked_in: bool
    checked_in_at: dt.datetime
    help_labels: list[str]


class EventChangeIn(Schema):
    """Only the fields sent change; texts are per language (``ja`` required in ``titles``) and
    replace the whole dict of that field. A date-time without an offset is Japan time."""

    titles: dict[str, str] | None = Field(default=None, max_length=10)
    descriptions: dict[str, str] | None = Field(default=None, max_length=10)
    places: dict[str, str] | None = Field(default=None, max_length=10)
    accessibility_notes: dict[str, str] | None = Field(default=None, max_length=10)
    area: Area | None = None
    accessibility: list[Accessibility] | None = Field(default=None, max_length=10)
    starts_at: IsoDateTime | None = None
    ends_at: IsoDateTime | None = None
    registration_deadline: IsoDateTime | None = None
    cancel_deadline: IsoDateTime | None = None
    capacity: StrictInt | None = Field(default=None, ge=1, le=100000)
    waitlist_size: StrictInt | None = Field(default=None, ge=0, le=10000)
    max_companions: StrictInt | None = Field(default=None, ge=0, le=10)
    fee: StrictInt | None = Field(default=None, ge=0, le=1000000, description="yen per person")
    online: StrictBool | None = None
    join_base_url: str | None = Field(default=None, max_length=300, pattern=r"^(https://\S+)?$")


class EventChangeOut(Schema):
    event: EventOut
    changed: list[str] = Field(description="the fields that changed")
    promoted: int = Field(description="registrations moved up from the waiting list")
    told: int = Field(description="registrations told of a new date, time or place")


def _event_out(event: Event) -> dict[str, Any]:
    return {
        "id": event.public_id,
        "title": pick(event.titles),
        "titles": event.titles,
        "description": pick(event.descriptions),
        "category": event.category,
        "category_label": str(Category(event.category).label),
        "area": event.area,
        "area_label": str(Area(event.area).label),
        "place": pick(event.places),
        "starts_at": event.starts_at.astimezone(selectors.TOKYO),
        "ends_at": event.ends_at.astimezone(selectors.TOKYO),
        "registration_deadline": event.registration_deadline.astimezone(selectors.TOKYO),
        "cancel_deadline": event.cancel_deadline.astimezone(selectors.TOKYO),
        "capacity": event.capacity,
        "places_left": selectors.places_left(event),
        "waitlist_size": event.waitlist_size,
        "waitlist_left": selectors.waitlist_left(event),
        "max_companions": event.max_companions,
        "fee": event.fee,
        "online": event.online,
        "status": event.status,
        "accessibility": list(event.accessibility),
        "accessibility_labels": [
            str(Accessibility(v).label) for v in event.accessibility if v in Accessibility.values
        ],
        "accessibility_note": pick(event.accessibility_notes),
        "digital_support": event.digital_support,
        "help_topics": list(HelpTopic.values) if event.digital_support else [],
    }


def _registration_out(registration: Registration) -> dict[str, Any]:
    confirmed = registration.status == "confirmed"
    return {
        "id": registration.public_id,
        "event": registration.event.public_id,
        "event_title": pick(registration.event.titles),
        "starts_at": registration.event.starts_at.astimezone(selectors.TOKYO),
        "status": registration.status,
        "waitlist_position": selectors.waitlist_position(registration),
        "companions": registration.companions,
        "help_topics": list(registration.help_topics),
        "help_note": registration.help_note,
        "check_in_code": registration.code if confirmed else "",
        "join_url": registration.join_url,
        "payment_state": registration.payment_state,
        "checked_in": registration.checked_in_at is not None,
        "cancelled_by_city": registration.cancelled_by_city,
    }


# ---- public --------------------------------------------------------------------------------------


@router.get("/events", response=list[EventOut], auth=None)
def search_events(
    request: ApiRequest,
    q: str = "",
    date_from: IsoDate | None = None,
    date_to: IsoDate | None = None,
    category: Category | None = None,
    area: Area | None = None,
    fee: Literal["free", "paid"] | None = None,
    online: bool | None = None,
) -> Any:
    """Published events not yet over, soonest first (at most 100)."""
    search = selectors.Search(
        date_from=date_from,
        date_to=date_to,
        category=category or "",
        area=area or "",
        fee=fee or "",
        online=online,
        words=tuple(q[:100].split()),
    )
    return [
        _event_out(event)
        for event in selectors.events_search(municipality=request.municipality, search=search)[:100]
    ]


@router.get("/events/{event_id}", response={200: EventOut, 404: ErrorOut}, auth=None)
def get_event(request: ApiRequest, event_id: uuid.UUID) -> Any:
    event = selectors.event_get_public(municipality=request.municipality, public_id=event_id)
    if event is None:
        raise HttpError(404, "No such event.")
    return _event_out(event)


# ---- residents -----------------------------------------------------------------------------------


@router.post(
    "/events/{event_id}/registrations", response={201: RegistrationOut, 404: ErrorOut, 422: ErrorOut}
)
def register(request: ApiRequest, event_id: uuid.UUID, payload: RegisterIn) -> Any:
    resident = require_resident(request)
    event = selectors.event_get_public(municipality=request.municipality, public_id=event_id)
    if event is None:
        raise HttpError(404, "No such event.")
    registration = services.registration_create(
        event=event,
        resident=resident,
        companions=payload.companions,
        help_topics=payload.help_topics,
        help_note=payload.help_note,
        accept_waitlist=payload.accept_waitlist,
    )
    return Status(201, _registration_out(registration))


@router.get("/my/event-registrations", response=list[RegistrationOut])
def my_registrations(request: ApiRequest) -> Any:
    resident = require_resident(request)
    return [_registration_out(r) for r in selectors.registrations_of_resident(resident=resident)[:200]]


@router.post(
    "/my/event-registrations/{registration_id}/cancel",
    response={200: RegistrationOut, 404: ErrorOut, 422: ErrorOut},
)
def cancel_registration(request: ApiRequest, registration_id: uuid.UUID) -> Any:
    resident = require_resident(request)
    registration = selectors.registration_get_for_resident(resident=resident, public_id=registration_id)
    if registration is None:
        raise HttpError(404, "Not found.")
    registration = services.registration_cancel(registration=registration, resident=resident)
    return _registration_out(registration)


# ---- staff ---------------------------------------------------------------------------------------


def _staff_event(request: ApiRequest, event_id: uuid.UUID) -> Event:
    user = require_staff(request)
    from idx.identity.policy import Action

    for action in (Action.CHECK_IN_EVENT, Action.MANAGE_EVENTS):
        event = selectors.event_get_for_staff(staff=user, public_id=event_id, action=action)
        if event is not None:
            return event
    raise HttpError(404, "Not found.")


@staff.get("/events/{event_id}/participants", response={200: list[ParticipantOut], 404: ErrorOut})
def participants(request: ApiRequest, event_id: uuid.UUID) -> Any:
    """Everyone registered, waiting or cancelled, with the help they asked for."""
    event = _staff_event(request, event_id)
    return [
        {
            "registration": r.public_id,
            "name": r.resident.full_name,
            "name_kana": r.resident.full_name_kana,
            "status": r.status,
            "people": r.seats,
            "help_topics": list(r.help_topics),
            "help_labels": [str(HelpTopic(v).label) for v in r.help_topics if v in HelpTopic.values],
            "help_note": r.help_note,
            "payment_state": r.payment_state,
            "checked_in_at": r.checked_in_at,
        }
        for r in selectors.participants(event=event)
    ]


@staff.patch("/events/{event_id}", response={200: EventChangeOut, 404: ErrorOut, 422: ErrorOut})
def change_event(request: ApiRequest, event_id: uuid.UUID, payload: EventChangeIn) -> Any:
    """Change an event (``MANAGE_EVENTS``): more places promote from the waiting list; fewer than
    taken is refused (``below_registered``); a new date, time or place tells everyone registered
    or waiting; the fee stays once someone paid (``fee_paid``, ``payment_running``)."""
    user = require_staff(request)
    from idx.identity.policy import Action

    event = selectors.event_get_for_staff(staff=user, public_id=event_id, action=Action.MANAGE_EVENTS)
    if event is None:
        raise HttpError(404, "Not found.")
    values: dict[str, object] = {}
    for name, value in payload.model_dump(exclude_unset=True).items():
        if value is None:
            continue
        if isinstance(value, dt.datetime) and value.tzinfo is None:
            value = value.replace(tzinfo=selectors.TOKYO)
        if name == "accessibility":
            value = [str(item) for item in value]
        if name == "area":
            value = str(value)
        values[name] = value
    result = services.event_update(event=event, staff=user, values=values)
    return {
        "event": _event_out(result.event),
        "changed": list(result.changed),
        "promoted": result.promoted,
        "told": result.told,
    }


@staff.post("/events/{event_id}/check-in", response={200: CheckInOut, 404: ErrorOut, 422: ErrorOut})
def check_in(request: ApiRequest, event_id: uuid.UUID, payload: EventCheckInIn) -> Any:
    """Check in by the code of the registration's QR; a second check-in answers ``already_checked_in``."""
    event = _staff_event(request, event_id)
    result = services.registration_check_in(event=event, code=payload.code, staff=request.auth)
    registration = result.registration
    return {
        "registration": registration.public_id,
        "name": registration.resident.full_name,
        "people": registration.seats,
        "already_checked_in": result.already,
        "checked_in_at": registration.checked_in_at,
        "help_labels": [str(HelpTopic(v).label) for v in registration.help_topics if v in HelpTopic.values],
    }
