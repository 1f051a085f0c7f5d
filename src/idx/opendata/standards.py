"""The standard municipal open datasets (自治体標準オープンデータセット) as Frictionless Table Schemas.

Each standard is one JSON file in ``standards/`` (``03.json`` for 指定緊急避難場所一覧): a Table
Schema whose field names are the column names of デジタル庁's データ項目定義書, with types,
required columns, patterns, ranges and enumerations, and an ``idx`` block with the standard's
number, names and one realistic example row for the fill-in template. The schemas are plain
JSON read with the standard library; ``frictionless`` itself is only imported where an upload
is validated (idx.opendata.tabular), so a web worker that never validates stays small.
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from idx.common.i18n import pick
from idx.common.spreadsheet import csv_text

DIRECTORY = Path(__file__).resolve().parent / "standards"

# The kinds of column normalisation treats as codes and numbers (full-width digits → half-width).
NARROW_TYPES = frozenset({"integer", "number", "date", "time", "datetime", "year"})


@dataclass(frozen=True)
class Standard:
    number: str
    names: dict[str, str]
    schema: dict[str, Any]
    example: dict[str, str]

    @property
    def name(self) -> str:
        return pick(self.names)

    @property
    def fields(self) -> list[dict[str, Any]]:
        return list(self.schema["fields"])

    @property
    def columns(self) -> list[str]:
        return [field["name"] for field in self.schema["fields"]]

    @property
    def required(self) -> list[str]:
        return [
            field["name"] for field in self.schema["fields"] if field.get("constraints", {}).get("required")
        ]

    def field(self, name: str) -> dict[str, Any] | None:
        return next((field for field in self.schema["fields"] if field["name"] == name), None)

    def narrow(self, name: str) -> bool:
        """Whether a column holds numbers, codes, dates, times or phone numbers (written half-width)."""
        field = self.field(name)
        if field is None:
            return False
        return field["type"] in NARROW_TYPES or bool(field.get("idx:narrow"))

    def datastore_fields(self, fields: list[dict[str, str]]) -> list[dict[str, str]]:
        """The DataStore's column types from the schema (codes stay text: 011002 keeps its zero)."""
        kinds = {"integer": "int", "number": "numeric"}
        typed = []
        for column in fields:
            field = self.field(column["id"])
            typed.append(
                {"id": column["id"], "type": kinds.get(field["type"], "text") if field else column["type"]}
            )
        return typed

    @property
    def schema_filename(self) -> str:
        return f"standard-{self.number}-schema.json"

    @property
    def template_filename(self) -> str:
        return f"standard-{self.number}-template.csv"

    def schema_json(self) -> bytes:
        """The Table Schema as published (without IDX's own ``idx`` block)."""
        return json.dumps(self.schema, ensure_ascii=False, indent=2).encode("utf-8")

    def template_csv(self) -> bytes:
        """The fill-in template: UTF-8 with a BOM (Excel opens it as such), the header and one example."""
        rows = [self.columns, [self.example.get(column, "") for column in self.columns]]
        return csv_text(rows, bom=True).encode("utf-8")


@functools.cache
def _load() -> dict[str, Standard]:
    found: dict[str, Standard] = {}
    for path in sorted(DIRECTORY.glob("*.json")):
        document = json.loads(path.read_text(encoding="utf-8"))
        meta = document.pop("idx")
        found[meta["number"]] = Standard(
            number=meta["number"], names=meta["names"], schema=document, example=meta["example"]
        )
    return found


def all_standards() -> list[Standard]:
    return list(_load().values())


def get(number: str) -> Standard | None:
    return _load().get(number)
