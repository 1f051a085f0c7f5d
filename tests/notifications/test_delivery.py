"""Messages through real local servers: SMTP (aiosmtpd) and a LINE push stand-in; retries with
backoff, a bound, idempotency, quiet hours, templates checked at save, status changes notified."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from idx.applications import services as application_services
from idx.notifications import services
from idx.notifications.models import Message, MessageStatus, Subscription
from tests.conftest import make_submitted
from tests.notifications.conftest import LINE_USER

pytestmark = pytest.mark.django_db


def _message(iga, resident, channel: str, address: str, key: str = "k1", **extra):
    message, _made = services.message_create(
        municipality=iga,
        recipient=resident,
        channel=channel,
        address=address,
        purpose="application_status",
        key=key,
        subject="件名",
        body="本文です。",
        language="ja",
        **extra,
    )
    return message


def test_email_reaches_the_local_smtp_server_once(iga, resident, smtp):
    message = _message(iga, resident, "email", resident.email)
    assert services.message_deliver(message.pk) == "delivered"
    assert services.message_deliver(message.pk) == "delivered"  # a second run sends nothing
    assert [m["to"] for m in smtp.messages] == [[resident.email]]
    assert smtp.messages[0]["subject"] == "件名"
    again = _message(iga, resident, "email", resident.email)  # the same key: the same row
    assert again.pk == message.pk and Message.objects.count() == 1


def test_line_push_has_the_right_shape(iga, resident, line):
    message = _message(iga, resident, "line", LINE_USER)
    assert services.message_deliver(message.pk) == "delivered"
    assert line.rejected == []
    assert line.pushes[0]["to"] == LINE_USER
    assert line.pushes[0]["messages"][0]["text"].startswith("件名")


def test_line_retry_after_a_crash_is_not_sent_twice(iga, resident, line):
    message = _message(iga, resident, "line", LINE_USER)
    services.message_deliver(message.pk)
    # A worker that died after LINE accepted it, before recording it: the row is back in the queue.
    Message.objects.filter(pk=message.pk).update(status=MessageStatus.QUEUED)
    assert services.message_deliver(message.pk) == "delivered"
    assert len(line.pushes) == 1


def test_unreachable_smtp_is_retried_with_backoff_then_fails(iga, resident, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", 9, 1
    message = _message(iga, resident, "email", resident.email)
    delays = []
    for attempt in range(1, services.MAX_ATTEMPTS + 1):
        status = services.message_deliver(message.pk)
        message.refresh_from_db()
        assert message.attempts == attempt
        if attempt < services.MAX_ATTEMPTS:
            assert status == "queued" and message.last_error.startswith("smtp")
            delays.append((message.not_before - timezone.now()).total_seconds())
            Message.objects.filter(pk=message.pk).update(not_before=None)
    assert status == "failed" and message.last_error.startswith("gave up")
    assert all(later > earlier for earlier, later in zip(delays, delays[1:], strict=False))
    assert Message.objects.get(pk=message.pk).body == "本文です。"  # nothing lost


def test_line_outage_is_retried(iga, resident, line):
    line.fail_next = 1
    message = _message(iga, resident, "line", LINE_USER)
    assert services.message_deliver(message.pk) == "queued"
    Message.objects.filter(pk=message.pk).update(not_before=None)
    assert services.message_deliver(message.pk) == "delivered"
    assert len(line.pushes) == 1


def test_quiet_hours_wait_but_emergencies_do_not(iga, resident):
    now = timezone.localtime()
    start = (now - dt.timedelta(hours=1)).time().replace(second=0, microsecond=0)
    end = (now + dt.timedelta(hours=1)).time().replace(second=0, microsecond=0)
    Subscription.objects.update_or_create(user=resident, defaults={"quiet_start": start, "quiet_end": end})
    quiet = _message(iga, resident, "email", resident.email, key="quiet")
    assert quiet.not_before is not None and quiet.not_before > timezone.now()
    assert services.message_deliver(quiet.pk) == "queued"
    urgent = _message(iga, resident, "email", resident.email, key="urgent", emergency=True)
    assert urgent.not_before is None


def test_template_with_an_unknown_placeholder_is_refused(iga):
    with pytest.raises(services.TemplateInvalid) as caught:
        services.template_save(
            municipality=iga,
            purpose="application_status",
            language="ja",
            subject="{procedure}について",
            body="{name}様 {password}",
        )
    assert "{password}" in caught.value.problems[0]
    for bad in ("{name.__class__}", "{name!r}", "{name:>10}", "{name"):
        with pytest.raises(services.TemplateInvalid):
            services.template_save(
                municipality=iga, purpose="application_status", language="ja", subject="x", body=bad
            )


def test_status_changes_reach_inbox_and_email_in_the_city_template(
    iga, resident, clerk, mailoutbox, django_capture_on_commit_callbacks
):
    services.template_save(
        municipality=iga,
        purpose="application_status",
        language="ja",
        subject="【{municipality}】{procedure}（{status}）",
        body="{name}様\n受付番号 {receipt_number}\n{url}",
    )
    with django_capture_on_commit_callbacks(execute=True):
        application = make_submitted(resident)
    inbox = Message.objects.get(recipient=resident, channel="inbox", purpose="application_status")
    assert inbox.status == MessageStatus.DELIVERED and application.receipt_number in inbox.body
    assert len(mailoutbox) == 1 and mailoutbox[0].subject.startswith("【伊賀市】")
    with django_capture_on_commit_callbacks(execute=True):
        application_services.case_start_review(
            application=application, staff=clerk, expected_version=application.row_version
        )
    assert Message.objects.filter(recipient=resident, channel="inbox").count() == 2


def test_inbox_page_lists_only_ones_own(iga, resident, other_resident, resident_client):
    _message(iga, resident, "inbox", "", key="mine")
    _message(iga, other_resident, "inbox", "", key="theirs")
    page = resident_client.get("/my/notifications/").content.decode()
    assert page.count('class="card-title"') == 1


def test_a_channel_over_its_send_rate_waits_without_losing_an_attempt(iga, resident, smtp, settings):
    from django.core.cache import cache

    cache.clear()
    settings.IDX_CHANNEL_RATES = {**settings.IDX_CHANNEL_RATES, "email": "2/1m"}
    sent = [_message(iga, resident, "email", resident.email, key=f"rate{index}") for index in range(3)]
    outcomes = [services.message_deliver(message.pk) for message in sent]
    assert outcomes == ["delivered", "delivered", "queued"]
    waiting = Message.objects.get(pk=sent[2].pk)
    assert waiting.attempts == 0 and waiting.not_before is not None and waiting.not_before > timezone.now()
    assert len(smtp.messages) == 2
