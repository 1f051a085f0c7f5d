"""Surveys of the tests: made here (the demo loader's surveys are not loaded for tests)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest
from django.utils import timezone, translation

from idx.identity.models import Department, Role
from idx.surveys import services
from idx.surveys.models import Survey, SurveyStatus

QUESTIONS: list[dict[str, Any]] = [
    {
        "kind": "single",
        "label": {
            "ja": "市のホームページをどのくらい利用しますか",
            "en": "How often do you use the city website?",
        },
        "choices": [
            {"ja": "毎週", "en": "Weekly"},
            {"ja": "毎月", "en": "Monthly"},
            {"ja": "ほとんどない", "en": "Rarely"},
        ],
        "required": True,
    },
    {
        "kind": "multiple",
        "label": {"ja": "使ったことのあるオンライン申請", "en": "Online services you have used"},
        "choices": [{"ja": "児童手当", "en": "Child allowance"}, {"ja": "粗大ごみ", "en": "Bulky waste"}],
    },
    {
        "kind": "scale",
        "label": {"ja": "探している情報は見つけやすいですか", "en": "Is information easy to find?"},
        "required": True,
    },
    {"kind": "number", "label": {"ja": "年齢", "en": "Age"}},
    {"kind": "text", "label": {"ja": "ご意見", "en": "Comments"}},
]


@pytest.fixture(autouse=True)
def english_messages(settings) -> Iterator[None]:
    settings.LANGUAGE_CODE = "en"
    settings.IDX_RATELIMIT_ENABLED = False
    with translation.override("en"):
        yield


def make_survey(
    municipality: Any,
    *,
    code: str = "homepage",
    signed: bool = False,
    status: str = SurveyStatus.OPEN,
    department: str = "kodomo-katei",
    **fields: Any,
) -> Survey:
    today = timezone.localdate()
    survey = services.survey_create(
        municipality=municipality,
        department=Department.objects.get(municipality=municipality, code=department),
        actor=None,
        code=code,
        titles={
            "ja": "ホームページの使いやすさアンケート",
            "en": "Website survey",
            "ja-easy": "ホームページ アンケート",
        },
        descriptions={"ja": "ご協力ください。", "en": "Please help us."},
        opens_on=fields.pop("opens_on", today - dt.timedelta(days=3)),
        closes_on=fields.pop("closes_on", today + dt.timedelta(days=10)),
        signed=signed,
        questions=fields.pop("questions", QUESTIONS),
    )
    if status != SurveyStatus.DRAFT:
        Survey.objects.filter(pk=survey.pk).update(status=status)
        survey.refresh_from_db()
    return survey


GOOD = {"q1": "c1", "q2": {"c1": True, "c2": False}, "q3": 4, "q4": 42, "q5": "申請が楽になりました"}


@pytest.fixture
def open_survey(iga) -> Survey:
    return make_survey(iga)


@pytest.fixture
def signed_survey(iga) -> Survey:
    return make_survey(iga, code="signed", signed=True)


@pytest.fixture
def survey_admin(iga):
    from tests.factories import StaffFactory

    return StaffFactory(
        municipality=iga,
        department=Department.objects.get(municipality=iga, code="kodomo-katei"),
        role=Role.DEPARTMENT_ADMIN,
        full_name="こども家庭課 管理者",
    )
