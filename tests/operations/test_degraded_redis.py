"""Redis away: rate limits count in each process, tasks wait in the database, messages stay rows.

docs/decisions/0035-degraded-modes.md. Redis is a real redis-server on loopback where a test needs
one answering; "away" is an address where nothing listens.
"""

from __future__ import annotations

import shutil
import subprocess
import time
from collections.abc import Iterator

import pytest
from django.core.cache import caches
from django.core.management import call_command
from django.test import Client, override_settings

from idx.common import ratelimit, taskqueue
from idx.notifications.models import Message, MessageStatus
from tests.servers import free_port

pytestmark = pytest.mark.django_db

QUEUES = ["default", "email", "push", "line", "fanout", "ocr", "exports"]


def _rq_settings(url: str) -> override_settings:
    return override_settings(
        RQ_QUEUES={name: {"URL": url} for name in QUEUES},
        TASKS={"default": {"BACKEND": "idx.common.taskqueue.ResilientRQBackend", "QUEUES": QUEUES}},
    )


@pytest.fixture
def closed_url() -> str:
    return f"redis://127.0.0.1:{free_port()}/0"


@pytest.fixture
def redis_url() -> Iterator[str]:
    if shutil.which("redis-server") is None:
        pytest.skip("redis-server is not installed")
    port = free_port()
    process = subprocess.Popen(
        ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
    )
    try:
        import redis

        client = redis.Redis(host="127.0.0.1", port=port)
        for _ in range(100):
            try:
                client.ping()
                break
            except redis.exceptions.ConnectionError:
                time.sleep(0.05)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        process.terminate()
        process.wait(timeout=10)


def _queued_message(iga, resident) -> Message:
    from idx.notifications.services import message_create

    message, created = message_create(
        municipality=iga,
        recipient=resident,
        channel="email",
        address=resident.email,
        purpose="test",
        key="outage",
        subject="Subject",
        body="Body",
        language="ja",
    )
    assert created
    return message


def test_rate_limits_still_hold_while_the_cache_is_away(closed_url, municipalities, caplog):
    from tests.security.conftest import LOW_LIMITS

    ratelimit.local_counts.clear()
    redis_cache = {"default": {"BACKEND": "idx.common.cache.TolerantRedisCache", "LOCATION": closed_url}}
    with override_settings(CACHES=redis_cache, IDX_RATELIMIT_ENABLED=True, IDX_RATELIMITS=dict(LOW_LIMITS)):
        client = Client(HTTP_HOST="iga.localhost", REMOTE_ADDR="192.0.2.77")
        answers = [client.get("/api/v1/procedures").status_code for _ in range(7)]
    # Nobody is refused for the outage, and nobody gets past the limit because of it.
    assert answers[:5] == [200] * 5
    assert answers[5:] == [429, 429]
    assert "rate limit cache unavailable" in caplog.text or ratelimit._warned["at"] > 0
    caches["default"].clear()


def test_a_task_waits_in_the_database_while_redis_is_away(closed_url, iga, resident, caplog):
    from django_tasks_db.models import DBTaskResult

    from idx.notifications.tasks import deliver_message

    with _rq_settings(closed_url):
        result = deliver_message.enqueue(12345)
        assert result.status == "READY"
        parked = DBTaskResult.objects.get()
        assert parked.task_path == "idx.notifications.tasks.deliver_message"
        assert parked.args_kwargs == {"args": [12345], "kwargs": {}}
        assert taskqueue.parked_count() == 1
        # Still away: the relay moves nothing and loses nothing.
        assert taskqueue.tasks_relay() == 0
        assert DBTaskResult.objects.count() == 1
    assert "task queue unavailable" in caplog.text


def test_parked_tasks_go_to_redis_when_it_is_back(redis_url, iga, resident):
    import django_rq
    from django_tasks_db.models import DBTaskResult

    from idx.notifications.tasks import deliver_message, fan_out_alert

    closed = f"redis://127.0.0.1:{free_port()}/0"
    with _rq_settings(closed):
        deliver_message.enqueue(1)
        fan_out_alert.enqueue(2)
    assert DBTaskResult.objects.count() == 2
    with _rq_settings(redis_url):
        assert taskqueue.tasks_relay() == 2
        assert DBTaskResult.objects.count() == 0
        delivery_jobs = django_rq.get_queue(deliver_message.queue_name).get_jobs()
        fan_out_jobs = django_rq.get_queue(fan_out_alert.queue_name).get_jobs()
    assert [list(job.args) for job in delivery_jobs] == [[1]]
    assert [list(job.args) for job in fan_out_jobs] == [[2]]


def test_a_message_written_while_redis_is_away_stays_queued_and_is_requeued(
    closed_url, redis_url, iga, resident, django_capture_on_commit_callbacks
):
    import django_rq

    with _rq_settings(closed_url):
        with django_capture_on_commit_callbacks(execute=True):
            message = _queued_message(iga, resident)
        # on_commit ran: the delivery task is parked, the request that wrote the row did not fail.
        assert Message.objects.get(pk=message.pk).status == MessageStatus.QUEUED
    with _rq_settings(redis_url):
        call_command("notifications", "requeue", stdout=open("/dev/null", "w"))  # noqa: SIM115
        jobs = django_rq.get_queue("email").get_jobs()  # the e-mail channel's queue
    # The parked task is relayed; the row, written a moment ago, is not enqueued a second time.
    assert [list(job.args) for job in jobs] == [[message.pk]]
    # A row whose task was lost (Redis restarted empty) is enqueued once it is old enough.
    import datetime as dt

    from django.utils import timezone

    Message.objects.filter(pk=message.pk).update(updated_at=timezone.now() - dt.timedelta(minutes=11))
    with _rq_settings(redis_url):
        call_command("notifications", "requeue", stdout=open("/dev/null", "w"))  # noqa: SIM115
        jobs = django_rq.get_queue("email").get_jobs()
    # Two jobs for one message: the claim makes the second a no-op, so it is still sent once.
    assert [list(job.args) for job in jobs] == [[message.pk], [message.pk]]


def test_a_second_delivery_task_for_the_same_message_sends_nothing(iga, resident, mailoutbox):
    from idx.notifications.services import message_deliver

    message = _queued_message(iga, resident)
    Message.objects.filter(pk=message.pk).update(status=MessageStatus.QUEUED)
    mailoutbox.clear()
    assert message_deliver(message.pk) == MessageStatus.DELIVERED
    assert message_deliver(message.pk) == MessageStatus.DELIVERED
    assert len(mailoutbox) == 1


def test_requeue_leaves_a_claim_its_worker_renewed(iga, resident, mailoutbox):
    import datetime as dt

    from django.utils import timezone

    from idx.notifications.services import messages_deliver, messages_requeue

    first = _queued_message(iga, resident)
    mailoutbox.clear()
    # A worker that stopped mid-batch left the message "sending" long ago: requeue takes it back.
    Message.objects.filter(pk=first.pk).update(
        status=MessageStatus.SENDING, updated_at=timezone.now() - dt.timedelta(minutes=20)
    )
    assert messages_requeue(older_than=dt.timedelta(minutes=10)) >= 1
    assert Message.objects.get(pk=first.pk).status in (MessageStatus.QUEUED, MessageStatus.DELIVERED)
    # Sent once, whether the requeued task ran at once (immediate backend) or runs later.
    messages_deliver([first.pk])
    assert Message.objects.get(pk=first.pk).status == MessageStatus.DELIVERED
    assert len(mailoutbox) == 1


def test_the_cache_reads_miss_and_writes_are_dropped_while_redis_is_away(closed_url, redis_url):
    from idx.common.cache import TolerantRedisCache

    away = TolerantRedisCache(closed_url, {})
    away.set("k", "v")
    assert away.get("k", "default") == "default"
    assert away.get_many(["k"]) == {}
    assert away.delete("k") is False
    with pytest.raises(Exception):  # noqa: B017 - a claim must never succeed by accident
        away.add("claim", 1)
    back = TolerantRedisCache(redis_url, {})
    back.set("k", "v")
    assert back.get("k") == "v"


def test_a_cached_page_is_served_while_redis_is_away(closed_url, iga):
    redis_cache = {"default": {"BACKEND": "idx.common.cache.TolerantRedisCache", "LOCATION": closed_url}}
    with override_settings(CACHES=redis_cache):
        client = Client(HTTP_HOST="iga.localhost", raise_request_exception=False)
        assert client.get("/").status_code == 200
        assert client.get("/api/v1/procedures").status_code == 200
        ready = client.get("/readyz")
    # Still ready for the balancer: the node serves without Redis.
    assert ready.status_code == 200
    assert ready.json()["status"] == "degraded"
    assert ready.json()["failed"] == ["cache"]


def test_cron_relays_every_parked_task_however_many(redis_url, iga, resident, monkeypatch):
    from django_tasks_db.models import DBTaskResult

    from idx.notifications.tasks import deliver_message

    closed = f"redis://127.0.0.1:{free_port()}/0"
    with _rq_settings(closed):
        for number in range(5):
            deliver_message.enqueue(number)
    monkeypatch.setattr(taskqueue, "RELAY_BATCH", 2)
    with _rq_settings(redis_url):
        # A request's relay on its way takes a batch; cron's takes what is left, all of it.
        assert taskqueue.tasks_relay(limit=2) == 2
        assert taskqueue.tasks_relay(limit=None) == 3
        assert DBTaskResult.objects.count() == 0
