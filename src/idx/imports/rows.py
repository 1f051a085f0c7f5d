"""One row of an imported file → typed answers of the procedure, with what is wrong, by column.

Cells are text as other systems write it; each is typed by its item of the definition:

- dates: 2026/4/1, 2026-04-01, 2026年4月1日, 令和8年4月1日, R8.4.1 (``idx.common.wareki``);
- numbers: full-width digits and thousands separators (１，２００ → 1200);
- yes/no: はい/いいえ, 1/0 (also yes/no, true/false, ○/×);
- options: the option's value (``twins``) or its Japanese or English label (双子);
- postal codes, telephone numbers and katakana: full-width and half-width forms made regular.

Then the row's answers are checked against the definition as a submission would be, and each
problem is named by the column it came from.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext as _

from idx.applications.answers import set_path, visible_answers
from idx.common.i18n import pick
from idx.common.wareki import DateParseError, parse_date
from idx.procedures.definition import AnswerError, Definition, Item, validate_answers
from idx.procedures.rendering import error_message

NOT_IMPORTED_WIDGETS = {"fieldset", "repeat", "note", "file", "my_number"}
YES = {"はい", "1", "yes", "y", "true", "○", "◯", "有", "あり"}
NO = {"いいえ", "0", "no", "n", "false", "×", "無", "なし"}
MAX_VALUE_SHOWN = 40


@dataclass(frozen=True)
class RowProblem:
    """What is wrong in one row: ``column`` as headed in the file (blank: no column maps it)."""

    row: int
    column: str
    path: str
    code: str
    params: Mapping[str, Any] = field(default_factory=dict)


@dataclass
class RowResult:
    number: int
    answers: dict[str, Any]
    applicant_name: str
    birthdate: Any  # dt.date | None
    problems: list[RowProblem]


def importable_items(definition: Definition) -> list[Item]:
    """The items a column can fill: single answers outside repeats; never a 個人番号 or a file
    (a 個人番号 must be sealed on entry, a file is not a cell)."""
    return [
        item
        for item in definition.items()
        if item.widget not in NOT_IMPORTED_WIDGETS
        and "[]" not in item.path
        and item.schema.get("type") != "object"
    ]


def item_choices(definition: Definition) -> list[tuple[str, str]]:
    """(path, label with its group) of each importable item, in form order, in the active language."""
    groups = {child.path: item for item in definition.items() for child in item.children}
    choices = []
    for item in importable_items(definition):
        label = pick(item.label) or item.field
        group = groups.get(item.path)
        choices.append((item.path, f"{pick(group.label)}: {label}" if group is not None else label))
    return choices


def _shown(text: str) -> str:
    return text if len(text) <= MAX_VALUE_SHOWN else text[: MAX_VALUE_SHOWN - 1] + "…"


def _option_match(item: Item, text: str) -> Any:
    wanted = unicodedata.normalize("NFKC", text).strip().casefold()
    for option in item.options:
        value = option.get("value")
        labels = option.get("label") or {}
        candidates = [str(value), *(str(labels.get(language) or "") for language in ("ja", "en"))]
        if any(
            wanted == unicodedata.normalize("NFKC", candidate).strip().casefold() for candidate in candidates
        ):
            return value
    for value in item.schema.get("enum") or []:
        if wanted == str(value).casefold():
            return value
    return None


def typed_value(item: Item, text: str) -> tuple[Any, str | None, dict[str, Any]]:
    """(value, None, {}) for a cell that reads as the item's type, else (None, code, params)."""
    kind = item.schema.get("type")
    regular = unicodedata.normalize("NFKC", text).strip()
    shown = {"value": _shown(text)}
    if item.options or item.schema.get("enum"):
        value = _option_match(item, text)
        if value is None:
            labels = "、".join(
                pick(option.get("label"), "ja") or str(option.get("value")) for option in item.options
            )
            return None, "option", {**shown, "options": labels}
        return value, None, {}
    if kind == "boolean":
        word = regular.casefold()
        if word in YES:
            return True, None, {}
        if word in NO:
            return False, None, {}
        return None, "yes_no", shown
    if kind in ("integer", "number"):
        number = regular.replace(",", "").replace(" ", "")
        if kind == "integer" and re.fullmatch(r"[+-]?\d+(\.0+)?", number):
            return int(float(number)) if "." in number else int(number), None, {}
        if kind == "number" and re.fullmatch(r"[+-]?\d+(\.\d+)?", number):
            return float(number), None, {}
        return None, "number", shown
    if item.schema.get("format") == "date" or item.widget == "date":
        try:
            return parse_date(text).isoformat(), None, {}
        except DateParseError:
            return None, "date", shown
    schema_format = item.schema.get("format")
    if schema_format == "jp-postal-code":
        digits = regular.replace("〒", "").strip()
        if re.fullmatch(r"\d{7}", digits):
            digits = f"{digits[:3]}-{digits[3:]}"
        return digits, None, {}
    if schema_format in ("jp-phone", "katakana", "email"):
        return regular, None, {}
    return text.strip(), None, {}


class RowReader:
    """Reads the rows of one file for one source's mapping against one definition."""

    def __init__(
        self,
        *,
        definition: Definition,
        headers: list[str],
        mapping: Mapping[str, str],
        applicant_name_column: str,
        birthdate_column: str = "",
    ) -> None:
        self.definition = definition
        self.width = len(headers)
        index = {header: position for position, header in enumerate(headers) if header}
        self.columns: list[tuple[int, str, Item]] = []
        for header, path in mapping.items():
            item = definition.item(path)
            if item is not None and header in index:
                self.columns.append((index[header], header, item))
        self.column_of_path = {path: header for header, path in mapping.items()}
        self.name_index = index.get(applicant_name_column)
        self.name_column = applicant_name_column
        self.birth_index = index.get(birthdate_column) if birthdate_column else None
        self.birth_column = birthdate_column

    def read(self, number: int, cells: list[str]) -> RowResult | None:
        """The row's answers and problems; None for a blank row (skipped)."""
        if not any(cell.strip() for cell in cells):
            return None
        problems: list[RowProblem] = []
        if len(cells) < self.width:
            # A row shorter than the header: the file was cut (or a line broken) here.
            problems.append(
                RowProblem(number, "", "", "short_row", {"found": len(cells), "expected": self.width})
            )
            return RowResult(number, {}, "", None, problems)
        if any(cell.strip() for cell in cells[self.width :]):
            problems.append(RowProblem(number, "", "", "extra_cells", {"expected": self.width}))
        answers: dict[str, Any] = {}
        for position, header, item in self.columns:
            text = cells[position].strip()
            if not text:
                continue
            value, code, params = typed_value(item, text)
            if code is not None:
                problems.append(RowProblem(number, header, item.path, code, params))
                continue
            set_path(answers, item.path, value)
        name = cells[self.name_index].strip() if self.name_index is not None else ""
        if not name:
            problems.append(RowProblem(number, self.name_column, "", "applicant_name", {}))
        birthdate = None
        if self.birth_index is not None and cells[self.birth_index].strip():
            try:
                birthdate = parse_date(cells[self.birth_index])
            except DateParseError:
                if self.birth_column not in self.column_of_path:  # else its item reports it
                    problems.append(
                        RowProblem(
                            number, self.birth_column, "", "date", {"value": _shown(cells[self.birth_index])}
                        )
                    )
        answers = visible_answers(self.definition, answers)
        typed_paths = {problem.path for problem in problems}
        for error in validate_answers(self.definition, answers):
            if error.path in typed_paths:
                continue  # the cell's own problem already says it
            problems.append(
                RowProblem(
                    number,
                    self.column_of_path.get(error.path, ""),
                    error.path,
                    error.code,
                    dict(error.params),
                )
            )
        return RowResult(number, answers, name, birthdate, problems)


def problem_text(definition: Definition | None, problem: RowProblem) -> str:
    """What is wrong, in the active language (the staff pages show Japanese or English)."""
    params = dict(problem.params)
    code = problem.code
    if code == "short_row":
        return (
            _(
                "The row has %(found)s cells but the header has %(expected)s columns: the file may be cut short."
            )
            % params
        )
    if code == "cut":
        return _("The file ends inside this row: it was cut short.")
    if code == "extra_cells":
        return _("The row has more cells than the header has columns (%(expected)s).") % params
    if code == "applicant_name":
        return _("The applicant's name is empty.")
    if code == "date":
        return _("“%(value)s” is not a date: write it as 2026/4/1, 2026-04-01 or 令和8年4月1日.") % params
    if code == "number":
        return _("“%(value)s” is not a number.") % params
    if code == "yes_no":
        return _("“%(value)s” is not yes or no: write はい or いいえ (or 1 or 0).") % params
    if code == "option":
        return _("“%(value)s” is not one of the options: %(options)s.") % params
    if code == "refused":
        return str(params.get("text") or "")
    item = definition.item(problem.path) if definition is not None and problem.path else None
    text = error_message(AnswerError(path=problem.path, code=code, params=params), item)
    if not problem.column and item is not None:
        return _("%(problem)s No column of the file is mapped to this item.") % {"problem": text}
    return text
