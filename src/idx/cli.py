"""The ``idx`` console script: demo, serve, worker, and every Django management command.

idx demo              set up a SQLite demo and serve it on http://127.0.0.1:8000
idx serve             run the web server (gunicorn) with the configured settings
idx worker            run the background task worker
idx manage CMD ...    any Django management command (``idx migrate`` works too)
"""

from __future__ import annotations

import os
import subprocess
import sys


def _django_setup(default_settings: str) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", default_settings)
    import django

    django.setup()


def demo(argv: list[str]) -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "idx.settings.dev")
    os.environ.setdefault("IDX_EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
    _django_setup("idx.settings.dev")
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    call_command("collectstatic", interactive=False, verbosity=0)
    call_command("demo_load", *argv)
    if "--no-serve" in argv:
        return 0
    # The worker sends the e-mails; the web server answers on 127.0.0.1:8000 until stopped.
    worker = subprocess.Popen([sys.executable, "-m", "idx.cli", "worker"], env=os.environ.copy())  # noqa: S603
    try:
        return serve([])
    finally:
        worker.terminate()


def serve(argv: list[str]) -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "idx.settings.production")
    workers = os.environ.get("IDX_WEB_WORKERS", "3")
    bind = os.environ.get("IDX_BIND", "127.0.0.1:8000")
    args = [
        sys.executable,
        "-m",
        "gunicorn",
        "idx.wsgi:application",
        *([] if "--bind" in argv or "-b" in argv else ["--bind", bind]),
        "--workers",
        workers,
        "--access-logfile",
        "-",
        "--max-requests",
        "2000",
        "--max-requests-jitter",
        "200",
        *argv,
    ]
    return subprocess.call(args)  # noqa: S603


def worker(argv: list[str]) -> int:
    _django_setup("idx.settings.production")
    from django.conf import settings
    from django.core.management import call_command

    if settings.IDX_TASK_BACKEND == "rq":
        call_command("rqworker", "default", "email", *argv)
    else:
        call_command("db_worker", "--queue-name", "*", *argv)
    return 0


def manage(argv: list[str]) -> int:
    _django_setup("idx.settings.production")
    from django.core.management import execute_from_command_line

    execute_from_command_line(["idx", *argv])
    return 0


def main() -> None:
    argv = sys.argv[1:]
    if not argv or argv[0] in ("-h", "--help", "help"):
        print(__doc__)
        sys.exit(0)
    command, rest = argv[0], argv[1:]
    handlers = {"demo": demo, "serve": serve, "worker": worker, "manage": manage}
    if command in handlers:
        sys.exit(handlers[command](rest))
    sys.exit(manage(argv))


if __name__ == "__main__":
    main()
