"""Audit log exports for auditors (監査): JSON Lines and CSV, streamed in chain order."""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterator
from typing import Any

from django.db.models import QuerySet

from idx.audit.models import AuditEntry
from idx.audit.selectors import audit_export_rows
from idx.common.spreadsheet import csv_chunks

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
    if value is None:
        return ""
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    return str(value)


def audit_csv_chunks(entries: QuerySet[AuditEntry]) -> Iterator[str]:
    """The entries as CSV (BOM, a header row, one line per entry), streamed; cells are guarded
    against spreadsheet formulas by the one CSV writer."""
    rows = ([_cell(row[column]) for column in CSV_COLUMNS] for row in audit_export_rows(entries))
    return csv_chunks(itertools.chain([CSV_COLUMNS], rows))
