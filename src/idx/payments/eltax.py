"""Tax slips issued by the tax system: eL番号 and eL-QR content imported as payments to show residents.

The file (UTF-8 CSV) has the columns ``department,purpose,amount,due_date,el_number,el_qr,payer_email``.
IDX shows each slip on the payer's portal page with the QR code (the content exactly as issued)
and the link to the 地方税お支払サイト; it never generates eL-QR content. Rows are checked first and
imported all or nothing; an eL番号 already imported is skipped.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from dataclasses import dataclass, field

from django.db import transaction

from idx.common.models import Municipality
from idx.identity.models import Department, User
from idx.payments.models import Payment, PaymentStatus

COLUMNS = ["department", "purpose", "amount", "due_date", "el_number", "el_qr", "payer_email"]


@dataclass
class EltaxImport:
    created: int = 0
    skipped: int = 0
    errors: list[tuple[int, str]] = field(default_factory=list)


def eltax_import(*, municipality: Municipality, content: bytes) -> EltaxImport:
    result = EltaxImport()
    try:
        reader = csv.DictReader(io.StringIO(content.decode("utf-8-sig")))
    except UnicodeDecodeError:
        result.errors.append((0, "not UTF-8"))
        return result
    if reader.fieldnames != COLUMNS:
        result.errors.append((1, f"header must be {','.join(COLUMNS)}"))
        return result
    departments = {d.code: d for d in Department.objects.filter(municipality=municipality)}
    rows: list[dict[str, object]] = []
    seen: set[str] = set()
    for line, row in enumerate(reader, start=2):
        problems = []
        department = departments.get((row["department"] or "").strip())
        if department is None:
            problems.append("unknown department")
        try:
            amount = int(row["amount"])
            if amount <= 0:
                raise ValueError
        except (TypeError, ValueError):
            problems.append("amount must be a positive whole number of yen")
            amount = 0
        try:
            due = dt.date.fromisoformat((row["due_date"] or "").strip())
        except ValueError:
            problems.append("due_date must be YYYY-MM-DD")
            due = None
        el_number = (row["el_number"] or "").strip()
        if not el_number.replace("-", "").isdigit() or len(el_number) > 40:
            problems.append("el_number must be digits (hyphens allowed)")
        if not (row["el_qr"] or "").strip():
            problems.append("el_qr is empty")
        if el_number in seen:
            problems.append("el_number appears twice")
        seen.add(el_number)
        if problems:
            result.errors += [(line, problem) for problem in problems]
            continue
        payer = User.objects.filter(
            municipality=municipality, email__iexact=(row["payer_email"] or "").strip()
        ).first()
        rows.append(
            {
                "department": department,
                "purpose": (row["purpose"] or "").strip()[:120],
                "amount": amount,
                "due_date": due,
                "el_number": el_number,
                "el_qr": row["el_qr"].strip(),
                "payer": payer,
            }
        )
    if result.errors:
        return result
    with transaction.atomic():
        for data in rows:
            if Payment.objects.filter(
                municipality=municipality, provider="eltax", el_number=data["el_number"]
            ).exists():
                result.skipped += 1
                continue
            due_date = data["due_date"]
            assert isinstance(due_date, dt.date)
            Payment.objects.create(
                municipality=municipality,
                provider="eltax",
                status=PaymentStatus.PENDING,
                expires_at=dt.datetime.combine(
                    due_date, dt.time(23, 59), tzinfo=dt.timezone(dt.timedelta(hours=9))
                ),
                **data,
            )
            result.created += 1
    return result
