"""Applications of the 児童手当 認定請求 whose answers pass, or fail, the checks its definition declares."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone

from tests.conftest import _user, example_answers, make_draft, procedure, submit


def passing_answers(**changes: Any) -> dict[str, Any]:
    """The example, moved in three days ago (the 15-day rule holds whatever day the tests run)."""
    from idx.common.models import Municipality

    answers = example_answers(procedure(Municipality.objects.get(slug="iga")))
    answers["moved_in_date"] = (timezone.localdate() - dt.timedelta(days=3)).isoformat()
    answers.update(changes)
    return answers


def submitted_case(resident, django_capture_on_commit_callbacks, answers: dict[str, Any] | None = None):
    """Submit through the services and run what is deferred to after commit (the checks' task)."""
    with django_capture_on_commit_callbacks(execute=True):
        application = submit(
            application=make_draft(resident, answers=answers or passing_answers()), actor=resident
        )
    application.refresh_from_db()
    return application


@pytest.fixture
def watarai_supervisor(watarai):
    return _user(watarai, "supervisor@staff.watarai.example.jp")


@pytest.fixture
def crisis_supervisor(iga):
    """A supervisor of another department (危機管理課)."""
    return _user(iga, "kiki-kanri-supervisor@staff.iga.example.jp")
