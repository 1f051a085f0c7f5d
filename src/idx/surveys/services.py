"""Writes of surveys: create, open, close, answer, publish the results (each audited)."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Mapping, Sequence
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from idx.audit.services import audit_record
from idx.common.dates import format_date
from idx.common.errors import DomainError
from idx.common.models import Municipality
from idx.identity.models import Department, User
from idx.procedures.definition import AnswerError, DefinitionError, is_visible, validate_answers
from idx.surveys.definition import build_definition, parsed
from idx.surveys.models import (
    SMALL_COUNT_DEFAULT,
    SMALL_COUNT_MAX,
    SMALL_COUNT_MIN,
    Survey,
    SurveyResponse,
    SurveyStatus,
)

log = logging.getLogger(__name__)


class SurveyError(DomainError):
    code = "survey_refused"
    http_status = 409


class AnswersInvalid(DomainError):
    """The answers break the survey's rules; ``errors`` names each question."""

    code = "answers_invalid"
    http_status = 422

    def __init__(self, errors: list[AnswerError]):
        super().__init__(message=_("Check your answers."), field=errors[0].path if errors else None)
        self.errors = errors


def survey_create(
    *,
    municipality: Municipality,
    department: Department,
    actor: User | None,
    code: str,
    titles: Mapping[str, str],
    descriptions: Mapping[str, str],
    opens_on: dt.date,
    closes_on: dt.date,
    signed: bool,
    questions: Sequence[Mapping[str, Any]] | None = None,
    definition: Mapping[str, Any] | None = None,
    small_count_threshold: int = SMALL_COUNT_DEFAULT,
) -> Survey:
    """A draft survey from ready-made questions (or a definition's ``schema`` and ``steps``)."""
    _check_settings(opens_on, closes_on, small_count_threshold)
    if Survey.objects.filter(municipality=municipality, code=code).exists():
        raise SurveyError(message=_("A survey with this code exists already."), field="code")
    body = dict(definition) if definition is not None else build_definition(questions or [])
    survey = Survey(
        municipality=municipality,
        department=department,
        code=code,
        titles=dict(titles),
        descriptions=dict(descriptions),
        opens_on=opens_on,
        closes_on=closes_on,
        signed=signed,
        definition=body,
        small_count_threshold=small_count_threshold,
    )
    parsed(survey)  # DefinitionError (422, naming the problems) when the engine refuses it
    with transaction.atomic():
        survey.save()
        audit_record(
            municipality=municipality,
            actor=actor,
            action="survey.create",
            target_type="survey",
            target_id=survey.pk,
            after={"code": code, "signed": signed},
        )
    return survey


def _check_settings(opens_on: dt.date, closes_on: dt.date, threshold: int) -> None:
    if closes_on < opens_on:
        raise SurveyError(
            message=_("The closing date must be on or after the opening date."), field="closes_on"
        )
    if not SMALL_COUNT_MIN <= threshold <= SMALL_COUNT_MAX:
        raise SurveyError(
            message=_("Hide counts below a number from %(min)s to %(max)s.")
            % {"min": SMALL_COUNT_MIN, "max": SMALL_COUNT_MAX},
            field="small_count_threshold",
        )


def _draft_locked(survey: Survey) -> Survey:
    locked = Survey.objects.select_for_update().get(pk=survey.pk, municipality=survey.municipality)
    if locked.status != SurveyStatus.DRAFT:
        raise SurveyError(
            code="survey_not_draft",
            message=_("Only a draft survey can be changed: its answers stay on its questions."),
            field="status",
        )
    return locked


def survey_update(
    *,
    survey: Survey,
    actor: User | None,
    titles: Mapping[str, str],
    descriptions: Mapping[str, str],
    opens_on: dt.date,
    closes_on: dt.date,
    signed: bool,
    small_count_threshold: int,
) -> Survey:
    """Change a draft survey's texts and settings (never once it takes answers)."""
    _check_settings(opens_on, closes_on, small_count_threshold)
    with transaction.atomic():
        locked = _draft_locked(survey)
        before = {"titles": locked.titles, "signed": locked.signed}
        locked.titles, locked.descriptions = dict(titles), dict(descriptions)
        locked.opens_on, locked.closes_on = opens_on, closes_on
        locked.signed, locked.small_count_threshold = signed, small_count_threshold
        locked.save()
        audit_record(
            municipality=locked.municipality,
            actor=actor,
            action="survey.update",
            target_type="survey",
            target_id=locked.pk,
            before=before,
            after={"titles": locked.titles, "signed": signed},
        )
    return locked


def survey_definition_save(*, survey: Survey, actor: User | None, definition: Mapping[str, Any]) -> Survey:
    """Store a draft survey's questions (``schema`` and ``steps``) as the visual builder edits them.

    The engine checks them first (DefinitionError); a survey taking answers is never changed.
    """
    with transaction.atomic():
        locked = _draft_locked(survey)
        locked.definition = {"schema": definition["schema"], "steps": definition["steps"]}
        parsed(locked)
        locked.save(update_fields=["definition", "updated_at"])
        audit_record(
            municipality=locked.municipality,
            actor=actor,
            action="survey.questions",
            target_type="survey",
            target_id=locked.pk,
        )
    return locked


def _transition(survey: Survey, actor: User | None, allowed: tuple[str, ...], to: str, action: str) -> Survey:
    with transaction.atomic():
        locked = Survey.objects.select_for_update().get(pk=survey.pk, municipality=survey.municipality)
        if locked.status not in allowed:
            raise SurveyError(message=_("The survey is not in a state that allows this."), field="status")
        before = locked.status
        locked.status = to
        if to == SurveyStatus.PUBLISHED:
            locked.results_published_at = timezone.now()
        locked.save(update_fields=["status", "results_published_at", "updated_at"])
        audit_record(
            municipality=locked.municipality,
            actor=actor,
            action=action,
            target_type="survey",
            target_id=locked.pk,
            before={"status": before},
            after={"status": to},
        )
    return locked


def survey_open(*, survey: Survey, actor: User | None) -> Survey:
    return _transition(survey, actor, (SurveyStatus.DRAFT,), SurveyStatus.OPEN, "survey.open")


def survey_close(*, survey: Survey, actor: User | None) -> Survey:
    return _transition(survey, actor, (SurveyStatus.OPEN,), SurveyStatus.CLOSED, "survey.close")


def survey_publish_results(*, survey: Survey, actor: User | None) -> Survey:
    """Results become public, and their counts an open dataset (after the commit; free text never)."""
    published = _transition(survey, actor, (SurveyStatus.CLOSED,), SurveyStatus.PUBLISHED, "survey.publish")
    survey_dataset_put(survey=published)
    return published


def survey_dataset_put(*, survey: Survey) -> None:
    """The aggregated counts per question and choice as an open dataset (CSV)."""
    from idx.common.spreadsheet import csv_text
    from idx.opendata.services import GeneratedFile, generated_dataset_put
    from idx.surveys.selectors import results_csv_rows

    content = csv_text(results_csv_rows(survey), bom=True).encode("utf-8")
    try:
        generated_dataset_put(
            municipality=survey.municipality,
            name=f"survey-{survey.code}"[:100],
            titles={
                "ja": f"アンケート結果：{survey.titles.get('ja', survey.code)}",
                "en": f"Survey results: {survey.titles.get('en') or survey.titles.get('ja', survey.code)}",
            },
            descriptions={
                "ja": (
                    "設問ごと・選択肢ごとの回答数と割合です。自由記述は掲載していません。"
                    f"回答者を守るため、{survey.small_count_threshold}件未満の数は"
                    f"「{survey.small_count_threshold}未満」と表示し、引き算で分からないよう"
                    "必要に応じてほかの小さな数も伏せています。"
                ),
                "en": (
                    "Answers per question and choice, with their shares. Free-text answers are not "
                    f"published. To protect respondents, a count below {survey.small_count_threshold} "
                    f"is shown as “{survey.small_count_threshold}未満” (fewer than "
                    f"{survey.small_count_threshold}), and another small count is hidden when "
                    "subtraction would reveal it."
                ),
            },
            department=survey.department,
            theme="administration",
            tags=["アンケート", "市民参加"],
            license_id="cc-by-4.0",
            frequency="IRREG",
            files=[
                GeneratedFile(
                    names={"ja": "設問別集計（CSV）", "en": "Counts per question (CSV)"},
                    filename=f"survey-{survey.code}-results.csv",
                    format="CSV",
                    content=content,
                )
            ],
        )
    except Exception:  # the results stay published; the dataset can be put again
        log.exception("could not publish the open dataset of survey %s", survey.pk)


def _refusal(survey: Survey, resident: User | None, today: dt.date) -> SurveyError | None:
    if survey.status != SurveyStatus.OPEN or not survey.opens_on <= today <= survey.closes_on:
        return SurveyError(
            code="survey_closed",
            message=_("This survey takes answers from %(opens)s to %(closes)s."),
            params={"opens": format_date(survey.opens_on), "closes": format_date(survey.closes_on)},
        )
    if survey.signed and (resident is None or not resident.is_resident):
        return SurveyError(code="sign_in_required", message=_("Sign in to answer this survey."))
    return None


def response_submit(
    *, survey: Survey, resident: User | None, answers: Mapping[str, Any], language: str = "ja"
) -> SurveyResponse:
    """Store one answer. Anonymous surveys store no account; signed ones take one per resident."""
    refusal = _refusal(survey, resident, timezone.localdate())
    if refusal is not None:
        raise refusal
    definition = parsed(survey)
    # What a condition hides is not kept (an answer to a question the resident never saw).
    kept = {
        item.field: answers[item.field]
        for step in definition.steps
        for item in step.items
        if item.field in answers and is_visible(item, answers)
    }
    errors = validate_answers(definition, kept)
    if errors:
        raise AnswersInvalid(errors)
    who = resident if survey.signed else None
    if who is not None and SurveyResponse.objects.filter(survey=survey, resident=who).exists():
        raise _already()
    try:
        with transaction.atomic():
            response = SurveyResponse.objects.create(
                municipality=survey.municipality, survey=survey, resident=who, answers=kept, language=language
            )
            audit_record(
                municipality=survey.municipality,
                actor=who,
                action="survey.answer",
                target_type="survey",
                target_id=survey.pk,
            )
    except IntegrityError as exc:  # a second tab at the same moment: the constraint decides
        raise _already() from exc
    return response


def _already() -> SurveyError:
    return SurveyError(
        code="already_answered", message=_("You have already answered this survey. Thank you.")
    )


__all__ = [
    "AnswersInvalid",
    "DefinitionError",
    "SurveyError",
    "response_submit",
    "survey_close",
    "survey_create",
    "survey_dataset_put",
    "survey_definition_save",
    "survey_open",
    "survey_publish_results",
    "survey_update",
]
