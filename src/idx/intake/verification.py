"""What a clerk verifies on a read paper form: its items in the order to look at them, the values
typed back into answers, and what the clerk corrected.

Items the procedure's rules refuse come first, then items the machine was unsure of (a confidence
under ``LOW_CONFIDENCE``, or characters that make no value), least sure first; the rest follow in
the order of the form. Choices (ticks) are offered as their options; every other item is typed as
on the online form (dates as 1988年6月15日 or 昭和63年6月15日, katakana from hiragana, …).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from idx.intake.layout import Zone, zone_index
from idx.intake.paper import form_layout, value_at
from idx.intake.selectors import PaperForm, answers_from_readings
from idx.procedures.definition import AnswerError, Definition
from idx.procedures.rendering import date_input_text, error_message, item_label, parse_answer

LOW_CONFIDENCE = 0.9


@dataclass
class VerifyItem:
    """One item of the form on the clerk's screen."""

    path: str
    label: str
    page_number: int  # the batch's page the item is on
    reading_index: int  # its place in the page's readings (the cut image's address)
    form_position: int
    choice: bool
    options: list[tuple[str, str]]  # (input value, label) of a choice
    value_read: Any
    text_read: str
    confidence: float
    shown: str  # what the input holds: the value read, or what the clerk typed
    problems: list[str] = field(default_factory=list)

    @property
    def needs_look(self) -> bool:
        unreadable = self.value_read is None and bool(self.text_read.strip())
        return bool(self.problems) or unreadable or self.confidence < LOW_CONFIDENCE

    @property
    def percent(self) -> int:
        return round(self.confidence * 100)


def input_value(value: Any) -> str:
    """An answer as an input shows it: dates as people write them, yes/no as the option's value."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str) and len(value) == 10 and value[4] == "-" and value[7] == "-":
        try:
            return date_input_text(dt.date.fromisoformat(value))
        except ValueError:
            return value
    return str(value)


def _options(zone: Zone) -> list[tuple[str, str]]:
    if zone.format == "checkbox":
        return [("true", zone.options[0].label if zone.options else "✓")]
    return [(input_value(option.value), option.label) for option in zone.options]


def verify_items(
    form: PaperForm,
    *,
    typed: Mapping[str, str] | None = None,
    problems: Iterable[AnswerError] | None = None,
) -> list[VerifyItem]:
    """The form's items in the order the clerk looks at them (see the module's text)."""
    definition = form.version.parsed
    zones = zone_index(form_layout(form.version))
    problem_list = list(form.problems if problems is None else problems)
    messages: dict[str, list[str]] = {}
    for problem in problem_list:
        item = definition.item(problem.path)
        messages.setdefault(problem.path, []).append(
            error_message(problem, item, item_label(definition, item, problem.path))
        )
    items: list[VerifyItem] = []
    for page in form.pages:
        for index, reading in enumerate(page.readings):
            path = str(reading["path"])
            zone = zones.get(path)
            item = definition.item(path)
            if zone is None or item is None:
                continue
            value = reading.get("value")
            text = str(reading.get("text") or "")
            read_shown = input_value(value) if value is not None else text
            items.append(
                VerifyItem(
                    path=path,
                    label=item_label(definition, item, path),
                    page_number=page.number,
                    reading_index=index,
                    form_position=len(items),
                    choice=zone.kind == "choice",
                    options=_options(zone) if zone.kind == "choice" else [],
                    value_read=value,
                    text_read=text,
                    confidence=float(reading.get("confidence") or 0.0),
                    shown=typed.get(path, "") if typed is not None else read_shown,
                    problems=messages.get(path, []),
                )
            )
    return sorted(
        items,
        key=lambda item: (
            (0, not item.problems, item.confidence, item.form_position)
            if item.needs_look
            else (1, True, 0.0, item.form_position)
        ),
    )


def general_problems(
    form: PaperForm, problems: Iterable[AnswerError], items: Iterable[VerifyItem]
) -> list[str]:
    """Messages of problems that are about no item on the screen (a group left empty, …)."""
    definition = form.version.parsed
    on_screen = {item.path for item in items}
    found: list[str] = []
    for problem in problems:
        if problem.path in on_screen:
            continue
        item = definition.item(problem.path)
        found.append(error_message(problem, item, item_label(definition, item, problem.path)))
    return found


def typed_answers(
    definition: Definition, items: Iterable[VerifyItem], typed: Mapping[str, str]
) -> dict[str, Any]:
    """Answers from what the clerk typed or chose, item by item (text that does not parse stays as typed)."""
    flat: list[dict[str, Any]] = []
    for verify_item in items:
        item = definition.item(verify_item.path)
        if item is None:
            continue
        raw = typed.get(verify_item.path, "")
        if item.widget == "checkbox":
            value: Any = True if raw == "true" else None
        else:
            value = parse_answer(item, raw)
        flat.append({"path": verify_item.path, "value": value})
    return answers_from_readings(flat)


def corrections(form: PaperForm, answers: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Every item whose accepted value differs from the value read: path, read, accepted, confidence."""
    changed: list[dict[str, Any]] = []
    for page in form.pages:
        for reading in page.readings:
            path = str(reading["path"])
            read = reading.get("value")
            accepted = value_at(answers, path)
            if accepted == "":
                accepted = None
            if read != accepted:
                changed.append(
                    {
                        "path": path,
                        "read": read,
                        "accepted": accepted,
                        "confidence": reading.get("confidence"),
                    }
                )
    return changed
