"""The API against its own OpenAPI document, as a client meets it: schemathesis on a served IDX.

``python -m tests.api.schemathesis_run`` (a step of scripts/test.sh) sets up a throw-away SQLite
database with the demo data, makes a resident's draft, payment, booking and inquiry and a counter
ticket, serves IDX with gunicorn on a free port, and runs schemathesis with every check three times:
without credentials, with a resident's API token and with a clerk's (住民課). The ids of the real
rows are pinned as parameters, so payments, bookings and inquiries are exercised on real data, and
the links the document declares drive the stateful phase. It fails on any server error, any answer
outside the document (status, content type, schema, headers), any other failed check, and when the
run changed none of the real rows (no payment started, no inquiry reply, the booking untouched).

``IDX_SCHEMATHESIS_MAX_EXAMPLES`` (default 6) bounds the cases per operation and phase; the whole
step takes about four and a half minutes on two idle cores (set-up 2, each run about 1). Rate
limits are off for the run.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from tests.servers import free_port, wait_healthy

REPO = Path(__file__).resolve().parents[2]
RESIDENT = "resident1@iga.example.jp"
CLERK = "jumin@staff.iga.example.jp"  # 住民課: takes the fees of 住民票, serves the 住民票 counter


def seed(out: str, base_url: str) -> None:
    """Real rows for the run (called inside the served instance's settings); ids go to ``out``."""
    from django.utils import timezone

    from idx.applications import services as applications
    from idx.assist.services import inquiries as assist
    from idx.booking import selectors as booking_selectors
    from idx.booking.services.bookings import booking_create
    from idx.booking.services.tickets import ticket_issue_walk_in
    from idx.common.models import Municipality
    from idx.identity.models import Department, User
    from idx.identity.policy import Action
    from idx.identity.services import api_token_issue
    from idx.payments.demo import configure_demo_payments, demo_paid
    from idx.procedures.selectors import procedure_get_published

    iga = Municipality.objects.get(code="242161")
    Municipality.objects.filter(pk=iga.pk).update(public_url=base_url)
    iga.refresh_from_db()
    configure_demo_payments(iga)
    resident = User.objects.get(municipality=iga, email=RESIDENT)
    clerk = User.objects.get(municipality=iga, email=CLERK)
    jumin = Department.objects.get(municipality=iga, code="jumin")

    certificate = procedure_get_published(municipality=iga, code="residence-certificate-request")
    assert certificate is not None and certificate.published_version is not None
    example = dict(certificate.published_version.definition.get("example") or {})

    def draft() -> Any:
        application = applications.application_start(resident=resident, procedure=certificate)
        return applications.application_save_answers(application=application, actor=resident, answers=example)

    unpaid = draft()  # its fee is paid before submission: POST …/payments starts a real payment
    paid = draft()
    payment = demo_paid(paid)  # paid at the demo service: the application is submitted, a case of 住民課
    paid.refresh_from_db()

    service = booking_selectors.services_for_staff(staff=clerk, action=Action.SERVE_COUNTER).get(
        code="juminhyo"
    )
    now = timezone.now()
    slot = next(
        slot
        for day in booking_selectors.slot_days(service=service, days=30)
        for slot in day.slots
        if slot.free > 0 and slot.starts_at > now
    )
    booked = booking_create(
        resident=resident, service=service, starts_at=slot.starts_at, note="住民票の写しの請求"
    )
    ticket = ticket_issue_walk_in(staff=clerk, service=service)
    counter = booking_selectors.resources_for_staff(staff=clerk).first()
    inquiry, inquiry_token = assist.inquiry_create(
        municipality=iga,
        department=jumin,
        resident=resident,
        name="",
        email="",
        subject="住民票の写しについて",
        body="本籍地入りの住民票の写しは郵送で請求できますか。",
        language="ja",
    )
    data = {
        "resident_token": api_token_issue(user=resident, name="schemathesis"),
        "clerk_token": api_token_issue(user=clerk, name="schemathesis"),
        "draft": str(unpaid.public_id),
        "case": str(paid.public_id),
        "payment": payment.reference,
        "booking": str(booked.public_id),
        "ticket_id": ticket.pk,
        "ticket_code": ticket.code,
        "counter": counter.pk if counter else 0,
        "inquiry": inquiry.public_id,
        "inquiry_token": inquiry_token,
        "service": service.code,
        "department": jumin.code,
        "procedure": certificate.code,
    }
    Path(out).write_text(json.dumps(data))


def reached(ids_path: str, out: str) -> None:
    """What the run changed on the real rows (called after it, like ``seed``): proof they were reached."""
    from idx.assist.models import Inquiry
    from idx.booking.models import Booking
    from idx.payments.models import Payment

    ids = json.loads(Path(ids_path).read_text())
    inquiry = Inquiry.objects.get(public_id=ids["inquiry"])
    booking = Booking.objects.get(public_id=ids["booking"])
    data = {
        "payments started through the API": Payment.objects.filter(
            application__public_id=ids["draft"]
        ).count(),
        "inquiry messages": inquiry.messages.count(),
        "bookings of the resident": Booking.objects.filter(resident_id=booking.resident_id).count(),
        "pinned booking status": booking.status,
    }
    Path(out).write_text(json.dumps(data))


def _idx(args: list[str], env: dict[str, str], cwd: Path) -> str:
    begun = time.monotonic()
    result = subprocess.run(  # noqa: S603 - fixed argv
        [sys.executable, "-m", "idx.cli", *args],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=900,
    )
    if result.returncode != 0:
        raise SystemExit(
            f"`idx {' '.join(args[:2])}` failed:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
        )
    print(f"schemathesis: idx {' '.join(args[:2])} ({time.monotonic() - begun:.0f}s)", flush=True)
    return result.stdout


def _operations(ids: dict[str, Any], who: str) -> list[dict[str, Any]]:
    """Real ids for the operations that read or change one row (schemathesis keeps them fixed)."""
    application = ids["case"] if who == "clerk" else ids["draft"]
    inquiry = {"path.tracking_number": ids["inquiry"], "header.X-Inquiry-Token": ids["inquiry_token"]}
    by_operation: dict[str, dict[str, Any]] = {
        "idx_api_v1_get_procedure": {"path.code": ids["procedure"]},
        "idx_api_v1_get_procedure_schema": {"path.code": ids["procedure"]},
        "idx_api_booking_list_slots": {"path.code": ids["service"]},
        "idx_api_booking_ticket_status": {"path.code": ids["ticket_code"]},
        "idx_api_payments_payment_get": {"path.reference": ids["payment"]},
        "idx_api_payments_staff_payment_refund": {"path.reference": ids["payment"]},
        "idx_api_assist_inquiry_get": inquiry,
        "idx_api_assist_inquiry_reply": inquiry,
        "idx_api_assist_staff_inquiry_answer": {"path.tracking_number": ids["inquiry"]},
        "idx_api_booking_staff_ticket_move": {"path.ticket_id": ids["ticket_id"]},
    }
    for operation in (
        "get_application",
        "update_application",
        "validate_application",
        "submit_application",
        "signing_payload_of",
        "withdraw_application",
        "get_case",
        "transition_case",
    ):
        by_operation[f"idx_api_v1_{operation}"] = {"path.application_id": application}
    for operation in ("application_fee", "payment_start"):
        by_operation[f"idx_api_payments_{operation}"] = {"path.application_id": application}
    for operation in ("get_booking", "cancel_booking", "rebook_booking", "check_in_own_booking"):
        by_operation[f"idx_api_booking_{operation}"] = {"path.booking_id": ids["booking"]}
    return [
        {"include-operation-id": operation_id, "parameters": parameters}
        for operation_id, parameters in by_operation.items()
    ]


def _toml_value(value: Any) -> str:
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{json.dumps(k)} = {_toml_value(v)}" for k, v in value.items()) + " }"
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    return json.dumps(str(value))


def _config(ids: dict[str, Any], who: str, token: str | None, max_examples: int) -> str:
    lines = [
        "workers = 1",  # several workers trip a thread-safety bug of the coverage phase on Python 3.11
        "request-timeout = 30",
        "max-failures = 50",
        "[generation]",
        f"max-examples = {max_examples}",
        "[checks]",
        "enabled = true",
        # A slow answer is a finding too, but CI machines are shared: only a hang fails the run.
        "max_response_time = 30",
        # Refusals by business rules (a booked-out slot, answers the procedure's schema refuses, a fee
        # to pay first) answer 402/409/422 for data the document's types allow: documented answers.
        "positive_data_acceptance.expected-statuses = "
        + _toml_value(["2xx", "401", "402", "403", "404", "409", "422", "502"]),
        "[phases.stateful]",
        "max-steps = 12",
    ]
    if token:
        lines.insert(0, f"headers = {{ Authorization = {json.dumps('Bearer ' + token)} }}")
    for operation in _operations(ids, who):
        lines.append("[[operations]]")
        lines.extend(f"{key} = {_toml_value(value)}" for key, value in operation.items())
    return "\n".join(lines) + "\n"


def main() -> int:
    max_examples = int(os.environ.get("IDX_SCHEMATHESIS_MAX_EXAMPLES", "6"))
    data_dir = Path(tempfile.mkdtemp(prefix="idx-schemathesis-"))
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    env = {
        **{k: v for k, v in os.environ.items() if k != "DATABASE_URL"},
        "DJANGO_SETTINGS_MODULE": "idx.settings.dev",
        "IDX_DATA_DIR": str(data_dir),
        "IDX_DEBUG": "false",
        "IDX_TASK_BACKEND": "immediate",
        "IDX_EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
        "IDX_RATELIMIT_ENABLED": "false",
        "IDX_LOG_LEVEL": "ERROR",
        "IDX_BIND": f"127.0.0.1:{port}",
        "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH", "")])),
        "PYTHONUNBUFFERED": "1",
    }
    log = data_dir / "server.log"
    process: subprocess.Popen[bytes] | None = None
    started = time.monotonic()
    try:
        _idx(["manage", "migrate", "--noinput", "-v", "0"], env, data_dir)
        _idx(["manage", "demo_load", "--applications", "10"], env, data_dir)
        ids_file = data_dir / "ids.json"
        _idx(
            [
                "manage",
                "shell",
                "-c",
                f"from tests.api.schemathesis_run import seed; seed({str(ids_file)!r}, {base_url!r})",
            ],
            env,
            data_dir,
        )
        ids = json.loads(ids_file.read_text())
        with log.open("wb") as log_file:
            process = subprocess.Popen(  # noqa: S603 - fixed argv
                [sys.executable, "-m", "idx.cli", "serve", "--bind", f"127.0.0.1:{port}", "--workers", "2"],
                env=env,
                cwd=data_dir,
                stdout=log_file,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        try:
            wait_healthy(base_url, process, log, timeout=90)
        except RuntimeError as problem:
            raise SystemExit(str(problem)) from None
        print(f"schemathesis: demo data served at {base_url} ({time.monotonic() - started:.0f}s)", flush=True)
        failed = []
        for who, token in (
            ("anonymous", None),
            ("resident", ids["resident_token"]),
            ("clerk", ids["clerk_token"]),
        ):
            config = data_dir / f"schemathesis-{who}.toml"
            config.write_text(_config(ids, who, token, max_examples))
            begun = time.monotonic()
            result = subprocess.run(  # noqa: S603 - fixed argv
                [
                    str(Path(sys.executable).with_name("schemathesis")),
                    "--config-file",
                    str(config),
                    "run",
                    f"{base_url}/api/v1/openapi.json",
                    "--checks",
                    "all",
                    "--seed",
                    os.environ.get("IDX_SCHEMATHESIS_SEED", "2026"),
                ],
                cwd=data_dir,
                capture_output=True,
                text=True,
                timeout=900,
                env={**env, "SCHEMATHESIS_HOOKS": ""},
            )
            summary = [line for line in result.stdout.splitlines() if line.strip()][-3:]
            print(f"schemathesis as {who}: exit {result.returncode} ({time.monotonic() - begun:.0f}s)")
            print("\n".join(summary), flush=True)
            if result.returncode != 0:
                failed.append(who)
                print(result.stdout[-20000:])
                print(result.stderr[-3000:])
        if failed:
            print(f"schemathesis: failures as {', '.join(failed)}; server log:\n{log.read_text()[-5000:]}")
            return 1
        reached_file = data_dir / "reached.json"
        _idx(
            [
                "manage",
                "shell",
                "-c",
                "from tests.api.schemathesis_run import reached; "
                f"reached({str(ids_file)!r}, {str(reached_file)!r})",
            ],
            env,
            data_dir,
        )
        changed = json.loads(reached_file.read_text())
        print(f"schemathesis: real rows reached: {changed}")
        if (
            changed["payments started through the API"] < 1
            or changed["inquiry messages"] < 2
            or changed["pinned booking status"] == "confirmed"
        ):
            print("schemathesis: the run did not reach the real payment, inquiry and booking rows")
            return 1
        print(f"schemathesis: no failures ({time.monotonic() - started:.0f}s)")
        return 0
    finally:
        if process is not None and process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
        shutil.rmtree(data_dir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
