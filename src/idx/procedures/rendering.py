"""Turning a definition's step into form fields, reading them back, and saying what went wrong.

The portal, the assisted counter and the editor's live preview all render through here, so a
procedure looks and behaves the same wherever it appears. Templates get plain ``FieldView``
objects; no widget logic lives in templates.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from django.utils import translation
from django.utils.translation import gettext as _
from jsonschema import Draft202012Validator

from idx.common import my_number
from idx.common.i18n import pick
from idx.common.wareki import DateParseError, era_of, format_for_language, parse_date, parse_year
from idx.procedures.definition import (
    AnswerError,
    Definition,
    Item,
    Step,
    generic_path,
    is_visible,
    normalise_date_text,
    when_operator,
)

INPUT_TYPES = {"email": "email", "tel": "tel", "number": "text", "postal_code": "text", "date": "text"}
INPUT_MODES = {
    "number": "numeric",
    "tel": "tel",
    "postal_code": "numeric",
    "email": "email",
    "my_number": "numeric",
}


@dataclass
class FieldView:
    item: Item
    path: str
    name: str
    html_id: str
    label: str
    help: str
    widget: str
    value: Any
    required: bool
    errors: list[str] = field(default_factory=list)
    options: list[dict[str, Any]] = field(default_factory=list)
    children: list[FieldView] = field(default_factory=list)
    entries: list[list[FieldView]] = field(default_factory=list)
    add_label: str = ""
    visible: bool = True
    when_id: str = ""
    when_value: str = ""
    when_operator: str = ""
    when_values: str = ""  # ``in``: the values as a JSON list of texts
    note: str = ""
    editable: bool = True
    input_type: str = "text"
    input_mode: str = ""
    autocomplete: str = ""
    max_length: int | None = None
    attachment_name: str = ""
    # 基本4情報 item (name / birth_date / gender / address) the applicant's verified identity fills in.
    verified_fact: str = ""
    verified_display: str = ""
    # 個人番号: a sealed number is stored; the input stays empty (the number is never shown again).
    sealed: bool = False
    # The answer as a person reads it (labels for yes/no and options, a long date): read-only views.
    display: str = ""
    # The input the page opens at (a new repeat entry, a question that just appeared).
    autofocus: bool = False

    @property
    def has_errors(self) -> bool:
        return (
            bool(self.errors)
            or any(child.has_errors for child in self.children)
            or any(child.has_errors for entry in self.entries for child in entry)
        )


def html_name(path: str) -> str:
    return "f." + path.replace("[", ".").replace("]", "")


def html_id(path: str) -> str:
    return "f-" + re.sub(r"[^a-zA-Z0-9]+", "-", path).strip("-")


def _display_value(item: Item, value: Any) -> Any:
    """The value an input shows: what the resident can read and type again (never ISO, never grouped)."""
    if value is None:
        return ""
    if item.widget == "date" and isinstance(value, str):
        try:
            date = dt.date.fromisoformat(value)
        except ValueError:
            return value
        return date_input_text(date)
    if isinstance(value, bool) and item.widget in ("yes_no",):
        return "true" if value else "false"
    return value


def date_input_text(date: dt.date) -> str:
    """A stored date as a date input shows it: 2026年1月5日 in Japanese and Chinese, 2026/1/5 otherwise.

    Both read back through :func:`idx.common.wareki.parse_date`.
    """
    language = translation.get_language() or "ja"
    if language.startswith(("ja", "zh")):
        return f"{date.year}年{date.month}月{date.day}日"
    return f"{date.year}/{date.month}/{date.day}"


def is_year_item(item: Item) -> bool:
    """An integer item holding a calendar year (所得の対象年, 届出の年度).

    Recognised by its range (between 1868, the first year of 明治, and 2200): a year is typed as
    2025 or 令和7年 and never shown with digit grouping.
    """
    if item.schema.get("type") != "integer":
        return False
    low, high = item.schema.get("minimum"), item.schema.get("maximum")
    return isinstance(low, int) and isinstance(high, int) and 1868 <= low <= high <= 2200


def format_number(item: Item | None, value: int | float) -> str:
    """An amount or a count with digit grouping (4,200,000); a year without (2025)."""
    if item is not None and is_year_item(item):
        return str(value)
    return f"{value:,}"


def format_year(value: int) -> str:
    """2025年（令和7年） in Japanese, 2025年 in やさしい日本語 and Chinese, 2025 otherwise."""
    language = translation.get_language() or "ja"
    if language == "ja" and 1868 < value <= 2200:
        name, era_year = era_of(dt.date(value, 12, 31))
        return f"{value}年（{name}{'元' if era_year == 1 else era_year}年）"
    if language.startswith(("ja", "zh")):
        return f"{value}年"
    return str(value)


def item_label(definition: Definition | None, item: Item | None, path: str = "") -> str:
    """The name of the item an error is about, as the resident saw it: ``児童 2: 氏名`` in a repeat."""
    if item is None:
        return ""
    label = pick(item.label)
    match = re.match(r"^([^.\[]+)\[(\d+)\]\.", path)
    if definition is not None and match:
        group = definition.item(match.group(1))
        if group is not None:
            return _("%(group)s %(number)s: %(label)s") % {
                "group": pick(group.label),
                "number": int(match.group(2)) + 1,
                "label": label,
            }
    return label


def error_message(error: AnswerError, item: Item | None, label: str | None = None) -> str:
    """What is wrong, in plain words, naming the item (the error summary shows it on its own).

    Wording follows docs/content-style.md: say what to do, name the field, give an example a
    resident can type; no jargon (半角, 整数) and no ISO dates.
    """
    if label is None:
        label = pick(item.label) if item is not None else ""
    if not label:
        return _generic_error_message(error)
    kind = (item.schema.get("type") if item is not None else None) or ""
    limit = error.params.get("limit")
    if isinstance(limit, int) and not isinstance(limit, bool) and error.code in ("minimum", "maximum"):
        limit = format_number(item, limit)
    code = error.code
    named = {"label": label}
    if code == "required":
        return _("Answer “%(label)s”.") % named
    if code == "type":
        if kind == "integer" and item is not None and is_year_item(item):
            return _("Enter the year of “%(label)s” in numbers, for example 2025 or 令和7年.") % named
        if kind in ("integer", "number"):
            return _("Enter “%(label)s” in numbers, for example 1200.") % named
        if kind == "boolean":
            return _("Choose yes or no for “%(label)s”.") % named
        return _("Check your answer to “%(label)s”.") % named
    messages = {
        "format:date": _(
            "Enter “%(label)s” as a date that exists, for example 2026年1月5日 or 令和8年1月5日."
        ),
        "format:jp-postal-code": _("Enter “%(label)s” as 7 digits, for example 518-8501."),
        "format:jp-phone": _("Enter “%(label)s” as a phone number, for example 0595-22-9611."),
        "format:email": _("Enter “%(label)s” as an e-mail address, for example name@example.jp."),
        "format:katakana": _("Write “%(label)s” in katakana, for example イガ ハナコ."),
        "format:attachment": _("Upload the file for “%(label)s” again."),
        "format:my-number": _("Enter “%(label)s” as the 12 digits of your My Number, and check each digit."),
        "pattern": _("Check the form of “%(label)s”: see the hint below the question."),
        "enum": _("Choose one of the options for “%(label)s”."),
        "const": _("Tick “%(label)s” to continue."),
        "unknown_field": _("“%(label)s” is not part of this form."),
    }
    if code in messages:
        return messages[code] % named
    if code.startswith("upload:"):
        return _("%(problem)s (%(label)s)") % {"problem": _generic_error_message(error), "label": label}
    limited = {
        "maxLength": _("“%(label)s” can be at most %(limit)s characters long."),
        "minLength": _("“%(label)s” needs at least %(limit)s characters."),
        "minimum": _("“%(label)s” must be %(limit)s or more."),
        "maximum": _("“%(label)s” must be %(limit)s or less."),
        "minItems": _("Add at least %(limit)s to “%(label)s”."),
        "maxItems": _("“%(label)s” can have at most %(limit)s entries."),
    }
    if code in limited:
        return limited[code] % {"label": label, "limit": limit}
    return _generic_error_message(error)


def _generic_error_message(error: AnswerError) -> str:
    """The message of an error that is about no particular item (or of an upload)."""
    limit = error.params.get("limit")
    code = error.code
    messages = {
        "required": _("This item is required."),
        "no_items_flagged": _("Flag at least one item and write what to correct."),
        "upload:too_large": _("The file is too large."),
        "upload:unsupported_type": _("Upload a JPEG or PNG image or a PDF file."),
        "upload:name_mismatch": _("The file's content does not match its name."),
        "upload:not_accepted": _("This kind of file is not accepted for this item."),
        "upload:damaged": _("The file could not be read. It may be damaged."),
        "upload:too_many_pixels": _("The image is too large. Take a smaller photo."),
    }
    if code in messages:
        return messages[code]
    if code == "maxLength":
        return _("Use %(limit)s characters or fewer.") % {"limit": limit}
    return _("Check this answer.")


def _errors_by_path(definition: Definition, errors: list[AnswerError]) -> dict[str, list[str]]:
    by_path: dict[str, list[str]] = {}
    for error in errors:
        item = definition.item(error.path)
        by_path.setdefault(error.path, []).append(
            error_message(error, item, item_label(definition, item, error.path))
        )
    return by_path


def field_view(
    item: Item,
    path: str,
    answers: Mapping[str, Any],
    value: Any,
    errors: Mapping[str, list[str]],
    notes: Mapping[str, str],
    attachments: Mapping[str, str],
    lock_unflagged: bool,
) -> FieldView:
    """The view of one item at ``path`` (a group's children and a repeat's entries included)."""
    view = FieldView(
        item=item,
        path=path,
        name=html_name(path),
        html_id=html_id(path),
        label=pick(item.label),
        help=pick(item.help),
        widget=item.widget,
        value=_display_value(item, value),
        required=item.required,
        errors=list(errors.get(path, [])),
        add_label=pick(item.spec.get("add_label")),
        note=notes.get(path, ""),
        input_type=INPUT_TYPES.get(item.widget, "text"),
        input_mode=INPUT_MODES.get(item.widget, ""),
        autocomplete=str(item.spec.get("autocomplete", "")),
        max_length=item.schema.get("maxLength"),
    )
    if lock_unflagged:
        view.editable = path in notes or any(
            note.startswith(path + ".") or note.startswith(path + "[") for note in notes
        )
    view.options = [
        {"value": option["value"], "label": pick(option["label"]), "selected": option["value"] == value}
        for option in item.options
    ]
    if item.widget not in ("fieldset", "repeat"):
        view.display = display_value(item, value, attachments)
    if item.widget == "file" and isinstance(value, str):
        view.attachment_name = attachments.get(value, "")
    if item.widget == "my_number":
        # Never echo a stored value: it is a sealed token, and a clear number never reaches here.
        view.sealed = my_number.is_sealed_token(value)
        view.value = ""
        view.autocomplete = "off"
        view.max_length = 16
    if item.when:
        view.visible = is_visible(item, answers)
        parent = path.rpartition(".")[0]  # an item in a group or entry depends on a sibling
        view.when_id = html_id(f"{parent}.{item.when['field']}" if parent else item.when["field"])
        # The portal's script compares these with the value of the input, as text.
        view.when_operator, operand = when_operator(item.when)
        if view.when_operator == "in":
            view.when_values = json.dumps([_condition_text(value) for value in operand], ensure_ascii=False)
        elif view.when_operator != "answered":
            view.when_value = _condition_text(operand)
    if item.widget == "fieldset":
        group = value if isinstance(value, Mapping) else {}
        view.children = [
            field_view(
                child,
                f"{path}.{child.field}",
                group,
                group.get(child.field),
                errors,
                notes,
                attachments,
                lock_unflagged,
            )
            for child in item.children
        ]
    if item.widget == "repeat":
        entries = value if isinstance(value, list) else []
        count = max(len(entries), int(item.schema.get("minItems", 1) or 1))
        for index in range(count):
            entry = entries[index] if index < len(entries) and isinstance(entries[index], Mapping) else {}
            view.entries.append(
                [
                    field_view(
                        child,
                        f"{path}[{index}].{child.field}",
                        entry,
                        entry.get(child.field),
                        errors,
                        notes,
                        attachments,
                        lock_unflagged,
                    )
                    for child in item.children
                ]
            )
    return view


def step_fields(
    definition: Definition,
    step: Step,
    answers: Mapping[str, Any],
    errors: list[AnswerError] | None = None,
    *,
    notes: Mapping[str, str] | None = None,
    attachments: Mapping[str, str] | None = None,
    lock_unflagged: bool = False,
) -> list[FieldView]:
    by_path = _errors_by_path(definition, errors or [])
    views = [
        field_view(
            item,
            item.field,
            answers,
            answers.get(item.field),
            by_path,
            notes or {},
            attachments or {},
            lock_unflagged,
        )
        for item in step.items
    ]
    for view in views:
        # 必須 follows the definition's rules for these answers (a conditional item: once shown).
        shown = _answers_showing(view.item, answers)
        required = required_paths(definition, shown)
        view.required = view.required or view.item.field in required
        fields = [*view.children, *(child for entry in view.entries for child in entry)]
        for child in fields:
            child.required = child.required or generic_path(child.path) in required
    facts = identity_fact_paths(definition)
    for view in views:
        for child in view.children:
            if child.path in facts:
                child.verified_fact = facts[child.path]
                child.verified_display = display_value(child.item, get_nested(answers, child.path))
    for position, note in reversed(step.notes):  # explanatory texts between the questions
        views.insert(
            position,
            FieldView(
                item=note,
                path=note.path,
                name="",
                html_id=html_id(f"note-{note.field}"),
                label=pick(note.label),
                help=pick(note.help),
                widget="note",
                value=None,
                required=False,
                editable=not lock_unflagged,  # nothing to correct in a note
            ),
        )
    return views


def _condition_text(value: Any) -> str:
    return "true" if value is True else "false" if value is False else str(value)


def _answers_showing(item: Item, answers: Mapping[str, Any]) -> Mapping[str, Any]:
    """``answers`` as they are once the item's condition holds (for what it then makes 必須)."""
    if not item.when or is_visible(item, answers):
        return answers
    operator, operand = when_operator(item.when)
    if operator in ("equals", "in"):
        return {**answers, item.when["field"]: operand if operator == "equals" else operand[0]}
    return answers


def required_paths(definition: Definition, answers: Mapping[str, Any]) -> set[str]:
    """Generic paths (``insured.insured_number``, ``members[].name``) that an ``allOf`` rule
    requires because its ``if`` holds for ``answers``."""
    paths: set[str] = set()
    for rule in definition.schema.get("allOf", []):
        condition, then = rule.get("if"), rule.get("then") or {}
        if condition is None or not Draft202012Validator(condition).is_valid(dict(answers)):
            continue
        paths.update(then.get("required", []))
        for group, sub in (then.get("properties") or {}).items():
            paths.update(f"{group}.{name}" for name in sub.get("required", []))
            paths.update(f"{group}[].{name}" for name in (sub.get("items") or {}).get("required", []))
    return paths


IDENTITY_FACTS = ("name", "birth_date", "gender", "address")


def identity_fact_paths(definition: Definition) -> dict[str, str]:
    """The applicant's 基本4情報 items: a fieldset holding ``name`` and another of the facts.

    ``{"claimant.name": "name", "claimant.birth_date": "birth_date", ...}``; a verified
    identity (My Number Card) fills these in, and they are then not editable; a signature's
    certificate must match them. A fieldset named ``applicant`` or ``claimant`` wins; otherwise the
    first such fieldset, never one describing a deceased person.
    """
    candidates: list[Item] = []
    for step in definition.steps:
        for item in step.items:
            if item.widget != "fieldset" or item.field in NOT_THE_APPLICANT:
                continue
            fields = {child.field for child in item.children}
            if "name" in fields and len(fields & set(IDENTITY_FACTS)) >= 2:
                candidates.append(item)
    if not candidates:
        return {}
    chosen = next((item for item in candidates if item.field in APPLICANT_FIELDSETS), candidates[0])
    fields = {child.field for child in chosen.children}
    return {f"{chosen.field}.{fact}": fact for fact in IDENTITY_FACTS if fact in fields}


APPLICANT_FIELDSETS = ("applicant", "claimant")
NOT_THE_APPLICANT = ("deceased",)


def get_nested(answers: Mapping[str, Any], path: str) -> Any:
    group, _dot, child = path.partition(".")
    value = answers.get(group)
    return value.get(child) if isinstance(value, Mapping) else None


# ---- reading a submitted step back into answers -------------------------------------------


def _clean_text(raw: str) -> str:
    return raw.replace("\r\n", "\n").strip()


def _parse_scalar(item: Item, raw: str | None) -> Any:
    """The typed value of one input; text that does not parse is kept as typed for the resident to fix."""
    if item.widget == "checkbox":
        return raw is not None
    if raw is None:
        return None
    text = _clean_text(raw)
    if text == "":
        return None
    if item.widget == "yes_no":
        return {"true": True, "false": False}.get(text, text)
    if item.widget == "number" or item.schema.get("type") in ("integer", "number"):
        return _parse_number(item, text)
    if item.widget == "date":
        return normalise_date_text(text)
    if item.widget == "postal_code":
        digits = unicodedata.normalize("NFKC", text).replace("ー", "-").replace("−", "-")
        compact = digits.replace("-", "")
        return f"{compact[:3]}-{compact[3:]}" if compact.isdigit() and len(compact) == 7 else text
    if item.widget == "tel":
        return re.sub(r"[ー−‐－]", "-", unicodedata.normalize("NFKC", text))
    if item.widget == "my_number":
        return my_number.normalise(text)
    if item.schema.get("format") == "katakana":
        return to_katakana(text)
    if item.schema.get("pattern") and re.fullmatch(r"[0-9０-９]+", text):
        return unicodedata.normalize("NFKC", text)
    return text


def parse_answer(item: Item, raw: str | None) -> Any:
    """The typed value of one input as the forms read it (dates in 和暦, katakana from hiragana, amounts
    with 万・円); text that does not parse is kept as typed. For front doors that build answers item
    by item (the paper intake's verification screen)."""
    return _parse_scalar(item, raw)


_AMOUNT_NOISE = re.compile(r"[\s,円¥\\]")


def _parse_number(item: Item, text: str) -> Any:
    """2025, ２０２５, 令和7年 (a year item), 4,200,000円, 420万円: the number, or the text as typed."""
    normalised = unicodedata.normalize("NFKC", text)
    if item.schema.get("type") == "integer" and is_year_item(item):
        try:
            return parse_year(normalised)
        except ValueError:
            return text
    compact = _AMOUNT_NOISE.sub("", normalised).removeprefix("￥")
    multiplier = 1
    if compact.endswith("万") and compact[:-1]:
        compact, multiplier = compact[:-1], 10_000
    try:
        if item.schema.get("type") == "integer":
            number = float(compact) * multiplier if "." in compact else int(compact) * multiplier
            return int(number) if float(number).is_integer() else text
        return float(compact) * multiplier
    except ValueError:
        return text


def to_katakana(text: str) -> str:
    """フリガナ as typed in hiragana or half-width katakana, in full-width katakana (spaces kept, trimmed)."""
    normalised = unicodedata.normalize("NFKC", text)
    converted = "".join(chr(ord(char) + 0x60) if "ぁ" <= char <= "ゖ" else char for char in normalised)
    return re.sub(r"\s+", " ", converted).strip()


def _group_value(item: Item, prefix: str, data: Mapping[str, str], present: set[str]) -> dict[str, Any]:
    group: dict[str, Any] = {}
    for child in item.children:
        name = f"{prefix}.{child.field}"
        if child.widget == "file":
            kept = data.get(name + ".kept")
            if kept:
                group[child.field] = kept
            continue
        raw = data.get(name) if name in present or child.widget == "checkbox" else None
        value = _parse_scalar(child, raw)
        if value is not None:
            group[child.field] = value
    return group


def _is_blank(group: Mapping[str, Any]) -> bool:
    return all(value is None or value is False for value in group.values())


def answers_from_form(step: Step, data: Mapping[str, str], existing: Mapping[str, Any]) -> dict[str, Any]:
    """The answers to one step from form data (a QueryDict flattened to single values).

    Repeat entries come back in order; an entry left completely empty is dropped, so the
    "add" and "remove" buttons need no JavaScript.
    """
    present = set(data)
    answers: dict[str, Any] = {}
    for item in step.items:
        name = html_name(item.field)
        if item.widget == "fieldset":
            group = _group_value(item, name, data, present)
            if not _is_blank(group):
                answers[item.field] = group
        elif item.widget == "repeat":
            count = (
                int(data.get(name + ".count", "0") or 0)
                if str(data.get(name + ".count", "0")).isdecimal()
                else 0
            )
            entries = []
            for index in range(min(count, 100)):
                entry = _group_value(item, f"{name}.{index}", data, present)
                if not _is_blank(entry):
                    entries.append(entry)
            if entries:
                answers[item.field] = entries
        elif item.widget == "file":
            kept = data.get(name + ".kept")
            if kept:
                answers[item.field] = kept
        else:
            raw = data.get(name) if name in present or item.widget == "checkbox" else None
            value = _parse_scalar(item, raw)
            if value is not None:
                answers[item.field] = value
    return answers


# ---- showing answers (review page, case page, PDF) ------------------------------------------


@dataclass
class AnswerRow:
    path: str
    label: str
    value: str
    depth: int = 0
    is_group: bool = False
    step_title: str = ""
    step_id: str = ""
    widget: str = ""
    # A sealed 個人番号 (the back office offers to open it; everyone else sees only that it was given).
    sealed: bool = False


def display_value(item: Item, value: Any, attachments: Mapping[str, str] | None = None) -> str:
    if value is None or value == "":
        return "—"
    if item.widget == "my_number":
        # Only whether a number was given: even a few digits would need opening the seal.
        return _("Submitted (encrypted)") if my_number.is_sealed_token(value) else "—"
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    if item.widget in ("select", "radio"):
        for option in item.options:
            if option["value"] == value:
                return pick(option["label"])
    if item.widget == "date" and isinstance(value, str):
        try:
            return format_for_language(parse_date(value), translation.get_language() or "ja")
        except DateParseError:
            return value
    if item.widget == "file":
        return (attachments or {}).get(str(value), _("Attached file"))
    if isinstance(value, int):
        return format_year(value) if is_year_item(item) else format_number(item, value)
    return str(value)


def answer_rows_for(
    definition: Definition, answers: Mapping[str, Any], attachments: Mapping[str, str] | None = None
) -> list[AnswerRow]:
    rows: list[AnswerRow] = []
    for step in definition.steps:
        first = True
        for item in step.items:
            if not is_visible(item, answers):
                continue
            value = answers.get(item.field)
            title = pick(step.title) if first else ""
            step_id = step.id if first else ""
            first = False
            if item.widget == "fieldset":
                rows.append(AnswerRow(item.field, pick(item.label), "", 0, True, title, step_id))
                group = value if isinstance(value, Mapping) else {}
                for child in item.children:
                    if not is_visible(child, group):
                        continue
                    rows.append(
                        AnswerRow(
                            f"{item.field}.{child.field}",
                            pick(child.label),
                            display_value(child, group.get(child.field), attachments),
                            1,
                            widget=child.widget,
                            sealed=child.widget == "my_number"
                            and my_number.is_sealed_token(group.get(child.field)),
                        )
                    )
            elif item.widget == "repeat":
                rows.append(AnswerRow(item.field, pick(item.label), "", 0, True, title, step_id))
                for index, entry in enumerate(value if isinstance(value, list) else []):
                    for child in item.children:
                        if isinstance(entry, Mapping) and not is_visible(child, entry):
                            continue
                        child_value = entry.get(child.field) if isinstance(entry, Mapping) else None
                        rows.append(
                            AnswerRow(
                                f"{item.field}[{index}].{child.field}",
                                f"{index + 1}. {pick(child.label)}",
                                display_value(child, child_value, attachments),
                                1,
                                widget=child.widget,
                                sealed=child.widget == "my_number" and my_number.is_sealed_token(child_value),
                            )
                        )
            else:
                rows.append(
                    AnswerRow(
                        item.field,
                        pick(item.label),
                        display_value(item, value, attachments),
                        0,
                        False,
                        title,
                        step_id,
                        widget=item.widget,
                        sealed=item.widget == "my_number" and my_number.is_sealed_token(value),
                    )
                )
    return rows
