"""Registering, the waiting list and promotion, cancelling, the city's cancellation, check-in."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from idx.events import services
from idx.events.models import PaymentState, Registration, RegistrationStatus
from idx.events.services import EventRefused, counts_locked
from idx.notifications.models import Message
from tests.events.conftest import make_event
from tests.factories import ResidentFactory


def people(iga, count):
    return [ResidentFactory(municipality=iga) for _ in range(count)]


@pytest.mark.django_db
def test_places_then_waiting_list_then_full(iga, small_class):
    a, b, c, d, e = people(iga, 5)
    assert services.registration_create(event=small_class, resident=a).status == "confirmed"
    assert services.registration_create(event=small_class, resident=b).status == "confirmed"
    with pytest.raises(EventRefused) as refused:
        services.registration_create(event=small_class, resident=c)
    assert refused.value.code == "full"
    assert "waiting list" in refused.value.text()
    assert (
        services.registration_create(event=small_class, resident=c, accept_waitlist=True).status
        == "waitlisted"
    )
    services.registration_create(event=small_class, resident=d, accept_waitlist=True)
    with pytest.raises(EventRefused) as refused:
        services.registration_create(event=small_class, resident=e, accept_waitlist=True)
    assert refused.value.code == "full_waitlist"
    assert counts_locked(small_class) == services.Counts(confirmed=2, waitlisted=2)


@pytest.mark.django_db
def test_a_cancellation_promotes_the_first_waiting_once_and_tells_them(
    iga, small_class, django_capture_on_commit_callbacks
):
    a, b, c, d = people(iga, 4)
    first = services.registration_create(event=small_class, resident=a)
    services.registration_create(event=small_class, resident=b)
    waiting = services.registration_create(
        event=small_class,
        resident=c,
        accept_waitlist=True,
        help_topics=["mynumber_login"],
        help_note="LINEも",
    )
    services.registration_create(event=small_class, resident=d, accept_waitlist=True)
    with django_capture_on_commit_callbacks(execute=True):
        services.registration_cancel(registration=first, resident=a)
    waiting.refresh_from_db()
    assert waiting.status == RegistrationStatus.CONFIRMED and waiting.promoted_at is not None
    assert counts_locked(small_class) == services.Counts(confirmed=2, waitlisted=1)
    assert Message.objects.filter(recipient=c, purpose="event_waitlist_promotion").exists()
    # Cancelling again changes nothing and promotes nobody else.
    with django_capture_on_commit_callbacks(execute=True):
        services.registration_cancel(registration=first, resident=a)
    assert Registration.objects.filter(event=small_class, status="confirmed").count() == 2


@pytest.mark.django_db
def test_two_tabs_register_once(iga, small_class):
    (a,) = people(iga, 1)
    services.registration_create(event=small_class, resident=a)
    with pytest.raises(EventRefused) as refused:
        services.registration_create(event=small_class, resident=a)
    assert refused.value.code == "already_registered"
    assert Registration.objects.filter(event=small_class, resident=a).count() == 1


@pytest.mark.django_db
def test_after_the_deadline_is_refused_with_the_date(iga):
    event = make_event(iga, registration_deadline=timezone.now() - dt.timedelta(hours=1))
    (a,) = people(iga, 1)
    with pytest.raises(EventRefused) as refused:
        services.registration_create(event=event, resident=a)
    assert refused.value.code == "deadline"
    assert "closed on" in refused.value.text()


@pytest.mark.django_db
def test_oversize_help_note_names_the_field(iga, small_class):
    (a,) = people(iga, 1)
    with pytest.raises(EventRefused) as refused:
        services.registration_create(event=small_class, resident=a, help_note="あ" * 501)
    assert refused.value.field == "help_note"
    assert "at most 500" in refused.value.text() and "501" in refused.value.text()
    assert not Registration.objects.filter(resident=a).exists()


@pytest.mark.django_db
def test_companions_take_places_and_are_limited(iga):
    event = make_event(iga, capacity=3, waitlist_size=0, max_companions=2, category="sports")
    a, b = people(iga, 2)
    with pytest.raises(EventRefused) as refused:
        services.registration_create(event=event, resident=a, companions=3)
    assert refused.value.field == "companions"
    services.registration_create(event=event, resident=a, companions=2)
    with pytest.raises(EventRefused) as refused:
        services.registration_create(event=event, resident=b, companions=1)
    assert refused.value.code == "full_waitlist"
    assert counts_locked(event).confirmed == 3


@pytest.mark.django_db
def test_a_larger_party_waits_and_nobody_passes_it(iga):
    event = make_event(iga, capacity=2, waitlist_size=5, max_companions=2)
    a, b, c, d = people(iga, 4)
    first = services.registration_create(event=event, resident=a)
    services.registration_create(event=event, resident=b)
    big = services.registration_create(event=event, resident=c, companions=1, accept_waitlist=True)
    small = services.registration_create(event=event, resident=d, accept_waitlist=True)
    services.registration_cancel(registration=first, resident=a)  # one place: the party of two waits
    big.refresh_from_db()
    small.refresh_from_db()
    assert big.status == small.status == RegistrationStatus.WAITLISTED
    assert counts_locked(event) == services.Counts(confirmed=1, waitlisted=3)


@pytest.mark.django_db
def test_cancel_after_the_deadline_is_refused(iga):
    event = make_event(iga, cancel_deadline=timezone.now() - dt.timedelta(minutes=1))
    (a,) = people(iga, 1)
    registration = services.registration_create(event=event, resident=a)
    with pytest.raises(EventRefused) as refused:
        services.registration_cancel(registration=registration, resident=a)
    assert refused.value.code == "cancel_deadline"


@pytest.mark.django_db
def test_check_in_twice_is_harmless(iga, small_class, clerk, clerk_other_department):
    (a,) = people(iga, 1)
    registration = services.registration_create(event=small_class, resident=a)
    first = services.registration_check_in(event=small_class, code=registration.code.lower(), staff=clerk)
    again = services.registration_check_in(event=small_class, code=registration.code, staff=clerk)
    assert not first.already and again.already
    assert again.registration.checked_in_at == first.registration.checked_in_at
    with pytest.raises(services.NotFound):
        services.registration_check_in(
            event=small_class, code=registration.code, staff=clerk_other_department
        )
    with pytest.raises(EventRefused) as refused:
        services.registration_check_in(event=small_class, code="NOSUCHCODE", staff=clerk)
    assert refused.value.field == "code"


@pytest.mark.django_db
def test_help_is_only_kept_for_digital_support(iga):
    event = make_event(iga, category="disaster")
    (a,) = people(iga, 1)
    registration = services.registration_create(event=event, resident=a, help_topics=["line"], help_note="x")
    assert registration.help_topics == [] and registration.help_note == ""


@pytest.mark.django_db
def test_online_join_link_is_personal(iga, other_resident, resident):
    event = make_event(iga, online=True, area="online", join_base_url="https://meet.example.jp/r/kosodate")
    mine = services.registration_create(event=event, resident=resident)
    theirs = services.registration_create(event=event, resident=other_resident)
    assert mine.join_url.startswith("https://meet.example.jp/r/kosodate?t=")
    assert mine.join_url != theirs.join_url


@pytest.mark.django_db
def test_city_cancellation_cancels_everyone_and_tells_them(
    iga, small_class, supervisor, django_capture_on_commit_callbacks
):
    a, b, c = people(iga, 3)
    services.registration_create(event=small_class, resident=a)
    services.registration_create(event=small_class, resident=b)
    services.registration_create(event=small_class, resident=c, accept_waitlist=True)
    with pytest.raises(EventRefused) as refused:
        services.event_cancel(event=small_class, staff=supervisor, reasons={"ja": ""})
    assert refused.value.field == "reason"
    with django_capture_on_commit_callbacks(execute=True):
        services.event_cancel(
            event=small_class, staff=supervisor, reasons={"ja": "台風接近のため中止します。"}
        )
    assert counts_locked(small_class) == services.Counts(confirmed=0, waitlisted=0)
    assert Registration.objects.filter(event=small_class, cancelled_by_city=True).count() == 3
    assert (
        Message.objects.filter(purpose="event_cancellation", recipient__in=[a, b, c])
        .values("recipient")
        .distinct()
        .count()
        == 3
    )


@pytest.mark.django_db
def test_reminders_the_day_before_once(iga, resident):
    from idx.events.selectors import TOKYO

    today = timezone.now().astimezone(TOKYO).date()
    starts = dt.datetime.combine(today + dt.timedelta(days=1), dt.time(10), tzinfo=TOKYO)
    event = make_event(
        iga,
        starts_at=starts,
        registration_deadline=timezone.now() + dt.timedelta(hours=1),
        cancel_deadline=timezone.now() + dt.timedelta(hours=1),
    )
    services.registration_create(event=event, resident=resident)
    assert services.reminders_send(today) >= 1
    assert services.reminders_send(today) == 0
    assert PaymentState.NONE == ""
