"""Bulk import as staff read it (pages and API): a run's refusal and each row's problem, worded in
the active language (Japanese or English)."""

from __future__ import annotations

from dataclasses import dataclass

from idx.imports.models import ImportRowError, ImportRun
from idx.imports.reading import REFUSALS
from idx.imports.rows import RowProblem, problem_text


@dataclass(frozen=True)
class ProblemLine:
    row: int
    column: str
    code: str
    message: str


def refusal_text(run: ImportRun) -> str:
    """Why the whole file was refused, or blank."""
    if not run.refusal or run.refusal not in REFUSALS:
        return ""
    text = str(REFUSALS[run.refusal])
    try:
        return text % run.refusal_params if run.refusal_params else text
    except (KeyError, TypeError, ValueError):
        return text


def problem_lines(run: ImportRun, errors: list[ImportRowError]) -> list[ProblemLine]:
    definition = (
        run.source.procedure.published_version.parsed if run.source.procedure.published_version else None
    )
    return [
        ProblemLine(
            row=error.row,
            column=error.column,
            code=error.code,
            message=problem_text(
                definition, RowProblem(error.row, error.column, error.path, error.code, error.params)
            ),
        )
        for error in errors
    ]
