"""The builder's pages: plain forms that work without JavaScript, errors naming the field, permissions."""

from __future__ import annotations

import pytest
import yaml
from django.urls import reverse
from django.utils import translation

from idx.identity.models import Department, Role
from idx.procedures.definition import parse
from idx.procedures.models import Procedure
from tests.conftest import WATARAI_HOST, signed_in
from tests.factories import StaffFactory

CODE = "bulky-waste-collection"

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _japanese():
    with translation.override("ja"):
        yield


@pytest.fixture
def waste_admin(iga):
    department = Department.objects.get(municipality=iga, code="haikibutsu")
    return StaffFactory(
        municipality=iga, department=department, role=Role.DEPARTMENT_ADMIN, full_name="廃棄物対策課 管理者"
    )


@pytest.fixture
def admin_client(waste_admin):
    return signed_in(waste_admin, HTTP_ACCEPT_LANGUAGE="ja")


def url(name: str, *args: str) -> str:
    return reverse(f"backoffice:{name}", args=[CODE, *args])


def draft(iga) -> dict:
    procedure = Procedure.objects.get(municipality=iga, code=CODE)
    version = procedure.versions.filter(status="draft").order_by("-number").first()
    assert version is not None, "nothing was saved as a draft"
    return version.definition


def test_overview_lists_steps_items_and_buttons(admin_client):
    response = admin_client.get(url("procedure_builder"))
    assert response.status_code == 200
    html = response.content.decode()
    assert "申込者と収集場所" in html
    assert "収集希望日" in html
    assert 'name="op" value="up:area"' in html
    assert html.count("csrfmiddlewaretoken") <= 8  # one form for every question's buttons, not one each
    assert "申込者_電話番号" in html  # the standard data-item name beside the item
    assert "公開中の第1版です。" in html  # nothing changed yet: no draft


def test_add_yes_no_question_without_javascript(admin_client, iga):
    page = admin_client.get(url("procedure_builder_add") + "?step=schedule")
    assert page.status_code == 200
    assert "はい・いいえ" in page.content.decode() or "yes_no" in page.content.decode()
    response = admin_client.post(
        url("procedure_builder_add"),
        {
            "step": "schedule",
            "position": "0",
            "item_type": "yes_no",
            "label_ja": "収集に立ち会いますか",
            "label_ja_easy": "ごみを取りに行くとき、家にいますか",
            "label_en": "Will you be present",
            "required": "on",
        },
    )
    assert response.status_code == 302
    data = draft(iga)
    assert data["schema"]["properties"]["will_you_be_present"] == {"type": "boolean"}
    parse(data)
    # Then make the alternative date depend on it, from the menus.
    response = admin_client.post(
        url("procedure_builder_item", "alternative_date"),
        {
            "label_ja": "第2希望日（任意）",
            "label_ja_easy": "2番目にいい日（書かなくてもいいです）",
            "label_en": "Second choice of date (optional)",
            "field": "alternative_date",
            "when_field": "will_you_be_present",
            "when_operator": "equals",
            "when_value": "will_you_be_present:true",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    data = draft(iga)
    items = {item["field"]: item for step in data["steps"] for item in step["items"]}
    assert items["alternative_date"]["when"] == {"field": "will_you_be_present", "equals": True}


def test_error_names_the_field_in_japanese_and_keeps_input(admin_client):
    response = admin_client.post(
        url("procedure_builder_add"),
        {"step": "schedule", "item_type": "date", "label_ja": "", "label_en": "Collection day"},
    )
    assert response.status_code == 422
    html = response.content.decode()
    assert "質問を日本語で入力してください。" in html
    assert 'href="#label_ja"' in html
    assert 'value="Collection day"' in html


def test_item_editor_shows_three_languages_and_standard_picker(admin_client):
    response = admin_client.get(url("procedure_builder_item", "applicant.phone"))
    assert response.status_code == 200
    html = response.content.decode()
    assert 'name="label_ja_easy"' in html and 'value="電話番号"' in html
    assert '<datalist id="standard-names">' in html
    assert 'value="申込者_電話番号"' in html


def test_unknown_standard_name_is_refused(admin_client, iga):
    response = admin_client.post(
        url("procedure_builder_item", "preferred_date"),
        {
            "label_ja": "収集希望日",
            "label_en": "Preferred collection date",
            "field": "preferred_date",
            "required": "on",
            "standard_item": "ありえない項目名",
        },
    )
    assert response.status_code == 422
    assert "一覧から" in response.content.decode()


def test_move_duplicate_and_delete_with_confirmation(admin_client, iga):
    assert (
        admin_client.post(url("procedure_builder_action"), {"action": "down", "path": "area"}).status_code
        == 302
    )
    assert [i["field"] for i in draft(iga)["steps"][0]["items"]][:3] == [
        "applicant",
        "collection_postal_code",
        "area",
    ]
    response = admin_client.post(
        url("procedure_builder_action"), {"action": "move", "path": "area", "target": "confirm:0"}
    )
    assert response.status_code == 302
    assert draft(iga)["steps"][3]["items"][0]["field"] == "area"
    assert (
        admin_client.post(
            url("procedure_builder_action"), {"action": "duplicate", "path": "placement_notes"}
        ).status_code
        == 302
    )
    assert "placement_notes_2" in draft(iga)["schema"]["properties"]
    confirm = admin_client.get(url("procedure_builder_delete", "placement_notes_2"))
    assert confirm.status_code == 200
    assert "削除" in confirm.content.decode()
    assert "placement_notes_2" in draft(iga)["schema"]["properties"]  # nothing happens on GET
    assert admin_client.post(url("procedure_builder_delete", "placement_notes_2")).status_code == 302
    assert "placement_notes_2" not in draft(iga)["schema"]["properties"]


def test_preview_in_phone_frame_and_easy_japanese_check(admin_client):
    response = admin_client.get(url("procedure_builder_preview") + "?step=2")
    assert response.status_code == 200
    assert "builder-phone" in response.content.decode()
    assert "出すもの" in response.content.decode()
    check = admin_client.get(
        url("procedure_builder_easyja"), {"text": "17時までに提出しなければなりません。"}
    )
    assert check.status_code == 200
    assert len(check.json()["advice"]) >= 2


def test_yaml_edit_shows_in_builder(admin_client, iga):
    procedure = Procedure.objects.get(municipality=iga, code=CODE)
    data = dict(procedure.published_version.definition)
    data["steps"][2]["items"][0]["label"] = {
        **data["steps"][2]["items"][0]["label"],
        "ja": "収集を希望する日",
    }
    response = admin_client.post(
        reverse("backoffice:procedure_edit", args=[CODE]),
        {"definition": yaml.safe_dump(data, allow_unicode=True), "action": "save"},
    )
    assert response.status_code == 302
    assert "収集を希望する日" in admin_client.get(url("procedure_builder")).content.decode()


@pytest.mark.parametrize("name", ["procedure_builder", "procedure_builder_preview", "procedure_builder_add"])
def test_clerk_and_other_department_get_not_found(name, clerk, iga):
    other_admin = StaffFactory(
        municipality=iga,
        department=Department.objects.get(municipality=iga, code="kodomo-katei"),
        role=Role.DEPARTMENT_ADMIN,
    )
    supervisor = StaffFactory(
        municipality=iga,
        department=Department.objects.get(municipality=iga, code="kodomo-katei"),
        role=Role.SUPERVISOR,
    )
    for user in (clerk, other_admin, supervisor):
        assert signed_in(user).get(url(name)).status_code == 404


def test_no_access_across_municipalities(iga, watarai, waste_admin):
    """Both cities ship the same procedure code: a Watarai administrator's change stays in Watarai."""
    city_admin = StaffFactory(municipality=watarai, role=Role.CITY_ADMIN)
    client = signed_in(city_admin, host=WATARAI_HOST)
    assert client.post(url("procedure_builder_action"), {"action": "down", "path": "area"}).status_code == 302
    assert Procedure.objects.get(municipality=watarai, code=CODE).versions.filter(status="draft").exists()
    assert not Procedure.objects.get(municipality=iga, code=CODE).versions.filter(status="draft").exists()
    # The Iga department admin on the Watarai host is not let in.
    assert signed_in(waste_admin, host=WATARAI_HOST).get(url("procedure_builder")).status_code in (
        302,
        403,
        404,
    )


def test_post_by_other_department_changes_nothing(iga, clerk):
    other_admin = StaffFactory(
        municipality=iga,
        department=Department.objects.get(municipality=iga, code="kodomo-katei"),
        role=Role.DEPARTMENT_ADMIN,
    )
    response = signed_in(other_admin).post(
        url("procedure_builder_action"), {"action": "down", "path": "area"}
    )
    assert response.status_code == 404
    procedure = Procedure.objects.get(municipality=iga, code=CODE)
    assert not procedure.versions.filter(status="draft").exists()


def form_body(values) -> dict:
    """What the item editor's form sends back when nothing is changed."""
    body: dict = {"field": values.field, "standard_item": values.standard_item}
    for prefix, texts in (("label", values.label), ("help", values.help), ("add_label", values.add_label)):
        for lang in ("ja", "ja-easy", "en"):
            body[f"{prefix}_{lang.replace('-', '_')}"] = texts.get(lang, "")
    if values.required:
        body["required"] = "on"
    if values.options:
        body["option_count"] = str(len(values.options))
        for number, option in enumerate(values.options, start=1):
            body[f"option_{number}_value"] = option["value"]
            for lang in ("ja", "ja-easy", "en"):
                body[f"option_{number}_{lang.replace('-', '_')}"] = option["label"].get(lang, "")
    if values.min_items is not None:
        body["min_items"], body["max_items"] = str(values.min_items), str(values.max_items)
    if values.when:
        operator = next(key for key in ("equals", "not_equals", "in", "answered") if key in values.when)
        body["when_field"], body["when_operator"] = values.when["field"], operator
        text = {True: "true", False: "false"}
        if operator == "in":
            body["when_values"] = [f"{values.when['field']}:{text.get(v, v)}" for v in values.when["in"]]
        elif operator != "answered":
            value = values.when[operator]
            body["when_value"] = f"{values.when['field']}:{text.get(value, value)}"
    return body


@pytest.mark.parametrize("code", [CODE, "child-allowance-certification"])
def test_saving_every_question_unchanged_keeps_the_definition(code, iga, city_admin):
    from idx.procedures import builder

    client = signed_in(city_admin)
    procedure = Procedure.objects.get(municipality=iga, code=code)
    original = procedure.published_version.definition
    for place in list(builder.iter_places(original)):
        values = builder.item_values(original, place.path)
        response = client.post(
            reverse("backoffice:procedure_builder_item", args=[code, place.path]), form_body(values)
        )
        assert response.status_code == 302, (place.path, response.content.decode()[-3000:])
    saved = procedure.versions.get(status="draft").definition
    assert saved == original


def test_choices_table_shows_words_not_stored_codes(admin_client):
    html = admin_client.get(url("procedure_builder_item", "area")).content.decode()
    assert 'value="上野地区"' in html and 'value="Ueno"' in html
    assert 'type="hidden" name="option_1_value" value="ueno"' in html
    assert ">ueno<" not in html
