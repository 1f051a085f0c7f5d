"""Reads of surveys: lists, one survey, results counted per question and choice, CSV rows.

Small counts are never published. With ``suppress=True`` (the public results page, the public
API and the open dataset) every count below the survey's ``small_count_threshold`` (5 unless
staff set more) that is not 0 is hidden and shown as "fewer than 5": a choice, a question's
number of respondents, the survey's total. When a question has fewer respondents than the
threshold, all its counts and its average are hidden. When a single choice of a one-answer
question (single, scale) would be hidden, the next smallest is hidden too, so the hidden one
cannot be worked out by subtraction from the question's total. Free text is never published.
"""

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
    suppressed: bool = False  # a small count: shown as "fewer than N", its share not at all

    @property
    def share_text(self) -> str:
        return "" if self.suppressed else f"{self.share:.1f}%"

    @property
    def shown_count(self) -> int | None:
        return None if self.suppressed else self.count


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
    answered_suppressed: bool = False

    @property
    def chart_height(self) -> int:
        return 44 * len(self.choices) + 4


@dataclass
class SurveyResults:
    survey: Survey
    total: int
    questions: list[QuestionResult]
    threshold: int = 0  # 0: exact counts (staff); else counts below it are hidden
    total_suppressed: bool = False


def _is_small(count: int, threshold: int) -> bool:
    return 0 < count < threshold


def suppressed(results: SurveyResults, threshold: int) -> SurveyResults:
    """The same results with every small count hidden (the rule in this module's docstring)."""
    results.threshold = threshold
    results.total_suppressed = _is_small(results.total, threshold)
    for question in results.questions:
        question.texts = []
        if question.answered < threshold:
            question.answered_suppressed = question.answered > 0
            question.mean = question.median = None
            for choice in question.choices:
                choice.suppressed = choice.count > 0 or question.answered > 0
            continue
        for choice in question.choices:
            choice.suppressed = _is_small(choice.count, threshold)
        hidden = [c for c in question.choices if c.suppressed]
        if question.kind in ("single", "scale") and len(hidden) == 1:
            others = sorted((c for c in question.choices if not c.suppressed), key=lambda c: c.count)
            if others:
                others[0].suppressed = True
    return results


def _choice_options(question: Question) -> list[tuple[Any, str]]:
    if question.kind == "multiple":
        return [(child.field, pick(child.label)) for child in question.item.children]
    return [(option["value"], pick(option["label"])) for option in question.item.options]


def survey_results(survey: Survey, *, with_texts: bool = False, suppress: bool = False) -> SurveyResults:
    """Counts and shares per question and choice; free text only ``with_texts`` (staff);
    small counts hidden with ``suppress`` (whatever is published)."""
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
    found = SurveyResults(survey=survey, total=len(answers_list), questions=results)
    return suppressed(found, survey.small_count_threshold) if suppress else found


def results_csv_rows(survey: Survey) -> list[list[object]]:
    """The published counts in Japanese: one row per question and choice (free text never)."""
    with translation.override("ja"):
        return list(_results_rows(survey))


def _results_rows(survey: Survey) -> Iterator[list[object]]:
    results = survey_results(survey, suppress=True)
    fewer = f"{results.threshold}未満"

    def shown(count: int, hidden: bool) -> object:
        return fewer if hidden else count

    total = shown(results.total, results.total_suppressed)
    yield ["設問番号", "設問", "選択肢", "回答数", "割合（%）", "設問の回答者数", "全回答数"]
    for number, question in enumerate(results.questions, start=1):
        if question.kind == "text":
            continue
        answered = shown(question.answered, question.answered_suppressed)
        if question.kind == "number":
            yield [
                number,
                question.label,
                "平均",
                question.mean if question.mean is not None else "",
                "",
                answered,
                total,
            ]
            continue
        for choice in question.choices:
            yield [
                number,
                question.label,
                choice.label,
                shown(choice.count, choice.suppressed),
                "" if choice.suppressed else f"{choice.share:.1f}",
                answered,
                total,
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
