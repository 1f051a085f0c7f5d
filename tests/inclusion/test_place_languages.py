"""Place data in the resident's language: the city, its departments, counters, hours and booking
services; one fallback order (shared with procedures) that staff see on their edit screen; Japanese
still shown on a page in another language is marked lang="ja"."""

from __future__ import annotations

import re

import pytest
from django.conf import settings
from django.test import Client
from django.utils import translation

from idx.booking.models import Service
from idx.common.i18n import coverage, fallback_order, localized, pick
from idx.identity.models import Department
from tests.conftest import IGA_HOST


def test_fallback_order() -> None:
    assert fallback_order("ja-easy") == ["ja-easy", "ja"]
    assert fallback_order("pt-br") == ["pt-br", "pt", "ja"]
    assert fallback_order("en") == ["en", "ja"]
    assert pick({"ja": "住民課", "pt": "Divisão"}, "pt-br") == "Divisão"
    assert pick({"ja": "住民課", "en": ""}, "en") == "住民課"  # an empty text is missing


@pytest.mark.django_db
def test_demo_departments_and_services_read_in_every_language(iga) -> None:
    department = Department.objects.get(municipality=iga, code="jumin")
    service = Service.objects.get(municipality=iga, code="juminhyo")
    for code, _name in settings.LANGUAGES:
        with translation.override(code):
            for value in (department.label, department.counter_label, department.hours_label, service.label):
                assert value
            if code not in ("ja", "ja-easy", "zh-hans"):
                assert all(
                    ord(ch) < 0x3000 for ch in department.label + department.hours_label + service.label
                )
    with translation.override("en"):
        assert iga.label == "Iga City"
        assert department.counter_label == "City Hall, 1st floor, counter 1"
        assert service.place == "City Hall, 1st floor, counter 1"
        assert "Weekdays" in department.hours_label
    with translation.override("ja-easy"):
        assert "住民票" in department.label and department.label != department.name


@pytest.mark.django_db
def test_a_missing_language_falls_back_and_staff_see_it(iga) -> None:
    department = Department.objects.get(municipality=iga, code="jumin")
    del department.i18n["name"]["vi"]
    with translation.override("vi"):
        assert localized(department, "name") == "住民課"
    rows = {row["code"]: row for row in coverage(department, Department.TRANSLATED_FIELDS)}
    assert rows["vi"]["missing"] == [{"field": "name", "falls_back_to": "ja"}]
    assert rows["vi"]["order"] == ["vi", "ja"] and rows["en"]["missing"] == []


@pytest.mark.django_db
def test_staff_service_screen_shows_languages_and_fallbacks(supervisor_client, iga) -> None:
    service = Service.objects.get(municipality=iga, code="kosodate-soudan")
    service.i18n["description"].pop("fil")
    service.save(update_fields=["i18n"])
    page = supervisor_client.get(f"/staff/booking/manage/services/{service.pk}/").content.decode()
    assert 'id="languages"' in page
    assert "fil → ja" in page and "description ← ja" in page


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("language", "brand", "department"),
    [("en", "Iga City", "Resident Registration Division"), ("vi", "Thành phố Iga", "Phòng Đăng ký Cư trú")],
)
def test_pages_show_the_place_data_in_the_page_language(municipalities, language, brand, department) -> None:
    client = Client(HTTP_HOST=IGA_HOST)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    page = client.get("/procedures/residence-certificate-request/").content.decode()
    assert f'class="brand" href="/">{brand} ' in page
    assert department in page and "住民課" not in page
    booking = client.get("/booking/").content.decode()
    assert "本庁舎" not in booking and "窓口" not in booking


@pytest.mark.django_db
def test_japanese_shown_for_want_of_a_translation_is_marked(municipalities) -> None:
    department = Department.objects.get(municipality__code="242161", code="jumin")
    department.i18n["name"].pop("es")
    department.save(update_fields=["i18n"])
    client = Client(HTTP_HOST=IGA_HOST)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "es"
    page = client.get("/procedures/residence-certificate-request/").content.decode()
    marked = re.search(r'<span lang="ja">(.*?)</span>', page[page.index("Dónde consultar") :])
    assert marked is not None and re.sub(
        r"<rt>.*?</rt>|<rp>.*?</rp>|<[^>]+>", "", marked.group(1)
    ).startswith("住民課")
