"""Inquiries: a resident (signed in or by e-mail) asks, the department answers, the resident is told and replies."""

from __future__ import annotations

import datetime as dt
import json
from urllib.parse import parse_qs, urlparse

import pytest
from django.test import Client
from django.utils import timezone

from idx.assist.models import Faq, Inquiry, InquiryStatus
from idx.assist.services.inquiries import inquiry_answer, inquiry_create, working_days_after
from idx.identity.models import Department
from idx.notifications.models import Message
from tests.conftest import IGA_HOST, WATARAI_HOST, signed_in

pytestmark = pytest.mark.django_db


def _post_anonymous(client: Client, **fields: str):
    data = {
        "department": "kodomo-katei",
        "subject": "児童手当の振込日",
        "body": "振込日を教えてください。",
        **fields,
    }
    return client.post("/inquiries/new/", data)


def test_anonymous_inquiry_gets_number_link_and_email(iga, django_capture_on_commit_callbacks):
    client = Client(HTTP_HOST=IGA_HOST)
    with django_capture_on_commit_callbacks(execute=True):
        response = _post_anonymous(client, name="伊賀 一郎", email="ichiro@example.jp")
    assert response.status_code == 302
    inquiry = Inquiry.objects.get(municipality=iga, email="ichiro@example.jp")
    assert inquiry.public_id.startswith("Q") and len(inquiry.public_id) == 10
    token = parse_qs(urlparse(response["Location"]).query)["t"][0]
    assert inquiry.access_token_hash != token  # only the hash is stored
    mail = Message.objects.get(purpose="inquiry", address="ichiro@example.jp")
    assert inquiry.public_id in mail.subject and f"?t={token}" in mail.body
    page = client.get(response["Location"])
    assert page.status_code == 200 and "振込日を教えてください。" in page.content.decode()
    assert page["Cache-Control"] == "no-store"
    # Without the secret (or with a wrong one) the inquiry does not exist.
    assert Client(HTTP_HOST=IGA_HOST).get(f"/inquiries/{inquiry.public_id}/").status_code == 404
    assert Client(HTTP_HOST=IGA_HOST).get(f"/inquiries/{inquiry.public_id}/?t=wrong").status_code == 404


def test_bad_inquiry_keeps_what_was_typed(iga):
    response = _post_anonymous(
        Client(HTTP_HOST=IGA_HOST), name="", email="", body="長い質問です。" * 2, department="nope"
    )
    assert response.status_code == 400
    body = response.content.decode()
    assert "長い質問です。長い質問です。" in body
    assert 'id="error-summary"' in body
    assert not Inquiry.objects.filter(municipality=iga).exists()


def test_resident_inquiry_answer_reply_flow(iga, resident, clerk, django_capture_on_commit_callbacks):
    client = signed_in(resident)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/inquiries/new/",
            {"department": "kodomo-katei", "subject": "現況届", "body": "現況届は必要ですか。"},
        )
    inquiry = Inquiry.objects.get(municipality=iga, resident=resident)
    assert response["Location"] == f"/inquiries/{inquiry.public_id}/"
    assert inquiry.email == resident.email
    assert f"/inquiries/{inquiry.public_id}/" in client.get("/my/inquiries/").content.decode()

    staff = signed_in(clerk)
    listing = staff.get("/staff/inquiries/")
    assert inquiry.public_id in listing.content.decode()
    assert staff.get(f"/staff/inquiries/{inquiry.public_id}/").status_code == 200
    assert staff.post(f"/staff/inquiries/{inquiry.public_id}/answer/", {"body": " "}).status_code == 400
    with django_capture_on_commit_callbacks(execute=True):
        answered = staff.post(
            f"/staff/inquiries/{inquiry.public_id}/answer/", {"body": "原則として不要です。"}
        )
    assert answered.status_code == 302
    inquiry.refresh_from_db()
    assert inquiry.status == InquiryStatus.ANSWERED and inquiry.first_answered_at is not None
    told = Message.objects.filter(recipient=resident, purpose="inquiry", channel="inbox")
    assert told.count() == 2  # received, answered
    assert any("原則として不要です。" in m.body for m in told)

    reply = client.post(
        f"/inquiries/{inquiry.public_id}/reply/", {"body": "ありがとうございます。もう一つ質問です。"}
    )
    assert reply.status_code == 302
    inquiry.refresh_from_db()
    assert inquiry.status == InquiryStatus.OPEN and inquiry.messages.count() == 3


def test_other_resident_and_other_department_and_other_city_see_nothing(
    iga, resident, other_resident, clerk_other_department, clerk_other_municipality
):
    inquiry, token = inquiry_create(
        municipality=iga,
        department=Department.objects.get(municipality=iga, code="kodomo-katei"),
        resident=resident,
        name="",
        email="",
        subject="件名",
        body="本文",
        language="ja",
    )
    assert signed_in(other_resident).get(f"/inquiries/{inquiry.public_id}/").status_code == 404
    assert (
        signed_in(other_resident).post(f"/inquiries/{inquiry.public_id}/reply/", {"body": "x"}).status_code
        == 404
    )
    other_dept = signed_in(clerk_other_department)
    assert other_dept.get(f"/staff/inquiries/{inquiry.public_id}/").status_code == 404
    assert inquiry.public_id not in other_dept.get("/staff/inquiries/").content.decode()
    other_city = signed_in(clerk_other_municipality, host=WATARAI_HOST)
    assert other_city.get(f"/staff/inquiries/{inquiry.public_id}/").status_code == 404
    # The link's secret does not open it on another city's host either.
    assert Client(HTTP_HOST=WATARAI_HOST).get(f"/inquiries/{inquiry.public_id}/?t={token}").status_code == 404


def test_response_target_skips_weekends_holidays_and_new_year():
    tokyo = dt.timezone(dt.timedelta(hours=9))
    friday = dt.datetime(2026, 11, 20, 10, tzinfo=tokyo)  # 11/23 is 勤労感謝の日
    assert working_days_after(friday, 3).date() == dt.date(2026, 11, 26)
    before_new_year = dt.datetime(2026, 12, 28, 10, tzinfo=tokyo)
    assert working_days_after(before_new_year, 1).date() == dt.date(2027, 1, 4)


def test_answer_becomes_faq_in_one_step(iga, resident, supervisor):
    inquiry, _token = inquiry_create(
        municipality=iga,
        department=supervisor.department,
        resident=resident,
        name="",
        email="",
        subject="児童手当の振込口座を変えたい",
        body="口座を変えたいです。",
        language="ja",
    )
    inquiry_answer(inquiry=inquiry, staff=supervisor, body="口座変更の届出をしてください。")
    client = signed_in(supervisor)
    page = client.get(f"/staff/inquiries/{inquiry.public_id}/")
    assert "to-faq" in page.content.decode()
    response = client.post(
        f"/staff/inquiries/{inquiry.public_id}/to-faq/",
        {
            "key": "childcare-account-change",
            "category": "childcare",
            "question": "振込口座を変えたい",
            "answer": "口座変更の届出をしてください。",
        },
    )
    assert response.status_code == 302
    faq = Faq.objects.get(municipality=iga, key="childcare-account-change")
    assert faq.department_id == supervisor.department_id
    assert faq.variants.get(language="ja").question == "振込口座を変えたい"


def test_api_inquiry_without_account(iga):
    client = Client(HTTP_HOST=IGA_HOST)
    created = client.post(
        "/api/v1/inquiries",
        json.dumps(
            {
                "department": "jumin",
                "subject": "住民票",
                "body": "土曜日に取れますか。",
                "name": "A",
                "email": "a@example.jp",
            }
        ),
        content_type="application/json",
    )
    assert created.status_code == 201, created.content
    data = created.json()
    number, token = data["tracking_number"], data["access_token"]
    assert client.get(f"/api/v1/inquiries/{number}").status_code == 404
    got = client.get(f"/api/v1/inquiries/{number}", HTTP_X_INQUIRY_TOKEN=token)
    assert got.status_code == 200 and got.json()["messages"][0]["body"] == "土曜日に取れますか。"
    replied = client.post(
        f"/api/v1/inquiries/{number}/replies",
        json.dumps({"body": "追記です。"}),
        content_type="application/json",
        HTTP_X_INQUIRY_TOKEN=token,
    )
    assert replied.status_code == 200 and len(replied.json()["messages"]) == 2
    bad = client.post(
        "/api/v1/inquiries",
        json.dumps({"department": "jumin", "subject": "", "body": ""}),
        content_type="application/json",
    )
    assert bad.status_code == 422 and {e["path"] for e in bad.json()["errors"]} >= {
        "subject",
        "body",
        "name",
        "email",
    }


def test_staff_api_answers_only_own_department(iga, clerk, clerk_other_department):
    from idx.identity.services import api_token_issue

    inquiry, _token = inquiry_create(
        municipality=iga,
        department=clerk.department,
        resident=None,
        name="B",
        email="b@example.jp",
        subject="s",
        body="b",
        language="ja",
    )

    def bearer(user):
        secret = api_token_issue(user=user, name="test")
        return {"HTTP_AUTHORIZATION": f"Bearer {secret}"}

    client = Client(HTTP_HOST=IGA_HOST)
    mine = client.get("/api/v1/staff/inquiries", **bearer(clerk))
    assert [i["tracking_number"] for i in mine.json()] == [inquiry.public_id]
    other = client.post(
        f"/api/v1/staff/inquiries/{inquiry.public_id}/answers",
        json.dumps({"body": "x"}),
        content_type="application/json",
        **bearer(clerk_other_department),
    )
    assert other.status_code == 404
    ok = client.post(
        f"/api/v1/staff/inquiries/{inquiry.public_id}/answers",
        json.dumps({"body": "回答です。", "close": True}),
        content_type="application/json",
        **bearer(clerk),
    )
    assert ok.status_code == 200 and ok.json()["status"] == "closed"
    assert timezone.now() >= Inquiry.objects.get(pk=inquiry.pk).closed_at
