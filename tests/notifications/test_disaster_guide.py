"""The disaster information page leads with what residents need (shelters, hazard map, how to
receive alerts), kept per municipality by crisis-management staff; the feed link comes last."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.test import Client

from idx.identity.models import User
from idx.notifications.models import DisasterGuide, Shelter
from tests.conftest import IGA_HOST, WATARAI_HOST, signed_in

pytestmark = pytest.mark.django_db

LINES = (
    "上野西小学校 | 三重県伊賀市上野丸之内1 | 地震・洪水 | https://maps.example.jp/ueno-nishi\n"
    "柘植小学校\t三重県伊賀市柘植町1\t土砂災害\n"
)


@pytest.fixture
def crisis_client(iga) -> Client:
    return signed_in(User.objects.get(municipality=iga, email="kiki-kanri@staff.iga.example.jp"))


def test_crisis_staff_keep_the_guide_and_residents_see_it_first(iga, crisis_client):
    form = crisis_client.get("/staff/alerts/guide/")
    assert form.status_code == 200
    saved = crisis_client.post(
        "/staff/alerts/guide/",
        {
            "shelters": LINES,
            "hazard_map_url": "https://www.city.iga.example.jp/hazardmap/",
            "how_to_receive": "防災行政無線の内容は 0120-000-000 で聞けます。",
        },
    )
    assert saved.status_code == 302
    shelters = list(
        Shelter.objects.filter(municipality=iga).values_list("name", "address", "hazards", "map_url")
    )
    assert shelters == [
        ("上野西小学校", "三重県伊賀市上野丸之内1", "地震・洪水", "https://maps.example.jp/ueno-nishi"),
        ("柘植小学校", "三重県伊賀市柘植町1", "土砂災害", ""),
    ]

    client = Client(HTTP_HOST=IGA_HOST)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    page = client.get("/alerts/").content.decode()
    order = [
        page.index("Where to evacuate"),
        page.index("上野西小学校"),
        page.index('href="https://maps.example.jp/ueno-nishi"'),
        page.index('href="https://www.city.iga.example.jp/hazardmap/"'),
        page.index("How to receive alerts"),
        page.index("0120-000-000"),
        page.index("Disaster information issued"),
        page.index("/alerts/feed.atom"),
    ]
    assert order == sorted(order)
    # The city's Japanese data on an English page is marked as Japanese (screen readers, fonts).
    assert '<h3 class="card-title" lang="ja">上野西小学校</h3>' in page
    assert "/accounts/signup/?next=%2Falerts%2F" in page  # how a signed-out resident gets alerts


def test_a_bad_shelter_line_is_named_and_nothing_changes(iga, crisis_client):
    before = list(Shelter.objects.filter(municipality=iga).values_list("name", flat=True))
    response = crisis_client.post(
        "/staff/alerts/guide/",
        {
            "shelters": "上野西小学校 | 伊賀市 \n名前だけ\n",
            "hazard_map_url": "javascript:alert(1)",
            "how_to_receive": "",
        },
    )
    assert response.status_code == 422
    body = response.content.decode()
    assert 'href="#guide-shelters"' in body and 'href="#guide-hazard_map_url"' in body
    assert list(Shelter.objects.filter(municipality=iga).values_list("name", flat=True)) == before


def test_only_crisis_staff_edit_the_guide(clerk, city_admin):
    assert signed_in(clerk).get("/staff/alerts/guide/").status_code == 404
    assert signed_in(city_admin).post("/staff/alerts/guide/", {"shelters": LINES}).status_code == 404


def test_each_municipality_shows_its_own_guide(iga, watarai):
    DisasterGuide.objects.update_or_create(
        municipality=watarai, defaults={"hazard_map_url": "https://watarai.example.jp/hm"}
    )
    Shelter.objects.create(municipality=iga, name="伊賀だけの避難所", address="伊賀市")
    page = Client(HTTP_HOST=WATARAI_HOST).get("/alerts/").content.decode()
    assert "伊賀だけの避難所" not in page and "https://watarai.example.jp/hm" in page
