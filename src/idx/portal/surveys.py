"""Resident pages of Surveys: the open surveys, answering one (rendered by the procedure
engine, all questions on one page), a thank-you page, and published results."""

from __future__ import annotations

from typing import Any

from django.http import Http404
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import URLPattern, path, reverse
from django.utils import translation
from django.utils.http import urlencode

from idx.common.i18n import pick
from idx.procedures.definition import AnswerError, Definition
from idx.procedures.rendering import answers_from_form, error_message, html_id, item_label, step_fields
from idx.surveys import selectors, services
from idx.surveys.definition import parsed
from idx.surveys.models import Survey, SurveyStatus
from idx.web.http import IdxRequest
from idx.web.summary import SummaryItem


def survey_list(request: IdxRequest) -> HttpResponseBase:
    surveys = list(selectors.surveys_public(municipality=request.municipality).order_by("-opens_on"))
    return render(
        request,
        "portal/surveys/list.html",
        {
            "open_surveys": [s for s in surveys if selectors.is_taking_answers(s)],
            "published": [s for s in surveys if s.status == SurveyStatus.PUBLISHED],
        },
    )


def _survey(request: IdxRequest, code: str) -> Survey:
    survey = selectors.survey_public_get(municipality=request.municipality, code=code)
    if survey is None:
        raise Http404
    return survey


def _form_context(
    survey: Survey, definition: Definition, answers: dict[str, Any], errors: list[AnswerError]
) -> dict[str, Any]:
    sections = [
        {"title": pick(step.title), "fields": step_fields(definition, step, answers, errors)}
        for step in definition.steps
    ]
    summary = [
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
    return {
        "survey": survey,
        "description": pick(survey.descriptions),
        "sections": sections,
        "error_summary": summary,
        "many_pages": len(sections) > 1,
    }


def survey_answer(request: IdxRequest, code: str) -> HttpResponseBase:
    survey = _survey(request, code)
    user = request.user if request.user.is_authenticated and request.user.is_resident else None
    if not selectors.is_taking_answers(survey):
        return render(request, "portal/surveys/closed.html", {"survey": survey}, status=410)
    if survey.signed and user is None:
        login = reverse("portal:login") + "?" + urlencode({"next": request.get_full_path()})
        return render(request, "portal/surveys/sign_in.html", {"survey": survey, "login_url": login})
    if selectors.has_answered(survey, user):
        return render(request, "portal/surveys/already.html", {"survey": survey}, status=409)
    definition = parsed(survey)
    answers: dict[str, Any] = {}
    errors: list[AnswerError] = []
    status = 200
    if request.method == "POST":
        data = request.POST.dict()
        for step in definition.steps:
            answers.update(answers_from_form(step, data, answers))
        try:
            services.response_submit(
                survey=survey, resident=user, answers=answers, language=translation.get_language() or "ja"
            )
        except services.AnswersInvalid as exc:
            errors, status = exc.errors, 422
        except services.SurveyError as exc:
            if exc.code == "already_answered":
                return render(request, "portal/surveys/already.html", {"survey": survey}, status=409)
            return render(request, "portal/surveys/closed.html", {"survey": survey}, status=410)
        else:
            return redirect("portal:survey_thanks", code=survey.code)
    return render(
        request,
        "portal/surveys/answer.html",
        _form_context(survey, definition, answers, errors),
        status=status,
    )


def survey_thanks(request: IdxRequest, code: str) -> HttpResponseBase:
    return render(request, "portal/surveys/thanks.html", {"survey": _survey(request, code)})


def survey_results(request: IdxRequest, code: str) -> HttpResponseBase:
    survey = _survey(request, code)
    if survey.status != SurveyStatus.PUBLISHED:
        raise Http404
    return render(
        request, "portal/surveys/results.html", {"results": selectors.survey_results(survey, suppress=True)}
    )


urlpatterns: list[URLPattern] = [
    path("surveys/", survey_list, name="survey_list"),
    path("surveys/<slug:code>/", survey_answer, name="survey_answer"),
    path("surveys/<slug:code>/thanks/", survey_thanks, name="survey_thanks"),
    path("surveys/<slug:code>/results/", survey_results, name="survey_results"),
]
