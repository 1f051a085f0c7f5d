"""Writes of events: registering, the waiting list and its promotions, cancelling, checking in.

Every change of who holds a place locks the event's row first (``select_for_update``), then
counts and writes in the same transaction, so the places held never exceed the capacity, the
waiting list never exceeds its size, and a cancellation promotes the next waiting
registrations exactly once. A partial unique constraint keeps one live registration per
resident and event even when two tabs send the form at once. Messages go after commit; fees go
through ``idx.payments`` (paid registrations of a cancelled event are refunded after commit).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from functools import partial

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from idx.audit.services import audit_record
from idx.common.errors import DomainError
from idx.common.ratelimit import hit, parse_rate
from idx.events.models import (
    HELP_NOTE_MAX,
    LIVE,
    Event,
    EventStatus,
    HelpTopic,
    PaymentState,
    Registration,
    RegistrationStatus,
)
from idx.identity.models import User
from idx.identity.policy import Action, can
from idx.payments.models import Payment

PAYABLE_KIND = "event_registration"
DEFAULT_REGISTRATION_RATE = "20/1h"
CANCEL_REASON_MAX = 500


class EventRefused(DomainError):
    """What a resident or staff member cannot do with an event; ``code`` for programs, ``field`` for forms."""

    http_status = 422


class NotFound(DomainError):
    code = "not_found"
    http_status = 404


def _notify_after_commit(registration_ids: Iterable[int], kind: str) -> None:
    ids = list(registration_ids)
    if not ids:
        return
    from idx.events.tasks import notify_registrations

    transaction.on_commit(lambda: notify_registrations.enqueue(ids, kind))


def _rate_check(resident: User) -> None:
    if not getattr(settings, "IDX_RATELIMIT_ENABLED", True):
        return
    rate = parse_rate(getattr(settings, "IDX_EVENT_REGISTRATION_RATE", DEFAULT_REGISTRATION_RATE))
    if rate is not None and hit(f"events:account:{resident.pk}", rate) is not None:
        raise EventRefused(
            code="rate_limited",
            message=_("You have registered or cancelled too many times in a short time. Try again later."),
        )


@dataclass(frozen=True)
class Counts:
    confirmed: int  # places held
    waitlisted: int  # places waiting


def counts_locked(event: Event) -> Counts:
    """The places held and waiting (call with the event's row locked to rely on them)."""
    rows = (
        Registration.objects.filter(event=event, status__in=LIVE)
        .values("status")
        .annotate(places=Sum("companions"), count=Sum(1))
    )
    found = {row["status"]: int(row["places"] or 0) + int(row["count"] or 0) for row in rows}
    return Counts(
        confirmed=found.get(RegistrationStatus.CONFIRMED, 0),
        waitlisted=found.get(RegistrationStatus.WAITLISTED, 0),
    )


def _lock(event: Event) -> Event:
    return Event.objects.select_for_update().get(pk=event.pk)


# ---- registering ------------------------------------------------------------------------------


def registration_create(
    *,
    event: Event,
    resident: User,
    companions: int = 0,
    help_topics: Iterable[str] = (),
    help_note: str = "",
    accept_waitlist: bool = False,
    now: dt.datetime | None = None,
) -> Registration:
    """Register ``resident`` for ``event``: confirmed while places are left, else on the waiting list
    when they accepted it (``accept_waitlist``) and it has room; refusals name the field concerned."""
    now = now or timezone.now()
    if event.municipality_id != resident.municipality_id or not resident.is_resident:
        raise NotFound()
    help_note = (help_note or "").strip()
    if len(help_note) > HELP_NOTE_MAX:
        raise EventRefused(
            code="too_long",
            field="help_note",
            message=_(
                "“Anything else you need help with” is too long: at most %(max)s characters (now %(count)s)."
            ),
            params={"max": HELP_NOTE_MAX, "count": len(help_note)},
        )
    topics = [topic for topic in dict.fromkeys(help_topics) if topic]
    if any(topic not in HelpTopic.values for topic in topics):
        raise EventRefused(
            code="invalid", field="help_topics", message=_("Choose from the listed kinds of help.")
        )
    if not event.digital_support:
        topics, help_note = [], ""
    if companions < 0 or companions > event.max_companions:
        raise EventRefused(
            code="companions",
            field="companions",
            message=_("Companions: at most %(max)s for this event."),
            params={"max": event.max_companions},
        )
    _rate_check(resident)
    with transaction.atomic(durable=True):
        event = _lock(event)
        if event.status != EventStatus.PUBLISHED or event.starts_at <= now:
            raise EventRefused(code="closed", message=_("This event no longer takes registrations."))
        if now > event.registration_deadline:
            raise EventRefused(
                code="deadline",
                message=_("Registration for this event closed on %(deadline)s."),
                params={"deadline": _deadline_text(event.registration_deadline)},
            )
        if Registration.objects.filter(event=event, resident=resident, status__in=LIVE).exists():
            raise EventRefused(
                code="already_registered",
                message=_("You are already registered for this event. See it under “My events”."),
            )
        seats = 1 + companions
        counts = counts_locked(event)
        if counts.confirmed + seats <= event.capacity and counts.waitlisted == 0:
            status = RegistrationStatus.CONFIRMED
        elif counts.waitlisted + seats <= event.waitlist_size:
            if not accept_waitlist:
                raise EventRefused(
                    code="full",
                    message=_(
                        "This event is full. You can join the waiting list: when someone cancels, you move up and we tell you."
                    ),
                )
            status = RegistrationStatus.WAITLISTED
        else:
            raise EventRefused(
                code="full_waitlist", message=_("This event is full, and so is its waiting list.")
            )
        try:
            with transaction.atomic():
                registration = Registration.objects.create(
                    municipality_id=event.municipality_id,
                    event=event,
                    resident=resident,
                    status=status,
                    companions=companions,
                    help_topics=topics,
                    help_note=help_note,
                    payment_state=PaymentState.DUE
                    if event.paid and status == RegistrationStatus.CONFIRMED
                    else PaymentState.NONE,
                )
        except IntegrityError as exc:  # the other tab's request won
            raise EventRefused(
                code="already_registered",
                message=_("You are already registered for this event. See it under “My events”."),
            ) from exc
        audit_record(
            municipality=event.municipality,
            actor=resident,
            action=f"event.registration.{status}",
            target_type="event_registration",
            target_id=str(registration.public_id),
            after={"event": str(event.public_id), "places": seats, "status": status},
        )
        _notify_after_commit(
            [registration.pk], "confirmed" if status == RegistrationStatus.CONFIRMED else "waitlisted"
        )
    return registration


def _deadline_text(value: dt.datetime) -> str:
    from idx.common.dates import format_date

    return format_date(timezone.localtime(value).date())


def _promote(event: Event, now: dt.datetime) -> list[int]:
    """Move waiting registrations up, in order of arrival, while their places fit (event locked).

    Stops at the first that does not fit, so nobody is passed over by a smaller party.
    """
    counts = counts_locked(event)
    free = event.capacity - counts.confirmed
    promoted: list[int] = []
    for waiting in Registration.objects.filter(event=event, status=RegistrationStatus.WAITLISTED).order_by(
        "created_at", "pk"
    ):
        if waiting.seats > free:
            break
        waiting.status = RegistrationStatus.CONFIRMED
        waiting.promoted_at = now
        waiting.payment_state = PaymentState.DUE if event.paid else PaymentState.NONE
        waiting.save(update_fields=["status", "promoted_at", "payment_state", "updated_at"])
        free -= waiting.seats
        promoted.append(waiting.pk)
    return promoted


def _release(registration: Registration, *, actor: User | None, by_city: bool, now: dt.datetime) -> list[int]:
    """Cancel one registration (event locked) and promote whom its places now fit."""
    was_confirmed = registration.status == RegistrationStatus.CONFIRMED
    registration.status = RegistrationStatus.CANCELLED
    registration.cancelled_at = now
    registration.cancelled_by_city = by_city
    registration.save(update_fields=["status", "cancelled_at", "cancelled_by_city", "updated_at"])
    # Waiting places free up too (a smaller party behind may now fit): promote in any case.
    del was_confirmed
    promoted = _promote(registration.event, now)
    audit_record(
        municipality=registration.event.municipality,
        actor=actor,
        action="event.registration.cancelled",
        target_type="event_registration",
        target_id=str(registration.public_id),
        after={"by_city": by_city, "promoted": len(promoted)},
    )
    return promoted


def registration_cancel(
    *, registration: Registration, resident: User, now: dt.datetime | None = None
) -> Registration:
    """The resident cancels (until the event's cancellation deadline); the next waiting move up."""
    now = now or timezone.now()
    if registration.resident_id != resident.pk:
        raise NotFound()
    _rate_check(resident)
    refund = False
    with transaction.atomic(durable=True):
        event = _lock(registration.event)
        registration = Registration.objects.select_for_update().get(pk=registration.pk)
        registration.event = event
        if registration.status == RegistrationStatus.CANCELLED:
            return registration  # cancelled already (another tab): nothing more to do
        if now > event.cancel_deadline and registration.status == RegistrationStatus.CONFIRMED:
            raise EventRefused(
                code="cancel_deadline",
                message=_("Cancelling online closed on %(deadline)s. Please call the department."),
                params={"deadline": _deadline_text(event.cancel_deadline)},
            )
        refund = registration.payment_state == PaymentState.PAID
        promoted = _release(registration, actor=resident, by_city=False, now=now)
        _notify_after_commit([registration.pk], "cancelled")
        _notify_after_commit(promoted, "promoted")
        if refund:
            transaction.on_commit(partial(_refund_after_commit, registration.pk, "cancelled by the resident"))
    return registration


def registration_expire_unpaid(registration_id: int) -> None:
    """A fee that was not paid in time: the place goes to the next on the waiting list (payments' callback)."""
    with transaction.atomic(durable=True):
        registration = Registration.objects.select_related("event").filter(pk=registration_id).first()
        if registration is None:
            return
        event = _lock(registration.event)
        registration = Registration.objects.select_for_update().get(pk=registration_id)
        registration.event = event
        if (
            registration.status != RegistrationStatus.CONFIRMED
            or registration.payment_state != PaymentState.DUE
        ):
            return
        from idx.payments.models import PaymentStatus
        from idx.payments.selectors import payments_for_payable

        if (
            payments_for_payable(kind=PAYABLE_KIND, payable_id=registration.pk)
            .filter(status__in=[PaymentStatus.PENDING, PaymentStatus.PAID])
            .exists()
        ):
            return  # a newer payment runs (or was paid): keep the place
        promoted = _release(registration, actor=None, by_city=False, now=timezone.now())
        _notify_after_commit([registration.pk], "cancelled")
        _notify_after_commit(promoted, "promoted")


def registration_mark_paid(registration_id: int) -> None:
    """Payments' callback: the fee is paid (idempotent). Paid after a cancellation: refunded at once."""
    with transaction.atomic():
        registration = Registration.objects.select_for_update().filter(pk=registration_id).first()
        if registration is None or registration.payment_state == PaymentState.PAID:
            return
        if registration.status == RegistrationStatus.CANCELLED:
            transaction.on_commit(partial(_refund_after_commit, registration.pk, "paid after cancellation"))
            return
        registration.payment_state = PaymentState.PAID
        registration.save(update_fields=["payment_state", "updated_at"])


def registration_mark_refunded(registration_id: int) -> None:
    Registration.objects.filter(pk=registration_id, payment_state=PaymentState.PAID).update(
        payment_state=PaymentState.REFUNDED, updated_at=timezone.now()
    )


def _refund_after_commit(registration_id: int, reason: str) -> None:
    from idx.events.tasks import refund_registration

    refund_registration.enqueue(registration_id, reason)


def registration_refund(registration_id: int, reason: str) -> int:
    """Give back what was paid for a registration (through payments); returns the yen refunded."""
    from idx.payments.services import payable_refund

    return payable_refund(kind=PAYABLE_KIND, payable_id=registration_id, reason=reason)


def registration_payment_start(
    *, registration: Registration, resident: User, provider: str, base_url: str
) -> Payment:
    """Start paying a confirmed registration's fee (places × fee) through the payments app."""
    from idx.common.i18n import pick
    from idx.payments.services import payment_start_for_payable

    if registration.resident_id != resident.pk:
        raise NotFound()
    event = registration.event
    if registration.status != RegistrationStatus.CONFIRMED or registration.payment_state != PaymentState.DUE:
        raise EventRefused(code="nothing_due", message=_("There is nothing to pay for this registration."))
    return payment_start_for_payable(
        kind=PAYABLE_KIND,
        payable_id=registration.pk,
        municipality_id=event.municipality_id,
        department_id=event.department_id,
        payer=resident,
        purpose=f"{pick(event.titles, 'ja')} {registration.seats}名",
        amount=event.fee * registration.seats,
        provider=provider,
        base_url=base_url,
    )


# ---- the city ---------------------------------------------------------------------------------


def event_cancel(
    *, event: Event, staff: User, reasons: dict[str, str], now: dt.datetime | None = None
) -> Event:
    """The city cancels the event: every registration is cancelled and told, paid fees are refunded."""
    now = now or timezone.now()
    if event.municipality_id != staff.municipality_id or not can(
        staff, Action.MANAGE_EVENTS, event.department
    ):
        raise NotFound()
    reasons = {lang: text.strip() for lang, text in reasons.items() if text and text.strip()}
    if not reasons.get("ja"):
        raise EventRefused(code="required", field="reason", message=_("Give the reason for cancelling."))
    if any(len(text) > CANCEL_REASON_MAX for text in reasons.values()):
        raise EventRefused(
            code="too_long",
            field="reason",
            message=_("The reason is too long: at most %(max)s characters."),
            params={"max": CANCEL_REASON_MAX},
        )
    with transaction.atomic(durable=True):
        event = _lock(event)
        if event.status == EventStatus.CANCELLED:
            return event
        event.status = EventStatus.CANCELLED
        event.cancelled_at = now
        event.cancel_reasons = reasons
        event.save(update_fields=["status", "cancelled_at", "cancel_reasons", "updated_at"])
        live = list(Registration.objects.select_for_update().filter(event=event, status__in=LIVE))
        paid = [registration.pk for registration in live if registration.payment_state == PaymentState.PAID]
        Registration.objects.filter(pk__in=[registration.pk for registration in live]).update(
            status=RegistrationStatus.CANCELLED, cancelled_at=now, cancelled_by_city=True, updated_at=now
        )
        audit_record(
            municipality=event.municipality,
            actor=staff,
            action="event.cancelled",
            target_type="event",
            target_id=str(event.public_id),
            after={"registrations": len(live), "refunds": len(paid), "reason": reasons["ja"]},
        )
        _notify_after_commit([registration.pk for registration in live], "event_cancelled")
        for registration_id in paid:
            transaction.on_commit(
                partial(_refund_after_commit, registration_id, "event cancelled by the city")
            )
        # Payments still running end now (the money would otherwise be taken for a cancelled event).
        for registration in live:
            if registration.payment_state == PaymentState.DUE:
                transaction.on_commit(
                    partial(_refund_after_commit, registration.pk, "event cancelled by the city")
                )
    return event


@dataclass(frozen=True)
class CheckIn:
    registration: Registration
    already: bool  # checked in before: nothing changed


def registration_check_in(*, event: Event, code: str, staff: User, now: dt.datetime | None = None) -> CheckIn:
    """Check a participant in by the code of their QR (or typed); a second check-in changes nothing."""
    now = now or timezone.now()
    if event.municipality_id != staff.municipality_id or not can(
        staff, Action.CHECK_IN_EVENT, event.department
    ):
        raise NotFound()
    normalised = "".join(code.split()).upper().replace("-", "")[:20]
    if not normalised:
        raise EventRefused(code="required", field="code", message=_("Enter the code under the QR code."))
    with transaction.atomic(durable=True):
        registration = (
            Registration.objects.select_for_update()
            .select_related("resident", "event")
            .filter(event=event, code=normalised)
            .first()
        )
        if registration is None:
            raise EventRefused(
                code="unknown_code", field="code", message=_("No registration for this event has this code.")
            )
        if registration.status != RegistrationStatus.CONFIRMED:
            raise EventRefused(
                code="not_confirmed",
                field="code",
                message=_("This registration is not confirmed (%(status)s)."),
                params={"status": registration.get_status_display()},
            )
        if registration.checked_in_at is not None:
            return CheckIn(registration=registration, already=True)
        registration.checked_in_at = now
        registration.checked_in_by = staff
        registration.save(update_fields=["checked_in_at", "checked_in_by", "updated_at"])
        audit_record(
            municipality=event.municipality,
            actor=staff,
            action="event.registration.checked_in",
            target_type="event_registration",
            target_id=str(registration.public_id),
            after={"event": str(event.public_id)},
        )
    return CheckIn(registration=registration, already=False)


def event_create(
    *,
    staff: User,
    department_id: int,
    titles: dict[str, str],
    descriptions: dict[str, str],
    places: dict[str, str],
    category: str,
    area: str,
    accessibility: list[str],
    starts_at: dt.datetime,
    ends_at: dt.datetime,
    registration_deadline: dt.datetime,
    cancel_deadline: dt.datetime,
    capacity: int,
    waitlist_size: int = 0,
    max_companions: int = 0,
    fee: int = 0,
    online: bool = False,
    join_base_url: str = "",
    publish: bool = False,
    accessibility_notes: dict[str, str] | None = None,
) -> Event:
    """A new event of ``staff``'s department (published at once when ``publish``)."""
    from idx.identity.models import Department

    department = Department.objects.filter(pk=department_id, municipality_id=staff.municipality_id).first()
    if department is None or not can(staff, Action.MANAGE_EVENTS, department):
        raise NotFound()
    if ends_at <= starts_at:
        raise EventRefused(code="invalid", field="ends_at", message=_("The end must be after the start."))
    if registration_deadline > starts_at:
        raise EventRefused(
            code="invalid",
            field="registration_deadline",
            message=_("The registration deadline must be before the start."),
        )
    with transaction.atomic(durable=True):
        event = Event.objects.create(
            municipality_id=staff.municipality_id,
            department=department,
            titles=titles,
            descriptions=descriptions,
            places=places,
            accessibility_notes=accessibility_notes or {},
            category=category,
            area=area,
            accessibility=accessibility,
            starts_at=starts_at,
            ends_at=ends_at,
            registration_deadline=registration_deadline,
            cancel_deadline=cancel_deadline,
            capacity=capacity,
            waitlist_size=waitlist_size,
            max_companions=max_companions,
            fee=fee,
            online=online,
            join_base_url=join_base_url,
            status=EventStatus.PUBLISHED if publish else EventStatus.DRAFT,
        )
        audit_record(
            municipality=event.municipality,
            actor=staff,
            action="event.created",
            target_type="event",
            target_id=str(event.public_id),
            after={"title": titles.get("ja", ""), "capacity": capacity, "fee": fee},
        )
    return event


def reminders_send(today: dt.date) -> int:
    """The day-before reminders (``idx notifications reminders``); idempotent per registration."""
    from idx.events.messages import registration_notify
    from idx.events.selectors import TOKYO

    start = dt.datetime.combine(today + dt.timedelta(days=1), dt.time.min, tzinfo=TOKYO)
    ids = Registration.objects.filter(
        status=RegistrationStatus.CONFIRMED,
        event__status=EventStatus.PUBLISHED,
        event__starts_at__gte=start,
        event__starts_at__lt=start + dt.timedelta(days=1),
    ).values_list("pk", flat=True)
    return sum(registration_notify(registration_id, "reminder") for registration_id in ids)


# ---- editing a published event ------------------------------------------------------------------

TEXT_FIELDS = ("titles", "descriptions", "places", "accessibility_notes")
TEXT_MAX = {"titles": 120, "descriptions": 2000, "places": 200, "accessibility_notes": 500}
# The fields edited as they are (not per language).
PLAIN_FIELDS = (
    "area",
    "accessibility",
    "starts_at",
    "ends_at",
    "registration_deadline",
    "cancel_deadline",
    "capacity",
    "waitlist_size",
    "max_companions",
    "fee",
    "online",
    "join_base_url",
)
EDITABLE = (*TEXT_FIELDS, *PLAIN_FIELDS)
# A change of these is told to everyone registered or waiting.
TOLD = ("starts_at", "ends_at", "places", "online", "join_base_url")


@dataclass(frozen=True)
class EventUpdate:
    event: Event
    changed: tuple[str, ...]  # the fields that changed
    promoted: int  # registrations moved up from the waiting list (the capacity was raised)
    told: int  # registrations told of a change of date, time or place


def event_changes(event: Event, values: dict[str, object]) -> tuple[str, ...]:
    """The fields ``values`` would change (texts compared without surrounding spaces or empty languages)."""
    changed = []
    for name, value in values.items():
        if name not in EDITABLE:
            raise ValueError(name)
        if name in TEXT_FIELDS and isinstance(value, dict):
            value = {lang: str(text).strip() for lang, text in value.items() if text and str(text).strip()}
        if name == "accessibility" and isinstance(value, list | tuple):
            if sorted(value) != sorted(event.accessibility):
                changed.append(name)
            continue
        if getattr(event, name) != value:
            changed.append(name)
    return tuple(changed)


def event_update_told(event: Event, changed: Iterable[str]) -> int:
    """How many live registrations a change of ``changed`` would tell (0 when it tells nobody)."""
    if not set(changed) & set(TOLD):
        return 0
    return Registration.objects.filter(event=event, status__in=LIVE).count()


def _refuse_update(code: str, field: str, message: str | Promise, **params: object) -> EventRefused:
    return EventRefused(code=code, field=field, message=message, params=params)


def event_update(
    *, event: Event, staff: User, values: dict[str, object], now: dt.datetime | None = None
) -> EventUpdate:
    """Change a draft or published event (not a cancelled one) with what is safe to change.

    Raising the capacity promotes from the waiting list; lowering it below the places held is
    refused (as is a waiting list smaller than the places waiting); a new date, time or place is
    told to everyone registered or waiting; the fee cannot change once someone paid or a payment
    runs. Audited with the fields before and after.
    """
    now = now or timezone.now()
    if event.municipality_id != staff.municipality_id or not can(
        staff, Action.MANAGE_EVENTS, event.department
    ):
        raise NotFound()
    values = dict(values)
    for name in TEXT_FIELDS:
        if name in values:
            texts = values[name]
            if not isinstance(texts, dict):
                raise ValueError(name)
            cleaned = {
                str(lang): str(text).strip() for lang, text in texts.items() if text and str(text).strip()
            }
            for _lang, text in cleaned.items():
                if len(text) > TEXT_MAX[name]:
                    raise _refuse_update(
                        "too_long",
                        name,
                        _("Too long: at most %(max)s characters (now %(count)s)."),
                        max=TEXT_MAX[name],
                        count=len(text),
                    )
            values[name] = cleaned
    titles = values.get("titles")
    if isinstance(titles, dict) and not titles.get("ja"):
        raise _refuse_update("required", "titles", _("Give the title in Japanese."))
    from idx.events.models import Accessibility, Area

    if "area" in values and values["area"] not in Area.values:
        raise _refuse_update("invalid", "area", _("Choose an area from the list."))
    if "accessibility" in values:
        chosen = list(dict.fromkeys(values["accessibility"]))  # type: ignore[call-overload]
        if any(value not in Accessibility.values for value in chosen):
            raise _refuse_update("invalid", "accessibility", _("Choose from the listed kinds of access."))
        values["accessibility"] = chosen
    for name in ("capacity", "waitlist_size", "max_companions", "fee"):
        if name in values and (not isinstance(values[name], int) or values[name] < 0):  # type: ignore[operator]
            raise _refuse_update("invalid", name, _("Enter a whole number of 0 or more."))
    if "capacity" in values and values["capacity"] < 1:  # type: ignore[operator]
        raise _refuse_update("invalid", "capacity", _("An event has at least one place."))

    with transaction.atomic(durable=True):
        event = _lock(event)
        if event.status == EventStatus.CANCELLED:
            raise EventRefused(code="cancelled", message=_("A cancelled event cannot be changed."))
        changed = event_changes(event, values)
        if not changed:
            return EventUpdate(event=event, changed=(), promoted=0, told=0)
        before = {name: _audit_value(getattr(event, name)) for name in changed}
        merged = {name: values[name] if name in changed else getattr(event, name) for name in EDITABLE}
        starts, ends = merged["starts_at"], merged["ends_at"]
        if ends <= starts:  # type: ignore[operator]
            raise _refuse_update("invalid", "ends_at", _("The end must be after the start."))
        if merged["registration_deadline"] > starts:  # type: ignore[operator]
            raise _refuse_update(
                "invalid", "registration_deadline", _("The registration deadline must be before the start.")
            )
        if merged["cancel_deadline"] > starts:  # type: ignore[operator]
            raise _refuse_update(
                "invalid", "cancel_deadline", _("The cancellation deadline must be before the start.")
            )
        if "starts_at" in changed and starts <= now:  # type: ignore[operator]
            raise _refuse_update("invalid", "starts_at", _("The new start must be in the future."))
        if merged["online"] and not merged["join_base_url"]:
            raise _refuse_update("required", "join_base_url", _("An online event needs its meeting link."))
        counts = counts_locked(event)
        if "capacity" in changed and merged["capacity"] < counts.confirmed:  # type: ignore[operator]
            raise _refuse_update(
                "below_registered",
                "capacity",
                _(
                    "%(registered)s places are already taken: the places cannot be fewer. "
                    "Ask registrants to cancel first, or cancel the event."
                ),
                registered=counts.confirmed,
            )
        if "waitlist_size" in changed and merged["waitlist_size"] < counts.waitlisted:  # type: ignore[operator]
            raise _refuse_update(
                "below_waiting",
                "waitlist_size",
                _("%(waiting)s places are already waiting: the waiting list cannot be shorter."),
                waiting=counts.waitlisted,
            )
        if "max_companions" in changed and merged["max_companions"] < event.max_companions:  # type: ignore[operator]
            most = (
                Registration.objects.filter(event=event, status__in=LIVE)
                .order_by("-companions")
                .values_list("companions", flat=True)
                .first()
            ) or 0
            if most > merged["max_companions"]:  # type: ignore[operator]
                raise _refuse_update(
                    "below_registered",
                    "max_companions",
                    _("A registration already brings %(count)s companions: the limit cannot be lower."),
                    count=most,
                )
        if "fee" in changed:
            _check_fee_change(event)
        for name in changed:
            setattr(event, name, merged[name])
        event.save(update_fields=[*changed, "updated_at"])
        if "fee" in changed:
            live = Registration.objects.filter(event=event, status=RegistrationStatus.CONFIRMED)
            if event.fee > 0:
                live.filter(payment_state=PaymentState.NONE).update(
                    payment_state=PaymentState.DUE, updated_at=now
                )
            else:
                live.filter(payment_state=PaymentState.DUE).update(
                    payment_state=PaymentState.NONE, updated_at=now
                )
        promoted = _promote(event, now) if {"capacity", "waitlist_size"} & set(changed) else []
        told_ids: list[int] = []
        if set(changed) & set(TOLD):
            told_ids = list(
                Registration.objects.filter(event=event, status__in=LIVE)
                .exclude(pk__in=promoted)
                .values_list("pk", flat=True)
            )
        audit_record(
            municipality=event.municipality,
            actor=staff,
            action="event.updated",
            target_type="event",
            target_id=str(event.public_id),
            before=before,
            after={
                **{name: _audit_value(getattr(event, name)) for name in changed},
                "promoted": len(promoted),
                "told": len(told_ids),
            },
        )
        _notify_after_commit(promoted, "promoted")
        if told_ids:
            stamp = now.strftime("%Y%m%d%H%M%S%f")
            _notify_after_commit(told_ids, f"changed:{stamp}")
    return EventUpdate(event=event, changed=changed, promoted=len(promoted), told=len(told_ids))


def _audit_value(value: object) -> object:
    if isinstance(value, dt.datetime):
        return value.isoformat()
    return value


def _check_fee_change(event: Event) -> None:
    """The fee stays once someone paid (or was refunded), or while a payment runs."""
    registrations = Registration.objects.filter(event=event)
    if registrations.filter(payment_state__in=[PaymentState.PAID, PaymentState.REFUNDED]).exists():
        raise _refuse_update(
            "fee_paid", "fee", _("Someone has already paid for this event: the fee cannot change.")
        )
    from idx.payments.models import PaymentStatus
    from idx.payments.selectors import payments_for_payable

    for registration_id in registrations.filter(payment_state=PaymentState.DUE).values_list("pk", flat=True):
        if (
            payments_for_payable(kind=PAYABLE_KIND, payable_id=registration_id)
            .filter(status__in=[PaymentStatus.PENDING, PaymentStatus.PAID])
            .exists()
        ):
            raise _refuse_update(
                "payment_running",
                "fee",
                _("A registrant is paying the fee right now: the fee cannot change."),
            )
