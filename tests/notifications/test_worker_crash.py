"""A worker killed mid-batch and restarted: every resident still gets exactly one LINE message.

Real processes: the database task worker (``django_tasks_db``'s ``db_worker``, what ``idx worker``
runs) on a file SQLite database, the LINE stand-in server in this process, slowed down so the
kill lands in the middle of the batch. After SIGKILL, ``idx notifications requeue`` gives the
messages the dead worker left ``sending`` back to the queue; the restarted worker finishes. Pushes
that LINE accepted before the kill are not sent twice: the retry key repeats and LINE answers 409.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.notifications.conftest import LineServer, _LineHandler

RESIDENTS = 120
SETUP = """
import django
django.setup()
from django.core.management import call_command
call_command("migrate", verbosity=0)
from idx.common.models import Municipality
from idx.identity.models import User
from idx.notifications.models import Subscription
from idx.notifications.services import message_create
m = Municipality.objects.create(code="242161", slug="iga", name="伊賀市", name_en="Iga", prefecture="三重県",
                                receipt_prefix="IGA")
for index in range({count}):
    user = User.objects.create_user(municipality=m, email=f"r{{index}}@example.jp", password=None, full_name="住民")
    line_id = "U" + format(index, "032x")
    Subscription.objects.create(user=user, line_user_id=line_id, channels=["line"])
    message_create(municipality=m, recipient=user, channel="line", address=line_id, purpose="alert",
                   key="crash-test", subject="避難指示", body="避難してください。", language="ja", emergency=True)
print("ready")
"""


class SlowLineHandler(_LineHandler):
    def do_POST(self) -> None:  # noqa: N802 - http.server's hook
        time.sleep(0.03)
        super().do_POST()


def _env(tmp_path: Path, line: LineServer) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "idx.settings.dev",
            "DATABASE_URL": f"sqlite:///{tmp_path / 'crash.sqlite3'}",
            "IDX_DATA_DIR": str(tmp_path),
            "IDX_TASK_BACKEND": "database",
            "IDX_LINE_API_BASE": line.base_url,
            "IDX_LINE_CHANNEL_ACCESS_TOKEN": line.token,
            "IDX_DEMO_IDP": "false",
        }
    )
    return env


def _django(env: dict[str, str], *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: S603
        [sys.executable, "-m", "django", *args], env=env, capture_output=True, text=True, timeout=timeout
    )


@pytest.fixture
def slow_line():
    import threading

    server = LineServer(token="crash-token")
    server.RequestHandlerClass = SlowLineHandler
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()


def test_killed_worker_sends_nothing_twice(tmp_path, slow_line):
    env = _env(tmp_path, slow_line)
    setup = subprocess.run(  # noqa: S603
        [sys.executable, "-c", SETUP.format(count=RESIDENTS)],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert setup.returncode == 0 and "ready" in setup.stdout, setup.stderr[-3000:]

    worker = subprocess.Popen(  # noqa: S603
        [
            sys.executable,
            "-m",
            "django",
            "db_worker",
            "--queue-name",
            "*",
            "--no-startup-delay",
            "--interval",
            "0.1",
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 120
        while len(slow_line.pushes) < RESIDENTS // 3 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert len(slow_line.pushes) >= RESIDENTS // 3, "the worker did not start sending"
    finally:
        os.killpg(worker.pid, signal.SIGKILL)  # mid-batch: no clean shutdown
        worker.wait(timeout=20)
    sent_before_restart = len(slow_line.pushes)
    assert sent_before_restart < RESIDENTS, "the kill came too late to test anything"

    requeued = _django(env, "notifications", "requeue", "--stuck-minutes", "0")
    assert requeued.returncode == 0, requeued.stderr[-3000:]
    restarted = _django(env, "db_worker", "--queue-name", "*", "--batch", "--no-startup-delay", timeout=300)
    assert restarted.returncode == 0, restarted.stderr[-3000:]

    recipients = [push["to"] for push in slow_line.pushes]
    assert len(recipients) == RESIDENTS, f"{len(recipients)} pushes accepted for {RESIDENTS} residents"
    assert len(set(recipients)) == RESIDENTS  # exactly one each
    check = subprocess.run(  # noqa: S603
        [
            sys.executable,
            "-c",
            "import django; django.setup(); from idx.notifications.models import Message; "
            "print(Message.objects.exclude(status='delivered').count())",
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert check.stdout.strip() == "0", check.stdout + check.stderr[-2000:]
