"""One API submission costs a fixed, small number of statements and one transaction.

The submission is the busiest write of the portal (a deadline's last evening). Its statements are
counted here so that a second read, an extra transaction or a rewrite of the answers cannot creep
back unnoticed (docs/performance.md, "Submissions against the ceiling").
"""

from __future__ import annotations

import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from idx.applications.models import Application
from idx.identity.services import api_token_issue
from tests.conftest import IGA_HOST, make_draft

pytestmark = pytest.mark.django_db(transaction=True)

EVENT = "event-registration"


def _submit(client, token: str, public_id) -> CaptureQueriesContext:
    with CaptureQueriesContext(connection) as captured:
        response = client.post(
            f"/api/v1/applications/{public_id}/submit",
            json.dumps({"declaration_accepted": True}),
            content_type="application/json",
            HTTP_AUTHORIZATION=f"Bearer {token}",
        )
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "submitted"
    return captured


def _kinds(captured: CaptureQueriesContext) -> list[str]:
    return [query["sql"].split(None, 1)[0].upper() for query in captured.captured_queries]


@pytest.fixture
def database_tasks(settings):
    """The task backend of a deployment without Redis: the e-mail task is a row in this database."""
    settings.TASKS = {
        "default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default", "email"]}
    }


def test_one_api_submission_statements(resident, client, database_tasks, settings):
    settings.IDX_API_TOKEN_CACHE_SECONDS = 30  # a deployment's choice; off by default
    token = api_token_issue(user=resident, name="bot")
    client.defaults["HTTP_HOST"] = IGA_HOST
    # A first submission warms what a worker keeps (the token, the procedure's parsed schema).
    _submit(client, token, make_draft(resident, EVENT).public_id)

    draft = make_draft(resident, EVENT)
    captured = _submit(client, token, draft.public_id)
    sqls = [query["sql"] for query in captured.captured_queries]
    kinds = _kinds(captured)
    detail = "\n".join(sql[:160] for sql in sqls)

    # One transaction (one commit, one WAL flush): the e-mail task row is inside it.
    assert kinds.count("BEGIN") <= 1, detail
    assert kinds.count("COMMIT") == 1, detail
    # The draft read once before the transaction; in it: lock, status history, task row, receipt
    # number, the application row, the audit entry. No token lookup (cached), no second read.
    statements = [kind for kind in kinds if kind not in {"BEGIN", "COMMIT", "SAVEPOINT", "RELEASE"}]
    assert len(statements) <= 7, detail
    assert not any("identity_apitoken" in sql for sql in sqls), detail
    assert sum(1 for sql in sqls if sql.startswith("SELECT") and "applications_application" in sql) <= 2, (
        detail
    )
    # The receipt number is taken last: after it only the row carrying it, the audit entry, COMMIT.
    receipt = next(i for i, sql in enumerate(sqls) if "applications_receiptsequence" in sql)
    assert kinds[receipt:] == ["UPDATE", "UPDATE", "INSERT", "COMMIT"], detail
    assert "audit_auditentry" in sqls[receipt + 2], detail
    assert any("dbtaskresult" in sql for sql in sqls[:receipt]), detail
    # The answers did not change: their JSON is not written again.
    assert '"answers"' not in sqls[receipt + 1], detail

    draft.refresh_from_db()
    assert draft.status == "submitted"
    assert draft.receipt_number


def test_answers_changed_after_validation_are_overwritten(resident, database_tasks, monkeypatch):
    """Answers saved between the validation and the lock are replaced by the validated ones."""
    from idx.applications import services

    draft = make_draft(resident, EVENT)
    validated = dict(draft.answers)
    real_lock = services._lock

    def lock_after_a_late_save(application, *also):
        Application.objects.filter(pk=application.pk).update(
            answers={"late": True}, updated_at=timezone.now()
        )
        real_lock(application, *also)

    monkeypatch.setattr(services, "_lock", lock_after_a_late_save)
    services.application_submit(application=draft, actor=resident, declaration_accepted=True)
    draft.refresh_from_db()
    assert draft.status == "submitted"
    assert draft.answers == validated
