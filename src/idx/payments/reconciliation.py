"""Reconciliation (消込) of the payment service's settlement files (the daily file for 財務会計 is
``idx.payments.finance_export``).

A settlement file lists what the payment service captured and will pay out. Importing one checks
every row first and stores nothing unless all rows are valid (one transaction); then each row is
matched to a payment of the municipality, and whatever does not add up is kept as a mismatch for
staff to resolve with a note:

- ``missing_here``: settled, but there is no such payment here, or it is not paid here;
- ``amount``: the settled amount is not what the payment asked for;
- ``duplicate``: the same payment settled a second time, in this file or an earlier one;
- ``missing_there``: paid here on one of the file's settlement dates, but absent from the file
  (and from every earlier file); these lines have ``line_number`` 0.

Rows are read and matched in chunks, so a large file never sits in memory as rows or models.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import hashlib
import io
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from django.db import IntegrityError, transaction
from django.db.models import Case, Count, Q, QuerySet, Value, When
from django.utils import timezone
from django.utils.translation import gettext as _

from idx.audit.services import audit_record
from idx.common.dates import format_datetime
from idx.common.errors import DomainError
from idx.common.models import Municipality
from idx.identity.models import User
from idx.payments.models import (
    MismatchKind,
    Payment,
    SettlementImport,
    SettlementLine,
)

TOKYO = ZoneInfo("Asia/Tokyo")

SETTLEMENT_COLUMNS = (
    "settlement_date",
    "provider_reference",
    "payment_reference",
    "amount",
    "paid_at",
    "fee",
)
# Providers whose money never goes through a payment service's settlement (cash at the counter).
NOT_SETTLED_BY_FILE = frozenset({"counter"})

CHUNK = 500
MAX_ERRORS = 100  # reported one by one; beyond that only counted

_PROVIDER_SLUG = re.compile(r"[-a-zA-Z0-9_]{1,40}")
_PAYMENT_REFERENCE = re.compile(r"[A-Za-z0-9._:-]{1,40}")
_PROVIDER_REFERENCE = re.compile(r"[\x21-\x7e]{1,100}")  # printable ASCII, no spaces
_YEN = re.compile(r"[0-9]{1,10}")


class SettlementInvalid(DomainError):
    """The file was refused; ``errors`` are (line, message) pairs, line 0 for the file as a whole."""

    code = "settlement_invalid"
    http_status = 422

    def __init__(self, errors: list[tuple[int, str]]):
        super().__init__(f"{len(errors)} problems in the settlement file")
        self.errors = errors


class ResolveRefused(DomainError):
    code = "resolve_refused"
    http_status = 409
    message: str = ""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class _Row:
    line: int
    settlement_date: dt.date
    provider_reference: str
    payment_reference: str
    amount: int
    paid_at: dt.datetime
    fee: int


@dataclass
class _Errors:
    items: list[tuple[int, str]] = field(default_factory=list)
    more: int = 0

    def add(self, line: int, message: str) -> None:
        if len(self.items) < MAX_ERRORS:
            self.items.append((line, message))
        else:
            self.more += 1

    def __bool__(self) -> bool:
        return bool(self.items)

    def as_list(self) -> list[tuple[int, str]]:
        if not self.more:
            return list(self.items)
        extra = _("%(count)d more problems are not listed.") % {"count": self.more}
        return [*self.items, (0, extra)]


def day_bounds(day: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """The start of ``day`` and of the next day, in Japan time."""
    start = dt.datetime.combine(day, dt.time.min, tzinfo=TOKYO)
    return start, dt.datetime.combine(day + dt.timedelta(days=1), dt.time.min, tzinfo=TOKYO)


def settlement_providers() -> list[tuple[str, str]]:
    """(id, label) of the registered providers whose payments are settled by file."""
    from idx.payments.providers import providers

    return [
        (identifier, str(providers[identifier].label or identifier))
        for identifier in sorted(providers)
        if identifier not in NOT_SETTLED_BY_FILE
    ]


# ---- reading the file ------------------------------------------------------------------------------


def _parse_paid_at(text: str) -> dt.datetime | None:
    try:
        value = dt.datetime.fromisoformat(text)
    except ValueError:
        return None
    # A time without an offset is Japan time, as the payment service's files are.
    return value if value.tzinfo is not None else value.replace(tzinfo=TOKYO)


def _validate(cells: list[str], line: int, errors: _Errors) -> _Row | None:
    if len(cells) != len(SETTLEMENT_COLUMNS):
        errors.add(
            line,
            _("The row has %(found)d cells; %(expected)d were expected.")
            % {"found": len(cells), "expected": len(SETTLEMENT_COLUMNS)},
        )
        return None
    settlement_date_text, provider_reference, payment_reference, amount_text, paid_at_text, fee_text = (
        cell.strip() for cell in cells
    )
    problems = 0

    def problem(message: str) -> None:
        nonlocal problems
        problems += 1
        errors.add(line, message)

    settlement_date: dt.date | None = None
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", settlement_date_text):
        try:
            settlement_date = dt.date.fromisoformat(settlement_date_text)
        except ValueError:
            settlement_date = None
    if settlement_date is None:
        problem(_("settlement_date is not a date (YYYY-MM-DD)."))
    if not _PROVIDER_REFERENCE.fullmatch(provider_reference):
        problem(_("provider_reference is missing or not a reference (up to 100 letters, digits or signs)."))
    if payment_reference and not _PAYMENT_REFERENCE.fullmatch(payment_reference):
        problem(_("payment_reference is not a payment reference."))
    amount = int(amount_text) if _YEN.fullmatch(amount_text) else 0
    if amount <= 0:
        problem(_("amount is not a whole number of yen above zero."))
    paid_at = _parse_paid_at(paid_at_text) if paid_at_text else None
    if paid_at is None:
        problem(_("paid_at is not a date and time (ISO 8601)."))
    fee = int(fee_text) if _YEN.fullmatch(fee_text) else -1
    if fee < 0:
        problem(_("fee is not a whole number of yen."))
    if problems or settlement_date is None or paid_at is None:
        return None
    return _Row(
        line=line,
        settlement_date=settlement_date,
        provider_reference=provider_reference,
        payment_reference=payment_reference,
        amount=amount,
        paid_at=paid_at,
        fee=fee,
    )


def _rows(content: bytes, errors: _Errors) -> Iterator[_Row]:
    """The valid rows of the file, one at a time; problems go to ``errors``."""
    if not content.removeprefix(codecs.BOM_UTF8).strip():
        errors.add(0, _("The file is empty."))
        return
    if b"\x00" in content:
        errors.add(0, _("The file is not a CSV text file."))
        return
    stream = io.TextIOWrapper(io.BytesIO(content), encoding="utf-8-sig", newline="")
    reader = csv.reader(stream)
    line = 0
    try:
        header = next(reader, None)
        if header is None or [name.strip() for name in header] != list(SETTLEMENT_COLUMNS):
            errors.add(
                1,
                _("The first line must be exactly: %(columns)s") % {"columns": ",".join(SETTLEMENT_COLUMNS)},
            )
            return
        for line, cells in enumerate(reader, start=2):
            if not any(cell.strip() for cell in cells):
                continue  # blank lines, e.g. at the end of the file
            row = _validate(cells, line, errors)
            if row is not None:
                yield row
    except UnicodeDecodeError:
        errors.add(0, _("The file is not UTF-8 text."))
    except csv.Error:
        errors.add(line + 1, _("The line cannot be read as CSV."))


# ---- matching ----------------------------------------------------------------------------------------


def _settled_before(municipality: Municipality, payment_ids: Iterable[int]) -> set[int]:
    """Payments that already have a settlement line (a missing_there line is no settlement)."""
    return set(
        SettlementLine.objects.filter(settlement__municipality=municipality, payment_id__in=list(payment_ids))
        .exclude(mismatch=MismatchKind.MISSING_THERE)
        .values_list("payment_id", flat=True)
    )


def _match_and_store(settlement: SettlementImport, municipality: Municipality, rows: list[_Row]) -> int:
    """Match one chunk of rows to payments and store the lines; returns how many matched cleanly."""
    scope = Payment.objects.filter(municipality=municipality, provider=settlement.provider)
    references = {row.payment_reference for row in rows if row.payment_reference}
    by_reference = {p.reference: p for p in scope.filter(reference__in=references)} if references else {}
    # Rows without our reference are matched by the payment service's own id.
    provider_references = {row.provider_reference for row in rows if not row.payment_reference}
    by_provider_reference: dict[str, Payment] = {}
    if provider_references:
        for candidate in scope.filter(provider_reference__in=provider_references).order_by(
            "created_at", "pk"
        ):
            by_provider_reference.setdefault(candidate.provider_reference, candidate)
    found = [*by_reference.values(), *by_provider_reference.values()]
    # Lines of earlier chunks of this file are stored already, so this covers them too.
    settled = _settled_before(municipality, {p.pk for p in found})
    lines: list[SettlementLine] = []
    matched = 0
    for row in rows:
        mismatch: str
        payment = (
            by_reference.get(row.payment_reference)
            if row.payment_reference
            else by_provider_reference.get(row.provider_reference)
        )
        if payment is None:
            mismatch = MismatchKind.MISSING_HERE
        elif payment.pk in settled:
            mismatch = MismatchKind.DUPLICATE
        elif row.amount != payment.amount:
            mismatch = MismatchKind.AMOUNT
        elif payment.paid_at is None:
            mismatch = MismatchKind.MISSING_HERE  # pending, failed or expired here
        else:
            mismatch = ""
            matched += 1
        if payment is not None:
            settled.add(payment.pk)
        lines.append(
            SettlementLine(
                settlement=settlement,
                line_number=row.line,
                provider_reference=row.provider_reference,
                payment_reference=row.payment_reference,
                amount=row.amount,
                settled_at=row.paid_at,
                payment=payment,
                mismatch=mismatch,
            )
        )
    SettlementLine.objects.bulk_create(lines)
    return matched


def _day_ranges(days: set[dt.date]) -> Iterator[tuple[dt.date, dt.date]]:
    """Consecutive days merged into (first, last) ranges, so the query stays short."""
    first = last = None
    for day in sorted(days):
        if last is not None and first is not None and day == last + dt.timedelta(days=1):
            last = day
            continue
        if first is not None and last is not None:
            yield first, last
        first = last = day
    if first is not None and last is not None:
        yield first, last


def _store_missing_there(settlement: SettlementImport, municipality: Municipality, days: set[dt.date]) -> int:
    if not days:
        return 0
    window = Q()
    for first, last in _day_ranges(days):
        window |= Q(paid_at__gte=day_bounds(first)[0], paid_at__lt=day_bounds(last)[1])
    settled = SettlementLine.objects.filter(
        settlement__municipality=municipality, payment__isnull=False
    ).exclude(mismatch=MismatchKind.MISSING_THERE)
    payments = (
        Payment.objects.filter(
            window, municipality=municipality, provider=settlement.provider, paid_at__isnull=False
        )
        .exclude(pk__in=settled.values("payment_id"))
        .order_by("paid_at", "pk")
    )
    batch: list[SettlementLine] = []
    stored = 0
    for payment in payments.iterator(chunk_size=CHUNK):
        assert payment.paid_at is not None
        batch.append(
            SettlementLine(
                settlement=settlement,
                line_number=0,
                provider_reference=payment.provider_reference[:100],
                payment_reference=payment.reference,
                amount=payment.paid_amount,
                settled_at=payment.paid_at,
                payment=payment,
                mismatch=MismatchKind.MISSING_THERE,
            )
        )
        if len(batch) >= CHUNK:
            SettlementLine.objects.bulk_create(batch)
            stored += len(batch)
            batch = []
    SettlementLine.objects.bulk_create(batch)
    return stored + len(batch)


def _already_imported(municipality: Municipality, digest: str) -> SettlementInvalid:
    earlier = SettlementImport.objects.filter(municipality=municipality, file_sha256=digest).first()
    when = format_datetime(earlier.created_at) if earlier else ""
    return SettlementInvalid(
        [(0, _("This file was imported already (%(when)s). Nothing was imported.") % {"when": when})]
    )


def settlement_import(
    *, municipality: Municipality, actor: User | None, provider: str, file_name: str, content: bytes
) -> SettlementImport:
    """Check, store and match one settlement file of ``provider``: all rows or none.

    Raises ``SettlementInvalid`` with every row's problems (nothing stored), or when the same file
    (by SHA-256) was imported before.
    """
    if not _PROVIDER_SLUG.fullmatch(provider) or provider in NOT_SETTLED_BY_FILE:
        raise SettlementInvalid([(0, _("Choose the payment service the file comes from."))])
    digest = hashlib.sha256(content).hexdigest()
    if SettlementImport.objects.filter(municipality=municipality, file_sha256=digest).exists():
        raise _already_imported(municipality, digest)
    errors = _Errors()
    try:
        with transaction.atomic(durable=True):
            settlement = SettlementImport.objects.create(
                municipality=municipality,
                provider=provider,
                file_name=file_name[:200],
                file_sha256=digest,
                imported_by=actor,
            )
            rows = matched = 0
            days: set[dt.date] = set()
            chunk: list[_Row] = []
            for row in _rows(content, errors):
                rows += 1
                days.add(row.settlement_date)
                if errors:
                    continue  # nothing will be stored: only keep checking the rest
                chunk.append(row)
                if len(chunk) >= CHUNK:
                    matched += _match_and_store(settlement, municipality, chunk)
                    chunk = []
            if not errors and rows == 0:
                errors.add(0, _("The file has no rows."))
            if errors:
                raise SettlementInvalid(errors.as_list())
            matched += _match_and_store(settlement, municipality, chunk)
            missing_there = _store_missing_there(settlement, municipality, days)
            settlement.rows = rows
            settlement.matched = matched
            settlement.save(update_fields=["rows", "matched", "updated_at"])
            audit_record(
                municipality=municipality,
                actor=actor,
                action="payments.settlement_import",
                target_type="settlement_import",
                target_id=settlement.pk,
                after={
                    "provider": provider,
                    "file_name": settlement.file_name,
                    "sha256": digest,
                    "rows": rows,
                    "matched": matched,
                    "missing_there": missing_there,
                },
            )
    except IntegrityError:
        # The same file imported at the same moment by someone else (settlement_file_once).
        raise _already_imported(municipality, digest) from None
    return settlement


def settlement_line_resolve(*, line: SettlementLine, actor: User, note: str) -> SettlementLine:
    """Mark a mismatch as dealt with, saying how (kept on the line and in the audit log)."""
    note = note.strip()
    if not note:
        raise ResolveRefused(_("Write what was done about it."))
    if len(note) > 300:
        raise ResolveRefused(_("Write at most 300 characters."))
    with transaction.atomic(durable=True):
        locked = (
            SettlementLine.objects.select_for_update(of=("self",))
            .select_related("settlement__municipality")
            .get(pk=line.pk)
        )
        if not locked.mismatch:
            raise ResolveRefused(_("This line matched its payment: there is nothing to resolve."))
        if locked.resolved_at is not None:
            raise ResolveRefused(_("This line has been resolved already."))
        locked.resolved_at = timezone.now()
        locked.resolved_by = actor
        locked.resolution_note = note
        locked.save(update_fields=["resolved_at", "resolved_by", "resolution_note"])
        audit_record(
            municipality=locked.settlement.municipality,
            actor=actor,
            action="payments.settlement_resolve",
            target_type="settlement_line",
            target_id=locked.pk,
            before={"resolved": False},
            after={
                "settlement": locked.settlement_id,
                "line_number": locked.line_number,
                "mismatch": locked.mismatch,
                "payment_reference": locked.payment_reference,
                "note": note,
            },
        )
    return locked


# ---- reads ---------------------------------------------------------------------------------------------


def settlement_imports_for(*, municipality: Municipality) -> QuerySet[SettlementImport]:
    """The municipality's imports, newest first, each with its counts of mismatches (one query)."""
    mismatched = ~Q(lines__mismatch="")
    return (
        SettlementImport.objects.filter(municipality=municipality)
        .select_related("imported_by")
        .annotate(
            mismatches=Count("lines", filter=mismatched),
            open_mismatches=Count("lines", filter=mismatched & Q(lines__resolved_at__isnull=True)),
        )
        .order_by("-created_at", "-pk")
    )


def settlement_get(*, municipality: Municipality, settlement_id: int) -> SettlementImport | None:
    return settlement_imports_for(municipality=municipality).filter(pk=settlement_id).first()


def settlement_lines(
    *, settlement: SettlementImport, mismatches_only: bool = False
) -> QuerySet[SettlementLine]:
    lines = SettlementLine.objects.filter(settlement=settlement).select_related("payment", "resolved_by")
    if mismatches_only:
        lines = lines.exclude(mismatch="")
    # missing_there lines (line 0) after the file's own lines.
    return lines.order_by(Case(When(line_number=0, then=Value(1)), default=Value(0)), "line_number", "pk")


def settlement_line_get(*, municipality: Municipality, line_id: int) -> SettlementLine | None:
    return (
        SettlementLine.objects.filter(settlement__municipality=municipality, pk=line_id)
        .select_related("settlement", "payment", "resolved_by")
        .first()
    )
