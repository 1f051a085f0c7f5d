"""City administrators edit the languages of place data: the municipality and its departments."""

from __future__ import annotations

import pytest
from django.utils import translation

from idx.audit.models import AuditEntry
from idx.identity import place_texts
from idx.identity.models import Department

pytestmark = pytest.mark.django_db

URL = "/staff/place-texts/departments/kodomo-katei/"


def _form(department: Department, **changes: str) -> dict[str, str]:
    data = {
        f"{field}-{code}": text
        for field, by_language in place_texts.texts_of(department).items()
        for code, text in by_language.items()
    }
    data.update(changes)
    return data


def test_city_admin_sees_every_language_side_by_side_with_its_fallback(iga, city_admin_client):
    department = Department.objects.get(municipality=iga, code="kodomo-katei")
    department.i18n = {**department.i18n, "counter_hours": {}}
    department.counter_hours = "平日 8:30〜17:15"
    department.save()
    response = city_admin_client.get(URL)
    assert response.status_code == 200
    html = response.content.decode()
    for field in ("name", "counter", "counter_hours"):
        for code in ("ja", "ja-easy", "en", "pt-br", "vi", "zh-hans", "es", "fil"):
            assert f'name="{field}-{code}"' in html
    assert 'value="こども家庭課"' in html
    # Opening hours exist only in Japanese: every other language shows where it falls back to.
    status = html.split('id="t-counter_hours-vi-status"')[1].split("</td>")[0]
    assert "日本語" in status
    listing = city_admin_client.get("/staff/place-texts/")
    assert listing.status_code == 200
    assert "こども家庭課" in listing.content.decode()


def test_saving_stores_each_language_and_audits_in_the_same_transaction(iga, city_admin, city_admin_client):
    department = Department.objects.get(municipality=iga, code="kodomo-katei")
    response = city_admin_client.post(
        URL,
        _form(
            department,
            **{"counter-vi": "Tầng 1 tòa thị chính, quầy số 12", "counter_hours-en": "Weekdays 8:30–17:15"},
        ),
    )
    assert response.status_code == 302
    department.refresh_from_db()
    assert department.i18n["counter"]["vi"] == "Tầng 1 tòa thị chính, quầy số 12"
    assert department.i18n["counter_hours"]["en"] == "Weekdays 8:30–17:15"
    with translation.override("vi"):
        assert department.counter_label == "Tầng 1 tòa thị chính, quầy số 12"
    entry = AuditEntry.objects.filter(municipality=iga, action="place_texts.update").latest("id")
    assert entry.actor_id == city_admin.pk
    assert entry.target_id == "kodomo-katei"
    assert entry.after["counter"]["vi"] == "Tầng 1 tòa thị chính, quầy số 12"
    assert set(entry.after) == {"counter", "counter_hours"}


def test_municipality_texts_are_edited_too(iga, city_admin_client):
    form = {
        f"{field}-{code}": text
        for field, by_language in place_texts.texts_of(iga).items()
        for code, text in by_language.items()
    }
    form["name-fil"] = "Lungsod ng Iga, Mie"
    response = city_admin_client.post("/staff/place-texts/municipality/", form)
    assert response.status_code == 302
    iga.refresh_from_db()
    assert iga.i18n["name"]["fil"] == "Lungsod ng Iga, Mie"
    assert AuditEntry.objects.filter(
        municipality=iga, target_type="municipality", action="place_texts.update"
    ).exists()


def test_too_long_text_names_the_field_and_keeps_what_was_typed(iga, city_admin_client):
    department = Department.objects.get(municipality=iga, code="kodomo-katei")
    typed = "Quầy " * 50
    before = AuditEntry.objects.filter(municipality=iga).count()
    with translation.override("en"):
        response = city_admin_client.post(
            URL,
            _form(department, **{"counter-vi": typed, "name-en": "Child and Family Support"}),
            HTTP_ACCEPT_LANGUAGE="en",
        )
    assert response.status_code == 422
    html = response.content.decode()
    summary = html.split('id="error-summary"')[1].split("</div>")[0]
    assert 'href="#t-counter-vi"' in summary
    assert "Tiếng Việt" in summary
    assert "200" in summary
    assert typed.strip() in html  # what was typed stays in the field
    assert 'value="Child and Family Support"' in html
    department.refresh_from_db()
    assert "vi" not in department.i18n.get("counter", {}) or department.i18n["counter"]["vi"] != typed.strip()
    assert department.name_en == "Child and Family Division"
    assert AuditEntry.objects.filter(municipality=iga).count() == before


def test_japanese_name_is_required(iga, city_admin, city_admin_client):
    department = Department.objects.get(municipality=iga, code="kodomo-katei")
    response = city_admin_client.post(URL, _form(department, **{"name-ja": "  "}))
    assert response.status_code == 422
    department.refresh_from_db()
    assert department.name == "こども家庭課"


def test_another_municipalitys_department_is_not_found(iga, watarai, city_admin, city_admin_client):
    other = Department.objects.get(municipality=watarai, code="kodomo-katei")
    name = other.name
    assert city_admin_client.get(URL.replace("kodomo-katei", "no-such-department")).status_code == 404
    # The same code resolves inside the admin's own municipality only; the service refuses the other one.
    with pytest.raises(place_texts.NotPermitted):
        place_texts.place_texts_save(staff=city_admin, record=other, texts={"name": {"ja": "書き換え"}})
    with pytest.raises(place_texts.NotPermitted):
        place_texts.place_texts_save(staff=city_admin, record=watarai, texts={"name": {"ja": "書き換え"}})
    other.refresh_from_db()
    assert other.name == name


def test_a_department_only_another_municipality_has_is_not_found(watarai, city_admin_client):
    Department.objects.create(
        municipality=watarai,
        code="watarai-kankou",
        name="観光課",
        name_en="Tourism Division",
        counter="本庁舎2階",
    )
    assert city_admin_client.get("/staff/place-texts/departments/watarai-kankou/").status_code == 404
    response = city_admin_client.post(
        "/staff/place-texts/departments/watarai-kankou/", {"name-ja": "書き換え"}
    )
    assert response.status_code == 404
    assert Department.objects.get(municipality=watarai, code="watarai-kankou").name == "観光課"
    assert "観光課" not in city_admin_client.get("/staff/place-texts/").content.decode()


@pytest.mark.parametrize("who", ["clerk_client", "supervisor_client"])
def test_only_city_administrators_edit_place_texts(who, request):
    client = request.getfixturevalue(who)
    assert client.get(URL).status_code == 404
    assert client.post(URL, {"name-ja": "書き換え"}).status_code == 404
    assert client.get("/staff/place-texts/").status_code == 404
