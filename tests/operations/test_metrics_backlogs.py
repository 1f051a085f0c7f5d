"""/metrics with real rows: an alert part way through its fan-out, paper pages waiting to be read,
and audit entries waiting to be sealed, parsed with prometheus_client's own text parser."""

from __future__ import annotations

import datetime as dt
import secrets

import pytest
from django.test import Client
from django.utils import timezone
from prometheus_client.parser import text_string_to_metric_families

from idx.identity.models import User
from idx.intake.models import ScanBatch, ScanPage
from idx.notifications.models import Alert, AlertKind, AlertMode, AlertStatus, Area, Message, Subscription
from tests.conftest import IGA_HOST

pytestmark = pytest.mark.django_db

TOKEN = "metrics-token-for-tests-0123456789"


def _scrape(settings) -> dict[str, list[tuple[dict[str, str], float]]]:
    settings.IDX_METRICS_TOKEN = TOKEN
    response = Client(HTTP_HOST=IGA_HOST).get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}")
    assert response.status_code == 200
    samples: dict[str, list[tuple[dict[str, str], float]]] = {}
    for family in text_string_to_metric_families(response.content.decode()):
        for sample in family.samples:
            samples.setdefault(sample.name, []).append((sample.labels, sample.value))
    return samples


def _value(samples, name: str, **labels: str) -> float:
    found = [
        value for have, value in samples.get(name, []) if all(have.get(k) == v for k, v in labels.items())
    ]
    assert len(found) == 1, (name, labels, samples.get(name))
    return found[0]


def _alert(iga, area, identifier: str, *, sent_at, fanned_out_at=None, mode=AlertMode.ACTUAL) -> Alert:
    issuer = User.objects.get(municipality=iga, email="kiki-kanri@staff.iga.example.jp")
    alert = Alert.objects.create(
        municipality=iga,
        identifier=identifier,
        kind=AlertKind.LEVEL4,
        mode=mode,
        status=AlertStatus.ACTIVE,
        texts={"ja": {"headline": "避難指示"}},
        issued_by=issuer,
        sent_at=sent_at,
        fanned_out_at=fanned_out_at,
    )
    alert.areas.set([area])
    return alert


def _message(alert: Alert, user: User, channel: str, status: str) -> None:
    Message.objects.create(
        municipality=alert.municipality,
        recipient=user,
        channel=channel,
        address=user.email if channel == "email" else "",
        purpose="alert",
        topic="disaster",
        subject="避難指示",
        body="避難指示",
        emergency=True,
        idempotency_key=f"alert:{user.pk}:{alert.identifier}:{channel}",
        status=status,
        alert=alert,
    )


def test_an_alert_part_way_through_its_fan_out(iga, settings):
    area = Area.objects.create(municipality=iga, code="fanout-test", name="試験地区")
    residents = []
    for index in range(3):
        user = User.objects.create_user(
            municipality=iga, email=f"fanout{index}@example.jp", password=None, full_name=f"住民 {index}"
        )
        Subscription.objects.create(user=user, channels=["email"]).areas.set([area])
        residents.append(user)
    now = timezone.now()
    alert = _alert(iga, area, "jp.iga.test.fanout.1", sent_at=now - dt.timedelta(minutes=2))
    _message(alert, residents[0], "email", "delivered")
    _message(alert, residents[0], "inbox", "delivered")
    _message(alert, residents[1], "email", "queued")
    # Neither an alert fanned out two days ago nor a test alert is shown.
    _alert(iga, area, "jp.iga.test.old", sent_at=now - dt.timedelta(days=2), fanned_out_at=now)
    _alert(iga, area, "jp.iga.test.test", sent_at=now, mode=AlertMode.TEST)

    samples = _scrape(settings)
    key = {"municipality": iga.code, "alert": alert.identifier}
    assert _value(samples, "idx_alert_fanout_recipients", **key) == 3
    assert _value(samples, "idx_alert_fanout_recipients_written", **key) == 2
    assert _value(samples, "idx_alert_fanout_messages", status="delivered", **key) == 2
    assert _value(samples, "idx_alert_fanout_messages", status="queued", **key) == 1
    assert _value(samples, "idx_alert_fanout_messages", status="failed", **key) == 0
    assert _value(samples, "idx_alert_fanout_written", **key) == 0
    shown = {labels["alert"] for labels, _value in samples["idx_alert_fanout_recipients"]}
    assert shown == {alert.identifier}

    Alert.objects.filter(pk=alert.pk).update(fanned_out_at=timezone.now())
    assert _value(_scrape(settings), "idx_alert_fanout_written", **key) == 1


def test_paper_pages_waiting_to_be_read(iga, clerk, settings):
    batch = ScanBatch.objects.create(
        municipality=iga,
        public_id=f"scn_{secrets.token_hex(12)}",
        uploaded_by=clerk,
        original_name="scan.pdf",
        content_type="application/pdf",
        size=1,
        sha256="0" * 64,
        status=ScanBatch.Status.READING,
        page_count=3,
    )
    for number, outcome in (
        (1, ScanPage.Outcome.READ),
        (2, ScanPage.Outcome.QUEUED),
        (3, ScanPage.Outcome.QUEUED),
    ):
        ScanPage.objects.create(municipality=iga, batch=batch, number=number, image="p.png", outcome=outcome)
    ScanPage.objects.filter(batch=batch, number=2).update(
        created_at=timezone.now() - dt.timedelta(minutes=30)
    )
    ScanBatch.objects.create(
        municipality=iga,
        public_id=f"scn_{secrets.token_hex(12)}",
        uploaded_by=clerk,
        original_name="next.pdf",
        content_type="application/pdf",
        size=1,
        sha256="1" * 64,
    )

    samples = _scrape(settings)
    assert _value(samples, "idx_ocr_pages_waiting", municipality=iga.code) == 2
    assert 30 * 60 <= _value(samples, "idx_ocr_pages_oldest_age_seconds", municipality=iga.code) < 40 * 60
    assert _value(samples, "idx_ocr_batches_waiting", municipality=iga.code) == 1
    assert _value(samples, "idx_metrics_database_up") == 1


def test_the_audit_seal_backlog_when_the_audit_app_reports_it(iga, settings, monkeypatch):
    from idx.audit import selectors

    monkeypatch.setattr(selectors, "seal_backlog", lambda: [(iga.code, 7, 42.5)], raising=False)
    samples = _scrape(settings)
    assert _value(samples, "idx_audit_seal_backlog", municipality=iga.code) == 7
    assert _value(samples, "idx_audit_seal_oldest_age_seconds", municipality=iga.code) == 42.5

    def broken():
        raise RuntimeError("no sealer")

    monkeypatch.setattr(selectors, "seal_backlog", broken, raising=False)
    samples = _scrape(settings)
    assert "idx_audit_seal_backlog" not in samples  # left out, the rest still answers
    assert _value(samples, "idx_metrics_database_up") == 1
    assert "idx_task_queue_depth" in samples
