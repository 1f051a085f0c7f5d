"""The daily file for 財務会計 (the finance system): the day's payments received and refunds paid out,
as CSV, each download audited."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

from django.db import transaction

from idx.audit.services import audit_record
from idx.common.models import Municipality
from idx.common.spreadsheet import csv_chunks
from idx.identity.models import User
from idx.payments.models import Payment, PaymentEvent
from idx.payments.reconciliation import CHUNK, day_bounds

FINANCE_COLUMNS = (
    "収納日",
    "領収番号",
    "担当課コード",
    "担当課",
    "科目",
    "金額",
    "支払方法",
    "決済番号",
    "支払参照",
)

# The finance system's file is Japanese whatever language the staff member reads, so these
# names are part of the file format, not translated text.
FINANCE_METHODS = {
    "card": "クレジットカード",
    "qr": "QRコード決済",
    "cash": "現金",
    "card_terminal": "窓口カード端末",
    "eltax": "地方税お支払サイト",
    "other": "その他",
}


def _finance_row(day: dt.date, payment: Payment, amount: int) -> list[str]:
    return [
        day.isoformat(),
        payment.receipt_number,
        payment.department.code,
        payment.department.name,
        payment.purpose,
        str(amount),
        FINANCE_METHODS.get(payment.method, payment.method),
        payment.provider_reference,
        payment.reference,
    ]


def finance_rows(*, municipality: Municipality, day: dt.date) -> Iterator[list[str]]:
    """The header, then every payment received on ``day`` (Japan time) and every refund paid out
    that day as a negative amount; streamed."""
    yield list(FINANCE_COLUMNS)
    start, end = day_bounds(day)
    payments = (
        Payment.objects.filter(municipality=municipality, paid_at__gte=start, paid_at__lt=end)
        .select_related("department")
        .order_by("paid_at", "pk")
    )
    for payment in payments.iterator(chunk_size=CHUNK):
        yield _finance_row(day, payment, payment.paid_amount)
    # Applied refunds only: a refund kept until its payment arrives says "deferred" until then.
    refunds = (
        PaymentEvent.objects.filter(
            payment__municipality=municipality,
            kind="refunded",
            outcome__startswith="refunded",
            occurred_at__gte=start,
            occurred_at__lt=end,
        )
        .select_related("payment__department")
        .order_by("occurred_at", "pk")
    )
    for event in refunds.iterator(chunk_size=CHUNK):
        yield _finance_row(day, event.payment, -event.amount)


def finance_csv_chunks(*, municipality: Municipality, day: dt.date) -> Iterator[str]:
    """``finance_rows`` as CSV text in pieces of 200 lines, starting with a BOM so spreadsheets
    read UTF-8; cells are guarded against spreadsheet formulas by the one CSV writer."""
    return csv_chunks(finance_rows(municipality=municipality, day=day), batch=200)


def finance_export_record(
    *, municipality: Municipality, actor: User | None, day: dt.date, output: str
) -> None:
    """The finance file holds payment data: each download is audited."""
    with transaction.atomic():
        audit_record(
            municipality=municipality,
            actor=actor,
            action="payments.finance_export",
            target_type="finance_export",
            target_id=day.isoformat(),
            after={"day": day.isoformat(), "output": output},
        )
