from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from idx.common.models import Municipality
from idx.identity.models import Department, Role, User
from idx.public_comment import services
from idx.public_comment.models import Consultation
from tests.factories import StaffFactory

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def make_case(
    municipality: Municipality,
    department: Department,
    *,
    opens_days_ago: int = 5,
    days: int = 30,
    anonymous_allowed: bool = True,
    eligibility: str = "anyone",
    sections: int = 3,
    publish: bool = True,
) -> Consultation:
    today = timezone.localdate()
    opens_on = today - dt.timedelta(days=opens_days_ago)
    consultation = services.consultation_create(
        municipality=municipality,
        department=department,
        titles={"ja": "伊賀市テスト計画（案）", "en": "Test plan (draft)"},
        summaries={"ja": "計画の案です。"},
        opens_on=opens_on,
        closes_on=opens_on + dt.timedelta(days=days - 1),
        anonymous_allowed=anonymous_allowed,
        eligibility=eligibility,
        actor=None,
    )
    for number in range(1, sections + 1):
        services.section_put(
            consultation=consultation,
            number=number,
            headings={"ja": f"第{number}章 見出し"},
            texts={"ja": f"第{number}章の本文です。"},
            actor=None,
        )
    if publish:
        services.consultation_publish(consultation=consultation, actor=None, today=opens_on)
    consultation.refresh_from_db()
    return consultation


@pytest.fixture
def kodomo(iga: Municipality) -> Department:
    return Department.objects.get(municipality=iga, code="kodomo-katei")


@pytest.fixture
def kodomo_admin(iga: Municipality, kodomo: Department) -> User:
    """こども家庭課's head (department administrator): manages its public comments."""
    return StaffFactory(
        municipality=iga, department=kodomo, role=Role.DEPARTMENT_ADMIN, full_name="こども家庭課 課長"
    )


@pytest.fixture
def other_admin(iga: Municipality) -> User:
    department = Department.objects.get(municipality=iga, code="kaigo-koureifukushi")
    return StaffFactory(
        municipality=iga, department=department, role=Role.DEPARTMENT_ADMIN, full_name="介護高齢福祉課 課長"
    )


@pytest.fixture
def open_case(iga: Municipality, kodomo: Department) -> Consultation:
    return make_case(iga, kodomo)


@pytest.fixture
def closed_case(iga: Municipality, kodomo: Department) -> Consultation:
    consultation = make_case(iga, kodomo, opens_days_ago=40)
    services.submission_create(
        consultation=consultation,
        opinions={1: "第1章への意見です。", 2: "第2章への意見です。"},
        name="伊賀 花子",
        address="伊賀市上野丸之内",
        today=consultation.opens_on + dt.timedelta(days=3),
    )
    services.submission_create(
        consultation=consultation,
        opinions={1: '=HYPERLINK("http://example.com")'},
        today=consultation.opens_on + dt.timedelta(days=4),
    )
    consultation.refresh_from_db()
    return consultation
