"""Reads of events: the public listing and search, an event with its places left, a resident's
registrations, and the participants staff see (with the help each asked for)."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from django.db.models import Case, Count, IntegerField, OuterRef, Q, QuerySet, Subquery, Sum, Value, When
from django.db.models.functions import Coalesce
from django.utils import timezone

from idx.common.models import Municipality
from idx.events.models import Event, EventStatus, Registration, RegistrationStatus
from idx.identity.models import User
from idx.identity.policy import Action, Scope, scope_of

TOKYO = ZoneInfo("Asia/Tokyo")


def registration_url(registration: Registration) -> str:
    base = registration.municipality.public_url.rstrip("/")
    return f"{base}/my/events/{registration.public_id}/"


def _places(status: str) -> Coalesce:
    """The places of an event's registrations in ``status`` (each one plus its companions)."""
    held = (
        Registration.objects.filter(event=OuterRef("pk"), status=status)
        .order_by()
        .values("event")
        .annotate(places=Count("pk") + Sum("companions"))
        .values("places")
    )
    return Coalesce(Subquery(held, output_field=IntegerField()), Value(0))


def _with_counts(events: QuerySet[Event]) -> QuerySet[Event]:
    # Correlated subqueries, not a join with GROUP BY: with ORDER BY … LIMIT, PostgreSQL counts
    # only the events of the page, however many events and registrations there are.
    return events.annotate(
        confirmed_places=_places(RegistrationStatus.CONFIRMED),
        waiting_places=_places(RegistrationStatus.WAITLISTED),
    )


@dataclass(frozen=True)
class Search:
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    category: str = ""
    area: str = ""
    fee: str = ""  # "free" | "paid" | ""
    online: bool | None = None
    words: tuple[str, ...] = ()


def events_search(
    *, municipality: Municipality, search: Search, now: dt.datetime | None = None
) -> QuerySet[Event]:
    """Published events not yet over, soonest first, filtered as asked (counts annotated: O(1) queries)."""
    now = now or timezone.now()
    events = Event.objects.filter(municipality=municipality, status=EventStatus.PUBLISHED, ends_at__gt=now)
    if search.date_from:
        events = events.filter(
            starts_at__gte=dt.datetime.combine(search.date_from, dt.time.min, tzinfo=TOKYO)
        )
    if search.date_to:
        end = dt.datetime.combine(search.date_to + dt.timedelta(days=1), dt.time.min, tzinfo=TOKYO)
        events = events.filter(starts_at__lt=end)
    if search.category:
        events = events.filter(category=search.category)
    if search.area:
        events = events.filter(area=search.area)
    if search.fee == "free":
        events = events.filter(fee=0)
    elif search.fee == "paid":
        events = events.filter(fee__gt=0)
    if search.online is not None:
        events = events.filter(online=search.online)
    for word in search.words[:5]:
        events = events.filter(Q(titles__icontains=word) | Q(descriptions__icontains=word))
    return _with_counts(events.select_related("department")).order_by("starts_at", "pk")


def event_get_public(*, municipality: Municipality, public_id: uuid.UUID | str) -> Event | None:
    """A published or cancelled event (a cancelled one still says so on its page)."""
    try:
        key = uuid.UUID(str(public_id))
    except ValueError:
        return None
    return _with_counts(
        Event.objects.filter(
            municipality=municipality,
            public_id=key,
            status__in=[EventStatus.PUBLISHED, EventStatus.CANCELLED],
        ).select_related("department")
    ).first()


def places_left(event: Event) -> int:
    confirmed = getattr(event, "confirmed_places", None)
    if confirmed is None:
        confirmed = _with_counts(Event.objects.filter(pk=event.pk)).values_list(
            "confirmed_places",  # type: ignore[misc]  # an annotation
            flat=True,
        )[0]
    return max(event.capacity - int(confirmed), 0)


def waitlist_left(event: Event) -> int:
    waiting = getattr(event, "waiting_places", None)
    if waiting is None:
        waiting = _with_counts(Event.objects.filter(pk=event.pk)).values_list(
            "waiting_places",  # type: ignore[misc]  # an annotation
            flat=True,
        )[0]
    return max(event.waitlist_size - int(waiting), 0)


def registration_of(*, event: Event, resident: User) -> Registration | None:
    """The resident's live registration for the event, if any."""
    if not resident.is_authenticated:
        return None
    return Registration.objects.filter(
        event=event,
        resident=resident,
        status__in=[RegistrationStatus.CONFIRMED, RegistrationStatus.WAITLISTED],
    ).first()


def waitlist_position(registration: Registration) -> int | None:
    """1 for the first in line; None when not waiting."""
    if registration.status != RegistrationStatus.WAITLISTED:
        return None
    return (
        Registration.objects.filter(event_id=registration.event_id, status=RegistrationStatus.WAITLISTED)
        .filter(
            Q(created_at__lt=registration.created_at)
            | Q(created_at=registration.created_at, pk__lt=registration.pk)
        )
        .count()
        + 1
    )


def registrations_of_resident(*, resident: User) -> QuerySet[Registration]:
    return (
        Registration.objects.filter(municipality_id=resident.municipality_id, resident=resident)
        .select_related("event", "event__department")
        .order_by("-event__starts_at", "-pk")
    )


def registration_get_for_resident(*, resident: User, public_id: uuid.UUID | str) -> Registration | None:
    try:
        key = uuid.UUID(str(public_id))
    except ValueError:
        return None
    return registrations_of_resident(resident=resident).filter(public_id=key).first()


def events_for_staff(*, staff: User, action: Action = Action.CHECK_IN_EVENT) -> QuerySet[Event]:
    """The events ``staff`` may see for ``action``: their department's, or all of the city's."""
    scope = scope_of(staff.role, action)
    if scope == Scope.NONE:
        return Event.objects.none()
    events = Event.objects.filter(municipality_id=staff.municipality_id)
    if scope == Scope.OWN_DEPARTMENT:
        events = events.filter(department_id=staff.department_id or 0)
    return _with_counts(events.select_related("department")).order_by("-starts_at", "pk")


def event_get_for_staff(
    *, staff: User, public_id: uuid.UUID | str, action: Action = Action.CHECK_IN_EVENT
) -> Event | None:
    try:
        key = uuid.UUID(str(public_id))
    except ValueError:
        return None
    return events_for_staff(staff=staff, action=action).filter(public_id=key).first()


def participants(*, event: Event, query: str = "") -> QuerySet[Registration]:
    """Registrations of the event (live first, in order of arrival), with the resident, for staff."""
    rows = Registration.objects.filter(event=event).select_related("resident")
    if query:
        rows = rows.filter(
            Q(resident__full_name__icontains=query) | Q(resident__full_name_kana__icontains=query)
        )
    rank = Case(
        When(status=RegistrationStatus.CONFIRMED, then=Value(0)),
        When(status=RegistrationStatus.WAITLISTED, then=Value(1)),
        default=Value(2),
    )
    return rows.annotate(rank=rank).order_by("rank", "created_at", "pk")
