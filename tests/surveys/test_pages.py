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
        "title_ja_easy": "ごみの だしかたの アンケート",
        "title_en": "Waste sorting survey",
        "small_count_threshold": "5",
        "code": "gomi",
        "department": "kodomo-katei",
        "opens_on": timezone.localdate().isoformat(),
        "closes_on": (timezone.localdate() + dt.timedelta(days=7)).isoformat(),
        "q1_kind": "single",
        "q1_label_ja": "分別は分かりやすいですか",
        "q1_label_ja_easy": "ごみの わけかたは わかりやすいですか",
        "q1_label_en": "Is sorting clear?",
        "q1_choices_ja": "はい\nいいえ",
        "q1_choices_ja_easy": "はい\nいいえ",
        "q1_choices_en": "Yes\nNo",
        "q1_required": "on",
        "q2_kind": "text",
        "q2_label_ja": "ご意見",
        "q2_label_en": "Comments",
    }
    missing = client.post(
        "/staff/surveys/new/",
        {**data, "q3_kind": "multiple", "q3_label_ja": "曜日", "q1_choices_en": "Yes"},
    )
    text = missing.content.decode()
    assert missing.status_code == 422 and "質問3の選択肢を2つ以上" in text
    assert "質問1の選択肢は、英語でも日本語と同じ数だけ" in text
    assert "質問3の質問文を英語で入力してください。" in text
    hard = client.post(
        "/staff/surveys/new/",
        {**data, "title_ja_easy": "この調査は市民の行政需要把握及び施策立案検討資料作成目的実施"},
    )
    assert hard.status_code == 422 and "やさしい日本語" in hard.content.decode()
    made = client.post("/staff/surveys/new/", data)
    assert made.status_code == 302
    survey = Survey.objects.get(municipality=iga, code="gomi")
    assert survey.status == SurveyStatus.DRAFT and "enum" in survey.definition["schema"]["properties"]["q1"]
    assert survey.titles == {
        "ja": "ごみ出しアンケート",
        "ja-easy": "ごみの だしかたの アンケート",
        "en": "Waste sorting survey",
    }
    first = survey.definition["steps"][0]["items"][0]
    assert first["label"]["ja-easy"] == "ごみの わけかたは わかりやすいですか"
    assert first["options"][1]["label"] == {"ja": "いいえ", "ja-easy": "いいえ", "en": "No"}
    edited = client.post(
        "/staff/surveys/gomi/edit/",
        {**data, "title_en": "Survey on sorting waste", "small_count_threshold": "10"},
    )
    assert edited.status_code == 302
    survey.refresh_from_db()
    assert survey.titles["en"] == "Survey on sorting waste" and survey.small_count_threshold == 10
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
