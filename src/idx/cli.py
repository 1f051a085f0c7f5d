"""The ``idx`` console script: demo, serve, worker, and every Django management command."""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

HELP = """\
usage: idx COMMAND [ARGUMENTS]

Commands:
  demo          set up a demo (SQLite in ./var, two municipalities, demo accounts printed)
                and serve it on http://127.0.0.1:8000, or on the address in IDX_BIND;
                idx demo --help lists its options
  serve         run the web server (gunicorn) with the configured settings
  worker        run the background task worker (every queue, or --queues email,push)
  backup FILE   write an encrypted backup (database, stored files, public keys, manifest)
                to the municipality's age recipients (IDX_BACKUP_RECIPIENTS); idx backup_keygen
                makes a key pair; docs/operations.md
  restore FILE  restore a backup into an empty database and storage (--identity KEYFILE)
  handover run  hand new decided cases over to the core systems (every few minutes from cron;
                --target N runs one now); idx handover acks takes in their acknowledgements
  manage CMD    any Django management command; "idx CMD" works too, for example
                idx migrate, idx audit verify, idx notifications check;
                idx manage help lists them all, idx help CMD describes one

Main environment variables (docs/configuration.md describes every one):
  IDX_BIND                 address and port to serve on (default 127.0.0.1:8000),
                           for example IDX_BIND=127.0.0.1:8100 idx demo
  IDX_PUBLIC_URL           the address people use, such as https://idx.example.jp
                           (default: http:// and IDX_BIND)
  IDX_DATA_DIR             folder of the SQLite database, uploads and demo keys (default ./var)
  DATABASE_URL             the database, such as postgres://idx@db.example.jp/idx
  IDX_SECRET_KEY           a long random value (production)
  IDX_CACHE_URL            the cache shared by all workers: redis://... (default: the database)
  IDX_ROLE                 portal, backoffice, worker or all (default all)
  IDX_DEBUG                true shows Django's debug pages (development only; default false)
  IDX_WEB_WORKERS          web server processes (default 3)
  IDX_WEB_MAX_REQUESTS     recycle a web worker after this many requests (default 0: never)
  DJANGO_SETTINGS_MODULE   idx.settings.production (default) or idx.settings.dev; in a folder
                           where "idx demo" has run, commands use the demo's settings
"""

SERVE_HELP = """\
usage: idx serve [GUNICORN OPTIONS]

Runs gunicorn on IDX_BIND (default 127.0.0.1:8000) with IDX_WEB_WORKERS workers (default 3).
Each instance gets its own control socket in IDX_DATA_DIR (see docs/operations.md); any option
given here is passed to gunicorn (python -m gunicorn --help lists them).
"""

# gunicorn's access log without personal data: %(U)s is the path without the query string.
ACCESS_LOG_FORMAT = '%(h)s %(t)s "%(m)s %(U)s %(H)s" %(s)s %(B)s %(M)sms %({x-request-id}o)s'

# Written by `idx demo` into the data folder: commands run there later use the demo's settings.
DEMO_MARKER = "demo.json"
_DEMO_SETTINGS = "idx.settings.dev"
_PRODUCTION_SETTINGS = "idx.settings.production"


class ConfigurationProblem(Exception):
    """A setting is missing or wrong: reported in one line, never as a traceback."""


class BindRefused(ConfigurationProblem):
    """The server would listen where its role must not be reached (the back office on a public
    address): one line, without the hint about the demo's settings."""


def _data_dir() -> Path:
    """The data folder, as the settings compute it (IDX_DATA_DIR, else ./var)."""
    return Path(os.environ.get("IDX_DATA_DIR") or Path.cwd() / "var")


def _demo_marker_write() -> None:
    folder = _data_dir()
    folder.mkdir(parents=True, exist_ok=True)
    saved = {name: os.environ[name] for name in ("IDX_BIND", "IDX_PUBLIC_URL") if os.environ.get(name)}
    (folder / DEMO_MARKER).write_text(json.dumps(saved, indent=1) + "\n", encoding="utf-8")


def _settings_for_this_folder() -> None:
    """Without DJANGO_SETTINGS_MODULE, a folder where ``idx demo`` ran uses the demo's settings
    (and the address it was served on); anywhere else, production settings."""
    if os.environ.get("DJANGO_SETTINGS_MODULE"):
        return
    marker = _data_dir() / DEMO_MARKER
    if not marker.is_file():
        os.environ["DJANGO_SETTINGS_MODULE"] = _PRODUCTION_SETTINGS
        return
    try:
        saved = json.loads(marker.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        saved = {}
    os.environ["DJANGO_SETTINGS_MODULE"] = _DEMO_SETTINGS
    for name, value in saved.items() if isinstance(saved, dict) else ():
        if name.startswith("IDX_") and isinstance(value, str):
            os.environ.setdefault(name, value)
    os.environ.setdefault("IDX_EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")


def _settings_load() -> None:
    """Load the settings now, so that a configuration problem becomes one line."""
    from django.core.exceptions import ImproperlyConfigured

    try:
        import django
        from django.conf import settings

        settings.INSTALLED_APPS  # noqa: B018 - reading one setting loads them all
        django.setup()
    except ImproperlyConfigured as exc:
        raise ConfigurationProblem(str(exc)) from None


def demo(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(
        prog="idx demo",
        description=(
            "Set up the demo in ./var (or IDX_DATA_DIR) and serve it on IDX_BIND (default "
            "127.0.0.1:8000): IDX_BIND=127.0.0.1:8100 idx demo serves a second instance beside "
            "the first; give each instance its own folder. IDX_PUBLIC_URL sets the address "
            "people use when it differs (behind a proxy)."
        ),
    )
    parser.add_argument(
        "--applications", type=int, default=200, help="demo applications to make (default 200)"
    )
    parser.add_argument("--no-serve", action="store_true", help="set up only; do not serve")
    parser.add_argument(
        "--debug",
        action="store_true",
        help="show Django's debug pages (never on an address others can reach)",
    )
    options = parser.parse_args(argv)  # --help ends here, before anything is set up
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", _DEMO_SETTINGS)
    os.environ.setdefault("IDX_EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
    if options.debug:
        os.environ["IDX_DEBUG"] = "true"
    _demo_marker_write()
    _settings_load()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    call_command("collectstatic", interactive=False, verbosity=0)
    call_command("demo_load", "--applications", str(options.applications))
    if options.no_serve:
        return 0
    # The worker sends the e-mails; the web server answers on IDX_BIND until stopped.
    worker = subprocess.Popen([sys.executable, "-m", "idx.cli", "worker"], env=os.environ.copy())  # noqa: S603
    try:
        return serve([])
    finally:
        worker.terminate()


def _control_socket_supported() -> bool:
    from gunicorn.config import KNOWN_SETTINGS

    return any(setting.name == "control_socket" for setting in KNOWN_SETTINGS)


def control_socket_args(bind: str) -> list[str]:
    """gunicorn's control socket for this instance (gunicorn 25+ puts every instance on one
    ``~/.gunicorn/gunicorn.ctl`` otherwise: a second instance would take over the first's and
    delete it on exit). Its own socket in the data folder, named after the address served; none
    when that path is too long for a Unix socket."""
    if not _control_socket_supported():
        return []
    name = re.sub(r"[^A-Za-z0-9.]+", "-", bind).strip("-") or "default"
    path = (_data_dir() / "run" / f"gunicorn-{name}.ctl").resolve()
    if len(os.fsencode(str(path))) > 100:  # sun_path holds 108 bytes
        return ["--no-control-socket"]
    path.parent.mkdir(parents=True, exist_ok=True)
    return ["--control-socket", str(path)]


def _max_requests_args() -> list[str]:
    """Recycle each worker after IDX_WEB_MAX_REQUESTS requests (default 0: never).

    A recycled worker drops the requests it was about to take for a second or two; at 2,000 a
    surge of submissions saw 39 such dips in 30 s. The workers' memory stays flat without it
    (docs/performance.md, target C), so recycling is for a deployment that finds a leak.
    """
    from django.core.exceptions import ImproperlyConfigured

    value = os.environ.get("IDX_WEB_MAX_REQUESTS", "0")
    if not value.isdigit():
        raise ImproperlyConfigured(f"IDX_WEB_MAX_REQUESTS must be a whole number of requests, not {value!r}")
    if int(value) == 0:
        return []
    return ["--max-requests", value, "--max-requests-jitter", str(max(1, int(value) // 10))]


def backoffice_bind_problem(bind: str) -> str | None:
    """Why a back-office server must not listen on ``bind``, or None (三層の対策: the back office
    is reached from the internal network only). Loopback and private addresses are fine; every
    interface (0.0.0.0, ::) counts as public unless IDX_BACKOFFICE_BIND_ANY=true says that the
    host's firewall keeps the internet out."""
    import ipaddress
    import socket

    from idx.common.env import env_bool

    if bind.startswith(("unix:", "fd://")):
        return None
    host = bind.rpartition(":")[0].strip("[]") if ":" in bind else bind
    try:
        # An empty host means every interface: checked here so that it is refused.
        everywhere = "0.0.0.0"  # noqa: S104  # nosec B104
        addresses = [ipaddress.ip_address(host or everywhere)]
    except ValueError:  # a host name: every address it stands for
        try:
            infos = socket.getaddrinfo(host, None)
        except OSError:
            return f"the back office cannot listen on {bind}: {host} does not resolve"
        addresses = [ipaddress.ip_address(str(info[4][0]).split("%")[0]) for info in infos]
    if any(address.is_unspecified for address in addresses):
        if env_bool("IDX_BACKOFFICE_BIND_ANY", False):
            return None
        return (
            f"the back office listens on the internal network only, not on every interface ({bind}); "
            "bind a private or loopback address, or set IDX_BACKOFFICE_BIND_ANY=true where the "
            "host's firewall keeps the internet out"
        )
    public = [str(address) for address in addresses if not (address.is_private or address.is_loopback)]
    if public:
        return (
            f"the back office listens on the internal network only, not on the public address "
            f"{', '.join(public)} ({bind}); bind a private or loopback address"
        )
    return None


def serve_command(argv: list[str]) -> list[str]:
    """The gunicorn command line of ``idx serve ARGV``."""
    from django.core.exceptions import ImproperlyConfigured

    from idx.common.addresses import DEFAULT_BIND, bind_address

    workers = os.environ.get("IDX_WEB_WORKERS", "3")
    if not workers.isdigit() or int(workers) < 1:
        raise ImproperlyConfigured(f"IDX_WEB_WORKERS must be a whole number of processes, not {workers!r}")
    given_bind = next(
        (argv[index + 1] for index, arg in enumerate(argv[:-1]) if arg in ("--bind", "-b")),
        next((arg.split("=", 1)[1] for arg in argv if arg.startswith("--bind=")), None),
    )
    bind = os.environ.get("IDX_BIND") or DEFAULT_BIND
    if given_bind is None:
        bind_address(bind)  # a wrong IDX_BIND is a configuration problem, said before gunicorn starts
    if os.environ.get("IDX_ROLE", "").strip() == "backoffice":
        problem = backoffice_bind_problem(given_bind or bind)
        if problem:
            raise BindRefused(problem)
    socket_given = any(arg.startswith(("--control-socket", "--no-control-socket")) for arg in argv)
    return [
        sys.executable,
        "-m",
        "gunicorn",
        "idx.wsgi:application",
        *([] if given_bind is not None else ["--bind", bind]),
        *([] if socket_given else control_socket_args(given_bind or bind)),
        "--workers",
        workers,
        "--access-logfile",
        "-",
        # The path without its query (a staff search can carry a name), no referrer, no user agent;
        # the request id that idx.operations returns in X-Request-ID ties the line to the app's logs.
        "--access-logformat",
        ACCESS_LOG_FORMAT,
        *_max_requests_args(),
        *argv,
    ]


def serve(argv: list[str]) -> int:
    if argv and argv[0] in ("-h", "--help"):
        print(SERVE_HELP, end="")
        return 0
    _settings_for_this_folder()
    from django.core.exceptions import ImproperlyConfigured

    try:
        command = serve_command(argv)
    except ImproperlyConfigured as exc:
        raise ConfigurationProblem(str(exc)) from None
    # The workers load the settings too: a problem is said here once, not in each worker's traceback.
    _settings_load()
    return subprocess.call(command)  # noqa: S603


WORKER_HELP = """\
usage: idx worker [--queues NAME,NAME] [--no-sealer] [WORKER OPTIONS]

Runs the background task worker on the queues named (default: every queue, IDX_TASK_QUEUES in
the settings: default, email, push, line, fanout, ocr, exports), with django-rq's rqworker when
IDX_TASK_BACKEND=rq and django-tasks' db_worker otherwise; further options go to that command.
A worker for one slow purpose only: idx worker --queues ocr.
Each worker also seals the audit log in a background thread (--no-sealer turns it off).
"""


RQ_JOB_CLASS = "django_tasks_rq.backend.Job"


def worker_queues(value: str | None, known: list[str]) -> list[str]:
    """The queues of ``--queues a,b`` (every known queue when not given); an unknown name is a
    configuration problem, said in one line."""
    if value is None:
        return list(known)
    names = [name.strip() for name in value.split(",") if name.strip()]
    unknown = [name for name in names if name not in known]
    if not names or unknown:
        raise ConfigurationProblem(
            f"--queues takes names from {', '.join(known)} separated by commas, not {value!r}"
        )
    return list(dict.fromkeys(names))


def worker_command(
    backend: str, queues: list[str], known: list[str], extra: list[str]
) -> tuple[str, list[str]]:
    """The management command and its arguments that work on ``queues``."""
    if backend == "rq":
        # django-tasks' own job class: it runs the task function and records the task's result.
        job_class = (
            [] if any(arg.startswith("--job-class") for arg in extra) else ["--job-class", RQ_JOB_CLASS]
        )
        return "rqworker", [*queues, *job_class, *extra]
    if set(queues) == set(known):
        # "*" also takes a task left on a queue no longer named in the settings.
        return "db_worker", ["--queue-name", "*", *extra]
    return "db_worker", ["--queue-name", ",".join(queues), *extra]


def _start_sealer() -> Any:
    """The audit sealer in a daemon thread; returns its stop event (None when not available)."""
    import logging
    import threading

    try:
        from idx.audit.sealer import run_sealer  # type: ignore[import-not-found,unused-ignore]
    except ImportError:
        logging.getLogger("idx.cli").info("the audit sealer is not available in this version")
        return None
    stop = threading.Event()
    thread = threading.Thread(
        target=run_sealer, args=(stop,), kwargs={"every": 1.0}, name="audit-sealer", daemon=True
    )
    thread.start()
    return stop


def worker(argv: list[str]) -> int:
    if argv and argv[0] in ("-h", "--help"):
        print(WORKER_HELP, end="")
        return 0
    parser = argparse.ArgumentParser(prog="idx worker", add_help=False)
    parser.add_argument("--queues", default=None)
    parser.add_argument("--no-sealer", action="store_true")
    options, extra = parser.parse_known_args(argv)
    _settings_for_this_folder()
    _settings_load()
    from django.conf import settings

    known = list(settings.IDX_TASK_QUEUES)
    queues = worker_queues(options.queues, known)
    command, arguments = worker_command(settings.IDX_TASK_BACKEND, queues, known, extra)
    stop = None if options.no_sealer else _start_sealer()
    try:
        _work_until_stopped(command, arguments)
    finally:
        if stop is not None:
            stop.set()
    return 0


WORKER_RECONNECT_SECONDS = 5.0


def _queue_answers() -> bool:
    """Whether the task queue's Redis answers a PING (the RQ backend only)."""
    from django.conf import settings

    if settings.IDX_TASK_BACKEND != "rq":
        return True
    import redis

    url = next(iter(settings.RQ_QUEUES.values()))["URL"]
    try:
        return bool(redis.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=2).ping())
    except redis.exceptions.RedisError:
        return False


def _work_until_stopped(command: str, arguments: list[str]) -> None:
    """Run the worker; when Redis goes away under it, wait and start again instead of exiting.

    RQ gives up when Redis disappears while it watches a job: it raises a connection error, or
    logs "found an unhandled exception, quitting" and returns as after a stop. So a return is taken
    for a stop (SIGTERM, Ctrl-C) only while Redis answers."""
    import logging
    import time

    from django.core.management import call_command

    while True:
        try:
            call_command(command, *arguments)
            if _queue_answers():
                return
            reason = "its queue does not answer"
        except (KeyboardInterrupt, SystemExit):
            raise
        except Exception as exc:
            from redis.exceptions import ConnectionError as RedisConnectionError
            from redis.exceptions import TimeoutError as RedisTimeoutError

            if not isinstance(exc, RedisConnectionError | RedisTimeoutError):
                raise
            reason = type(exc).__name__
        logging.getLogger("idx.cli").warning(
            "worker stopped (%s); starting again in %.0f s", reason, WORKER_RECONNECT_SECONDS
        )
        time.sleep(WORKER_RECONNECT_SECONDS)


def manage(argv: list[str]) -> int:
    _settings_for_this_folder()
    _settings_load()
    from django.core.management import execute_from_command_line

    execute_from_command_line(["idx", *argv])
    return 0


def _problem_line(message: str) -> str:
    settings_module = os.environ.get("DJANGO_SETTINGS_MODULE", _PRODUCTION_SETTINGS)
    hint = ""
    if settings_module == _PRODUCTION_SETTINGS:
        hint = (
            f" (production settings; for the demo run `idx demo` in this folder first, "
            f"or set DJANGO_SETTINGS_MODULE={_DEMO_SETTINGS})"
        )
    return f"idx: {' '.join(message.split())}{hint}"


def main() -> None:
    from django.core.exceptions import ImproperlyConfigured

    argv = sys.argv[1:]
    if not argv or (argv[0] in ("-h", "--help", "help") and len(argv) == 1):
        print(HELP, end="")
        sys.exit(0)
    command, rest = argv[0], argv[1:]
    handlers = {"demo": demo, "serve": serve, "worker": worker, "manage": manage}
    try:
        if command in handlers:
            sys.exit(handlers[command](rest))
        sys.exit(manage(argv))
    except BindRefused as exc:
        print(f"idx: {exc}", file=sys.stderr)
        sys.exit(2)
    except (ConfigurationProblem, ImproperlyConfigured) as exc:
        print(_problem_line(str(exc)), file=sys.stderr)
        sys.exit(2)


if __name__ == "__main__":
    main()
