"""お知らせ配信: followers of a topic (in the chosen areas) get it, with a one-click way to stop the
topic; quiet hours hold it back; only permitted staff send; delivery statistics for staff."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.test import Client

from idx.identity.models import User
from idx.notifications import notices
from idx.notifications.models import Area, Message, Subscription
from tests.conftest import IGA_HOST, signed_in

pytestmark = pytest.mark.django_db
TEXTS = {"ja": {"subject": "夏祭りのお知らせ", "body": "8月1日に開催します。"}}


def follower(iga, email: str, topics: list[str], area_code: str | None = None, **extra) -> User:
    user = User.objects.create_user(municipality=iga, email=email, password=None, full_name="住民")
    subscription = Subscription.objects.create(user=user, topics=topics, channels=["email"], **extra)
    if area_code:
        subscription.areas.set([Area.objects.get(municipality=iga, code=area_code)])
    return user


def test_followers_in_the_areas_get_it_with_an_unsubscribe_link(
    iga, supervisor, django_capture_on_commit_callbacks
):
    inside = follower(iga, "a@example.jp", ["events"], "tsuge")
    elsewhere = follower(iga, "b@example.jp", ["events"], "aoyama")
    not_following = follower(iga, "c@example.jp", ["tax"], "tsuge")
    with django_capture_on_commit_callbacks(execute=True):
        notices.notice_send(
            staff=supervisor,
            topic="events",
            areas=[Area.objects.get(municipality=iga, code="tsuge")],
            texts=TEXTS,
        )
    got = set(Message.objects.filter(purpose="notice").values_list("recipient_id", flat=True))
    assert inside.pk in got and elsewhere.pk not in got and not_following.pk not in got
    email = Message.objects.get(recipient=inside, channel="email", purpose="notice")
    link = re.search(r"https?://\S+/unsubscribe/(\S+)/", email.body)
    assert link, email.body
    client = Client(HTTP_HOST=IGA_HOST)
    path = f"/unsubscribe/{link.group(1)}/"
    assert "イベント" in client.get(path).content.decode()
    client.post(path)
    assert "events" not in Subscription.objects.get(user=inside).topics


def test_quiet_hours_hold_a_notice_back(iga, supervisor, django_capture_on_commit_callbacks):
    user = follower(iga, "q@example.jp", ["events"], quiet_start=dt.time(0, 0), quiet_end=dt.time(23, 59))
    with django_capture_on_commit_callbacks(execute=True):
        notices.notice_send(staff=supervisor, topic="events", areas=[], texts=TEXTS)
    email = Message.objects.get(recipient=user, channel="email", purpose="notice")
    assert email.status == "queued" and email.not_before is not None


def test_only_permitted_staff_send_and_bad_input_is_refused(iga, clerk, supervisor, resident):
    with pytest.raises(notices.NoticeNotPermitted):
        notices.notice_send(staff=clerk, topic="events", areas=[], texts=TEXTS)
    with pytest.raises(notices.NoticeNotPermitted):
        notices.notice_send(staff=resident, topic="events", areas=[], texts=TEXTS)
    with pytest.raises(notices.NoticeInvalid):
        notices.notice_send(staff=supervisor, topic="nonsense", areas=[], texts=TEXTS)
    with pytest.raises(notices.NoticeInvalid):
        notices.notice_send(staff=supervisor, topic="events", areas=[], texts={"ja": {"subject": "x"}})


def test_staff_page_sends_and_shows_statistics(iga, supervisor, clerk):
    follower(iga, "s@example.jp", ["childcare"])
    client = signed_in(supervisor)
    response = client.post(
        "/staff/notices/", {"topic": "childcare", "ja-subject": "健診", "ja-body": "乳幼児健診があります。"}
    )
    assert response.status_code == 302
    page = client.get("/staff/notices/").content.decode()
    assert "健診" in page and "notice" in page
    assert signed_in(clerk).get("/staff/notices/").status_code == 404
    bad = client.post("/staff/notices/", {"topic": ""})
    assert bad.status_code == 422 and 'id="error-summary"' in bad.content.decode()
