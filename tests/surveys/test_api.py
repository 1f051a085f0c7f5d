"""The surveys API with real rows, checked against the OpenAPI document."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from idx.surveys import services
from tests.api.contract import conforms
from tests.conftest import IGA_HOST, WATARAI_HOST, signed_in
from tests.surveys.conftest import GOOD, make_survey

pytestmark = pytest.mark.django_db


def post(client, path, body):
    return client.post(path, data=json.dumps(body), content_type="application/json")


def test_public_list_questions_and_anonymous_answer(iga, open_survey):
    make_survey(iga, code="draft1", status="draft")
    client = Client(HTTP_HOST=IGA_HOST)
    listed = conforms(client.get("/api/v1/surveys"), "GET", "/api/v1/surveys")
    assert [s["code"] for s in listed] == ["homepage"] and listed[0]["taking_answers"]
    one = conforms(client.get("/api/v1/surveys/homepage"), "GET", "/api/v1/surveys/{code}")
    assert one["definition"]["steps"][0]["items"][0]["widget"] == "radio"
    assert client.get("/api/v1/surveys/draft1").status_code == 404
    path = "/api/v1/surveys/homepage/answers"
    bad = conforms(post(client, path, {"answers": {"q3": 7}}), "POST", "/api/v1/surveys/{code}/answers")
    assert bad["code"] == "answers_invalid" and {e["path"] for e in bad["errors"]} >= {"q1", "q3"}
    response = post(client, path, {"answers": GOOD})
    assert response.status_code == 201
    conforms(response, "POST", "/api/v1/surveys/{code}/answers")
    assert Client(HTTP_HOST=WATARAI_HOST).get("/api/v1/surveys/homepage").status_code == 404


def test_signed_survey_over_the_api(signed_survey, resident):
    path = "/api/v1/surveys/signed/answers"
    anonymous = post(Client(HTTP_HOST=IGA_HOST), path, {"answers": GOOD})
    assert anonymous.status_code == 409 and anonymous.json()["code"] == "sign_in_required"
    client = signed_in(resident)
    assert post(client, path, {"answers": GOOD}).status_code == 201
    twice = conforms(post(client, path, {"answers": GOOD}), "POST", "/api/v1/surveys/{code}/answers")
    assert twice["code"] == "already_answered"


def test_results_public_once_published_and_for_staff_always(
    iga, open_survey, survey_admin, clerk_other_department
):
    services.response_submit(survey=open_survey, resident=None, answers=GOOD)
    client = Client(HTTP_HOST=IGA_HOST)
    assert client.get("/api/v1/surveys/homepage/results").status_code == 404
    staff = conforms(
        signed_in(survey_admin).get("/api/v1/staff/surveys/homepage/results"),
        "GET",
        "/api/v1/staff/surveys/{code}/results",
    )
    assert staff["questions"][4]["texts"] == ["申請が楽になりました"]
    assert signed_in(clerk_other_department).get("/api/v1/staff/surveys/homepage/results").status_code in (
        403,
        404,
    )
    services.survey_close(survey=open_survey, actor=None)
    services.survey_publish_results(survey=open_survey, actor=None)
    public = conforms(client.get("/api/v1/surveys/homepage/results"), "GET", "/api/v1/surveys/{code}/results")
    # One answer: every count is a small count, hidden in what anyone may read.
    assert public["total"] is None and public["threshold"] == 5
    assert public["questions"][0]["choices"][0] == {
        "value": "c1",
        "label": "Weekly",
        "count": None,
        "share": None,
        "suppressed": True,
    }
    assert staff["total"] == 1 and staff["threshold"] == 0
    assert staff["questions"][0]["choices"][0]["count"] == 1
    assert public["questions"][4]["texts"] == []
