"""Prometheus metrics (docs/operations.md, "Health, readiness, metrics and logs").

Per process: request latency by view, method and status class (a histogram). At scrape time, from
the database: submissions per municipality, task queue depth and the age of the oldest waiting
task per queue, failed deliveries per channel, the progress of each disaster alert's fan-out, the
paper pages waiting to be read (OCR), and the audit entries waiting to be sealed. Under gunicorn, set PROMETHEUS_MULTIPROC_DIR to an
empty folder so that every worker's histograms are added up (prometheus_client's multiprocess mode).
"""

from __future__ import annotations

import datetime as dt
import logging
import os
from collections.abc import Iterator
from typing import Any

from django.conf import settings
from django.db.models import Count, Min
from django.utils import timezone
from prometheus_client import REGISTRY, CollectorRegistry, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

logger = logging.getLogger(__name__)

REQUEST_SECONDS = Histogram(
    "idx_http_request_duration_seconds",
    "Time from the first middleware to the response, by view, method and status class.",
    ["view", "method", "status"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)


def _task_queues() -> tuple[dict[str, int], dict[str, float]]:
    """Waiting tasks per queue and the age in seconds of the oldest one."""
    depth: dict[str, int] = {}
    age: dict[str, float] = {}
    now = timezone.now()
    if settings.IDX_TASK_BACKEND == "rq":
        import django_rq

        for name in settings.RQ_QUEUES:
            queue = django_rq.get_queue(name)
            depth[name] = queue.count
            jobs = queue.get_jobs(0, 1)
            enqueued = jobs[0].enqueued_at if jobs else None
            if enqueued is not None:
                age[name] = max(0.0, (now - enqueued.replace(tzinfo=now.tzinfo)).total_seconds())
        return depth, age
    if settings.IDX_TASK_BACKEND != "database":
        return depth, age
    from django_tasks import TaskResultStatus
    from django_tasks_db.models import DBTaskResult

    rows = (
        DBTaskResult.objects.filter(status=TaskResultStatus.READY)
        .values("queue_name")
        .annotate(waiting=Count("id"), oldest=Min("enqueued_at"))
    )
    for row in rows:
        depth[row["queue_name"]] = row["waiting"]
        age[row["queue_name"]] = max(0.0, (now - row["oldest"]).total_seconds())
    return depth, age


class DatabaseCollector(Collector):
    """Figures read from the database when Prometheus scrapes (a few aggregate queries)."""

    def collect(self) -> Iterator[Metric]:
        from idx.applications.models import Application
        from idx.notifications.models import Message, MessageStatus

        up = GaugeMetricFamily("idx_metrics_database_up", "1 when the figures below could be read.")
        try:
            submitted = CounterMetricFamily(
                "idx_applications_submitted",
                "Applications submitted, by municipality.",
                labels=["municipality"],
            )
            for row in (
                Application.objects.filter(submitted_at__isnull=False)
                .values("municipality__code")
                .annotate(total=Count("id"))
                .order_by()
            ):
                submitted.add_metric([row["municipality__code"]], row["total"])
            failed = GaugeMetricFamily(
                "idx_deliveries_failed",
                "Messages whose delivery failed or bounced, by channel.",
                labels=["channel"],
            )
            for channel, total in (
                Message.objects.filter(status__in=[MessageStatus.FAILED, MessageStatus.BOUNCED])
                .values_list("channel")
                .annotate(total=Count("id"))
                .order_by()
            ):
                failed.add_metric([channel], total)
            depth, age = _task_queues()
            queue_depth = GaugeMetricFamily(
                "idx_task_queue_depth", "Tasks waiting to run, by queue.", labels=["queue"]
            )
            queue_age = GaugeMetricFamily(
                "idx_task_queue_oldest_age_seconds",
                "Age of the oldest waiting task, by queue.",
                labels=["queue"],
            )
            for name in sorted(set(settings.TASKS["default"].get("QUEUES", [])) | set(depth)):
                queue_depth.add_metric([name], depth.get(name, 0))
                queue_age.add_metric([name], age.get(name, 0.0))
        except Exception as exc:  # noqa: BLE001 - metrics must answer while the database is away
            logger.warning("metrics: the database figures could not be read (%s)", type(exc).__name__)
            up.add_metric([], 0)
            yield up
            return
        up.add_metric([], 1)
        yield from (up, submitted, failed, queue_depth, queue_age)
        # Each further group is read on its own: one that fails is left out (and logged), the
        # others still answer.
        for group in (_alert_fan_out, _ocr_backlog, _audit_seal_backlog):
            try:
                families = list(group())
            except Exception as exc:  # noqa: BLE001 - one group never hides the others
                logger.warning("metrics: %s could not be read (%s)", group.__name__, type(exc).__name__)
                continue
            yield from families


# Alerts whose fan-out is shown: sent in the last day, or sent and still being written.
ALERT_WINDOW = dt.timedelta(days=1)


def _alert_fan_out() -> Iterator[Metric]:
    """Per disaster alert being fanned out (or fanned out in the last day): the residents it is
    for, those with a message written, and its messages by status."""
    from django.db.models import Q

    from idx.notifications.models import Alert, AlertMode, Message, MessageStatus
    from idx.notifications.selectors import alert_subscriptions

    labels = ["municipality", "alert"]
    recipients = GaugeMetricFamily(
        "idx_alert_fanout_recipients",
        "Residents subscribed to an area of the alert (whom the fan-out writes messages for).",
        labels=labels,
    )
    written = GaugeMetricFamily(
        "idx_alert_fanout_recipients_written",
        "Residents of the alert with at least one message written.",
        labels=labels,
    )
    messages = GaugeMetricFamily(
        "idx_alert_fanout_messages",
        "Messages of the alert by status: queued (waiting to be sent), sending, delivered (sent), "
        "failed, bounced.",
        labels=[*labels, "status"],
    )
    complete = GaugeMetricFamily(
        "idx_alert_fanout_written",
        "1 once every message of the alert is written (the senders may still be sending).",
        labels=labels,
    )
    since = timezone.now() - ALERT_WINDOW
    alerts = (
        Alert.objects.filter(sent_at__isnull=False)
        .exclude(mode=AlertMode.TEST)
        .filter(Q(sent_at__gte=since) | Q(fanned_out_at__isnull=True))
        .select_related("municipality")
        .order_by("sent_at")[:50]
    )
    for alert in alerts:
        key = [alert.municipality.code, alert.identifier]
        recipients.add_metric(key, alert_subscriptions(alert.municipality_id, alert.areas.all()).count())
        by_status = dict.fromkeys(MessageStatus.values, 0)
        for status, total in (
            Message.objects.filter(alert=alert).values_list("status").annotate(total=Count("id")).order_by()
        ):
            by_status[status] = total
        for status, total in by_status.items():
            messages.add_metric([*key, status], total)
        written.add_metric(
            key, Message.objects.filter(alert=alert).values("recipient_id").distinct().order_by().count()
        )
        complete.add_metric(key, 1 if alert.fanned_out_at else 0)
    yield from (recipients, written, messages, complete)


def _ocr_backlog() -> Iterator[Metric]:
    """Paper intake: pages waiting to be read and uploaded files waiting to be split into pages."""
    from idx.intake.models import ScanBatch, ScanPage

    now = timezone.now()
    pages = GaugeMetricFamily(
        "idx_ocr_pages_waiting", "Scanned pages waiting to be read, by municipality.", labels=["municipality"]
    )
    age = GaugeMetricFamily(
        "idx_ocr_pages_oldest_age_seconds",
        "Age of the oldest scanned page waiting to be read, by municipality.",
        labels=["municipality"],
    )
    batches = GaugeMetricFamily(
        "idx_ocr_batches_waiting",
        "Uploaded scan files not yet split into pages, by municipality.",
        labels=["municipality"],
    )
    for row in (
        ScanPage.objects.filter(outcome=ScanPage.Outcome.QUEUED)
        .values("municipality__code")
        .annotate(waiting=Count("id"), oldest=Min("created_at"))
        .order_by()
    ):
        pages.add_metric([row["municipality__code"]], row["waiting"])
        age.add_metric([row["municipality__code"]], max(0.0, (now - row["oldest"]).total_seconds()))
    for code, total in (
        ScanBatch.objects.filter(status__in=[ScanBatch.Status.RECEIVED, ScanBatch.Status.SPLITTING])
        .values_list("municipality__code")
        .annotate(total=Count("id"))
        .order_by()
    ):
        batches.add_metric([code], total)
    yield from (pages, age, batches)


def _audit_seal_backlog() -> Iterator[Metric]:
    """Audit entries not yet sealed into the chain, per municipality (idx.audit.selectors.seal_backlog;
    left out while the audit app has no sealer)."""
    from idx.audit import selectors

    backlog = getattr(selectors, "seal_backlog", None)
    if backlog is None:
        return
    waiting = GaugeMetricFamily(
        "idx_audit_seal_backlog",
        "Audit entries waiting to be sealed, by municipality.",
        labels=["municipality"],
    )
    age = GaugeMetricFamily(
        "idx_audit_seal_oldest_age_seconds",
        "Age of the oldest audit entry waiting to be sealed, by municipality.",
        labels=["municipality"],
    )
    for code, unsealed, oldest_seconds in backlog():
        waiting.add_metric([str(code)], unsealed)
        age.add_metric([str(code)], float(oldest_seconds or 0))
    yield from (waiting, age)


_database_registry = CollectorRegistry(auto_describe=False)
_database_registry.register(DatabaseCollector())


def _process_registry() -> Any:
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        return registry
    return REGISTRY


def exposition() -> bytes:
    """The text exposition format of every metric: the process's (or all workers') and the database's."""
    return generate_latest(_process_registry()) + generate_latest(_database_registry)
