"""Changing a published event: places and the waiting list, a new date told to registrants, the fee
once paid, the second look of the staff page, the API, and who may change what."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.utils import timezone

from idx.audit.models import AuditEntry
from idx.events import services
from idx.events.models import PaymentState, Registration, RegistrationStatus
from idx.events.services import EventRefused, counts_locked
from idx.notifications.models import Message
from tests.api.contract import conforms
from tests.conftest import signed_in
from tests.events.conftest import make_event
from tests.events.test_fees import _pay, fake, marathon  # noqa: F401  (fixtures)
from tests.factories import ResidentFactory


def people(iga, count):
    return [ResidentFactory(municipality=iga) for _ in range(count)]


def fill(event, iga, confirmed, waiting):
    registrations = []
    for resident in people(iga, confirmed):
        registrations.append(services.registration_create(event=event, resident=resident))
    for resident in people(iga, waiting):
        registrations.append(
            services.registration_create(event=event, resident=resident, accept_waitlist=True)
        )
    return registrations


@pytest.mark.django_db
def test_more_places_promote_the_waiting_in_order_and_tell_them(
    iga, small_class, supervisor, django_capture_on_commit_callbacks
):
    a, b, c, d = fill(small_class, iga, 2, 2)
    with django_capture_on_commit_callbacks(execute=True):
        result = services.event_update(event=small_class, staff=supervisor, values={"capacity": 3})
    assert result.changed == ("capacity",) and result.promoted == 1 and result.told == 0
    c.refresh_from_db()
    d.refresh_from_db()
    assert c.status == RegistrationStatus.CONFIRMED and c.promoted_at is not None
    assert d.status == RegistrationStatus.WAITLISTED
    assert counts_locked(small_class) == services.Counts(confirmed=3, waitlisted=1)
    assert (
        Message.objects.filter(
            purpose="event_waitlist_promotion", recipient=c.resident, channel="inbox"
        ).count()
        == 1
    )
    entry = AuditEntry.objects.filter(action="event.updated").latest("pk")
    assert entry.before == {"capacity": 2} and entry.after["capacity"] == 3 and entry.after["promoted"] == 1


@pytest.mark.django_db
def test_fewer_places_than_taken_is_refused_with_the_count(iga, small_class, supervisor):
    fill(small_class, iga, 2, 1)
    with pytest.raises(EventRefused) as refused:
        services.event_update(event=small_class, staff=supervisor, values={"capacity": 1})
    assert refused.value.code == "below_registered" and refused.value.field == "capacity"
    assert "2" in str(refused.value.text())
    with pytest.raises(EventRefused) as shorter:
        services.event_update(event=small_class, staff=supervisor, values={"waitlist_size": 0})
    assert shorter.value.field == "waitlist_size"
    small_class.refresh_from_db()
    assert (small_class.capacity, small_class.waitlist_size) == (2, 2)


@pytest.mark.django_db
def test_a_new_date_and_place_tell_everyone_live_once_per_change(
    iga, small_class, supervisor, django_capture_on_commit_callbacks
):
    a, b, c = fill(small_class, iga, 2, 1)
    services.registration_cancel(registration=b, resident=b.resident)  # c moves up
    later = small_class.starts_at + dt.timedelta(days=7)
    values = {
        "starts_at": later,
        "ends_at": later + dt.timedelta(hours=2),
        "places": {"ja": "伊賀支所 2階 会議室", "en": "Iga branch office, 2nd floor"},
    }
    with django_capture_on_commit_callbacks(execute=True):
        result = services.event_update(event=small_class, staff=supervisor, values=values)
    assert result.told == 2
    told = Message.objects.filter(purpose="event_change", channel="inbox")
    assert sorted(told.values_list("recipient", flat=True)) == sorted([a.resident_id, c.resident_id])
    assert "伊賀支所 2階 会議室" in told.first().body or "Iga branch office" in told.first().body
    # The same values again change nothing and tell nobody.
    with django_capture_on_commit_callbacks(execute=True):
        again = services.event_update(event=small_class, staff=supervisor, values=values)
    assert again.changed == () and told.count() == 2
    # Another change is told again.
    with django_capture_on_commit_callbacks(execute=True):
        services.event_update(
            event=small_class, staff=supervisor, values={"places": {"ja": "ハイトピア伊賀 5階"}}
        )
    assert told.count() == 4


@pytest.mark.django_db
def test_a_moved_event_is_reminded_again_on_its_new_eve(iga, resident, supervisor):
    from idx.events.selectors import TOKYO

    today = timezone.now().astimezone(TOKYO).date()
    starts = dt.datetime.combine(today + dt.timedelta(days=1), dt.time(10), tzinfo=TOKYO)
    soon = timezone.now() + dt.timedelta(hours=1)
    event = make_event(iga, starts_at=starts, registration_deadline=soon, cancel_deadline=soon)
    services.registration_create(event=event, resident=resident)
    assert services.reminders_send(today) >= 1
    moved = starts + dt.timedelta(days=1)
    services.event_update(
        event=event, staff=supervisor, values={"starts_at": moved, "ends_at": moved + dt.timedelta(hours=2)}
    )
    assert services.reminders_send(today) == 0  # nothing tomorrow any more
    assert services.reminders_send(today + dt.timedelta(days=1)) >= 1
    assert Message.objects.filter(purpose="event_reminder", recipient=resident, channel="inbox").count() == 2


@pytest.mark.django_db
def test_the_daily_reminders_command_sends_events_reminders(iga, resident):
    from io import StringIO

    from django.core.management import call_command

    from idx.events.selectors import TOKYO

    today = timezone.now().astimezone(TOKYO).date()
    starts = dt.datetime.combine(today + dt.timedelta(days=1), dt.time(13, 30), tzinfo=TOKYO)
    soon = timezone.now() + dt.timedelta(hours=1)
    event = make_event(iga, starts_at=starts, registration_deadline=soon, cancel_deadline=soon)
    services.registration_create(event=event, resident=resident)
    out = StringIO()
    call_command("notifications", "reminders", "--date", today.isoformat(), stdout=out)
    reminder = Message.objects.get(purpose="event_reminder", recipient=resident, channel="inbox")
    assert "13:30" in reminder.body


@pytest.mark.django_db
def test_the_fee_stays_once_someone_paid(
    iga,
    fake,  # noqa: F811
    marathon,  # noqa: F811
    supervisor,
    django_capture_on_commit_callbacks,
):
    a, b = people(iga, 2)
    first = services.registration_create(event=marathon, resident=a)
    assert first.payment_state == PaymentState.DUE
    services.event_update(event=marathon, staff=supervisor, values={"fee": 2500})  # nobody paid yet
    marathon.refresh_from_db()
    assert marathon.fee == 2500
    first = Registration.objects.get(pk=first.pk)
    payment = services.registration_payment_start(
        registration=first, resident=a, provider="fake", base_url="http://testserver/"
    )
    assert payment.amount == 2500
    with pytest.raises(EventRefused) as running:
        services.event_update(event=marathon, staff=supervisor, values={"fee": 2000})
    assert running.value.code == "payment_running"
    with django_capture_on_commit_callbacks(execute=True):
        _pay(payment)
    with pytest.raises(EventRefused) as paid:
        services.event_update(event=marathon, staff=supervisor, values={"fee": 0})
    assert paid.value.code == "fee_paid" and paid.value.field == "fee"
    marathon.refresh_from_db()
    assert marathon.fee == 2500


@pytest.mark.django_db
def test_a_free_event_that_gets_a_fee_asks_the_registered_to_pay(iga, small_class, supervisor):
    (a,) = fill(small_class, iga, 1, 0)
    services.event_update(event=small_class, staff=supervisor, values={"fee": 500})
    a.refresh_from_db()
    assert a.payment_state == PaymentState.DUE
    services.event_update(event=small_class, staff=supervisor, values={"fee": 0})
    a.refresh_from_db()
    assert a.payment_state == PaymentState.NONE


@pytest.mark.django_db
def test_only_its_department_changes_an_event_and_never_a_cancelled_one(
    iga, small_class, supervisor, clerk, clerk_other_department, clerk_other_municipality
):
    for staff in (clerk, clerk_other_department, clerk_other_municipality):
        with pytest.raises(services.NotFound):
            services.event_update(event=small_class, staff=staff, values={"capacity": 9})
    services.event_cancel(event=small_class, staff=supervisor, reasons={"ja": "講師の急病のため中止します。"})
    with pytest.raises(EventRefused) as refused:
        services.event_update(event=small_class, staff=supervisor, values={"capacity": 9})
    assert refused.value.code == "cancelled"


@pytest.mark.django_db
def test_an_online_event_needs_its_link_and_the_link_reaches_only_the_confirmed(
    iga, resident, other_resident, supervisor
):
    event = make_event(
        iga,
        capacity=1,
        waitlist_size=1,
        online=True,
        area="online",
        places={},
        join_base_url="https://meet.example.jp/r/kosodate",
    )
    mine = services.registration_create(event=event, resident=resident)
    waiting = services.registration_create(event=event, resident=other_resident, accept_waitlist=True)
    with pytest.raises(EventRefused) as refused:
        services.event_update(event=event, staff=supervisor, values={"join_base_url": ""})
    assert refused.value.field == "join_base_url"
    services.event_update(
        event=event, staff=supervisor, values={"join_base_url": "https://meet.example.jp/r/kosodate-2"}
    )
    mine.refresh_from_db()
    waiting.refresh_from_db()
    assert mine.join_url.startswith("https://meet.example.jp/r/kosodate-2?t=")
    assert waiting.join_url == ""
    # The pages: the waiting resident's page has no link, the event page none either.
    own = signed_in(other_resident).get(f"/my/events/{waiting.public_id}/").content.decode()
    public = signed_in(other_resident).get(f"/events/{event.public_id}/").content.decode()
    assert "meet.example.jp" not in own and "meet.example.jp" not in public
    assert signed_in(other_resident).get(f"/my/events/{mine.public_id}/").status_code == 404
    assert mine.join_url in signed_in(resident).get(f"/my/events/{mine.public_id}/").content.decode()
    # The API gives the link to its registrant only.
    theirs = json.loads(signed_in(other_resident).get("/api/v1/my/event-registrations").content)
    assert [row["join_url"] for row in theirs] == [""]
    public_api = signed_in(other_resident).get(f"/api/v1/events/{event.public_id}").content.decode()
    assert "meet.example.jp" not in public_api


@pytest.mark.django_db
def test_the_staff_page_changes_with_a_second_look_and_keeps_bad_input(
    iga, small_class, supervisor, clerk, django_capture_on_commit_callbacks
):
    a, b, c = fill(small_class, iga, 2, 1)
    client = signed_in(supervisor)
    url = f"/staff/events/{small_class.public_id}/edit/"
    assert signed_in(clerk).get(url).status_code == 404
    page = client.get(url)
    assert page.status_code == 200
    html = page.content.decode()
    assert "スマホ教室（初めての方）" in html and "ハイトピア伊賀 4階" in html
    start = timezone.localtime(small_class.starts_at)
    form = {
        "title_ja": "スマホ教室（初めての方）",
        "title_easy": "スマホ きょうしつ",
        "title_en": "Smartphone class for beginners",
        "description_ja": "スマートフォンの基本操作を学びます。",
        "description_en": "Learn the basics of your smartphone.",
        "area": "ueno",
        "place_ja": "ハイトピア伊賀 4階",
        "place_en": "Hightopia Iga, 4th floor",
        "starts_at": start.strftime("%Y-%m-%dT%H:%M"),
        "ends_at": (start + dt.timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M"),
        "registration_deadline": timezone.localtime(small_class.registration_deadline).strftime(
            "%Y-%m-%dT%H:%M"
        ),
        "cancel_deadline": timezone.localtime(small_class.cancel_deadline).strftime("%Y-%m-%dT%H:%M"),
        "capacity": "1",
        "waitlist_size": "2",
        "max_companions": "0",
        "fee": "0",
        "accessibility": ["step_free", "wheelchair_seats"],
    }
    refused = client.post(url, form)
    assert refused.status_code == 400
    body = refused.content.decode()
    assert ("2 places are already taken" in body or "すでに2人分の申込み" in body) and 'value="1"' in body
    # A new place: a second look saying who is told, nothing saved yet.
    moved = {**form, "capacity": "3", "place_ja": "伊賀支所 2階 会議室"}
    look = client.post(url, moved)
    second_look = look.content.decode()
    assert look.status_code == 200
    assert "3 people registered or waiting" in second_look or "キャンセル待ちの3人" in second_look
    small_class.refresh_from_db()
    assert small_class.capacity == 2 and small_class.places["ja"] == "ハイトピア伊賀 4階"
    back = client.post(url, {**moved, "confirmed": "yes", "back": "yes"})
    assert back.status_code == 200 and "伊賀支所 2階 会議室" in back.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        done = client.post(url, {**moved, "confirmed": "yes"})
    assert done.status_code == 302
    small_class.refresh_from_db()
    assert small_class.capacity == 3 and small_class.places["ja"] == "伊賀支所 2階 会議室"
    assert small_class.places["en"] == "Hightopia Iga, 4th floor"
    c.refresh_from_db()
    assert c.status == RegistrationStatus.CONFIRMED
    assert (
        Message.objects.filter(purpose="event_change", channel="inbox").count() == 2
    )  # a, b (c was told it moved up)
    assert Registration.objects.filter(event=small_class, status="confirmed").count() == 3


@pytest.mark.django_db
def test_the_api_changes_an_event(iga, small_class, supervisor, clerk, clerk_other_municipality):
    fill(small_class, iga, 2, 1)
    path = f"/api/v1/staff/events/{small_class.public_id}"

    def patch(client, body):
        return client.patch(path, data=json.dumps(body), content_type="application/json")

    staff = signed_in(supervisor)
    body = conforms(
        patch(staff, {"capacity": 4, "titles": {"ja": "スマホ教室（LINE編）"}}),
        "PATCH",
        path.replace(str(small_class.public_id), "{event_id}"),
    )
    assert body["promoted"] == 1 and sorted(body["changed"]) == ["capacity", "titles"]
    assert body["event"]["capacity"] == 4 and body["event"]["titles"] == {"ja": "スマホ教室（LINE編）"}
    low = conforms(patch(staff, {"capacity": 1}), "PATCH", "/api/v1/staff/events/{event_id}")
    assert low["code"] == "below_registered"
    assert patch(staff, {"capacity": "4"}).status_code == 422
    assert patch(signed_in(clerk), {"capacity": 9}).status_code == 404
    assert (
        patch(signed_in(clerk_other_municipality, host="watarai.localhost"), {"capacity": 9}).status_code
        == 404
    )
