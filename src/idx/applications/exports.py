"""Exports of decided cases for hand-over to the core (基幹) systems and for people to read.

A clerk chooses the layout (``ExportLayout``):

- headers: the national standard data-item names where the definition maps them
  (``standard_items``: ``claimant.name`` → 請求者_氏名) or the Japanese item labels of the form;
- values: codes (option values, 1/0 for yes/no, ISO dates) for a core system, or labels
  (上野地区, はい/いいえ, 2026年6月10日) for a person.

Repeats (``children[]``) become numbered columns (児童1_氏名, 児童2_氏名 …) up to the largest
number of entries any exported case has. Rows stream from the database in two passes (the first
reads only the answers, to count the entries), so memory stays flat however many cases there are.
``codes_rows`` lists each coded column's codes and labels, and ``export_zip_chunks`` packs the
data, the code list and a README describing the columns (docs/decisions/0023-export-layouts.md).

A sealed 個人番号 is exported as ``sealed`` unless the caller passes ``open_my_number`` (a back-
office process with the private key, for a re-authenticated staff member who may see it; the
callable audits each opening).
"""

from __future__ import annotations

import copy
import datetime as dt
import io
import json
import zipfile
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from django.db.models import QuerySet
from django.utils import timezone, translation

from idx.applications.answers import get_path, set_path
from idx.applications.models import Application, Status
from idx.common import dates
from idx.common.my_number import is_sealed_token
from idx.common.spreadsheet import BOM, csv_chunks, csv_line, formula_guard
from idx.procedures.definition import Definition, Item, my_number_paths
from idx.procedures.models import ProcedureVersion

FIXED_COLUMNS = ["受付番号", "手続コード", "様式版", "状態", "受付日時", "決定日時", "決定理由"]
SEALED = "sealed"
SEALED_LABEL = "（封緘）"
YES_NO_CODES = (("1", "はい"), ("0", "いいえ"))
CHUNK = 500

HeaderMode = Literal["standard", "label"]
ValueMode = Literal["codes", "labels"]
HEADER_MODES: tuple[HeaderMode, ...] = ("standard", "label")
VALUE_MODES: tuple[ValueMode, ...] = ("codes", "labels")

# (application, answer path) -> the clear number; audits the opening.
MyNumberOpener = Callable[[Application, str], str]


@dataclass(frozen=True)
class ExportLayout:
    """How the clerk wants the columns named and the values written."""

    headers: HeaderMode = "standard"
    values: ValueMode = "codes"


@dataclass(frozen=True)
class Column:
    """One answer column: ``path`` is concrete (``children[1].name``), ``item`` its form item."""

    path: str
    name: str
    item: Item
    description: str  # the item's Japanese label with its group, for the README
    labels: Mapping[str, str] = field(default_factory=dict)  # option code -> Japanese label


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


def _ja(text: Mapping[str, str] | None) -> str:
    return str((text or {}).get("ja") or "")


def _numbered(name: str, number: int) -> str:
    """児童_氏名 → 児童2_氏名: the entry's number goes after the group's name."""
    group, separator, rest = name.partition("_")
    return f"{group}{number}{separator}{rest}"


def _groups(definition: Definition) -> dict[str, Item]:
    """Each item's group (fieldset or repeat) by the item's path."""
    parents: dict[str, Item] = {}
    for item in definition.items():
        for child in item.children:
            parents[child.path] = item
    return parents


def repeat_counts(cases: QuerySet[Application], definition: Definition) -> dict[str, int]:
    """The largest number of entries of each repeat (``children``) among the cases; streamed."""
    groups = [item.field for item in definition.items() if item.widget == "repeat" and "." not in item.path]
    counts = dict.fromkeys(groups, 0)
    if not groups:
        return counts
    for answers in cases.values_list("answers", flat=True).iterator(chunk_size=CHUNK):
        for group in groups:
            entries = answers.get(group) if isinstance(answers, dict) else None
            if isinstance(entries, list) and len(entries) > counts[group]:
                counts[group] = len(entries)
    return counts


def export_columns(
    definition: Definition, layout: ExportLayout | None = None, counts: Mapping[str, int] | None = None
) -> list[Column]:
    """The answer columns in form order; a repeat's items get one numbered column per entry
    (``counts`` by repeat, from ``repeat_counts``; none when no case has an entry)."""
    layout = layout or ExportLayout()
    counts = counts or {}
    names = definition.data.get("standard_items") or {}
    parents = _groups(definition)
    columns: list[Column] = []
    for item in definition.items():
        if item.widget in ("fieldset", "repeat"):
            continue
        parent = parents.get(item.path)
        group_label = _ja(parent.label) if parent is not None else ""
        label = _ja(item.label) or item.field
        if "[]" in item.path:
            group = item.path.split("[]")[0]
            for index in range(counts.get(group, 0)):
                number = index + 1
                if layout.headers == "label":
                    name = f"{group_label}{number}_{label}"
                elif item.path in names:
                    name = _numbered(names[item.path], number)
                else:
                    name = item.path.replace("[]", str(number))
                columns.append(
                    Column(
                        path=item.path.replace("[]", f"[{index}]"),
                        name=name,
                        item=item,
                        description=f"{group_label}（{number}人目）：{label}",
                        labels=_option_labels(item),
                    )
                )
            continue
        full_label = f"{group_label}_{label}" if group_label else label
        name = full_label if layout.headers == "label" else names.get(item.path, item.path)
        columns.append(
            Column(
                path=item.path,
                name=name,
                item=item,
                description=full_label.replace("_", "：", 1),
                labels=_option_labels(item),
            )
        )
    return columns


def _is_date(item: Item) -> bool:
    return item.schema.get("format") == "date" or item.widget == "date"


def _is_yes_no(item: Item) -> bool:
    return item.schema.get("type") == "boolean"


def _option_labels(item: Item) -> dict[str, str]:
    return {str(option.get("value")): _ja(option.get("label")) for option in item.options}


def _value(value: Any, item: Item, values: ValueMode, labels: Mapping[str, str] | None = None) -> str:
    """One answer as a cell (the one CSV writer guards it against formulas)."""
    if value is None or value == "":
        return ""
    if isinstance(value, bool):
        if values == "labels":
            return "はい" if value else "いいえ"
        return "1" if value else "0"
    if values == "codes":
        return str(value)
    if value == SEALED and item.widget == "my_number":
        return SEALED_LABEL
    if item.options:
        return (labels if labels is not None else _option_labels(item)).get(str(value), str(value))
    if _is_date(item) and isinstance(value, str):
        try:
            return dates.format_date(dt.date.fromisoformat(value), "ja", weekday=False)
        except ValueError:
            return value
    return str(value)


def _moment(value: dt.datetime | None, values: ValueMode) -> str:
    if value is None:
        return ""
    if values == "labels":
        return dates.format_datetime(value, "ja")
    return timezone.localtime(value).isoformat()


def _status(status: str, values: ValueMode) -> str:
    if values == "codes":
        return status
    with translation.override("ja"):
        return str(Status(status).label)


def _fixed(application: Application, values: ValueMode = "codes") -> list[Any]:
    return [
        application.receipt_number,
        application.procedure.code,
        application.procedure_version.number,
        _status(application.status, values),
        _moment(application.submitted_at, values),
        _moment(application.decided_at, values),
        application.decision_reason,
    ]


def _cell(value: Any) -> str:
    """A value as a code cell, guarded against spreadsheet formulas (kept for callers that write
    single cells)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    return formula_guard(str(value))


def _streamed(cases: QuerySet[Application]) -> Iterator[Application]:
    """The cases one by one, each procedure version (with its large definition) loaded once for
    the whole export instead of once per row."""
    versions: dict[int, ProcedureVersion] = {}
    for application in cases.select_related(None).select_related("procedure").iterator(chunk_size=CHUNK):
        version = versions.get(application.procedure_version_id)
        if version is None:
            version = versions[application.procedure_version_id] = ProcedureVersion.objects.get(
                pk=application.procedure_version_id
            )
        application.procedure_version = version
        yield application


def _data_rows(
    cases: QuerySet[Application],
    columns: list[Column],
    layout: ExportLayout,
    open_my_number: MyNumberOpener | None,
) -> Iterator[list[Any]]:
    yield FIXED_COLUMNS + [column.name for column in columns]
    for application in _streamed(cases):
        answers = _with_my_numbers(application, open_my_number)
        yield _fixed(application, layout.values) + [
            _value(get_path(answers, column.path), column.item, layout.values, column.labels)
            for column in columns
        ]


def export_csv_rows(
    cases: QuerySet[Application],
    definition: Definition,
    *,
    layout: ExportLayout | None = None,
    open_my_number: MyNumberOpener | None = None,
) -> Iterator[str]:
    """The cases as CSV text (BOM, header row, one line per case), streamed."""
    layout = layout or ExportLayout()
    columns = export_columns(definition, layout, repeat_counts(cases, definition))
    return csv_chunks(_data_rows(cases, columns, layout, open_my_number))


def codes_rows(columns: Iterable[Column]) -> Iterator[list[str]]:
    """列名, コード, 表示名: every code of every coded column (options, yes/no, 状態)."""
    yield ["列名", "コード", "表示名"]
    with translation.override("ja"):
        for status in (Status.APPROVED, Status.REJECTED):
            yield ["状態", status.value, str(status.label)]
    for column in columns:
        if column.item.options:
            for code, label in _option_labels(column.item).items():
                yield [column.name, code, label]
        elif _is_yes_no(column.item):
            for code, label in YES_NO_CODES:
                yield [column.name, code, label]


def _value_kind(column: Column, values: ValueMode) -> str:
    item = column.item
    if item.options:
        return "コード（codes.csv 参照）" if values == "codes" else "表示名（codes.csv 参照）"
    if _is_yes_no(item):
        return "1＝はい、0＝いいえ" if values == "codes" else "はい／いいえ"
    if _is_date(item):
        return "日付（YYYY-MM-DD）" if values == "codes" else "日付（2026年6月10日の形）"
    if item.schema.get("type") == "integer":
        return "整数"
    return "文字列"


def readme_text(
    definition: Definition, columns: list[Column], layout: ExportLayout, *, cases_count: int | None = None
) -> str:
    """A README in Japanese: what the files are and what each column holds."""
    headers = "国の標準データ項目名" if layout.headers == "standard" else "申請画面の項目名"
    values = "コード（基幹システム取り込み用）" if layout.values == "codes" else "表示名（人が読む用）"
    lines = [
        f"手続き：{_ja(definition.data.get('name')) or definition.code}（{definition.code}）",
        "",
        "このZIPファイルには、次のファイルが入っています。",
        "- data.csv：決定済み（承認・却下）の申請。1行が1件です。",
        "- codes.csv：コードで書かれた列の、コードと表示名の一覧です。",
        "- README.txt：このファイルです。",
        "",
        "文字コードはUTF-8（BOM付き）、改行はCRLFです。",
        f"列名：{headers}",
        f"値：{values}",
        "=、+、-、@ などで始まる値は、表計算ソフトで数式として動かないよう、先頭に ' を付けています。",
        "繰り返しの項目（児童など）は、最も多い申請の件数まで番号付きの列にしています（児童1、児童2…）。",
        "",
        "列の説明（列名：内容／値の形）",
        "受付番号：申請の受付番号／文字列",
        "手続コード：手続きの識別コード／文字列",
        "様式版：申請に使った様式の版／整数",
        "状態：承認または却下／" + ("コード（codes.csv 参照）" if layout.values == "codes" else "表示名"),
        "受付日時：申請を受け付けた日時／" + ("ISO 8601" if layout.values == "codes" else "日時"),
        "決定日時：決定した日時／" + ("ISO 8601" if layout.values == "codes" else "日時"),
        "決定理由：却下などの理由／文字列",
    ]
    lines += [
        f"{column.name}：{column.description}／{_value_kind(column, layout.values)}" for column in columns
    ]
    return "\r\n".join(lines) + "\r\n"


class _Sink(io.RawIOBase):
    """A write-only stream that keeps what was written until ``take`` hands it out."""

    def __init__(self) -> None:
        super().__init__()
        self._pieces: list[bytes] = []

    def writable(self) -> bool:
        return True

    def write(self, data: Any) -> int:
        self._pieces.append(bytes(data))
        return len(data)

    def take(self) -> bytes:
        data = b"".join(self._pieces)
        self._pieces.clear()
        return data


def export_zip_chunks(
    cases: QuerySet[Application],
    definition: Definition,
    *,
    layout: ExportLayout | None = None,
    open_my_number: MyNumberOpener | None = None,
) -> Iterator[bytes]:
    """A ZIP of data.csv, codes.csv and README.txt, streamed as it is written."""
    layout = layout or ExportLayout()
    columns = export_columns(definition, layout, repeat_counts(cases, definition))
    sink = _Sink()
    with zipfile.ZipFile(sink, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        with archive.open("data.csv", "w") as data:
            data.write(BOM.encode())
            for count, row in enumerate(_data_rows(cases, columns, layout, open_my_number), start=1):
                data.write(csv_line(row).encode())
                if count % CHUNK == 0:
                    yield sink.take()
        archive.writestr("codes.csv", "".join(csv_chunks(codes_rows(columns))).encode())
        archive.writestr("README.txt", (BOM + readme_text(definition, columns, layout)).encode())
    yield sink.take()


def export_codes_csv(
    cases: QuerySet[Application], definition: Definition, *, layout: ExportLayout | None = None
) -> Iterator[str]:
    """The code list alone (the columns named as in the data file of the same layout)."""
    layout = layout or ExportLayout()
    columns = export_columns(definition, layout, repeat_counts(cases, definition))
    return csv_chunks(codes_rows(columns), batch=100)


def decided_cases_of_procedure(
    *, procedure_id: int, municipality_id: int, approved_only: bool = False
) -> QuerySet[Application]:
    """The decided cases of one procedure of one municipality, oldest first, for a process that
    hands them over (no staff member behind it: the caller scopes by its own configuration)."""
    statuses = [Status.APPROVED] if approved_only else [Status.APPROVED, Status.REJECTED]
    return Application.objects.filter(
        municipality_id=municipality_id, procedure_id=procedure_id, status__in=statuses
    ).order_by("id")


def export_json_chunks(
    cases: QuerySet[Application], definition: Definition, *, open_my_number: MyNumberOpener | None = None
) -> Iterator[str]:
    code = json.dumps(definition.code)
    items = json.dumps(definition.data.get("standard_items") or {}, ensure_ascii=False)
    yield f'{{"procedure": {code}, "standard_items": {items}, "cases": ['

    first = True
    for application in _streamed(cases):
        record = dict(zip(FIXED_COLUMNS, _fixed(application), strict=True))
        record["answers"] = _with_my_numbers(application, open_my_number)
        yield ("" if first else ",") + json.dumps(record, ensure_ascii=False)
        first = False
    yield "]}"


__all__ = [
    "FIXED_COLUMNS",
    "HEADER_MODES",
    "VALUE_MODES",
    "Column",
    "ExportLayout",
    "codes_rows",
    "decided_cases_of_procedure",
    "export_codes_csv",
    "export_columns",
    "export_csv_rows",
    "export_json_chunks",
    "export_zip_chunks",
    "readme_text",
    "repeat_counts",
]
