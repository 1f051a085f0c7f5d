"""The error summary every refused form of both front doors shows at the top (GOV.UK pattern).

One list of ``SummaryItem`` (the message and the id of the field it is about), rendered by one
include, ``portal/_error_summary.html``: a box at the top of the page, focused when the page opens
(``autofocus`` without JavaScript, ``idx.js`` with it), each message a link to its field.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django import forms

from idx.procedures.definition import AnswerError, Definition
from idx.procedures.rendering import error_message, html_id, item_label


@dataclass(frozen=True)
class SummaryItem:
    html_id: str
    message: str


def summary_from_form(form: forms.Form) -> list[SummaryItem]:
    """One line per error of a bound Django form, each linking to its field (form-wide ones to the first)."""
    items: list[SummaryItem] = []
    fields = list(form)
    for field in fields:
        for error in field.errors:
            items.append(SummaryItem(field.id_for_label, f"{field.label}: {error}"))
    first = fields[0].id_for_label if fields else ""
    for error in form.non_field_errors():
        items.append(SummaryItem(first, str(error)))
    return items


def summary_from_answers(definition: Definition, errors: Iterable[AnswerError]) -> list[SummaryItem]:
    """One line per problem with the answers of a procedure's form, linking to the question."""
    return [
        SummaryItem(
            html_id(error.path),
            error_message(
                error,
                definition.item(error.path),
                item_label(definition, definition.item(error.path), error.path),
            ),
        )
        for error in errors
    ]


def summary_of(errors: dict[str, Any]) -> list[SummaryItem]:
    """``{html id: message}`` (in page order) as summary lines; empty messages are left out."""
    return [SummaryItem(field_id, str(message)) for field_id, message in errors.items() if message]
