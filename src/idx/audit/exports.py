"""Audit log exports for auditors (監査): JSON Lines and CSV, streamed in chain order."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from typing import Any

from django.db.models import QuerySet

from idx.audit.models import AuditEntry
from idx.audit.selectors import audit_export_rows
from idx.common.spreadsheet import formula_guard

CSV_COLUMNS = [
    "id",
    "created_at",
    "actor_id",
    "actor_email",
    "actor_role",
    "action",
    "target_type",
    "target_id",
    "before",
    "after",
    "previous_hash",
    "entry_hash",
]


def audit_jsonl_lines(entries: QuerySet[AuditEntry]) -> Iterator[str]:
    for row in audit_export_rows(entries):
        yield json.dumps(row, ensure_ascii=False, sort_keys=True) + "\n"


def _cell(value: Any) -> str:
    text = (
        ""
        if value is None
        else json.dumps(value, ensure_ascii=False, sort_keys=True)
        if isinstance(value, dict | list)
        else str(value)
    )
    return formula_guard(text)


def audit_csv_chunks(entries: QuerySet[AuditEntry]) -> Iterator[str]:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")

    def flush() -> str:
        text = buffer.getvalue()
        buffer.seek(0)
        buffer.truncate(0)
        return text

    yield "\ufeff"  # BOM: spreadsheet software in Japan reads UTF-8 correctly with it
    writer.writerow(CSV_COLUMNS)
    yield flush()
    for row in audit_export_rows(entries):
        writer.writerow([_cell(row[column]) for column in CSV_COLUMNS])
        yield flush()
