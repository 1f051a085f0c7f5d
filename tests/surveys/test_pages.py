"""Survey pages: residents answer (errors name the question, answers kept), staff build,
open, close, read results, download CSV and publish."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.utils import timezone

from idx.surveys import services
from idx.surveys.models import Survey, SurveyResponse, SurveyStatus
from tests.conftest import IGA_HOST, WATARAI_HOST, reauthenticated, signed_in
from tests.surveys.conftest import make_survey

pytestmark = pytest.mark.django_db


def test_resident_answers_an_anonymous_survey(open_survey):
    client = Client(HTTP_HOST=IGA_HOST)
    assert "Website survey" in client.get("/surveys/").content.decode()
    page = client.get("/surveys/homepage/")
    assert page.status_code == 200 and 'name="f.q1"' in page.content.decode()
    bad = client.post("/surveys/homepage/", {"f.q3": "4", "f.q5": "残す文"})
    text = bad.content.decode()
    assert bad.status_code == 422 and "How often do you use the city website?" in text and "残す文" in text
    done = client.post("/surveys/homepage/", {"f.q1": "c2", "f.q2.c1": "on", "f.q3": "5", "f.q4": "４２"})
    assert done.status_code == 302 and done["Location"].endswith("/surveys/homepage/thanks/")
    answer = SurveyResponse.objects.get(survey=open_survey)
    assert answer.answers == {"q1": "c2", "q2": {"c1": True, "c2": False}, "q3": 5, "q4": 42}
    assert answer.resident_id is None


def test_signed_survey_asks_to_sign_in_and_refuses_a_second_answer(signed_survey, resident):
    assert "/accounts/login/" in Client(HTTP_HOST=IGA_HOST).get("/surveys/signed/").content.decode()
    client = signed_in(resident)
    assert client.post("/surveys/signed/", {"f.q1": "c1", "f.q3": "3"}).status_code == 302
    again = client.get("/surveys/signed/")
    assert again.status_code == 409 and 'id="already-answered"' in again.content.decode()


def test_closed_survey_shows_its_dates(iga):
    today = timezone.localdate()
    make_survey(
        iga, code="past", opens_on=today - dt.timedelta(days=30), closes_on=today - dt.timedelta(days=1)
    )
    page = Client(HTTP_HOST=IGA_HOST).get("/surveys/past/")
    assert page.status_code == 410 and "not taking answers" in page.content.decode()
    assert Client(HTTP_HOST=WATARAI_HOST).get("/surveys/past/").status_code == 404


def test_staff_create_open_close_results_csv_publish(iga, survey_admin):
    client = reauthenticated(signed_in(survey_admin))
    data = {
        "title_ja": "ごみ出しアンケート",
        "code": "gomi",
        "department": "kodomo-katei",
        "opens_on": timezone.localdate().isoformat(),
        "closes_on": (timezone.localdate() + dt.timedelta(days=7)).isoformat(),
        "q1_kind": "single",
        "q1_label": "分別は分かりやすいですか",
        "q1_choices": "はい\nいいえ",
        "q1_required": "on",
        "q2_kind": "text",
        "q2_label": "ご意見",
    }
    missing = client.post("/staff/surveys/new/", {**data, "q3_kind": "multiple", "q3_label": "曜日"})
    assert missing.status_code == 422 and "選択肢を2つ以上" in missing.content.decode()
    made = client.post("/staff/surveys/new/", data)
    assert made.status_code == 302
    survey = Survey.objects.get(municipality=iga, code="gomi")
    assert survey.status == SurveyStatus.DRAFT and "enum" in survey.definition["schema"]["properties"]["q1"]
    assert "受付を始めると" in client.get("/staff/surveys/gomi/open/").content.decode()
    client.post("/staff/surveys/gomi/open/")
    services.response_submit(
        survey=Survey.objects.get(pk=survey.pk), resident=None, answers={"q1": "c1", "q2": "=1+1"}
    )
    detail = client.get("/staff/surveys/gomi/").content.decode()
    assert "<svg" in detail and "=1+1" in detail
    csv = b"".join(client.get("/staff/surveys/gomi/answers.csv").streaming_content).decode("utf-8")
    assert csv.startswith("\ufeff回答番号") and "'=1+1" in csv and "はい" in csv
    client.post("/staff/surveys/gomi/close/")
    client.post("/staff/surveys/gomi/publish/")
    assert Survey.objects.get(pk=survey.pk).status == SurveyStatus.PUBLISHED
    public = Client(HTTP_HOST=IGA_HOST).get("/surveys/gomi/results/").content.decode()
    assert "<svg" in public and "=1+1" not in public


def test_staff_of_another_department_or_municipality_see_nothing(
    open_survey, clerk_other_department, clerk_other_municipality
):
    assert signed_in(clerk_other_department).get("/staff/surveys/homepage/").status_code == 404
    other = signed_in(clerk_other_municipality, host=WATARAI_HOST)
    assert other.get("/staff/surveys/homepage/").status_code == 404
