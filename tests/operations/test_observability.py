"""/healthz, /readyz and /metrics for operators; the request id in responses, logs and tasks; and no
personal data in the logs of a realistic journey."""

from __future__ import annotations

import io
import json
import logging
import re

import pytest
from django.test import Client

from idx.common.my_number import check_digit
from idx.operations import views
from idx.operations.logs import JsonFormatter, RequestIdFilter
from tests.conftest import IGA_HOST, example_answers, make_draft, procedure, signed_in, submit

pytestmark = pytest.mark.django_db


def test_healthz_answers_on_any_host_without_the_database(client, django_assert_num_queries):
    with django_assert_num_queries(0):
        response = Client(HTTP_HOST="unknown.localhost").get("/healthz")
    assert response.status_code == 200 and response.json() == {"status": "ok"}
    assert "no-store" in response["Cache-Control"] or "max-age=0" in response["Cache-Control"]


def test_readyz_names_each_failing_dependency_and_no_secret(iga, monkeypatch):
    client = Client(HTTP_HOST="unknown.localhost")
    ready = client.get("/readyz")
    assert ready.status_code == 200, ready.content
    assert ready.json() == {
        "status": "ready",
        "checks": {"database": "ok", "cache": "ok", "queue": "ok", "storage": "ok"},
        "failed": [],
    }
    for name in ("database", "cache", "queue", "storage"):

        def broken() -> None:
            raise ConnectionError("could not connect to redis://:s3cret-password@10.0.0.5:6379/0")

        monkeypatch.setitem(views.CHECKS, name, broken)
        response = client.get("/readyz")
        if name in ("database", "storage"):
            assert response.status_code == 503
            assert response["Retry-After"] == "5"
            assert response.json()["status"] == "not ready"
        else:  # Redis away: the node serves in its degraded modes and stays in the balancer
            assert response.status_code == 200
            assert response.json()["status"] == "degraded"
        assert response.json()["failed"] == [name]
        assert b"s3cret" not in response.content and b"10.0.0.5" not in response.content
        monkeypatch.undo()


def test_metrics_only_for_the_token_or_a_direct_allowed_address(resident, settings):
    settings.IDX_METRICS_TOKEN = "metrics-token-for-tests-0123456789"
    settings.IDX_METRICS_ALLOWED_ADDRESSES = ["10.1.2.3"]
    client = Client(HTTP_HOST=IGA_HOST)
    submit(application=make_draft(resident), actor=resident)
    client.get("/")

    assert client.get("/metrics").status_code == 404
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer wrong").status_code == 404
    # An allowed address through a proxy is not the scraper itself.
    assert (
        client.get("/metrics", REMOTE_ADDR="10.1.2.3", HTTP_X_FORWARDED_FOR="203.0.113.9").status_code == 404
    )

    direct = client.get("/metrics", REMOTE_ADDR="10.1.2.3")
    assert direct.status_code == 200
    text = client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {settings.IDX_METRICS_TOKEN}").content.decode()
    assert (
        'idx_http_request_duration_seconds_bucket{le="0.1",method="GET",status="2xx",view="portal:catalog"}'
        in (text)
        or re.search(
            r'idx_http_request_duration_seconds_count\{method="GET",status="2xx",view="[^"]+"\}', text
        )
    )
    submitted = re.search(r'idx_applications_submitted_total\{municipality="(\d+)"\} (\d+)', text)
    assert submitted and int(submitted.group(2)) >= 1
    assert re.search(r'idx_task_queue_depth\{queue="email"\} \d', text)
    assert re.search(r'idx_task_queue_oldest_age_seconds\{queue="default"\} [\d.]+', text)
    assert "idx_deliveries_failed" in text and "idx_metrics_database_up 1.0" in text


def test_the_request_id_comes_from_the_proxy_or_is_made_and_is_on_every_log_record(iga, caplog):
    caplog.handler.addFilter(RequestIdFilter())  # as on the console handler of the settings
    client = Client(HTTP_HOST=IGA_HOST)
    given = client.get("/healthz", HTTP_X_REQUEST_ID="lb-7f3a9c21-0001")
    assert given["X-Request-ID"] == "lb-7f3a9c21-0001"
    made = client.get("/healthz", HTTP_X_REQUEST_ID="bad id\r\nInjected: yes")
    assert re.fullmatch(r"[0-9a-f]{32}", made["X-Request-ID"])
    with caplog.at_level(logging.INFO, logger="idx.request"):
        answered = client.get("/")
    records = [record for record in caplog.records if record.name == "idx.request"]
    assert records
    line = JsonFormatter().format(records[-1])
    entry = json.loads(line)
    assert entry["request_id"] == answered["X-Request-ID"]
    assert entry["level"] == "INFO" and "GET" in entry["message"]
    with caplog.at_level(logging.WARNING, logger="django.request"):
        refused = client.post("/accounts/login/", {"email": "", "password": ""})
    assert refused.status_code == 422
    warning = [record for record in caplog.records if record.name == "django.request"][-1]
    assert json.loads(JsonFormatter().format(warning))["request_id"] == refused["X-Request-ID"]


def _valid_my_number(first_eleven: str) -> str:
    return first_eleven + str(check_digit(first_eleven))


def test_no_personal_data_reaches_the_logs_of_a_realistic_journey(resident, clerk, mailoutbox):
    """Sign-in attempts, a form with mistakes, a submission with 個人番号, staff reading and
    searching the case: every log record (every logger, DEBUG and up, as JSON) is scanned."""
    name, kana = "榊原 澄香", "サカキバラ スミカ"
    address = "三重県伊賀市柘植町9876番地"
    phone = "0595-45-6789"
    my_number = _valid_my_number("87654321098")
    email = "sumika.sakakibara@example.jp"

    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    handler.addFilter(RequestIdFilter())
    from idx.common.security import DropRequestDataFilter

    handler.addFilter(DropRequestDataFilter())
    root = logging.getLogger()
    previous = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    try:
        anonymous = Client(HTTP_HOST=IGA_HOST)
        anonymous.post("/accounts/login/", {"email": email, "password": "wrong-password-1"})
        anonymous.post("/accounts/signup/", {"full_name": name, "email": email, "password": "123"})

        proc = procedure(resident.municipality, "child-allowance-certification")
        answers = example_answers(proc)
        answers["claimant"].update(
            {"name": name, "name_kana": kana, "address": address, "phone": phone, "my_number": my_number}
        )
        draft = make_draft(resident, answers=answers)
        mistaken = make_draft(resident, answers={})
        resident_client = signed_in(resident)
        resident_client.post(
            f"/my/applications/{mistaken.public_id}/steps/claimant/",
            {
                "f.claimant.name": name,
                "f.claimant.name_kana": kana,
                "f.claimant.birth_date": "1985-02-30",
                "f.claimant.address": address,
                "f.claimant.my_number": my_number[:-1],
                "action": "next",
            },
        )
        resident_client.get(f"/my/applications/{draft.public_id}/review/")
        application = submit(application=draft, actor=resident)
        resident_client.get(f"/api/v1/applications/{application.public_id}")

        staff = signed_in(clerk)
        staff.get(f"/staff/cases/{application.public_id}/")
        staff.get("/staff/cases/", {"q": name})
        staff.get("/staff/cases/", {"q": my_number})
    finally:
        root.removeHandler(handler)
        root.setLevel(previous)

    logs = stream.getvalue()
    assert logs.count("\n") >= 8, logs  # the journey was logged (requests, tasks)
    lines = [json.loads(line) for line in logs.splitlines()]
    assert all(line["request_id"] for line in lines if line["logger"] == "idx.request")
    personal = {
        "name": name,
        "family name": "榊原",
        "kana": kana,
        "address": address,
        "address (town)": "柘植町9876",
        "phone": phone,
        "e-mail": email,
        "e-mail (local part)": "sumika.sakakibara",
        "resident's e-mail": resident.email,
        "resident's name": resident.full_name,
        "My Number": my_number,
        "My Number (first eleven)": my_number[:-1],
    }
    found = {what: value for what, value in personal.items() if value and value in logs}
    assert not found, f"personal data in the logs: {found}"


def test_the_served_access_log_leaves_out_queries_referrers_and_user_agents(tmp_path, monkeypatch):
    from idx import cli

    monkeypatch.setenv("IDX_DATA_DIR", str(tmp_path / "var"))
    command = cli.serve_command([])
    log_format = command[command.index("--access-logformat") + 1]
    assert "%(U)s" in log_format and "{x-request-id}o" in log_format
    for atom in ("%(r)s", "%(q)s", "%(f)s", "%(a)s"):
        assert atom not in log_format
