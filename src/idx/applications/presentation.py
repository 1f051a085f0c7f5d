"""Answer rows of an application, with attachment names filled in."""

from __future__ import annotations

from idx.applications.models import Application
from idx.procedures.rendering import AnswerRow, answer_rows_for


def attachment_names(application: Application) -> dict[str, str]:
    return dict(application.attachments.values_list("public_id", "original_name"))


def answer_rows(application: Application) -> list[AnswerRow]:
    return answer_rows_for(
        application.procedure_version.parsed, application.answers, attachment_names(application)
    )
