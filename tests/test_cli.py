"""The ``idx`` command: help in plain text, the demo's settings in the demo's folder, one line (no
traceback) for a configuration problem, and one gunicorn control socket per served instance."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from idx import cli


def _env(**extra: str) -> dict[str, str]:
    keep = ("PATH", "HOME", "PYTHONPATH", "LANG", "LC_ALL")
    return {**{key: value for key, value in os.environ.items() if key in keep}, **extra}


def _idx(args: list[str], cwd: Path, **extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "idx.cli", *args],
        cwd=cwd,
        env=_env(**extra),
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )


def test_help_is_plain_text_and_names_the_main_variables(tmp_path):
    result = _idx(["--help"], tmp_path)
    assert result.returncode == 0, result.stderr
    for name in (
        "IDX_BIND",
        "IDX_PUBLIC_URL",
        "IDX_DATA_DIR",
        "DATABASE_URL",
        "IDX_SECRET_KEY",
        "IDX_CACHE_URL",
    ):
        assert name in result.stdout
    assert "``" not in result.stdout  # no reStructuredText markup
    assert result.stdout.startswith("usage: idx COMMAND")


def test_demo_help_sets_nothing_up(tmp_path):
    result = _idx(["demo", "--help"], tmp_path)
    assert result.returncode == 0, result.stderr
    assert "--debug" in result.stdout and "IDX_BIND" in result.stdout
    assert not (tmp_path / "var").exists()  # no database made, nothing migrated


def test_configuration_problem_is_one_line_without_traceback(tmp_path):
    result = _idx(["audit", "verify"], tmp_path)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("idx: Set IDX_SECRET_KEY")
    assert "DJANGO_SETTINGS_MODULE=idx.settings.dev" in lines[0]


def test_bad_bind_address_is_one_line(tmp_path):
    result = _idx(["serve"], tmp_path, IDX_BIND="localhost", DJANGO_SETTINGS_MODULE="idx.settings.dev")
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert result.stderr.strip().startswith("idx: IDX_BIND must be host:port")


@pytest.mark.parametrize(
    ("args", "variable", "value"),
    [
        (["check"], "DATABASE_URL", "postgress//nowhere"),
        (["check"], "IDX_DEBUG", "maybe"),
        (["serve"], "IDX_WEB_WORKERS", "three"),
    ],
)
def test_wrong_values_are_one_line_naming_the_variable(tmp_path, args, variable, value):
    result = _idx(args, tmp_path, DJANGO_SETTINGS_MODULE="idx.settings.dev", **{variable: value})
    assert result.returncode == 2, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert result.stderr.startswith(f"idx: {variable} must")


def test_commands_in_a_demo_folder_use_the_demo_settings(tmp_path):
    """``idx demo`` leaves a marker in the data folder; later commands there need no environment."""
    (tmp_path / "var").mkdir()
    (tmp_path / "var" / cli.DEMO_MARKER).write_text(json.dumps({"IDX_BIND": "127.0.0.1:8123"}))
    result = _idx(
        [
            "shell",
            "-c",
            "from django.conf import settings; print(settings.SETTINGS_MODULE, settings.IDX_LINE_API_BASE)",
        ],
        tmp_path,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[-1].split() == ["idx.settings.dev", "http://127.0.0.1:8123/demo-line"]


def test_notifications_check_passes_on_the_demo(tmp_path):
    """The demo makes its own VAPID key pair (once, kept in the data folder)."""
    result = _idx(["notifications", "check"], tmp_path, DJANGO_SETTINGS_MODULE="idx.settings.dev")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "webpush: ok" in result.stdout
    stored = json.loads((tmp_path / "var" / "vapid-demo.json").read_text())
    again = _idx(
        ["shell", "-c", "from django.conf import settings; print(settings.IDX_VAPID_PUBLIC_KEY)"],
        tmp_path,
        DJANGO_SETTINGS_MODULE="idx.settings.dev",
    )
    assert again.stdout.splitlines()[-1] == stored["public"]  # the same pair on every start


def test_each_instance_gets_its_own_control_socket(monkeypatch, request):
    # A short folder: a socket path longer than a Unix socket holds gets no control socket at all.
    tmp_path = Path(tempfile.mkdtemp(prefix="idx-"))
    request.addfinalizer(lambda: shutil.rmtree(tmp_path, ignore_errors=True))
    monkeypatch.setenv("IDX_DATA_DIR", str(tmp_path / "var"))
    monkeypatch.delenv("IDX_BIND", raising=False)
    first = cli.serve_command([])
    monkeypatch.setenv("IDX_BIND", "127.0.0.1:8100")
    second = cli.serve_command([])
    third = cli.serve_command(["--bind", "127.0.0.1:8200"])

    def socket_of(command: list[str]) -> str:
        return command[command.index("--control-socket") + 1]

    sockets = {socket_of(first), socket_of(second), socket_of(third)}
    assert len(sockets) == 3
    for path in sockets:
        assert Path(path).parent == (tmp_path / "var" / "run").resolve()
        assert ".gunicorn" not in path
    assert second[second.index("--bind") + 1] == "127.0.0.1:8100"
    assert third.count("--bind") == 1
    assert "--no-control-socket" in cli.serve_command(["--no-control-socket"])
    assert "--control-socket" not in cli.serve_command(["--no-control-socket"])


def test_control_socket_left_out_when_its_path_is_too_long(tmp_path, monkeypatch):
    monkeypatch.setenv("IDX_DATA_DIR", str(tmp_path / ("d" * 120)))
    command = cli.serve_command([])
    assert "--no-control-socket" in command


@pytest.mark.parametrize(
    ("bind", "public", "expected"),
    [
        ("", "", "http://127.0.0.1:8000"),
        ("127.0.0.1:8100", "", "http://127.0.0.1:8100"),
        ("0.0.0.0:8200", "", "http://127.0.0.1:8200"),
        ("127.0.0.1:8100", "https://idx.example.jp/", "https://idx.example.jp"),
    ],
)
def test_public_base_url_follows_the_address_served(monkeypatch, bind, public, expected):
    from idx.common.addresses import public_base_url, sibling_url

    monkeypatch.setenv("IDX_BIND", bind)
    monkeypatch.setenv("IDX_PUBLIC_URL", public)
    assert public_base_url() == expected
    sibling = sibling_url(expected, "watarai")
    assert sibling.startswith(expected.split("//")[0])
    assert "watarai." in sibling


def test_public_url_with_a_path_is_refused(monkeypatch):
    from django.core.exceptions import ImproperlyConfigured

    from idx.common.addresses import public_base_url

    monkeypatch.setenv("IDX_PUBLIC_URL", "https://idx.example.jp/portal")
    with pytest.raises(ImproperlyConfigured, match="IDX_PUBLIC_URL"):
        public_base_url()


def test_public_url_is_an_allowed_host_and_a_trusted_origin(tmp_path):
    result = _idx(
        [
            "shell",
            "-c",
            "from django.conf import settings; print(settings.ALLOWED_HOSTS, settings.CSRF_TRUSTED_ORIGINS)",
        ],
        tmp_path,
        DJANGO_SETTINGS_MODULE="idx.settings.dev",
        IDX_PUBLIC_URL="https://demo.idx.example.jp",
    )
    assert result.returncode == 0, result.stderr
    printed = result.stdout.splitlines()[-1]
    for expected in (
        "'demo.idx.example.jp'",
        "'.demo.idx.example.jp'",
        "'https://demo.idx.example.jp'",
        "'https://*.demo.idx.example.jp'",
    ):
        assert expected in printed, printed


# ---- the back office listens on the internal network only ----------------------------------------


@pytest.mark.parametrize("bind", ["0.0.0.0:8000", "[::]:8000", "8.8.8.8:8000"])
def test_backoffice_refuses_a_public_address_in_one_line(tmp_path, bind):
    result = _idx(
        ["serve"], tmp_path, IDX_ROLE="backoffice", IDX_BIND=bind, DJANGO_SETTINGS_MODULE="idx.settings.dev"
    )
    assert result.returncode == 2, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("idx: the back office listens on the internal network only"), lines[0]
    assert "idx demo" not in lines[0]  # not the hint about the demo's settings


@pytest.mark.parametrize(
    "bind", ["127.0.0.1:8000", "10.1.2.3:8000", "192.168.0.5:80", "[::1]:8000", "localhost:8000"]
)
def test_backoffice_may_listen_on_private_and_loopback_addresses(bind):
    assert cli.backoffice_bind_problem(bind) is None


def test_backoffice_on_every_interface_only_when_said_explicitly(monkeypatch):
    assert cli.backoffice_bind_problem("0.0.0.0:8000")
    assert "IDX_BACKOFFICE_BIND_ANY" in (cli.backoffice_bind_problem("0.0.0.0:8000") or "")
    monkeypatch.setenv("IDX_BACKOFFICE_BIND_ANY", "true")
    assert cli.backoffice_bind_problem("0.0.0.0:8000") is None
    assert cli.backoffice_bind_problem("8.8.8.8:8000")  # a public address stays refused


def test_backoffice_bind_given_on_the_command_line_is_checked_too(monkeypatch):
    monkeypatch.setenv("IDX_ROLE", "backoffice")
    with pytest.raises(cli.BindRefused):
        cli.serve_command(["--bind", "0.0.0.0:9000"])
    monkeypatch.setenv("IDX_ROLE", "portal")
    assert "0.0.0.0:9000" in cli.serve_command(["--bind", "0.0.0.0:9000"])


# ---- the worker: queues and the audit sealer -------------------------------------------------------

QUEUES = ["default", "email", "push", "line", "fanout", "ocr", "exports"]


def test_worker_takes_every_queue_by_default():
    assert cli.worker_queues(None, QUEUES) == QUEUES
    assert cli.worker_command("rq", QUEUES, QUEUES, []) == (
        "rqworker",
        [*QUEUES, "--job-class", cli.RQ_JOB_CLASS],
    )
    # The database backend takes "*": also a task left on a queue no longer configured.
    assert cli.worker_command("database", QUEUES, QUEUES, []) == ("db_worker", ["--queue-name", "*"])


def test_worker_on_some_queues():
    queues = cli.worker_queues("ocr,exports", QUEUES)
    assert queues == ["ocr", "exports"]
    assert cli.worker_command("rq", queues, QUEUES, ["--burst"]) == (
        "rqworker",
        ["ocr", "exports", "--job-class", cli.RQ_JOB_CLASS, "--burst"],
    )
    assert cli.worker_command("database", queues, QUEUES, []) == (
        "db_worker",
        ["--queue-name", "ocr,exports"],
    )


def test_worker_refuses_an_unknown_queue_in_one_line(tmp_path):
    result = _idx(["worker", "--queues", "email,faxes"], tmp_path, DJANGO_SETTINGS_MODULE="idx.settings.dev")
    assert result.returncode == 2, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert "--queues" in result.stderr and "'email,faxes'" in result.stderr


def test_worker_help_names_the_options(tmp_path):
    result = _idx(["worker", "--help"], tmp_path)
    assert result.returncode == 0, result.stderr
    assert "--queues" in result.stdout and "--no-sealer" in result.stdout


def test_every_task_is_on_a_configured_queue():
    from django.conf import settings

    from idx.applications.tasks import notify_status
    from idx.identity.tasks import send_verification_email
    from idx.intake.tasks import read_page, split_batch
    from idx.notifications.tasks import delivery_queue, fan_out_alert

    assert send_verification_email.queue_name == "email"
    assert {split_batch.queue_name, read_page.queue_name} == {"ocr"}
    assert fan_out_alert.queue_name == "fanout"
    assert notify_status.queue_name == "default"
    assert [delivery_queue(channel) for channel in ("email", "push", "line")] == ["email", "push", "line"]
    assert {"default", "email", "push", "line", "fanout", "ocr", "exports"} <= set(settings.IDX_TASK_QUEUES)


def test_a_worker_that_loses_redis_starts_again_and_a_stop_ends_it(monkeypatch):
    from redis.exceptions import ConnectionError as RedisConnectionError

    import idx.cli as cli

    runs: list[str] = []

    def rqworker(*args, **kwargs):
        runs.append("run")
        if len(runs) < 3:
            raise RedisConnectionError("Connection refused")

    monkeypatch.setattr("django.core.management.call_command", rqworker)
    monkeypatch.setattr(cli, "WORKER_RECONNECT_SECONDS", 0.0)
    monkeypatch.setattr(cli, "_queue_answers", lambda: True)
    cli._work_until_stopped("rqworker", ["email"])
    assert runs == ["run", "run", "run"]  # two losses, then a clean stop

    # RQ also returns as after a stop when it quits on a lost connection: then Redis is away.
    runs.clear()
    answers = iter([False, False, True])
    monkeypatch.setattr("django.core.management.call_command", lambda *a, **k: runs.append("run"))
    monkeypatch.setattr(cli, "_queue_answers", lambda: next(answers))
    cli._work_until_stopped("rqworker", ["email"])
    assert runs == ["run", "run", "run"]

    def broken(*args, **kwargs):
        raise ValueError("a bug is not an outage")

    monkeypatch.setattr("django.core.management.call_command", broken)
    with pytest.raises(ValueError, match="not an outage"):
        cli._work_until_stopped("rqworker", ["email"])


def test_the_worker_asks_redis_whether_its_queue_answers(settings):
    import socket

    import idx.cli as cli

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed = probe.getsockname()[1]
    settings.IDX_TASK_BACKEND = "rq"
    settings.RQ_QUEUES = {"default": {"URL": f"redis://127.0.0.1:{closed}/0"}}
    assert cli._queue_answers() is False
    settings.IDX_TASK_BACKEND = "database"
    assert cli._queue_answers() is True
