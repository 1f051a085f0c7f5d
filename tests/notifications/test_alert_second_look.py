"""Alerts with a second look: no mode is assumed, a confirmation page says who an alert reaches
and on which channels before anything goes out, a confirmation issues once however often it is
posted, and 訓練 is marked in the feeds (Atom title and summary, CAP ``status``)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.test import Client
from lxml import etree

from idx.identity.models import User
from idx.notifications import alerts
from idx.notifications.cap import atom_feed, cap_document
from idx.notifications.models import Alert, AlertStatus, Area, Message, Subscription, WebPushSubscription
from idx.notifications.selectors import alert_reach
from tests.conftest import IGA_HOST, WATARAI_HOST, signed_in

pytestmark = pytest.mark.django_db

SCHEMA = etree.XMLSchema(etree.parse(str(Path(__file__).with_name("cap-1.2.xsd"))))
CAP = "{urn:oasis:names:tc:emergency:cap:1.2}"
ATOM = "{http://www.w3.org/2005/Atom}"
ISSUER = "kiki-kanri@staff.iga.example.jp"
CONFIRMER = "kiki-kanri-supervisor@staff.iga.example.jp"


@pytest.fixture
def crisis(iga) -> tuple[User, User]:
    return (
        User.objects.get(municipality=iga, email=ISSUER),
        User.objects.get(municipality=iga, email=CONFIRMER),
    )


@pytest.fixture
def two_areas(iga) -> tuple[Area, Area]:
    return (
        Area.objects.get(municipality=iga, code="ueno-seibu"),
        Area.objects.get(municipality=iga, code="aoyama"),
    )


def resident(iga, name: str, area: Area, channels: list[str], *, line: str = "", pushes: int = 0) -> User:
    user = User.objects.create_user(
        municipality=iga, email=f"{name}@example.jp", password=None, full_name=f"住民 {name}"
    )
    subscription = Subscription.objects.create(user=user, channels=channels, line_user_id=line)
    subscription.areas.set([area])
    for index in range(pushes):
        WebPushSubscription.objects.create(
            user=user, endpoint=f"https://push.example.net/{name}/{index}", p256dh="p", auth="a"
        )
    return user


def form(areas: list[Area], **extra: str) -> dict[str, object]:
    data: dict[str, object] = {
        "kind": "shelter_open",
        "areas": [str(area.pk) for area in areas],
        "ja-headline": "避難所開設 二度見",
        "ja-description": "上野西部地区と青山地区",
        "ja-instruction": "",
        "en-headline": "Shelters open",
    }
    data.update(extra)
    return data


def token_of(page: str) -> str:
    found = re.search(r'name="token" value="([^"]+)"', page)
    assert found, page
    return found.group(1)


def test_no_mode_is_assumed_and_nothing_typed_is_lost(crisis, two_areas):
    client = signed_in(crisis[0])
    page = client.get("/staff/alerts/new/").content.decode()
    assert 'name="mode"' in page and " checked" not in page
    response = client.post("/staff/alerts/new/", form(list(two_areas)))
    page = response.content.decode()
    assert response.status_code == 422 and 'id="error-summary"' in page
    assert '<a href="#alert-mode-actual">区分：本番・訓練・テストのどれかを選んでください</a>' in page
    assert 'id="alert-mode-error"' in page
    assert 'value="避難所開設 二度見"' in page and "上野西部地区と青山地区" in page
    assert page.count(" checked") == 2  # both areas stay chosen
    assert not Alert.objects.filter(texts__ja__headline="避難所開設 二度見").exists()


def test_confirmation_counts_residents_per_channel_and_issues_once(
    crisis, two_areas, iga, django_capture_on_commit_callbacks
):
    first, _second = crisis
    before = alert_reach(iga.pk, list(two_areas))
    ueno, aoyama = two_areas
    added = [
        resident(iga, "a1", ueno, ["email"]),
        resident(iga, "a2", ueno, ["email", "line"], line="U1234"),
        resident(iga, "a3", aoyama, ["webpush"], pushes=2),
        resident(iga, "a4", aoyama, []),  # nothing chosen yet: inbox and e-mail
    ]
    elsewhere = Area.objects.filter(municipality=iga).exclude(pk__in=[ueno.pk, aoyama.pk]).first()
    resident(iga, "outside", elsewhere, ["email", "line"], line="U9")
    reach = alert_reach(iga.pk, list(two_areas))
    assert reach["residents"] - before["residents"] == 4
    assert reach["inbox"] - before["inbox"] == 4
    assert reach["email"] - before["email"] == 3
    assert reach["line"] - before["line"] == 1
    assert reach["webpush"] - before["webpush"] == 1

    client = signed_in(first)
    response = client.post("/staff/alerts/new/", form(list(two_areas), mode="exercise"))
    page = response.content.decode()
    assert response.status_code == 200 and 'class="panel panel-warning alert-confirmation"' in page
    assert "【訓練】" in page and ueno.name in page and aoyama.name in page
    table = page[page.index('id="alert-reach"') :]
    rows = re.findall(r'<th scope="row">([^<]+)</th><td>(\d+)</td>', table)
    assert rows == [
        ("ポータルのお知らせ", str(reach["inbox"])),
        ("メール", str(reach["email"])),
        ("LINE", str(reach["line"])),
        ("Web Push（ブラウザー通知）", str(reach["webpush"])),
    ]
    assert f"この地区の通知を登録している住民：{reach['residents']}人" in page
    assert not Alert.objects.filter(texts__ja__headline="避難所開設 二度見").exists()  # not yet

    token = token_of(page)
    with django_capture_on_commit_callbacks(execute=True):
        sent = client.post("/staff/alerts/new/", {"token": token})
    assert sent.status_code == 302
    alert = Alert.objects.get(texts__ja__headline="避難所開設 二度見")
    assert alert.mode == "exercise" and alert.status == AlertStatus.ACTIVE
    written = Message.objects.filter(alert=alert)
    assert written.filter(recipient__in=added, channel="inbox").count() == 4
    assert written.filter(channel="line", recipient=added[1]).count() == 1
    assert written.filter(channel="webpush", recipient=added[2]).count() == 2
    assert written.values("recipient").distinct().count() == reach["residents"]
    total = written.count()

    # The same confirmation again (a double click, the back button, a replay) sends nothing more.
    with django_capture_on_commit_callbacks(execute=True):
        again = client.post("/staff/alerts/new/", {"token": token}, follow=True)
    assert "この確認はすでに使われたか、期限が切れています" in again.content.decode()
    assert Alert.objects.filter(texts__ja__headline="避難所開設 二度見").count() == 1
    assert Message.objects.filter(alert=alert).count() == total
    # Even if the session were restored, the claimed token does not issue again.
    forged = signed_in(first)
    session = forged.session
    session["alert_confirmations"] = {
        token: {
            "kind": "other",
            "mode": "actual",
            "areas": [ueno.pk],
            "texts": {"ja": {"headline": "偽"}},
            "override": "",
            "imported": None,
        }
    }
    session.save()
    assert forged.post("/staff/alerts/new/", {"token": token}).status_code == 302
    assert not Alert.objects.filter(texts__ja__headline="偽").exists()
    # A made-up token issues nothing either.
    client.post("/staff/alerts/new/", {"token": "made-up"})
    assert Alert.objects.filter(municipality=iga).count() == 1


def test_back_to_the_form_keeps_what_was_typed(crisis, two_areas):
    client = signed_in(crisis[0])
    page = client.post("/staff/alerts/new/", form(list(two_areas), mode="actual")).content.decode()
    back = client.post("/staff/alerts/new/", {"token": token_of(page), "action": "edit"}).content.decode()
    assert 'value="避難所開設 二度見"' in back and 'id="alert-mode-actual" checked' in back
    assert not Alert.objects.exists()


def test_second_person_confirms_on_a_confirmation_page_once(
    crisis, two_areas, iga, django_capture_on_commit_callbacks
):
    first, second = crisis
    client = signed_in(first)
    page = client.post(
        "/staff/alerts/new/", form([two_areas[0]], kind="level4", mode="actual")
    ).content.decode()
    assert "権限のある2人目の確認を待ちます" in page
    client.post("/staff/alerts/new/", {"token": token_of(page)})
    alert = Alert.objects.get(texts__ja__headline="避難所開設 二度見")
    assert alert.status == AlertStatus.AWAITING_CONFIRMATION
    url = f"/staff/alerts/{alert.identifier}/confirm/"
    assert client.get(url).status_code == 302  # not for the one who issued it
    other = signed_in(second)
    look = other.get(url).content.decode()
    assert "panel-warning" in look and 'id="alert-reach"' in look and "区分：本番" in look
    assert not Message.objects.filter(alert=alert).exists()
    with django_capture_on_commit_callbacks(execute=True):
        assert other.post(url).status_code == 302
    alert.refresh_from_db()
    assert alert.status == AlertStatus.ACTIVE and alert.confirmed_by == second
    total = Message.objects.filter(alert=alert).count()
    with django_capture_on_commit_callbacks(execute=True):
        assert other.post(url).status_code == 302  # refused: no longer waiting
    assert Message.objects.filter(alert=alert).count() == total


def test_another_municipalitys_staff_can_neither_see_nor_issue(crisis, two_areas, iga, watarai, clerk):
    first, _second = crisis
    page = signed_in(first).post("/staff/alerts/new/", form(list(two_areas), mode="actual")).content.decode()
    token = token_of(page)
    waiting = alerts.alert_issue(
        staff=first, kind="level4", mode="actual", areas=[two_areas[0]], texts={"ja": {"headline": "待ち"}}
    )
    outsider = User.objects.get(municipality=watarai, email="kiki-kanri@staff.watarai.example.jp")
    elsewhere = signed_in(outsider, host=WATARAI_HOST)
    assert elsewhere.get(f"/staff/alerts/{waiting.identifier}/confirm/").status_code == 404
    assert elsewhere.post(f"/staff/alerts/{waiting.identifier}/confirm/").status_code == 404
    elsewhere.post("/staff/alerts/new/", {"token": token})
    assert not Alert.objects.filter(texts__ja__headline="避難所開設 二度見").exists()
    # Their own form offers only their own areas: ours are ignored.
    response = elsewhere.post("/staff/alerts/new/", form(list(two_areas), mode="actual"))
    assert response.status_code == 422
    # A clerk of our own city outside crisis management sees nothing either.
    assert signed_in(clerk).get("/staff/alerts/new/").status_code == 404
    assert signed_in(clerk).get(f"/staff/alerts/{waiting.identifier}/confirm/").status_code == 404
    waiting.refresh_from_db()
    assert waiting.status == AlertStatus.AWAITING_CONFIRMATION


def test_exercise_is_marked_in_cap_and_atom(crisis, two_areas, iga):
    first, _second = crisis
    exercise = alerts.alert_issue(
        staff=first,
        kind="shelter_open",
        mode="exercise",
        areas=list(two_areas),
        texts={"ja": {"headline": "避難所開設", "description": "訓練です"}},
    )
    actual = alerts.alert_issue(
        staff=first, kind="other", mode="actual", areas=[two_areas[0]], texts={"ja": {"headline": "本物"}}
    )
    document = etree.fromstring(cap_document(exercise))
    SCHEMA.assertValid(document)
    assert document.findtext(f"{CAP}status") == "Exercise"
    assert etree.fromstring(cap_document(actual)).findtext(f"{CAP}status") == "Actual"
    feed = etree.fromstring(
        atom_feed([exercise, actual], feed_url="https://x/f", cap_url="https://x/%s", title="t")
    )
    entries = {entry.findtext(f"{ATOM}id"): entry for entry in feed.findall(f"{ATOM}entry")}
    marked = entries[f"urn:cap:{exercise.identifier}"]
    assert marked.findtext(f"{ATOM}title") == "【訓練】避難所開設"
    assert marked.findtext(f"{ATOM}summary") == "【訓練】訓練です"
    assert entries[f"urn:cap:{actual.identifier}"].findtext(f"{ATOM}title") == "本物"
    # The public feed and the portal's list say it too; the emergency banner never shows it.
    client = Client(HTTP_HOST=IGA_HOST)
    assert "【訓練】避難所開設" in client.get("/alerts/feed.atom").content.decode()
    listing = client.get("/alerts/", HTTP_ACCEPT_LANGUAGE="ja").content.decode()
    assert "【訓練】避難所開設" in listing
    banner = client.get("/").content.decode()
    section = banner[banner.index('class="emergency-banner"') :]
    section = section[: section.index("</section>")]
    assert "本物" in section and "避難所開設" not in section  # the real one only


def test_cancelling_shows_a_confirmation_and_goes_out_once(
    crisis, two_areas, iga, django_capture_on_commit_callbacks
):
    first, _second = crisis
    alert = alerts.alert_issue(
        staff=first, kind="other", mode="actual", areas=[two_areas[0]], texts={"ja": {"headline": "解除前"}}
    )
    client = signed_in(first)
    assert f"/staff/alerts/{alert.identifier}/cancel/" in client.get("/staff/alerts/").content.decode()
    look = client.get(f"/staff/alerts/{alert.identifier}/cancel/").content.decode()
    assert "panel-warning" in look and 'id="alert-reach"' in look and "取消がすぐに届きます" in look
    alert.refresh_from_db()
    assert alert.status == AlertStatus.ACTIVE  # looking changes nothing
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(f"/staff/alerts/{alert.identifier}/cancel/").status_code == 302
        assert client.post(f"/staff/alerts/{alert.identifier}/cancel/").status_code == 302
    assert Alert.objects.filter(references=alert, msg_type="Cancel").count() == 1
    assert client.get(f"/staff/alerts/{alert.identifier}/cancel/").status_code == 302


def test_the_list_names_channels_and_statuses_in_words(
    crisis, two_areas, iga, django_capture_on_commit_callbacks
):
    first, _second = crisis
    resident(iga, "words", two_areas[0], ["email"])
    with django_capture_on_commit_callbacks(execute=True):
        alerts.alert_issue(
            staff=first,
            kind="other",
            mode="exercise",
            areas=[two_areas[0]],
            texts={"ja": {"headline": "一覧"}},
        )
    listing = signed_in(first).get("/staff/alerts/").content.decode()
    assert "ポータルのお知らせ: 配信済み" in listing
    assert "inbox: " not in listing and "email: " not in listing
    assert "【訓練】" in listing
