"""Reads of surveys: lists, one survey, results counted per question and choice, CSV rows."""

from __future__ import annotations

import datetime as dt
import statistics
from collections.abc import Iterator
from dataclasses import dataclass
from dataclasses import field as dc_field
from typing import Any

from django.db.models import Count, QuerySet
from django.utils import timezone, translation

from idx.common.i18n import pick
from idx.common.models import Municipality
from idx.identity.models import User
from idx.procedures.rendering import display_value
from idx.surveys.definition import Question, parsed, questions_of
from idx.surveys.models import Survey, SurveyResponse, SurveyStatus


def surveys_for_staff(*, municipality: Municipality) -> QuerySet[Survey]:
    return (
        Survey.objects.filter(municipality=municipality)
        .select_related("department")
        .annotate(answer_count=Count("responses"))
        .order_by("-opens_on", "code")
    )


def survey_get(*, municipality: Municipality, code: str) -> Survey | None:
    return Survey.objects.filter(municipality=municipality, code=code).select_related("department").first()


def surveys_open(*, municipality: Municipality, today: dt.date | None = None) -> QuerySet[Survey]:
    today = today or timezone.localdate()
    return Survey.objects.filter(
        municipality=municipality, status=SurveyStatus.OPEN, opens_on__lte=today, closes_on__gte=today
    ).select_related("department")


def surveys_public(*, municipality: Municipality) -> QuerySet[Survey]:
    """Surveys a resident may see: open, closed or with published results (never drafts)."""
    return (
        Survey.objects.filter(municipality=municipality)
        .exclude(status=SurveyStatus.DRAFT)
        .select_related("department")
    )


def survey_public_get(*, municipality: Municipality, code: str) -> Survey | None:
    return surveys_public(municipality=municipality).filter(code=code).first()


def is_taking_answers(survey: Survey, today: dt.date | None = None) -> bool:
    today = today or timezone.localdate()
    return survey.status == SurveyStatus.OPEN and survey.opens_on <= today <= survey.closes_on


def has_answered(survey: Survey, user: User | None) -> bool:
    if not survey.signed or user is None or not user.is_authenticated:
        return False
    return SurveyResponse.objects.filter(survey=survey, resident=user).exists()


@dataclass
class ChoiceCount:
    value: Any
    label: str
    count: int
    share: float  # 0–100, of the respondents who answered the question

    @property
    def share_text(self) -> str:
        return f"{self.share:.1f}%"


@dataclass
class QuestionResult:
    field: str
    label: str
    kind: str
    answered: int
    choices: list[ChoiceCount] = dc_field(default_factory=list)
    texts: list[str] = dc_field(default_factory=list)
    mean: float | None = None
    median: float | None = None

    @property
    def chart_height(self) -> int:
        return 44 * len(self.choices) + 4


@dataclass
class SurveyResults:
    survey: Survey
    total: int
    questions: list[QuestionResult]


def _choice_options(question: Question) -> list[tuple[Any, str]]:
    if question.kind == "multiple":
        return [(child.field, pick(child.label)) for child in question.item.children]
    return [(option["value"], pick(option["label"])) for option in question.item.options]


def survey_results(survey: Survey, *, with_texts: bool = False) -> SurveyResults:
    """Counts and shares per question and choice; free text only ``with_texts`` (staff)."""
    questions = questions_of(parsed(survey))
    answers_list = list(
        SurveyResponse.objects.filter(municipality=survey.municipality, survey=survey).values_list(
            "answers", flat=True
        )
    )
    results: list[QuestionResult] = []
    for question in questions:
        values = [answers.get(question.field) for answers in answers_list]
        given = [v for v in values if v not in (None, "", {}) and v is not False]
        if question.kind == "multiple":
            given = [v for v in given if isinstance(v, dict) and any(v.values())]
        result = QuestionResult(
            field=question.field, label=pick(question.item.label), kind=question.kind, answered=len(given)
        )
        if question.kind in ("single", "scale", "multiple"):
            for value, label in _choice_options(question):
                if question.kind == "multiple":
                    count = sum(1 for v in given if isinstance(v, dict) and v.get(value) is True)
                else:
                    count = sum(1 for v in given if v == value)
                share = 100.0 * count / len(given) if given else 0.0
                result.choices.append(ChoiceCount(value=value, label=label, count=count, share=share))
        elif question.kind == "number":
            numbers = [v for v in given if isinstance(v, (int, float)) and not isinstance(v, bool)]
            if numbers:
                result.mean = round(statistics.fmean(numbers), 1)
                result.median = float(statistics.median(numbers))
        elif question.kind == "text" and with_texts:
            result.texts = [str(v) for v in given]
        results.append(result)
    return SurveyResults(survey=survey, total=len(answers_list), questions=results)


def results_csv_rows(survey: Survey) -> list[list[object]]:
    """The published counts in Japanese: one row per question and choice (free text never)."""
    with translation.override("ja"):
        return list(_results_rows(survey))


def _results_rows(survey: Survey) -> Iterator[list[object]]:
    results = survey_results(survey)
    yield ["設問番号", "設問", "選択肢", "回答数", "割合（%）", "設問の回答者数", "全回答数"]
    for number, question in enumerate(results.questions, start=1):
        if question.kind == "text":
            continue
        if question.kind == "number":
            yield [
                number,
                question.label,
                "平均",
                question.mean if question.mean is not None else "",
                "",
                question.answered,
                results.total,
            ]
            continue
        for choice in question.choices:
            yield [
                number,
                question.label,
                choice.label,
                choice.count,
                f"{choice.share:.1f}",
                question.answered,
                results.total,
            ]


def answers_csv_rows(survey: Survey) -> Iterator[list[object]]:
    """Every answer, one row each, the answers as a person reads them (staff download)."""
    definition = parsed(survey)
    questions = questions_of(definition)
    yield ["回答番号", "回答日時", "言語", *[pick(q.item.label, "ja") for q in questions]]
    responses = SurveyResponse.objects.filter(municipality=survey.municipality, survey=survey).order_by("pk")
    for number, response in enumerate(responses.iterator(), start=1):
        cells: list[object] = [
            number,
            timezone.localtime(response.created_at).strftime("%Y-%m-%d %H:%M"),
            response.language,
        ]
        with translation.override("ja"):
            for question in questions:
                value = response.answers.get(question.field)
                if question.kind == "multiple":
                    chosen = value if isinstance(value, dict) else {}
                    cells.append(
                        "、".join(pick(c.label) for c in question.item.children if chosen.get(c.field))
                    )
                elif value is None:
                    cells.append("")
                else:
                    cells.append(display_value(question.item, value))
        yield cells
