"""A draft survey's questions in the visual builder: the procedure builder's pages over the
survey's definition, with survey kinds only, conditions, and nothing editable once answers come."""

from __future__ import annotations

import pytest
from django.test import Client

from idx.surveys import services
from idx.surveys.models import Survey, SurveyResponse, SurveyStatus
from tests.conftest import IGA_HOST, reauthenticated, signed_in
from tests.surveys.conftest import make_survey

pytestmark = pytest.mark.django_db

BASE = "/staff/surveys/draft/builder/"


@pytest.fixture
def draft(iga) -> Survey:
    questions = [
        {
            "kind": "single",
            "label": {"ja": "ごみの分別は分かりやすいですか", "en": "Is sorting clear?"},
            "choices": [{"ja": "はい", "en": "Yes"}, {"ja": "いいえ", "en": "No"}],
            "required": True,
        }
    ]
    return make_survey(iga, code="draft", status=SurveyStatus.DRAFT, questions=questions)


def test_staff_add_a_question_shown_only_for_one_answer(draft, survey_admin):
    client = reauthenticated(signed_in(survey_admin))
    overview = client.get(BASE)
    html = overview.content.decode()
    assert overview.status_code == 200 and "ごみの分別は分かりやすいですか" in html
    assert "Edit as YAML" not in html and "Regenerate the example" not in html
    add = client.get(BASE + "add/?step=page1").content.decode()
    assert 'id="type-radio"' in add and 'id="type-textarea"' in add
    assert 'id="type-file"' not in add and 'id="type-my_number"' not in add
    refused = client.post(
        BASE + "add/", {"step": "page1", "item_type": "file", "label_ja": "写真", "label_en": "Photo"}
    )
    assert refused.status_code == 422
    added = client.post(
        BASE + "add/",
        {
            "step": "page1",
            "item_type": "textarea",
            "label_ja": "分かりにくい点を教えてください",
            "label_ja_easy": "わかりにくい ところを おしえて ください",
            "label_en": "What is unclear",
        },
    )
    assert added.status_code == 302 and added["Location"] == BASE + "items/what_is_unclear/"
    condition = client.post(
        BASE + "items/what_is_unclear/",
        {
            "label_ja": "分かりにくい点を教えてください",
            "label_ja_easy": "わかりにくい ところを おしえて ください",
            "label_en": "What is unclear",
            "field": "what_is_unclear",
            "when_field": "q1",
            "when_operator": "equals",
            "when_value": "q1:c2",
        },
    )
    assert condition.status_code == 302, condition.content.decode()[:1500]
    draft.refresh_from_db()
    items = {i["field"]: i for i in draft.definition["steps"][0]["items"]}
    assert items["what_is_unclear"]["when"] == {"field": "q1", "equals": "c2"}
    assert items["what_is_unclear"]["label"]["ja-easy"] == "わかりにくい ところを おしえて ください"
    assert set(draft.definition) == {"schema", "steps"}  # the engine's neutral keys are not stored
    assert "いいえ" in client.get(BASE).content.decode()  # the condition, worded beside the question

    services.survey_open(survey=draft, actor=None)
    assert client.get(BASE).status_code == 404  # questions are fixed once answers come
    resident = Client(HTTP_HOST=IGA_HOST)
    resident.post("/surveys/draft/", {"f.q1": "c1", "f.what_is_unclear": "見えないはず"})
    resident.post("/surveys/draft/", {"f.q1": "c2", "f.what_is_unclear": "曜日が分かりにくい"})
    kept = [r.answers for r in SurveyResponse.objects.filter(survey=draft).order_by("pk")]
    assert kept == [{"q1": "c1"}, {"q1": "c2", "what_is_unclear": "曜日が分かりにくい"}]


def test_the_builder_of_a_survey_is_closed_to_other_departments_and_municipalities(
    draft, clerk_other_department, clerk_other_municipality
):
    from tests.conftest import WATARAI_HOST

    assert signed_in(clerk_other_department).get(BASE).status_code == 404
    assert signed_in(clerk_other_municipality, host=WATARAI_HOST).get(BASE).status_code == 404
    assert signed_in(clerk_other_department).post(BASE + "action/", {"op": "down:q1"}).status_code == 404
