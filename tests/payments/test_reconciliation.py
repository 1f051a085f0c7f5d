"""Reconciliation of settlement files, the pages around it, and the daily file for 財務会計."""

from __future__ import annotations

import csv
import datetime as dt
import io
import itertools

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from idx.audit.models import AuditEntry
from idx.identity.models import Department, User
from idx.payments import reconciliation
from idx.payments.finance_export import finance_csv_chunks, finance_rows
from idx.payments.models import (
    MismatchKind,
    Payment,
    PaymentStatus,
    ProviderConfig,
    SettlementImport,
    SettlementLine,
)
from idx.payments.providers import ProviderEvent
from idx.payments.reconciliation import (
    TOKYO,
    SettlementInvalid,
    settlement_import,
    settlement_line_resolve,
)
from idx.payments.services import payment_apply_event
from tests.conftest import IGA_HOST, WATARAI_HOST, reauthenticated, signed_in

pytestmark = pytest.mark.django_db

DAY = dt.date(2025, 4, 1)
HEADER = "settlement_date,provider_reference,payment_reference,amount,paid_at,fee"
_events = itertools.count(1)


def at(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=TOKYO)


def make_payment(
    municipality, *, amount: int = 300, provider: str = "hosted", purpose: str = "住民票の写し 1通"
):
    department = Department.objects.filter(municipality=municipality).order_by("code").first()
    return Payment.objects.create(
        municipality=municipality,
        department=department,
        purpose=purpose,
        amount=amount,
        provider=provider,
        expires_at=at(DAY, 0) + dt.timedelta(days=30),
    )


def pay(
    payment: Payment, when: dt.datetime, *, provider_reference: str = "", method: str = "card"
) -> Payment:
    outcome = payment_apply_event(
        provider=payment.provider,
        event=ProviderEvent(
            event_id=f"evt-{next(_events)}",
            kind="paid",
            payment_reference=payment.reference,
            amount=payment.amount,
            occurred_at=when,
            provider_reference=provider_reference or f"chk_{payment.reference}",
            method=method,
        ),
    )
    assert outcome.startswith("paid"), outcome
    payment.refresh_from_db()
    return payment


def refund(payment: Payment, amount: int, when: dt.datetime) -> None:
    outcome = payment_apply_event(
        provider=payment.provider,
        event=ProviderEvent(
            event_id=f"evt-{next(_events)}",
            kind="refunded",
            payment_reference=payment.reference,
            amount=amount,
            occurred_at=when,
        ),
    )
    assert outcome == f"refunded {amount} yen", outcome


def paid(municipality, when: dt.datetime, **kwargs) -> Payment:
    return pay(make_payment(municipality, **kwargs), when)


def row(
    payment: Payment | None = None, *, amount: int | str | None = None, reference: str | None = None, **kw
) -> str:
    settlement_date = kw.get("settlement_date", DAY.isoformat())
    provider_reference = kw.get(
        "provider_reference", payment.provider_reference if payment else "chk_unknown"
    )
    payment_reference = reference if reference is not None else (payment.reference if payment else "")
    yen = amount if amount is not None else (payment.amount if payment else 300)
    paid_at = kw.get("paid_at", f"{DAY.isoformat()}T10:00:00+09:00")
    return f"{settlement_date},{provider_reference},{payment_reference},{yen},{paid_at},{kw.get('fee', 10)}"


def csv_file(*rows: str, header: str = HEADER, bom: bool = False) -> bytes:
    text = "\r\n".join([header, *rows]) + "\r\n"
    return (b"\xef\xbb\xbf" if bom else b"") + text.encode()


def run_import(municipality, content: bytes, *, provider: str = "hosted", actor: User | None = None):
    return settlement_import(
        municipality=municipality, actor=actor, provider=provider, file_name="settlement.csv", content=content
    )


def kinds(settlement: SettlementImport) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for line in settlement.lines.order_by("line_number", "pk"):
        found.setdefault(line.payment_reference or line.provider_reference, []).append(line.mismatch)
    return found


# ---- import and matching --------------------------------------------------------------------------------


def test_a_settlement_file_with_every_kind_of_mismatch(iga, watarai, city_admin):
    good = paid(iga, at(DAY, 9))
    by_provider_reference = paid(iga, at(DAY, 9, 30))
    early_morning = paid(iga, at(DAY, 0, 5))  # 1 April in Japan, 31 March in UTC
    wrong_amount = paid(iga, at(DAY, 11))
    twice = paid(iga, at(DAY, 12))
    not_settled = paid(iga, at(DAY, 13))
    pending = make_payment(iga)
    next_day = paid(iga, at(DAY + dt.timedelta(days=1), 0, 10))
    other_provider = paid(iga, at(DAY, 14), provider="jpqr")
    other_city = paid(watarai, at(DAY, 15))
    content = csv_file(
        row(good),
        row(by_provider_reference, reference=""),
        row(early_morning, paid_at=f"{DAY.isoformat()} 00:05:00"),  # no offset: Japan time
        row(wrong_amount, amount=350),
        row(twice),
        row(twice),
        row(pending, provider_reference="chk_pending"),
        row(reference="PAY-NOSUCHPAYMENT1", provider_reference="chk_nosuch"),
        row(other_city),
        "",  # a blank line is no row
        bom=True,
    )

    settlement = run_import(iga, content, actor=city_admin)

    assert settlement.rows == 9
    assert settlement.matched == 4  # good, by provider reference, early morning, the first of twice
    lines = {line.line_number: line for line in settlement.lines.exclude(line_number=0)}
    assert lines[2].payment == good and lines[2].mismatch == ""
    assert lines[3].payment == by_provider_reference and lines[3].mismatch == ""
    assert lines[4].payment == early_morning and lines[4].mismatch == ""
    assert lines[4].settled_at == at(DAY, 0, 5)
    assert lines[5].payment == wrong_amount and lines[5].mismatch == MismatchKind.AMOUNT
    assert lines[6].payment == twice and lines[6].mismatch == ""
    assert lines[7].payment == twice and lines[7].mismatch == MismatchKind.DUPLICATE
    assert lines[8].payment == pending and lines[8].mismatch == MismatchKind.MISSING_HERE
    assert lines[9].payment is None and lines[9].mismatch == MismatchKind.MISSING_HERE
    # Another city's payment is never matched, whatever its reference.
    assert lines[10].payment is None and lines[10].mismatch == MismatchKind.MISSING_HERE
    # Paid here on the settlement date, absent from the file; other days and providers are not asked for.
    missing_there = list(settlement.lines.filter(line_number=0))
    assert [(line.payment, line.mismatch) for line in missing_there] == [
        (not_settled, MismatchKind.MISSING_THERE)
    ]
    assert missing_there[0].amount == 300 and missing_there[0].settled_at == at(DAY, 13)
    assert next_day.pk not in {line.payment_id for line in settlement.lines.all()}
    assert other_provider.pk not in {line.payment_id for line in settlement.lines.all()}
    assert not SettlementLine.objects.filter(payment=other_city).exclude(payment=None).exists()
    entry = AuditEntry.objects.get(action="payments.settlement_import", target_id=str(settlement.pk))
    assert entry.actor == city_admin and entry.after["missing_there"] == 1
    # The payments themselves are left as they were: reconciliation only reports.
    wrong_amount.refresh_from_db()
    assert wrong_amount.status == PaymentStatus.PAID and wrong_amount.amount == 300


def test_a_payment_settled_again_in_a_later_file_is_a_duplicate(iga):
    first = paid(iga, at(DAY, 9))
    second = paid(iga, at(DAY, 10))
    earlier = run_import(iga, csv_file(row(first), row(second)))
    assert earlier.matched == 2

    later = run_import(
        iga,
        csv_file(row(first, settlement_date=(DAY + dt.timedelta(days=1)).isoformat()), row(first)),
    )

    assert kinds(later) == {first.reference: [MismatchKind.DUPLICATE, MismatchKind.DUPLICATE]}
    # ``second`` was settled in the earlier file: not missing from the payment service.
    assert not later.lines.filter(mismatch=MismatchKind.MISSING_THERE).exists()
    assert later.matched == 0


def test_a_payment_missing_from_one_file_matches_in_the_next(iga):
    late = paid(iga, at(DAY, 23, 50))
    first = run_import(iga, csv_file(row(paid(iga, at(DAY, 9)))))
    assert kinds(first)[late.reference] == [MismatchKind.MISSING_THERE]

    next_day = (DAY + dt.timedelta(days=1)).isoformat()
    second = run_import(iga, csv_file(row(late, settlement_date=next_day)))

    assert kinds(second) == {late.reference: [""]}  # a missing_there line is no settlement


def test_the_same_file_twice_is_refused(iga):
    content = csv_file(row(paid(iga, at(DAY, 9))))
    run_import(iga, content)

    with pytest.raises(SettlementInvalid) as refused:
        run_import(iga, content)

    assert "already" in refused.value.errors[0][1]
    assert SettlementImport.objects.filter(municipality=iga).count() == 1


def test_another_city_may_import_the_same_bytes(iga, watarai):
    content = csv_file(row(reference="PAY-0000000000000001", provider_reference="chk_1"))
    run_import(iga, content)
    settlement = run_import(watarai, content)
    assert kinds(settlement) == {"PAY-0000000000000001": [MismatchKind.MISSING_HERE]}


@pytest.mark.parametrize(
    ("content", "line", "words"),
    [
        (b"", 0, "empty"),
        (b"\xef\xbb\xbf\r\n", 0, "empty"),
        (csv_file(header="date,reference,amount"), 1, "first line"),
        (csv_file(header=HEADER + ",extra"), 1, "first line"),
        (csv_file(), 0, "no rows"),
        (csv_file(row(settlement_date="2025-02-30")), 2, "settlement_date"),
        (csv_file(row(settlement_date="01/04/2025")), 2, "settlement_date"),
        (csv_file(row(paid_at="yesterday")), 2, "paid_at"),
        (csv_file(row(amount="3,00")), 2, "cells"),
        (csv_file(row(amount="300.5")), 2, "amount"),
        (csv_file(row(amount="３００")), 2, "amount"),  # full-width digits
        (csv_file(row(amount=0)), 2, "amount"),
        (csv_file(row(fee="")), 2, "fee"),
        (csv_file(row(provider_reference="")), 2, "provider_reference"),
        (csv_file(row(reference="PAY 1")), 2, "payment_reference"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", 0, "not a CSV"),
        (HEADER.encode() + b"\r\n2025-04-01,chk_1,PAY-1,300,\xff\xfe,0\r\n", 0, "UTF-8"),
        (HEADER.encode("utf-16"), 0, "not a CSV"),
    ],
)
def test_malformed_files_are_refused_with_the_line_and_nothing_stored(iga, content, line, words):
    with pytest.raises(SettlementInvalid) as refused:
        run_import(iga, content)

    assert any(found_line == line and words in message for found_line, message in refused.value.errors), (
        refused.value.errors
    )
    assert not SettlementImport.objects.exists()
    assert not SettlementLine.objects.exists()


def test_every_bad_row_is_reported_and_no_chunk_is_half_applied(iga, monkeypatch):
    monkeypatch.setattr(reconciliation, "CHUNK", 2)  # good chunks are stored before the bad rows are read
    payments = [paid(iga, at(DAY, 9, minute)) for minute in range(5)]
    content = csv_file(
        *(row(payment) for payment in payments),
        row(amount="abc"),
        row(payments[0], settlement_date="2025-13-01"),
        "2025-04-01,chk_x",
    )

    with pytest.raises(SettlementInvalid) as refused:
        run_import(iga, content)

    assert [line for line, _message in refused.value.errors] == [7, 8, 9]
    assert not SettlementImport.objects.exists()
    assert not SettlementLine.objects.exists()
    # And the same file, corrected, goes in whole, across several chunks.
    settlement = run_import(iga, csv_file(*(row(payment) for payment in payments)))
    assert settlement.matched == 5 and settlement.lines.count() == 5


def test_only_the_first_hundred_problems_are_listed(iga):
    content = csv_file(*(row(amount="x") for _n in range(150)))
    with pytest.raises(SettlementInvalid) as refused:
        run_import(iga, content)
    assert len(refused.value.errors) == 101
    assert "50" in refused.value.errors[-1][1]


def test_resolving_a_mismatch_keeps_the_note_and_audits_it(iga, city_admin):
    settlement = run_import(iga, csv_file(row(reference="PAY-UNKNOWN000001")))
    line = settlement.lines.get()

    with pytest.raises(reconciliation.ResolveRefused):
        settlement_line_resolve(line=line, actor=city_admin, note="   ")
    resolved = settlement_line_resolve(line=line, actor=city_admin, note="テスト決済。決済代行に確認済み")

    assert resolved.resolved_by == city_admin and resolved.resolved_at is not None
    entry = AuditEntry.objects.get(action="payments.settlement_resolve", target_id=str(line.pk))
    assert (
        entry.after["note"] == "テスト決済。決済代行に確認済み" and entry.after["mismatch"] == "missing_here"
    )
    with pytest.raises(reconciliation.ResolveRefused):
        settlement_line_resolve(line=line, actor=city_admin, note="again")


def test_a_matched_line_has_nothing_to_resolve(iga, city_admin):
    settlement = run_import(iga, csv_file(row(paid(iga, at(DAY, 9)))))
    with pytest.raises(reconciliation.ResolveRefused):
        settlement_line_resolve(line=settlement.lines.get(), actor=city_admin, note="ok")


# ---- pages ----------------------------------------------------------------------------------------------


def upload(content: bytes, name: str = "settlement-20250401.csv") -> io.BytesIO:
    handle = io.BytesIO(content)
    handle.name = name
    return handle


def test_a_city_administrator_imports_reviews_and_resolves(iga, city_admin):
    ProviderConfig.objects.update_or_create(
        municipality=iga, provider="hosted", defaults={"label": "決済代行 (デモ)"}
    )
    good = paid(iga, at(DAY, 9))
    client = signed_in(city_admin)

    form = client.get(reverse("backoffice:settlement_import"))
    assert form.status_code == 200 and "決済代行 (デモ)" in form.content.decode()
    sent = client.post(
        reverse("backoffice:settlement_import"),
        {"provider": "hosted", "file": upload(csv_file(row(good), row(good, amount=999)))},
    )

    settlement = SettlementImport.objects.get(municipality=iga)
    assert sent.status_code == 302 and sent["Location"] == reverse(
        "backoffice:settlement_detail", args=[settlement.pk]
    )
    assert settlement.file_name == "settlement-20250401.csv" and settlement.imported_by == city_admin
    listing = client.get(reverse("backoffice:settlement_list")).content.decode()
    assert "settlement-20250401.csv" in listing
    detail = client.get(reverse("backoffice:settlement_detail", args=[settlement.pk]))
    assert detail.status_code == 200 and good.reference in detail.content.decode()
    only = client.get(reverse("backoffice:settlement_detail", args=[settlement.pk]), {"mismatches": "1"})
    assert list(only.context["page"]) == list(settlement.lines.exclude(mismatch=""))
    assert len(only.context["page"]) == 1

    duplicate = settlement.lines.get(mismatch=MismatchKind.DUPLICATE)
    resolve_url = reverse("backoffice:settlement_resolve", args=[duplicate.pk])
    assert client.get(resolve_url).status_code == 200
    assert client.post(resolve_url, {"note": ""}).status_code == 400
    done = client.post(resolve_url, {"note": "二重決済。決済代行が返金済み"})
    assert done.status_code == 302
    duplicate.refresh_from_db()
    assert duplicate.resolution_note == "二重決済。決済代行が返金済み" and duplicate.resolved_by == city_admin
    matched = settlement.lines.get(mismatch="")
    assert client.get(reverse("backoffice:settlement_resolve", args=[matched.pk])).status_code == 404


def test_the_import_page_lists_every_problem_and_stores_nothing(iga, city_admin):
    client = signed_in(city_admin)
    response = client.post(
        reverse("backoffice:settlement_import"),
        {"provider": "eltax", "file": upload(csv_file(row(amount="x"), row(paid_at="soon")))},
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert "error-summary" in page and "2行目" in page and "3行目" in page
    assert not SettlementImport.objects.exists()
    assert client.post(reverse("backoffice:settlement_import"), {"provider": "hosted"}).status_code == 400
    refused = client.post(
        reverse("backoffice:settlement_import"), {"provider": "counter", "file": upload(csv_file())}
    )
    assert refused.status_code == 400


def test_the_list_page_takes_the_same_queries_for_one_or_many_imports(iga, city_admin):
    client = signed_in(city_admin)
    run_import(iga, csv_file(row(reference="PAY-A0000000000001")))
    with CaptureQueriesContext(connection) as one:
        assert client.get(reverse("backoffice:settlement_list")).status_code == 200
    for number in range(2, 6):
        run_import(iga, csv_file(row(reference=f"PAY-A000000000000{number}")), actor=city_admin)
    with CaptureQueriesContext(connection) as five:
        assert client.get(reverse("backoffice:settlement_list")).status_code == 200
    assert len(five) == len(one)


@pytest.mark.parametrize("persona", ["clerk", "supervisor"])
def test_staff_who_may_not_reconcile_get_not_found(request, iga, persona):
    settlement = run_import(iga, csv_file(row(reference="PAY-UNKNOWN000001")))
    line = settlement.lines.get()
    client = reauthenticated(signed_in(request.getfixturevalue(persona)))
    for url in (
        reverse("backoffice:settlement_list"),
        reverse("backoffice:settlement_import"),
        reverse("backoffice:settlement_detail", args=[settlement.pk]),
        reverse("backoffice:settlement_resolve", args=[line.pk]),
        reverse("backoffice:finance_export") + "?day=2025-04-01",
    ):
        assert client.get(url).status_code == 404, url
    assert (
        client.post(reverse("backoffice:settlement_resolve", args=[line.pk]), {"note": "x"}).status_code
        == 404
    )
    line.refresh_from_db()
    assert line.resolved_at is None


def test_another_citys_administrator_never_sees_these_settlements(iga, watarai, city_admin):
    settlement = run_import(iga, csv_file(row(reference="PAY-UNKNOWN000001")))
    line = settlement.lines.get()
    watarai_admin = User.objects.get(municipality=watarai, email="admin@staff.watarai.example.jp")
    client = signed_in(watarai_admin, host=WATARAI_HOST)
    assert client.get(reverse("backoffice:settlement_detail", args=[settlement.pk])).status_code == 404
    assert client.get(reverse("backoffice:settlement_resolve", args=[line.pk])).status_code == 404
    assert (
        client.post(reverse("backoffice:settlement_resolve", args=[line.pk]), {"note": "x"}).status_code
        == 404
    )
    assert settlement.file_name not in client.get(reverse("backoffice:settlement_list")).content.decode()
    # Nor does Iga's administrator act on another city's host: the session does not count there.
    elsewhere = signed_in(city_admin, host=WATARAI_HOST).get(reverse("backoffice:settlement_list"))
    assert elsewhere.status_code == 302 and elsewhere["Location"].startswith(reverse("backoffice:login"))


def test_signed_out_visitors_are_sent_to_sign_in(iga):
    from django.test import Client

    response = Client(HTTP_HOST=IGA_HOST).get(reverse("backoffice:settlement_list"))
    assert response.status_code == 302 and reverse("backoffice:login") in response["Location"]


# ---- the file for 財務会計 ---------------------------------------------------------------------------


@pytest.fixture
def finance_day(iga, watarai):
    """On DAY: one payment (just after midnight), and a partial refund of a payment of the day before."""
    today = paid(iga, at(DAY, 0, 1), purpose="住民票の写し 2通", amount=600)
    yesterday = paid(iga, at(DAY - dt.timedelta(days=1), 16))
    refund(yesterday, 100, at(DAY, 10))
    paid(iga, at(DAY + dt.timedelta(days=1), 0, 0))  # the next day, in Japan time
    paid(iga, at(DAY - dt.timedelta(days=1), 23, 59))  # the day before
    paid(watarai, at(DAY, 11))  # another city
    return today, yesterday


def test_finance_rows_for_a_day_with_a_payment_and_a_partial_refund(iga, finance_day):
    today, yesterday = finance_day
    rows = list(finance_rows(municipality=iga, day=DAY))

    assert rows[0] == [
        "収納日",
        "領収番号",
        "担当課コード",
        "担当課",
        "科目",
        "金額",
        "支払方法",
        "決済番号",
        "支払参照",
    ]
    assert rows[1:] == [
        [
            "2025-04-01",
            today.receipt_number,
            today.department.code,
            today.department.name,
            "住民票の写し 2通",
            "600",
            "クレジットカード",
            today.provider_reference,
            today.reference,
        ],
        [
            "2025-04-01",
            yesterday.receipt_number,
            yesterday.department.code,
            yesterday.department.name,
            "住民票の写し 1通",
            "-100",
            "クレジットカード",
            yesterday.provider_reference,
            yesterday.reference,
        ],
    ]
    assert today.receipt_number.startswith("R-")
    yesterday.refresh_from_db()
    assert yesterday.status == PaymentStatus.PARTIALLY_REFUNDED
    # The day before holds yesterday's payment, and the one paid at 23:59.
    assert [r[5] for r in finance_rows(municipality=iga, day=DAY - dt.timedelta(days=1))][1:] == [
        "300",
        "300",
    ]


def test_the_finance_download_needs_a_recent_reauthentication(iga, city_admin, finance_day):
    url = reverse("backoffice:finance_export")
    client = signed_in(city_admin)
    response = client.get(url, {"day": "2025-04-01"})
    assert response.status_code == 302 and response["Location"].startswith(reverse("backoffice:reauth"))
    assert not AuditEntry.objects.filter(action="payments.finance_export").exists()

    reauthenticated(client)
    assert client.get(url).status_code == 200
    assert client.get(url, {"day": "not a day"}).status_code == 422
    download = client.get(url, {"day": "2025-04-01"})

    assert download.status_code == 200 and download["Content-Type"] == "text/csv; charset=utf-8"
    assert "finance-" in download["Content-Disposition"] and "20250401" in download["Content-Disposition"]
    body = b"".join(download.streaming_content)  # type: ignore[attr-defined]
    assert body.startswith(b"\xef\xbb\xbf")
    parsed = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    assert [r[5] for r in parsed] == ["金額", "600", "-100"]
    entry = AuditEntry.objects.get(action="payments.finance_export")
    assert entry.actor == city_admin and entry.after == {"day": "2025-04-01", "output": "csv"}


def test_finance_cells_cannot_become_spreadsheet_formulas(iga):
    paid(iga, at(DAY, 9), purpose='=HYPERLINK("http://example.com")')
    body = "".join(finance_csv_chunks(municipality=iga, day=DAY))
    assert "'=HYPERLINK" in body


# ---- management commands ----------------------------------------------------------------------------


def test_the_finance_export_command_writes_the_day(iga, finance_day, tmp_path):
    out = io.StringIO()
    call_command("payments_finance_export", municipality=iga.code, date="2025-04-01", stdout=out)
    assert out.getvalue().startswith("\ufeff収納日,")
    assert [r[5] for r in csv.reader(io.StringIO(out.getvalue().lstrip("\ufeff")))] == ["金額", "600", "-100"]

    target = tmp_path / "finance.csv"
    call_command("payments_finance_export", municipality=iga.code, date="2025-04-01", output=str(target))
    assert target.read_bytes().startswith(b"\xef\xbb\xbf") and "-100" in target.read_text("utf-8-sig")
    with pytest.raises(CommandError):
        call_command("payments_finance_export", municipality=iga.code, date="April")
    with pytest.raises(CommandError):
        call_command("payments_finance_export", municipality="999999", date="2025-04-01")


def test_the_reconcile_command_imports_and_reports(iga, tmp_path):
    good = paid(iga, at(DAY, 9))
    paid(iga, at(DAY, 10))  # not in the file
    target = tmp_path / "settlement.csv"
    target.write_bytes(csv_file(row(good), row(good)))
    out, err = io.StringIO(), io.StringIO()

    call_command("payments_reconcile", str(target), municipality=iga.code, provider="hosted", stdout=out)

    assert "2 rows, 1 matched" in out.getvalue()
    assert "duplicate: 1" in out.getvalue() and "missing_there: 1" in out.getvalue()
    with pytest.raises(CommandError):  # the same file again
        call_command(
            "payments_reconcile",
            str(target),
            municipality=iga.code,
            provider="hosted",
            stdout=out,
            stderr=err,
        )
    assert "already" in err.getvalue()
    target.write_bytes(csv_file(row(amount="x")))
    with pytest.raises(CommandError):
        call_command(
            "payments_reconcile",
            str(target),
            municipality=iga.code,
            provider="hosted",
            stdout=out,
            stderr=err,
        )
    assert "line 2: amount" in err.getvalue()
