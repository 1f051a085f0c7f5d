"""The request id follows a request into the task it enqueued, through the database task backend
and its worker (django-tasks-db's ``db_worker``, what ``idx worker`` runs), onto the worker's log
lines as JSON."""

from __future__ import annotations

import io
import json
import logging

import pytest
from django.core import mail
from django.core.management import call_command
from django.test import Client
from django_tasks_db.models import DBTaskResult

from idx.operations.context import request_id
from idx.operations.logs import JsonFormatter, RequestIdFilter
from tests.conftest import IGA_HOST

pytestmark = pytest.mark.django_db(transaction=True)

REQUEST_ID = "lb-5e1f0c2a-task-0001"


@pytest.fixture
def database_tasks(settings):
    settings.TASKS = {
        "default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default", "email"]}
    }


def _worker_lines() -> list[dict[str, str]]:
    """Run the database worker until no task is left; its log records as JSON lines."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    handler.addFilter(RequestIdFilter())
    root, tasks_logger = logging.getLogger(), logging.getLogger("django_tasks")
    levels = root.level, tasks_logger.level
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    try:
        call_command("db_worker", "--batch", "--queue-name", "*", "--no-startup-delay", "--verbosity", "1")
    finally:
        root.removeHandler(handler)
        root.setLevel(levels[0])
        tasks_logger.setLevel(levels[1])
    return [json.loads(line) for line in stream.getvalue().splitlines()]


def test_the_workers_lines_for_a_task_carry_the_id_of_the_request_that_enqueued_it(iga, database_tasks):
    response = Client(HTTP_HOST=IGA_HOST).post(
        "/accounts/signup/",
        {"full_name": "依頼 たろう", "email": "task-request@example.jp", "password": "kumo-no-ue-2026"},
        HTTP_X_REQUEST_ID=REQUEST_ID,
    )
    assert response.status_code == 200 and response["X-Request-ID"] == REQUEST_ID
    waiting = DBTaskResult.objects.get(task_path="idx.identity.tasks.send_verification_email")
    assert waiting.status == "READY" and not mail.outbox
    assert request_id() == ""  # the request is over

    lines = _worker_lines()
    assert len(mail.outbox) == 1  # the task ran
    about_task = [line for line in lines if str(waiting.id) in line["message"]]
    assert {line["message"].rsplit("=", 1)[-1] for line in about_task} >= {"RUNNING", "SUCCESSFUL"}, lines
    assert all(line["request_id"] == REQUEST_ID for line in about_task), about_task
    # Once the task is over the worker is back to no request id.
    assert request_id() == ""


def test_a_task_enqueued_outside_a_request_has_no_id_and_takes_none_from_the_last_one(iga, database_tasks):
    from idx.identity.models import User
    from idx.identity.tasks import send_verification_email

    send_verification_email.enqueue(User.objects.filter(municipality=iga).first().pk)
    lines = [line for line in _worker_lines() if "Task id=" in line["message"]]
    assert lines and all(line["request_id"] == "" for line in lines), lines
