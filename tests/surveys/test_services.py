"""Surveys: the engine accepts the questions, answers are checked and stored by the rules."""

from __future__ import annotations

import pytest

from idx.procedures.definition import parse
from idx.surveys import selectors, services
from idx.surveys.definition import build_definition, engine_data, parsed, questions_of
from idx.surveys.models import SurveyResponse, SurveyStatus
from tests.surveys.conftest import GOOD, QUESTIONS, make_survey

pytestmark = pytest.mark.django_db


def test_the_engine_accepts_every_question_kind():
    body = build_definition(QUESTIONS)
    definition = parse(
        engine_data(code="x1", titles={"ja": "題"}, department_code="kodomo-katei", definition=body)
    )
    kinds = [q.kind for q in questions_of(definition)]
    assert kinds == ["single", "multiple", "scale", "number", "text"]
    assert [item.widget for item in definition.items()][:3] == ["radio", "fieldset", "checkbox"]


def test_an_anonymous_answer_stores_no_account(open_survey, resident):
    response = services.response_submit(survey=open_survey, resident=resident, answers=GOOD)
    assert response.resident_id is None
    assert SurveyResponse.objects.get(pk=response.pk).answers["q3"] == 4


def test_answers_are_checked_by_the_engine(open_survey):
    with pytest.raises(services.AnswersInvalid) as caught:
        services.response_submit(survey=open_survey, resident=None, answers={"q3": 9, "q5": "x" * 1001})
    codes = {(e.path, e.code) for e in caught.value.errors}
    assert ("q1", "required") in codes and ("q3", "enum") in codes and ("q5", "maxLength") in codes


def test_signed_survey_needs_a_resident_and_takes_one_answer(signed_survey, resident):
    with pytest.raises(services.SurveyError) as caught:
        services.response_submit(survey=signed_survey, resident=None, answers=GOOD)
    assert caught.value.code == "sign_in_required"
    services.response_submit(survey=signed_survey, resident=resident, answers=GOOD)
    with pytest.raises(services.SurveyError) as caught:
        services.response_submit(survey=signed_survey, resident=resident, answers=GOOD)
    assert caught.value.code == "already_answered"
    assert SurveyResponse.objects.filter(survey=signed_survey).count() == 1


def test_the_unique_constraint_decides_between_two_tabs(signed_survey, resident, monkeypatch):
    """Two tabs both pass the "answered already?" check; the database keeps one answer."""
    monkeypatch.setattr(SurveyResponse.objects, "filter", SurveyResponse.objects.none().filter, raising=False)
    services.response_submit(survey=signed_survey, resident=resident, answers=GOOD)
    with pytest.raises(services.SurveyError) as caught:
        services.response_submit(survey=signed_survey, resident=resident, answers=GOOD)
    assert caught.value.code == "already_answered"
    monkeypatch.undo()
    assert SurveyResponse.objects.filter(survey=signed_survey, resident=resident).count() == 1


def test_closed_and_draft_surveys_refuse_answers(iga):
    for code, status in (("closed1", SurveyStatus.CLOSED), ("draft1", SurveyStatus.DRAFT)):
        survey = make_survey(iga, code=code, status=status)
        with pytest.raises(services.SurveyError) as caught:
            services.response_submit(survey=survey, resident=None, answers=GOOD)
        assert caught.value.code == "survey_closed"


def test_hidden_answers_are_not_kept(iga):
    questions = [
        {
            "kind": "single",
            "label": {"ja": "使いますか"},
            "choices": [{"ja": "はい"}, {"ja": "いいえ"}],
            "required": True,
        },
        {"kind": "text", "label": {"ja": "理由"}, "when": {"field": "q1", "equals": "c2"}},
    ]
    survey = make_survey(iga, code="cond", questions=questions)
    response = services.response_submit(survey=survey, resident=None, answers={"q1": "c1", "q2": "見えない"})
    assert response.answers == {"q1": "c1"}


def test_results_count_and_share(open_survey):
    services.response_submit(survey=open_survey, resident=None, answers=GOOD)
    services.response_submit(survey=open_survey, resident=None, answers={**GOOD, "q1": "c2", "q4": 30})
    results = selectors.survey_results(open_survey, with_texts=True)
    q1 = results.questions[0]
    assert results.total == 2 and [c.count for c in q1.choices] == [1, 1, 0]
    assert q1.choices[0].share_text == "50.0%"
    assert results.questions[1].choices[0].count == 2
    assert results.questions[3].mean == 36.0
    assert results.questions[4].texts == ["申請が楽になりました"] * 2
    assert selectors.survey_results(open_survey).questions[4].texts == []


def test_surveys_are_kept_apart_per_municipality(iga, watarai):
    mine = make_survey(iga, code="same")
    theirs = make_survey(watarai, code="same", department=parsed(mine).data["department"])
    assert selectors.survey_get(municipality=iga, code="same") == mine
    assert selectors.survey_get(municipality=watarai, code="same") == theirs
    services.response_submit(survey=theirs, resident=None, answers=GOOD)
    assert selectors.survey_results(mine).total == 0


def test_publishing_puts_counts_but_never_free_text_in_open_data(iga, open_survey):
    from idx.opendata.models import Dataset

    services.response_submit(survey=open_survey, resident=None, answers=GOOD)
    services.survey_close(survey=open_survey, actor=None)
    services.survey_publish_results(survey=open_survey, actor=None)
    dataset = Dataset.objects.get(municipality=iga, name="survey-homepage")
    assert dataset.status == "published"
    content = dataset.resources.get().file.read().decode("utf-8-sig")
    assert "設問" in content and "毎週" in content
    assert "申請が楽になりました" not in content
