"""Surveys in the JSON API.

Public (no sign-in): the surveys residents can see, a survey's questions (its definition, as the
procedure engine reads it), answering (a signed survey needs a signed-in resident and takes one
answer each: ``already_answered``), the published results. Staff (MANAGE_SURVEYS): a survey's
results with the free-text answers.

Added to the API by ``idx.api.v1`` after its own routers.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest
from django.utils import translation
from ninja import Field, Router, Schema
from ninja.errors import HttpError
from ninja.responses import Status

from idx.api.base import ApiProblem, ApiRequest, ErrorItem, ErrorOut, SessionAuth, TokenAuth, require_staff
from idx.common.i18n import pick
from idx.identity.policy import Action, can
from idx.procedures.rendering import error_message, item_label
from idx.surveys import selectors, services
from idx.surveys.definition import parsed
from idx.surveys.models import Survey, SurveyStatus

router: Router = Router(tags=["surveys"], auth=None)
staff: Router = Router(tags=["staff"])


class SurveyOut(Schema):
    code: str
    title: str
    titles: dict[str, str]
    description: str
    opens_on: dt.date
    closes_on: dt.date
    signed: bool = Field(description="signed-in residents only, one answer each")
    status: str = Field(description="open, closed or published")
    taking_answers: bool


class SurveyQuestionsOut(SurveyOut):
    definition: dict[str, Any] = Field(
        description="schema (JSON Schema 2020-12) and steps, as in a procedure"
    )


class SurveyAnswerIn(Schema):
    answers: dict[str, Any] = Field(description="keyed by question field (q1, q2, …)")


class SurveyAnswerOut(Schema):
    survey: str
    received_at: dt.datetime


class ChoiceOut(Schema):
    value: str
    label: str
    count: int | None = Field(description="null when hidden as a small count (see ResultsOut.threshold)")
    share: float | None = Field(description="percent of those who answered the question; null when hidden")
    suppressed: bool = Field(default=False, description="a small count, published as 'fewer than threshold'")


class QuestionResultOut(Schema):
    field: str
    label: str
    kind: str = Field(description="single, multiple, scale, number or text")
    answered: int | None = Field(description="null when fewer than the threshold answered the question")
    choices: list[ChoiceOut]
    mean: float | None = None
    median: float | None = None
    texts: list[str] = Field(default_factory=list, description="free text: staff only")


class ResultsOut(Schema):
    survey: str
    title: str
    total: int | None = Field(description="null when fewer than the threshold answered")
    threshold: int = Field(
        description="published results hide every count from 1 to threshold-1 (0: exact counts, staff)"
    )
    questions: list[QuestionResultOut]


def _survey_out(survey: Survey) -> dict[str, Any]:
    return {
        "code": survey.code,
        "title": pick(survey.titles),
        "titles": survey.titles,
        "description": pick(survey.descriptions),
        "opens_on": survey.opens_on,
        "closes_on": survey.closes_on,
        "signed": survey.signed,
        "status": survey.status,
        "taking_answers": selectors.is_taking_answers(survey),
    }


def _results_out(survey: Survey, *, with_texts: bool) -> dict[str, Any]:
    """Staff (``with_texts``) get exact counts; anyone else the published ones, small counts hidden."""
    results = selectors.survey_results(survey, with_texts=with_texts, suppress=not with_texts)
    return {
        "survey": survey.code,
        "title": pick(survey.titles),
        "total": None if results.total_suppressed else results.total,
        "threshold": results.threshold,
        "questions": [
            {
                "field": q.field,
                "label": q.label,
                "kind": q.kind,
                "answered": None if q.answered_suppressed else q.answered,
                "choices": [
                    {
                        "value": str(c.value),
                        "label": c.label,
                        "count": c.shown_count,
                        "share": None if c.suppressed else round(c.share, 1),
                        "suppressed": c.suppressed,
                    }
                    for c in q.choices
                ],
                "mean": q.mean,
                "median": q.median,
                "texts": q.texts,
            }
            for q in results.questions
        ],
    }


def _public(request: ApiRequest, code: str) -> Survey:
    survey = selectors.survey_public_get(municipality=request.municipality, code=code)
    if survey is None:
        raise HttpError(404, "No such survey.")
    return survey


@router.get("/surveys", response=list[SurveyOut])
def list_surveys(request: ApiRequest) -> Any:
    """Open, closed and published surveys (never drafts), newest first."""
    return [_survey_out(s) for s in selectors.surveys_public(municipality=request.municipality)[:200]]


@router.get("/surveys/{code}", response={200: SurveyQuestionsOut, 404: ErrorOut})
def get_survey(request: ApiRequest, code: str) -> Any:
    survey = _public(request, code)
    return {**_survey_out(survey), "definition": survey.definition}


def _anyone(request: HttpRequest) -> Any:
    """Anonymous surveys take answers without sign-in: the last of the authentications."""
    return request  # truthy: lets the request through with ``request.auth`` unset as a user


@router.post(
    "/surveys/{code}/answers",
    response={201: SurveyAnswerOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut},
    auth=[TokenAuth(), SessionAuth(), _anyone],
)
def answer_survey(request: ApiRequest, code: str, payload: SurveyAnswerIn) -> Any:
    survey = _public(request, code)
    user = request.auth if getattr(request.auth, "is_resident", False) else None
    try:
        response = services.response_submit(
            survey=survey, resident=user, answers=payload.answers, language=translation.get_language() or "ja"
        )
    except services.AnswersInvalid as exc:
        definition = parsed(survey)
        items = [
            ErrorItem(
                path=e.path,
                code=e.code,
                message=error_message(
                    e, definition.item(e.path), item_label(definition, definition.item(e.path), e.path)
                ),
            )
            for e in exc.errors
        ]
        raise ApiProblem(422, "answers_invalid", exc.text(), items) from exc
    return Status(201, {"survey": survey.code, "received_at": response.created_at})


@router.get("/surveys/{code}/results", response={200: ResultsOut, 404: ErrorOut})
def published_results(request: ApiRequest, code: str) -> Any:
    """Counts per question and choice once the city has published them (free text never)."""
    survey = _public(request, code)
    if survey.status != SurveyStatus.PUBLISHED:
        raise HttpError(404, "The results are not published.")
    return _results_out(survey, with_texts=False)


@staff.get("/surveys/{code}/results", response={200: ResultsOut, 404: ErrorOut})
def staff_results(request: ApiRequest, code: str) -> Any:
    """Results at any time, free text included (MANAGE_SURVEYS on the survey's department)."""
    user = require_staff(request)
    survey = selectors.survey_get(municipality=request.municipality, code=code)
    if survey is None or not can(user, Action.MANAGE_SURVEYS, survey.department):
        raise HttpError(404, "Not found.")
    return _results_out(survey, with_texts=True)
