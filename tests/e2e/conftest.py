"""Fixtures for the browser end-to-end suite.

The suite drives a real, separately served IDX (gunicorn in a subprocess, fresh SQLite in a
temporary directory or a throw-away PostgreSQL database) with Debian's chromium through
Playwright, and catches the e-mails it sends with a real local SMTP server (aiosmtpd).
Nothing here touches the Django test database of the in-process test suite.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from e2e_support import (
    CHROMIUM_ARGS,
    CHROMIUM_PATH,
    Mailbox,
    Server,
    free_port,
)
from tests.servers import wait_healthy

OUTPUT_DIR = Path(__file__).resolve().parent / "output"


# ---- SMTP ----------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def mailbox() -> Iterator[Mailbox]:
    import logging

    from aiosmtpd.controller import Controller

    logging.getLogger("mail.log").setLevel(logging.WARNING)  # one INFO line per SMTP command otherwise
    box = Mailbox()
    controller = Controller(box, hostname="127.0.0.1", port=free_port())
    controller.start()
    box.port = controller.port
    try:
        yield box
    finally:
        controller.stop()


# ---- the served application ----------------------------------------------------------------


def _run(args: list[str], env: dict[str, str], cwd: Path, timeout: int = 600) -> None:
    result = subprocess.run(  # noqa: S603
        [sys.executable, "-m", "idx.cli", *args],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    if result.returncode != 0:
        raise RuntimeError(
            f"`idx {' '.join(args)}` failed ({result.returncode}):\n{result.stdout[-4000:]}\n{result.stderr[-4000:]}"
        )


def _e2e_database(url: str) -> tuple[str, str, str]:
    """(e2e database URL, maintenance connection URL, e2e database name) for a PostgreSQL DATABASE_URL.

    The e2e server gets its own database next to the configured one, so the data there is never touched.
    """
    from urllib.parse import urlsplit, urlunsplit

    parts = urlsplit(url)
    name = parts.path.lstrip("/") or "idx"
    e2e_name = f"{name}_e2e"
    e2e_url = urlunsplit(parts._replace(path=f"/{e2e_name}"))
    admin_url = urlunsplit(parts._replace(scheme="postgresql", path="/postgres", query=""))
    return e2e_url, admin_url, e2e_name


def _postgres(admin_url: str, statement: str) -> None:
    import psycopg

    with psycopg.connect(admin_url, autocommit=True) as connection:
        connection.execute(statement)  # type: ignore[arg-type]


@pytest.fixture(scope="session")
def server(mailbox: Mailbox) -> Iterator[Server]:
    data_dir = Path(tempfile.mkdtemp(prefix="idx-e2e-"))
    port = free_port()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "idx.settings.dev",
        "IDX_DATA_DIR": str(data_dir),
        "IDX_DEBUG": "false",
        "IDX_TASK_BACKEND": "immediate",
        "IDX_EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "IDX_EMAIL_HOST": "127.0.0.1",
        "IDX_EMAIL_PORT": str(mailbox.port),
        "IDX_EMAIL_USE_TLS": "false",
        "IDX_WEB_WORKERS": "2",
        # Every browser test signs in and up from 127.0.0.1: keep the limiter on, far above that.
        "IDX_RATELIMIT_SIGN_IN": "10000/10m",
        "IDX_RATELIMIT_SIGN_IN_ACCOUNT": "10000/10m",
        "IDX_RATELIMIT_SIGN_UP": "10000/1h",
        "IDX_RATELIMIT_SIGN_UP_ACCOUNT": "10000/1h",
        "IDX_RATELIMIT_SUBMIT": "10000/10m",
        "IDX_RATELIMIT_SUBMIT_ACCOUNT": "10000/10m",
        "IDX_LOG_LEVEL": "WARNING",
        "PYTHONUNBUFFERED": "1",
    }
    postgres: tuple[str, str] | None = None
    if os.environ.get("DATABASE_URL", "").startswith(("postgres", "postgresql")):
        e2e_url, admin_url, e2e_name = _e2e_database(os.environ["DATABASE_URL"])
        _postgres(admin_url, f'DROP DATABASE IF EXISTS "{e2e_name}" WITH (FORCE)')
        _postgres(admin_url, f'CREATE DATABASE "{e2e_name}"')
        env["DATABASE_URL"] = e2e_url
        postgres = (admin_url, e2e_name)
    else:
        env.pop("DATABASE_URL", None)

    base_url = f"http://127.0.0.1:{port}"
    log = data_dir / "server.log"
    process: subprocess.Popen[bytes] | None = None
    try:
        # The Japanese interface needs compiled catalogues (*.mo are build output, not in git).
        _run(["manage", "compilemessages"], env, data_dir)
        _run(["manage", "migrate", "--noinput", "-v", "0"], env, data_dir)
        _run(["manage", "demo_load", "--applications", "10"], env, data_dir)
        _run(["manage", "collectstatic", "--noinput", "-v", "0"], env, data_dir)
        _run(
            [
                "manage",
                "shell",
                "-c",
                "from idx.common.models import Municipality; "
                f"Municipality.objects.filter(code='242161').update(public_url='{base_url}'); "
                f"Municipality.objects.filter(code='244708').update(public_url='http://watarai.localhost:{port}'); "
                # The demo payment service is reached at the public address too.
                "from idx.payments.demo import configure_demo_payments; "
                "[configure_demo_payments(m) for m in Municipality.objects.all()]; "
                # A clerk without a second factor, for the enrolment test.
                "from idx.identity.models import Department, Role; "
                "from idx.identity.services import staff_create; "
                "iga = Municipality.objects.get(code='242161'); "
                "staff_create(municipality=iga, email='newcomer@staff.iga.example.jp', password='idx-demo-2026', "
                "full_name='新任 職員', role=Role.CLERK, "
                "department=Department.objects.get(municipality=iga, code='kodomo-katei'))",
            ],
            env,
            data_dir,
        )
        with log.open("wb") as log_file:
            process = subprocess.Popen(  # noqa: S603
                # 120 s per request: an uploaded batch of scans is read while the upload is answered
                # (the tasks run at once here), a few seconds per page.
                [
                    sys.executable,
                    "-m",
                    "idx.cli",
                    "serve",
                    "--bind",
                    f"127.0.0.1:{port}",
                    "--workers",
                    "2",
                    "--timeout",
                    "120",
                ],
                env=env,
                cwd=data_dir,
                stdout=log_file,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own process group: gunicorn and its workers stop together
            )
        wait_healthy(base_url, process, log)
        # click_and_wait shows the end of this log when the server answers 500.
        os.environ["IDX_E2E_SERVER_LOG"] = str(log)
        yield Server(base_url=base_url, port=port, data_dir=data_dir, log=log)
    finally:
        if process is not None and process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=10)
        if postgres is not None:
            try:
                _postgres(postgres[0], f'DROP DATABASE IF EXISTS "{postgres[1]}" WITH (FORCE)')
            except Exception as exc:  # noqa: BLE001 - teardown must not hide the test result
                print(f"could not drop the e2e database: {exc}", file=sys.stderr)
        if log.exists():
            OUTPUT_DIR.mkdir(parents=True, exist_ok=True)
            # One log per test process when the tests run in parallel.
            worker = os.environ.get("PYTEST_XDIST_WORKER")
            shutil.copyfile(log, OUTPUT_DIR / (f"server-{worker}.log" if worker else "server.log"))
        shutil.rmtree(data_dir, ignore_errors=True)


# ---- the browser ---------------------------------------------------------------------------


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    OUTPUT_DIR.mkdir(parents=True, exist_ok=True)
    for old in OUTPUT_DIR.glob("*.png"):
        old.unlink()
    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(
            executable_path=CHROMIUM_PATH, args=CHROMIUM_ARGS, headless=True
        )
        try:
            yield instance
        finally:
            from e2e_support import ACCESSIBILITY_RESULTS, write_accessibility_results

            if ACCESSIBILITY_RESULTS:
                write_accessibility_results(
                    OUTPUT_DIR / "accessibility-results.json", f"Chromium {instance.version}"
                )
            instance.close()


@pytest.fixture
def new_context(browser: Any, server: Server) -> Iterator[Any]:
    """A factory for fresh browser contexts (separate cookies: one per person)."""
    contexts: list[Any] = []

    def make(
        width: int = 1280, height: int = 900, language: str | None = None, base_url: str | None = None
    ) -> Any:
        context = browser.new_context(
            viewport={"width": width, "height": height},
            base_url=base_url or server.base_url,
            locale="ja-JP",
        )
        context.set_default_timeout(15_000)
        if language:
            host = (base_url or server.base_url).split("//", 1)[1].split(":")[0]
            context.add_cookies([{"name": "idx_language", "value": language, "domain": host, "path": "/"}])
        contexts.append(context)
        return context

    yield make
    for context in contexts:
        context.close()
