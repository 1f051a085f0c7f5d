"""Exports of decided cases for hand-over to the core (基幹) systems.

Columns carry the national standard data-item names where the definition maps them
(``standard_items``); rows stream from the database so memory stays flat however many there are.

A sealed 個人番号 is exported as ``sealed`` unless the caller passes ``open_my_number`` (a back-
office process with the private key, for a re-authenticated staff member who may see it; the
callable audits each opening).
"""

from __future__ import annotations

import copy
import csv
import io
import json
from collections.abc import Callable, Iterator
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone

from idx.applications.answers import get_path, set_path
from idx.applications.models import Application
from idx.common.my_number import is_sealed_token
from idx.common.spreadsheet import formula_guard
from idx.procedures.definition import Definition, my_number_paths

FIXED_COLUMNS = ["受付番号", "手続コード", "様式版", "状態", "受付日時", "決定日時", "決定理由"]
DEFAULT_REPEAT_COLUMNS = 10
SEALED = "sealed"

# (application, answer path) -> the clear number; audits the opening.
MyNumberOpener = Callable[[Application, str], str]


def _with_my_numbers(application: Application, opener: MyNumberOpener | None) -> dict[str, Any]:
    """The answers with each sealed 個人番号 opened (``opener``) or replaced by ``sealed``."""
    definition = application.procedure_version.parsed  # the version the answers were given to
    paths = [
        path
        for path in my_number_paths(definition, application.answers, with_values_only=True)
        if is_sealed_token(get_path(application.answers, path))
    ]
    if not paths:
        return application.answers
    answers = copy.deepcopy(application.answers)
    for path in paths:
        set_path(answers, path, opener(application, path) if opener is not None else SEALED)
    return answers


def export_columns(definition: Definition) -> list[tuple[str, str]]:
    """(answer path, column name) for every scalar item; repeats expand to numbered columns."""
    names = definition.data.get("standard_items") or {}
    columns: list[tuple[str, str]] = []
    for item in definition.items():
        if item.widget in ("fieldset", "repeat"):
            continue
        if "[]" in item.path:
            group = item.path.split("[]")[0]
            group_schema = definition.schema["properties"][group]
            count = int(group_schema.get("maxItems", DEFAULT_REPEAT_COLUMNS))
            for index in range(count):
                path = item.path.replace("[]", f"[{index}]")
                base = names.get(item.path, item.path)
                columns.append((path, f"{base}_{index + 1}"))
        else:
            columns.append((item.path, names.get(item.path, item.path)))
    return columns


def _fixed(application: Application) -> list[Any]:
    return [
        application.receipt_number,
        application.procedure.code,
        application.procedure_version.number,
        application.status,
        timezone.localtime(application.submitted_at).isoformat() if application.submitted_at else "",
        timezone.localtime(application.decided_at).isoformat() if application.decided_at else "",
        application.decision_reason,
    ]


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    return formula_guard(str(value))


def export_csv_rows(
    cases: QuerySet[Application], definition: Definition, *, open_my_number: MyNumberOpener | None = None
) -> Iterator[str]:
    columns = export_columns(definition)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")

    def flush() -> str:
        text = buffer.getvalue()
        buffer.seek(0)
        buffer.truncate(0)
        return text

    yield "\ufeff"  # BOM: spreadsheet software in Japan reads UTF-8 correctly with it
    writer.writerow(FIXED_COLUMNS + [name for _path, name in columns])
    yield flush()
    for application in cases.select_related("procedure", "procedure_version").iterator(chunk_size=500):
        answers = _with_my_numbers(application, open_my_number)
        writer.writerow(
            [_cell(value) for value in _fixed(application)]
            + [_cell(get_path(answers, path)) for path, _name in columns]
        )
        yield flush()


def export_json_chunks(
    cases: QuerySet[Application], definition: Definition, *, open_my_number: MyNumberOpener | None = None
) -> Iterator[str]:
    code = json.dumps(definition.code)
    items = json.dumps(definition.data.get("standard_items") or {}, ensure_ascii=False)
    yield f'{{"procedure": {code}, "standard_items": {items}, "cases": ['

    first = True
    for application in cases.select_related("procedure", "procedure_version").iterator(chunk_size=500):
        record = dict(zip(FIXED_COLUMNS, _fixed(application), strict=True))
        record["answers"] = _with_my_numbers(application, open_my_number)
        yield ("" if first else ",") + json.dumps(record, ensure_ascii=False)
        first = False
    yield "]}"
