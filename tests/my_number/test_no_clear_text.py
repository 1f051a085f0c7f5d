"""A submitted 個人番号 never appears in clear: not in any table, log, e-mail or portal/API response."""

from __future__ import annotations

import logging

import pytest
from django.core import mail
from django.db import connection

from idx.applications.models import Application
from idx.identity.services import api_token_issue
from tests.conftest import example_answers, make_draft, procedure, sign_at_demo_idp
from tests.my_number.conftest import MY_NUMBER, MY_NUMBER_SPACED, claimant_form
from tests.test_api import Api

pytestmark = pytest.mark.django_db

NEEDLES = (MY_NUMBER, MY_NUMBER_SPACED, "9876-5432-1018")


def _text(value) -> str:
    if isinstance(value, memoryview):
        value = value.tobytes()
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return "" if value is None else str(value)


def _tables_holding(needle: str) -> list[str]:
    """Every table and column whose value contains ``needle``, read with raw SQL (SQLite and PostgreSQL)."""
    found = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names(cursor):
            quoted = connection.ops.quote_name(table)
            cursor.execute(f"SELECT * FROM {quoted}")  # noqa: S608 - names from introspection
            columns = [column[0] for column in cursor.description]
            for row in cursor.fetchall():
                for column, value in zip(columns, row, strict=True):
                    if needle in _text(value):
                        found.append(f"{table}.{column}")
    return found


def _assert_clean(text: str, where: str) -> None:
    for needle in NEEDLES:
        assert needle not in text, f"個人番号 in clear in {where}"


def test_full_flow_leaves_no_clear_number(
    resident, resident_client, caplog, monkeypatch, django_capture_on_commit_callbacks
):
    caplog.set_level(logging.DEBUG)
    pdf_html: list[str] = []
    import weasyprint

    real_html = weasyprint.HTML

    def recording_html(*args, **kwargs):
        pdf_html.append(kwargs.get("string", ""))
        return real_html(*args, **kwargs)

    monkeypatch.setattr(weasyprint, "HTML", recording_html)

    application = make_draft(resident)
    answers = example_answers(procedure(resident.municipality))
    base = f"/my/applications/{application.public_id}"
    responses = {}
    responses["step post"] = resident_client.post(
        f"{base}/steps/claimant/", claimant_form(answers, MY_NUMBER_SPACED)
    )
    assert responses["step post"].status_code == 302
    responses["step get"] = resident_client.get(f"{base}/steps/claimant/")
    responses["review"] = resident_client.get(f"{base}/review/")
    assert (
        "提出あり（暗号化済み）" in responses["review"].content.decode()
        or "Submitted (encrypted)" in responses["review"].content.decode()
    )
    with django_capture_on_commit_callbacks(execute=True):
        responses["sign"] = resident_client.post(f"{base}/review/", {"declaration": "yes"})
        responses["submit"] = sign_at_demo_idp(resident_client, responses["sign"], holder="iga-taro")
        assert responses["submit"]["Location"] == f"{base}/receipt/"
    assert responses["submit"].status_code == 302
    responses["detail"] = resident_client.get(f"{base}/")
    responses["receipt"] = resident_client.get(f"{base}/receipt/")
    responses["my applications"] = resident_client.get("/my/applications/")
    responses["receipt pdf"] = resident_client.get(f"{base}/receipt.pdf")
    assert responses["receipt pdf"].status_code == 200
    api = Api(api_token_issue(user=resident, name="client"))
    responses["api get"] = api.get(f"/applications/{application.public_id}")
    responses["api list"] = api.get("/applications")
    responses["api validation"] = api.get(f"/applications/{application.public_id}/validation")

    for name, response in responses.items():
        body = b"".join(response.streaming_content) if response.streaming else response.content
        _assert_clean(body.decode("latin-1") if name == "receipt pdf" else body.decode(), name)
        assert response.status_code in (200, 302), name
    assert pdf_html and all(
        "提出あり（暗号化済み）" in html or "Submitted (encrypted)" in html for html in pdf_html
    )
    for html in pdf_html:
        _assert_clean(html, "receipt PDF HTML")
    for record in caplog.records:
        _assert_clean(record.getMessage() + repr(record.args) + repr(record.__dict__), "logs")
    _assert_clean(caplog.text, "logs")
    for message in mail.outbox:
        _assert_clean(message.subject + message.body + repr(getattr(message, "alternatives", [])), "e-mail")
    for needle in NEEDLES:
        assert _tables_holding(needle) == [], needle
    # The scan can fail: it does find what is stored (the sealed token, in the application row).
    token = Application.objects.get(pk=application.pk).answers["claimant"]["my_number"]
    assert "applications_application.answers" in _tables_holding(token)
