"""Answer rows of an application, with attachment names filled in."""

from __future__ import annotations

import re
from dataclasses import dataclass

from idx.applications.models import Application, CorrectionRound
from idx.common.dates import uses_full_width_punctuation
from idx.procedures.rendering import AnswerRow, answer_rows_for


def attachment_names(application: Application) -> dict[str, str]:
    return dict(application.attachments.values_list("public_id", "original_name"))


def answer_rows(application: Application) -> list[AnswerRow]:
    return answer_rows_for(
        application.procedure_version.parsed, application.answers, attachment_names(application)
    )


_ENTRY = re.compile(r"^(\d+)\. (.+)$")


def contextual_labels(rows: list[AnswerRow]) -> dict[str, str]:
    """Each answer's label with its group where one alone is ambiguous: 養育している児童 2：生年月日
    rather than 2. 生年月日 (for lists of items outside their table: summaries, errors, the diff)."""
    colon = "：" if uses_full_width_punctuation() else ": "
    labels: dict[str, str] = {}
    group = ""
    for row in rows:
        if row.is_group or row.depth == 0:
            group = row.label if row.is_group else ""
            labels[row.path] = row.label
            continue
        entry = _ENTRY.match(row.label)
        if group and entry:
            labels[row.path] = f"{group} {entry.group(1)}{colon}{entry.group(2)}"
        elif group:
            labels[row.path] = f"{group}{colon}{row.label}"
        else:
            labels[row.path] = row.label
    return labels


@dataclass(frozen=True)
class CorrectionItem:
    """One item of a correction request, as staff read it: the note, and (after resubmission)
    the answer before and after in words (dates as dates, options as labels, はい/いいえ)."""

    path: str
    label: str
    note: str
    before: str
    after: str | None  # None while the resident has not resubmitted

    @property
    def changed(self) -> bool:
        return self.after is not None and self.after != self.before


def correction_items(application: Application, round_: CorrectionRound) -> list[CorrectionItem]:
    """The flagged items of a correction round in the order of the form."""
    definition = application.procedure_version.parsed
    names = attachment_names(application)
    before_rows = answer_rows_for(definition, round_.answers_before, names)
    labels = contextual_labels(before_rows)
    before = {row.path: row for row in before_rows}
    after = (
        {row.path: row for row in answer_rows_for(definition, round_.answers_after, names)}
        if round_.answers_after is not None
        else None
    )
    order = list(before) + [path for path in (after or {}) if path not in before]
    paths = sorted(round_.notes, key=lambda path: order.index(path) if path in order else len(order))
    items = []
    for path in paths:
        row = before.get(path) or (after or {}).get(path)
        items.append(
            CorrectionItem(
                path=path,
                label=labels.get(path) or (row.label if row else path),
                note=str(round_.notes[path]),
                before=before[path].value if path in before else "—",
                after=None if after is None else (after[path].value if path in after else "—"),
            )
        )
    return items
