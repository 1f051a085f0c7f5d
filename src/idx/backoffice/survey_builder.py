"""A draft survey's questions in the visual builder: the procedure builder's pages and templates
(`idx.backoffice.procedure_builder`) over a survey's definition, through a DefinitionHolder.

Only kinds of question the results count are offered (choices, numbers, text), and conditions
("show question B only when A is X") are edited as in a procedure. Once a survey takes answers its
questions are fixed: the pages answer 404 and the survey's page no longer links here.
"""

from __future__ import annotations

from typing import Any

from django.http import Http404
from django.http.response import HttpResponse, HttpResponseBase
from django.urls import URLPattern, path, reverse
from django.utils.translation import gettext as _

from idx.backoffice import procedure_builder as pages
from idx.common.i18n import pick
from idx.identity.policy import Action, can
from idx.procedures.definition import DefinitionError
from idx.surveys import selectors, services
from idx.surveys.definition import SURVEY_ITEM_TYPES, engine_data
from idx.surveys.models import SurveyStatus
from idx.web.http import IdxRequest, staff_required


def survey_holder(request: IdxRequest, code: str) -> pages.DefinitionHolder:
    """A draft survey of the staff member's departments (else 404)."""
    survey = selectors.survey_get(municipality=request.municipality, code=code)
    if (
        survey is None
        or survey.status != SurveyStatus.DRAFT
        or not can(request.user, Action.MANAGE_SURVEYS, survey.department)
    ):
        raise Http404

    def load() -> dict[str, Any]:
        return engine_data(
            code=survey.code,
            titles=survey.titles,
            department_code=survey.department.code,
            definition=survey.definition,
        )

    def store(result: dict[str, Any]) -> str:
        try:
            services.survey_definition_save(survey=survey, actor=request.user, definition=result)
        except services.SurveyError as exc:
            raise DefinitionError([exc.text()]) from exc
        return _("The questions of the survey are saved.")

    return pages.DefinitionHolder(
        code=survey.code,
        name=_("Questions of “%(title)s”") % {"title": pick(survey.titles)},
        url_prefix="survey_builder",
        list_url=reverse("backoffice:survey_detail", args=[survey.code]),
        list_label=pick(survey.titles),
        load=load,
        store=store,
        item_types=SURVEY_ITEM_TYPES,
        intro=_(
            "The survey is a draft: changes are saved at once and residents see them when it starts "
            "taking answers. After that the questions cannot change."
        ),
    )


@staff_required
def overview(request: IdxRequest, code: str) -> HttpResponseBase:
    return pages.page_overview(request, survey_holder(request, code))


@staff_required
def action(request: IdxRequest, code: str) -> HttpResponseBase:
    return pages.page_action(request, survey_holder(request, code))


@staff_required
def add_item(request: IdxRequest, code: str) -> HttpResponseBase:
    return pages.page_add_item(request, survey_holder(request, code))


@staff_required
def item(request: IdxRequest, code: str, path: str) -> HttpResponseBase:
    return pages.page_item(request, survey_holder(request, code), path=path)


@staff_required
def move(request: IdxRequest, code: str, path: str) -> HttpResponseBase:
    return pages.page_move(request, survey_holder(request, code), path=path)


@staff_required
def delete_item(request: IdxRequest, code: str, path: str) -> HttpResponseBase:
    return pages.page_delete_item(request, survey_holder(request, code), path=path)


@staff_required
def step(request: IdxRequest, code: str, step_id: str = "") -> HttpResponseBase:
    return pages.page_step(request, survey_holder(request, code), step_id=step_id)


@staff_required
def delete_step(request: IdxRequest, code: str, step_id: str) -> HttpResponseBase:
    return pages.page_delete_step(request, survey_holder(request, code), step_id=step_id)


@staff_required
def preview(request: IdxRequest, code: str) -> HttpResponseBase:
    return pages.page_preview(request, survey_holder(request, code))


@staff_required
def easy_japanese(request: IdxRequest, code: str) -> HttpResponse:
    return pages.page_easy_japanese(request, survey_holder(request, code))


_BASE = "surveys/<slug:code>/builder/"

# Listed before the survey's other pages (surveys/<code>/<step>/ would take "builder").
urlpatterns: list[URLPattern] = [
    path(_BASE, overview, name="survey_builder"),
    path(_BASE + "action/", action, name="survey_builder_action"),
    path(_BASE + "add/", add_item, name="survey_builder_add"),
    path(_BASE + "steps/add/", step, name="survey_builder_step_add"),
    path(_BASE + "steps/<slug:step_id>/", step, name="survey_builder_step"),
    path(_BASE + "steps/<slug:step_id>/delete/", delete_step, name="survey_builder_step_delete"),
    path(_BASE + "items/<str:path>/", item, name="survey_builder_item"),
    path(_BASE + "items/<str:path>/move/", move, name="survey_builder_move"),
    path(_BASE + "items/<str:path>/delete/", delete_item, name="survey_builder_delete"),
    path(_BASE + "preview/", preview, name="survey_builder_preview"),
    path(_BASE + "easy-japanese/", easy_japanese, name="survey_builder_easyja"),
]
