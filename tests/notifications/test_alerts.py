"""Disaster alerts: two people for レベル4–5 (or a recorded override), fan-out to every resident
of the areas on all channels (ignoring quiet hours), 訓練 and テスト never real, updates and
cancellations referencing the original, CAP 1.2 documents valid against the schema."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest
from django.test import Client
from django.utils import timezone
from lxml import etree

from idx.identity.models import Department, Role, User
from idx.identity.services import staff_create
from idx.notifications import alerts
from idx.notifications.cap import cap_document
from idx.notifications.models import Alert, AlertStatus, Area, Message, Subscription
from tests.conftest import IGA_HOST, signed_in

pytestmark = pytest.mark.django_db

SCHEMA = etree.XMLSchema(etree.parse(str(Path(__file__).with_name("cap-1.2.xsd"))))
TEXTS = {
    "ja": {
        "headline": "避難指示 上野西部地区",
        "description": "大雨のため",
        "instruction": "避難所へ避難してください",
    },
    "ja-easy": {
        "headline": "にげてください",
        "description": "雨が多いです。",
        "instruction": "避難所に行ってください。",
    },
    "en": {"headline": "Evacuation order", "description": "Heavy rain", "instruction": "Go to a shelter"},
}


@pytest.fixture
def crisis(iga) -> tuple[User, User]:
    department = Department.objects.get(municipality=iga, code="kiki-kanri")
    first = User.objects.get(municipality=iga, email="kiki-kanri@staff.iga.example.jp")
    second = User.objects.get(municipality=iga, email="kiki-kanri-supervisor@staff.iga.example.jp")
    assert department.crisis_management
    return first, second


@pytest.fixture
def area(iga) -> Area:
    return Area.objects.get(municipality=iga, code="ueno-seibu")


def subscribed_residents(iga, area, count: int) -> list[User]:
    users = []
    for index in range(count):
        user = User.objects.create_user(
            municipality=iga, email=f"alert{index}@example.jp", password=None, full_name=f"住民 {index}"
        )
        subscription = Subscription.objects.create(
            user=user,
            channels=["email"],
            quiet_start=dt.time(0, 0),
            quiet_end=dt.time(23, 59),  # always quiet: alerts still go out
        )
        subscription.areas.set([area])
        users.append(user)
    return users


def valid_cap(alert: Alert) -> etree._Element:
    document = etree.fromstring(cap_document(alert))
    SCHEMA.assertValid(document)
    return document


def test_level4_waits_for_a_second_person(crisis, area, iga, django_capture_on_commit_callbacks):
    first, second = crisis
    residents = subscribed_residents(iga, area, 3)
    alert = alerts.alert_issue(staff=first, kind="level4", mode="actual", areas=[area], texts=TEXTS)
    assert alert.status == AlertStatus.AWAITING_CONFIRMATION and alert.sent_at is None
    assert not Message.objects.filter(alert=alert).exists()
    with pytest.raises(alerts.AlertInvalid):
        alerts.alert_confirm(staff=first, alert=alert)  # not the same person
    with django_capture_on_commit_callbacks(execute=True):
        alerts.alert_confirm(staff=second, alert=alert)
    alert.refresh_from_db()
    assert alert.status == AlertStatus.ACTIVE and alert.confirmed_by == second
    for resident in residents:
        channels = set(
            Message.objects.filter(alert=alert, recipient=resident).values_list("channel", flat=True)
        )
        assert channels == {"inbox", "email"}
    # Quiet hours do not hold an alert back, and a second fan-out adds nothing.
    assert not Message.objects.filter(alert=alert, not_before__isnull=False).exists()
    written = Message.objects.filter(alert=alert).count()
    assert written >= len(residents) * 2
    assert alerts.alert_fan_out(alert.pk) == 0
    assert Message.objects.filter(alert=alert).count() == written
    valid_cap(alert)


def test_emergency_override_sends_at_once_and_is_recorded(crisis, area):
    first, _second = crisis
    alert = alerts.alert_issue(
        staff=first, kind="level5", mode="actual", areas=[area], texts=TEXTS, emergency_override="河川氾濫"
    )
    assert alert.status == AlertStatus.ACTIVE and alert.emergency_override == "河川氾濫"


def test_only_crisis_staff_may_issue(clerk, area):
    with pytest.raises(alerts.AlertNotPermitted):
        alerts.alert_issue(staff=clerk, kind="other", mode="actual", areas=[area], texts=TEXTS)


def test_a_japanese_headline_and_an_area_are_required(crisis, area):
    first, _second = crisis
    with pytest.raises(alerts.AlertInvalid):
        alerts.alert_issue(staff=first, kind="other", mode="actual", areas=[area], texts={"en": TEXTS["en"]})
    with pytest.raises(alerts.AlertInvalid):
        alerts.alert_issue(staff=first, kind="other", mode="actual", areas=[], texts=TEXTS)


def test_another_municipalitys_area_is_ignored(crisis, watarai):
    first, _second = crisis
    elsewhere = Area.objects.filter(municipality=watarai).first()
    with pytest.raises(alerts.AlertInvalid):
        alerts.alert_issue(staff=first, kind="other", mode="actual", areas=[elsewhere], texts=TEXTS)


def test_exercise_is_marked_and_never_in_the_banner_test_reaches_nobody(
    crisis, area, iga, django_capture_on_commit_callbacks
):
    first, _second = crisis
    residents = subscribed_residents(iga, area, 1)
    with django_capture_on_commit_callbacks(execute=True):
        exercise = alerts.alert_issue(
            staff=first, kind="shelter_open", mode="exercise", areas=[area], texts=TEXTS
        )
        test = alerts.alert_issue(staff=first, kind="shelter_open", mode="test", areas=[area], texts=TEXTS)
    message = Message.objects.get(alert=exercise, recipient=residents[0], channel="inbox")
    assert message.subject.startswith("【訓練】") or message.subject.startswith("[")
    assert not Message.objects.filter(alert=test).exists()
    assert list(alerts.active_alerts(iga.pk)) == []
    page = Client(HTTP_HOST=IGA_HOST).get("/").content.decode()
    assert 'class="emergency-banner"' not in page
    assert valid_cap(exercise).findtext("{urn:oasis:names:tc:emergency:cap:1.2}status") == "Exercise"
    assert valid_cap(test).findtext("{urn:oasis:names:tc:emergency:cap:1.2}status") == "Test"


def test_banner_update_and_cancel_reference_the_original(crisis, area, iga):
    first, _second = crisis
    original = alerts.alert_issue(staff=first, kind="level3", mode="actual", areas=[area], texts=TEXTS)
    client = Client(HTTP_HOST=IGA_HOST)
    assert "避難指示 上野西部地区" in client.get("/").content.decode()
    updated_texts = {"ja": {**TEXTS["ja"], "headline": "高齢者等避難 更新"}}
    update = alerts.alert_update(staff=first, original=original, texts=updated_texts, areas=[area])
    original.refresh_from_db()
    assert original.status == AlertStatus.SUPERSEDED and update.references == original
    cancel = alerts.alert_cancel(staff=first, original=update)
    update.refresh_from_db()
    assert update.status == AlertStatus.CANCELLED and cancel.msg_type == "Cancel"
    assert 'class="emergency-banner"' not in client.get("/").content.decode()
    ns = "{urn:oasis:names:tc:emergency:cap:1.2}"
    for alert in (original, update, cancel):
        document = valid_cap(alert)
        assert document.findtext(f"{ns}msgType") == alert.msg_type
    assert valid_cap(cancel).findtext(f"{ns}references").split(",")[1] == update.identifier


def test_feeds_are_valid_and_every_cap_document_in_them_too(crisis, area, iga):
    first, _second = crisis
    alerts.alert_issue(staff=first, kind="weather_warning", mode="actual", areas=[area], texts=TEXTS)
    alerts.alert_issue(staff=first, kind="other", mode="exercise", areas=[area], texts=TEXTS)
    client = Client(HTTP_HOST=IGA_HOST)
    feed = etree.fromstring(client.get("/alerts/feed.atom").content)
    links = feed.findall("{http://www.w3.org/2005/Atom}entry/{http://www.w3.org/2005/Atom}link")
    assert len(links) == 2
    for link in links:
        path = "/" + link.get("href").split("/", 3)[3]
        response = client.get(path)
        assert response.status_code == 200 and response["Content-Type"].startswith("application/cap+xml")
        SCHEMA.assertValid(etree.fromstring(response.content))


def test_fan_out_counts_only_the_areas_residents(crisis, area, iga, django_capture_on_commit_callbacks):
    first, _second = crisis
    inside = subscribed_residents(iga, area, 2)
    other_area = Area.objects.get(municipality=iga, code="aoyama")
    outsider = User.objects.create_user(
        municipality=iga, email="outside@example.jp", password=None, full_name="外"
    )
    Subscription.objects.create(user=outsider).areas.set([other_area])
    staff_in_area = staff_create(
        municipality=iga,
        email="s@staff.iga.example.jp",
        password="x" * 12,
        full_name="職員",
        role=Role.CLERK,
        department=None,
    )
    Subscription.objects.create(user=staff_in_area).areas.set([area])
    with django_capture_on_commit_callbacks(execute=True):
        alert = alerts.alert_issue(
            staff=first, kind="level5", mode="actual", areas=[area], texts=TEXTS, emergency_override="test"
        )
    recipients = set(Message.objects.filter(alert=alert).values_list("recipient_id", flat=True))
    assert {user.pk for user in inside} <= recipients
    assert outsider.pk not in recipients and staff_in_area.pk not in recipients
    assert timezone.now() - alert.created_at < dt.timedelta(minutes=1)


def test_alert_pages_for_staff(crisis, area, clerk):
    first, second = crisis
    client = signed_in(first)
    response = client.post(
        "/staff/alerts/new/",
        {
            "kind": "level4",
            "mode": "actual",
            "areas": [str(area.pk)],
            "ja-headline": "避難指示",
            "ja-description": "",
            "ja-instruction": "",
        },
    )
    assert response.status_code == 200 and "panel-warning" in response.content.decode()
    token = re.search(r'name="token" value="([^"]+)"', response.content.decode()).group(1)
    assert client.post("/staff/alerts/new/", {"token": token}).status_code == 302
    alert = Alert.objects.get(texts__ja__headline="避難指示")
    assert alert.status == AlertStatus.AWAITING_CONFIRMATION
    listing = client.get("/staff/alerts/").content.decode()
    assert f"/staff/alerts/{alert.identifier}/confirm/" not in listing  # not for the one who issued it
    other = signed_in(second)
    assert f"/staff/alerts/{alert.identifier}/confirm/" in other.get("/staff/alerts/").content.decode()
    assert other.post(f"/staff/alerts/{alert.identifier}/confirm/").status_code == 302
    alert.refresh_from_db()
    assert alert.status == AlertStatus.ACTIVE
    # Other staff do not even see the pages.
    assert signed_in(clerk).get("/staff/alerts/").status_code == 404
    bad = client.post("/staff/alerts/new/", {"kind": "other", "mode": "actual"})
    assert bad.status_code == 422 and 'id="error-summary"' in bad.content.decode()
