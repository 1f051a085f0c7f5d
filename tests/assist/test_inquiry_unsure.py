"""「わからない」 on the inquiry form: the inquiry goes to the general desk the city chose in the
back office (never to another municipality's department)."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.test import Client

from idx.assist.models import Inquiry, InquiryDesk
from idx.identity.models import Department
from tests.conftest import IGA_HOST, WATARAI_HOST, signed_in

pytestmark = pytest.mark.django_db


def ask(client: Client, **fields: str):
    data = {
        "department": "unsure",
        "name": "伊賀 花子",
        "email": "hanako@example.jp",
        "subject": "空き家の相談",
        "body": "実家が空き家になりました。どこに相談すればよいですか。",
        **fields,
    }
    return client.post("/inquiries/new/", data)


@pytest.mark.parametrize(("language", "label"), [("ja", "わからない"), ("en", "I don't know")])
def test_the_form_offers_i_dont_know(iga, language, label):
    client = Client(HTTP_HOST=IGA_HOST)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    page = client.get("/inquiries/new/").content.decode()
    assert f'<option value="unsure">{label}</option>' in page


def test_unsure_inquiries_go_to_the_general_desk_the_city_chose(iga, city_admin):
    desk = Department.objects.get(municipality=iga, code="shimin-seikatsu")
    InquiryDesk.objects.update_or_create(municipality=iga, defaults={"department": desk})
    assert ask(Client(HTTP_HOST=IGA_HOST)).status_code == 302
    assert Inquiry.objects.get(email="hanako@example.jp").department == desk

    # The city moves its general desk to 住民課 in the back office.
    admin = signed_in(city_admin)
    page = admin.get("/staff/inquiries/desk/")
    assert page.status_code == 200 and 'value="shimin-seikatsu" selected' in page.content.decode()
    assert admin.post("/staff/inquiries/desk/", {"department": "jumin"}).status_code == 302
    assert admin.post("/staff/inquiries/desk/", {"department": ""}).status_code == 422
    assert ask(Client(HTTP_HOST=IGA_HOST), email="jiro@example.jp").status_code == 302
    assert Inquiry.objects.get(email="jiro@example.jp").department.code == "jumin"


def test_only_city_wide_staff_choose_the_desk(clerk):
    assert signed_in(clerk).get("/staff/inquiries/desk/").status_code == 404
    assert signed_in(clerk).post("/staff/inquiries/desk/", {"department": "jumin"}).status_code == 404


def test_without_a_chosen_desk_a_general_department_answers(iga, watarai):
    InquiryDesk.objects.all().delete()
    assert ask(Client(HTTP_HOST=IGA_HOST)).status_code == 302
    assert Inquiry.objects.get(municipality=iga).department.code == "shimin-seikatsu"
    assert ask(Client(HTTP_HOST=WATARAI_HOST), email="watarai@example.jp").status_code == 302
    inquiry = Inquiry.objects.get(email="watarai@example.jp")
    assert inquiry.municipality == watarai and inquiry.department.municipality == watarai


def test_no_choice_is_still_an_error_naming_the_department(iga):
    response = ask(Client(HTTP_HOST=IGA_HOST), department="")
    assert response.status_code == 400
    assert 'href="#inquiry-department"' in response.content.decode()
    assert not Inquiry.objects.exists()


def test_the_api_takes_unsure_for_the_general_desk(iga):
    import json

    desk = Department.objects.get(municipality=iga, code="shimin-seikatsu")
    response = Client(HTTP_HOST=IGA_HOST).post(
        "/api/v1/inquiries",
        data=json.dumps(
            {
                "department": "unsure",
                "name": "伊賀 花子",
                "email": "hanako@example.jp",
                "subject": "空き家の相談",
                "body": "実家が空き家になりました。どこに相談すればよいですか。",
            }
        ),
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    assert response.json()["department"] == desk.code
    assert Inquiry.objects.get(public_id=response.json()["tracking_number"]).department == desk
