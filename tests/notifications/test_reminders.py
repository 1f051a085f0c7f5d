"""Reminders before a procedure's yearly deadline (現況届 by 30 June), to followers of its topic
who have not sent it this year; once per day and reminder."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.management import call_command

from idx.applications.reminders import reminders_send
from idx.identity.models import User
from idx.notifications.models import Message, Subscription
from tests.conftest import make_submitted

pytestmark = pytest.mark.django_db
PROCEDURE = "child-allowance-status-report"


def follower(iga, email: str, topics: list[str]) -> User:
    user = User.objects.create_user(municipality=iga, email=email, password=None, full_name="住民")
    Subscription.objects.create(user=user, topics=topics, channels=["email"])
    return user


def test_reminders_on_the_days_before_the_deadline(iga):
    waiting = follower(iga, "w@example.jp", ["childcare"])
    other_topic = follower(iga, "o@example.jp", ["tax"])
    assert reminders_send(dt.date(2026, 6, 10)) == 0  # 20 days before: not a reminder day
    made = reminders_send(dt.date(2026, 6, 16))  # 14 days before
    reminded = set(Message.objects.filter(purpose="reminder").values_list("recipient_id", flat=True))
    assert waiting.pk in reminded and other_topic.pk not in reminded
    inbox = Message.objects.get(recipient=waiting, channel="inbox", purpose="reminder")
    assert "6月30日" in inbox.subject and f"/procedures/{PROCEDURE}/" in inbox.body
    assert made >= 2
    assert reminders_send(dt.date(2026, 6, 16)) == 0  # the same day again: nothing new
    assert reminders_send(dt.date(2026, 6, 27)) >= 2  # 3 days before


def test_who_sent_it_this_year_is_not_reminded(iga, resident):
    Subscription.objects.update_or_create(user=resident, defaults={"topics": ["childcare"]})
    application = make_submitted(resident, PROCEDURE)
    year = application.submitted_at.year
    reminders_send(dt.date(year, 6, 16))
    assert not Message.objects.filter(recipient=resident, purpose="reminder").exists()


def test_the_daily_command(iga, capsys):
    follower(iga, "c@example.jp", ["childcare"])
    call_command("notifications", "reminders", "--date", "2026-06-27")
    assert "reminders written" in capsys.readouterr().out
