"""The database away: every request is a 503 with Retry-After, never a 500; back by itself after.

docs/decisions/0035-degraded-modes.md. "Away" is every new cursor raising what psycopg raises when
the server refuses connections (Django's OperationalError), wherever the first query happens.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator

import pytest
from django.db import OperationalError
from django.db.backends.base.base import BaseDatabaseWrapper
from django.test import Client

from idx.operations.unavailable import RETRY_AFTER_SECONDS, is_database_unavailable
from tests.conftest import IGA_HOST

pytestmark = pytest.mark.django_db


@contextlib.contextmanager
def database_away(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    def refuse(self: BaseDatabaseWrapper, *args: object, **kwargs: object) -> None:
        raise OperationalError('connection to server at "127.0.0.1", port 5432 failed: Connection refused')

    with monkeypatch.context() as patch:
        patch.setattr(BaseDatabaseWrapper, "cursor", refuse)
        yield


def _client(**headers: str) -> Client:
    return Client(HTTP_HOST=IGA_HOST, raise_request_exception=False, **headers)


@pytest.mark.parametrize("path", ["/", "/procedures/", "/accounts/login/", "/my/"])
def test_pages_answer_503_with_retry_after_in_the_visitors_language(iga, monkeypatch, path, caplog):
    with database_away(monkeypatch), caplog.at_level(logging.WARNING):
        response = _client(HTTP_ACCEPT_LANGUAGE="en").get(path)
    assert response.status_code == 503, response.content[:300]
    assert response["Retry-After"] == str(RETRY_AFTER_SECONDS)
    assert response["Content-Type"].startswith("text/html")
    page = response.content.decode()
    assert "Service temporarily unavailable" in page and 'lang="en"' in page
    assert "Traceback" not in page


def test_the_page_is_japanese_for_a_japanese_browser(iga, monkeypatch):
    with database_away(monkeypatch):
        response = _client(HTTP_ACCEPT_LANGUAGE="ja").get("/")
    assert response.status_code == 503
    assert 'lang="ja"' in response.content.decode()


def test_the_api_answers_its_error_body(iga, monkeypatch):
    with database_away(monkeypatch):
        listing = _client().get("/api/v1/procedures")
        submit = _client().post(
            "/api/v1/applications/00000000-0000-0000-0000-000000000000/submit",
            data={},
            content_type="application/json",
            HTTP_IDEMPOTENCY_KEY="k-1",
            HTTP_AUTHORIZATION="Bearer not-checked-while-away",
        )
    for response in (listing, submit):
        assert response.status_code == 503, response.content[:300]
        assert response["Retry-After"] == str(RETRY_AFTER_SECONDS)
        assert response.json()["code"] == "service_unavailable"


def test_staff_pages_answer_503_too(iga, monkeypatch):
    with database_away(monkeypatch):
        response = _client().post("/staff/login/", {"email": "clerk@example.jp", "password": "x" * 12})
    assert response.status_code == 503


def test_the_node_answers_again_when_the_database_is_back(iga, monkeypatch):
    with database_away(monkeypatch):
        assert _client().get("/").status_code == 503
    assert _client().get("/").status_code == 200
    assert _client().get("/api/v1/procedures").status_code == 200


def test_other_errors_stay_errors(iga, monkeypatch):
    from idx.common import middleware

    def broken(host: str) -> None:
        raise RuntimeError("a bug, not an outage")

    monkeypatch.setattr(middleware, "municipality_for_host", broken)
    assert _client().get("/").status_code == 500


def test_the_cause_is_followed():
    try:
        try:
            raise OperationalError("server closed the connection unexpectedly")
        except OperationalError as exc:
            raise RuntimeError("wrapped") from exc
    except RuntimeError as outer:
        assert is_database_unavailable(outer)
    assert not is_database_unavailable(ValueError("x"))
