"""Conditions on questions (``when``): equals, not_equals, in and answered, checked when a
definition is read, decided on the server (which questions and steps apply) and carried to the
portal's page for the script that shows and hides them."""

from __future__ import annotations

import copy
import re
from typing import Any

import pytest
from django.utils import translation

from idx.procedures.definition import DefinitionError, is_visible, parse, step_is_shown
from idx.procedures.rendering import step_fields
from idx.procedures.services import (
    procedure_version_publish,
    procedure_version_save_draft,
    shipped_definitions,
)
from tests.conftest import make_draft, procedure

BULKY = "bulky-waste-collection"


def bulky_waste() -> dict[str, Any]:
    return copy.deepcopy(next(d for d in shipped_definitions() if d["code"] == BULKY))


def with_access_step(data: dict[str, Any]) -> dict[str, Any]:
    """粗大ごみ with a step of questions that apply only in some cases:

    - 山間部の地区（島ヶ原・大山田）: 収集車が入れる道の説明 (``in``)
    - 出す場所が1階でないとき: 運び出しの説明 (``not_equals``)
    - 第2希望日を書いたとき: 第2希望日の時間帯 (``answered``)
    """
    schema = data["schema"]["properties"]
    schema["road_access"] = {"type": "string", "maxLength": 200}
    schema["floor"] = {"type": "string", "enum": ["ground", "upper"]}
    schema["carrying_notes"] = {"type": "string", "maxLength": 200}
    schema["alternative_time"] = {"type": "string", "enum": ["morning", "afternoon"]}
    data["schema"]["required"].append("floor")
    data["steps"].insert(
        2,
        {
            "id": "access",
            "title": {"ja": "収集車の道", "ja-easy": "ごみの車が通る道", "en": "Road access"},
            "items": [
                {
                    "field": "road_access",
                    "widget": "textarea",
                    "when": {"field": "area", "in": ["shimagahara", "oyamada"]},
                    "label": {"ja": "収集車が入れる道", "ja-easy": "ごみの車が通れる道", "en": "Road access"},
                }
            ],
        },
    )
    schedule = next(step for step in data["steps"] if step["id"] == "schedule")
    schedule["items"] += [
        {
            "field": "floor",
            "widget": "radio",
            "label": {"ja": "出すものがある階", "ja-easy": "ごみがある階", "en": "Floor"},
            "options": [
                {"value": "ground", "label": {"ja": "1階", "ja-easy": "1かい", "en": "Ground floor"}},
                {"value": "upper", "label": {"ja": "2階以上", "ja-easy": "2かいより上", "en": "Upper floor"}},
            ],
        },
        {
            "field": "carrying_notes",
            "widget": "text",
            "when": {"field": "floor", "not_equals": "ground"},
            "label": {"ja": "運び出しについて", "ja-easy": "運び出すこと", "en": "Carrying out"},
        },
        {
            "field": "alternative_time",
            "widget": "select",
            "when": {"field": "alternative_date", "answered": True},
            "label": {
                "ja": "第2希望日の時間帯",
                "ja-easy": "2番目の日の時間",
                "en": "Time on the second date",
            },
            "options": [
                {"value": "morning", "label": {"ja": "午前", "ja-easy": "ごぜん", "en": "Morning"}},
                {"value": "afternoon", "label": {"ja": "午後", "ja-easy": "ごご", "en": "Afternoon"}},
            ],
        },
    ]
    data["example"]["floor"] = "ground"
    return data


def _items(definition: Any) -> dict[str, Any]:
    return {item.path: item for item in definition.items()}


def test_each_operator_decides_whether_its_question_shows():
    definition = parse(with_access_step(bulky_waste()))
    items = _items(definition)
    road, carrying, time = items["road_access"], items["carrying_notes"], items["alternative_time"]
    # in
    assert is_visible(road, {"area": "oyamada"}) and is_visible(road, {"area": "shimagahara"})
    assert not is_visible(road, {"area": "ueno"}) and not is_visible(road, {})
    # not_equals: a question not answered yet opens nothing
    assert is_visible(carrying, {"floor": "upper"})
    assert not is_visible(carrying, {"floor": "ground"}) and not is_visible(carrying, {})
    # answered
    assert is_visible(time, {"alternative_date": "2027-04-12"})
    assert not is_visible(time, {"alternative_date": ""}) and not is_visible(time, {})


def test_answered_counts_a_no_and_equals_still_works():
    data = bulky_waste()
    data["schema"]["properties"]["has_helper"] = {"type": "boolean"}
    data["schema"]["properties"]["helper_name"] = {"type": "string", "maxLength": 50}
    data["schema"]["properties"]["helper_phone"] = {"type": "string", "maxLength": 13}
    data["steps"][-1]["items"] += [
        {
            "field": "has_helper",
            "widget": "yes_no",
            "label": {"ja": "手伝う人", "ja-easy": "手伝う人", "en": "Helper"},
        },
        {
            "field": "helper_name",
            "widget": "text",
            "when": {"field": "has_helper", "equals": True},
            "label": {"ja": "手伝う人の名前", "ja-easy": "手伝う人の名前", "en": "Helper's name"},
        },
        {
            "field": "helper_phone",
            "widget": "tel",
            "when": {"field": "has_helper", "answered": True},
            "label": {"ja": "連絡先", "ja-easy": "電話番号", "en": "Contact"},
        },
    ]
    items = _items(parse(data))
    assert is_visible(items["helper_phone"], {"has_helper": False})
    assert not is_visible(items["helper_name"], {"has_helper": False})
    assert is_visible(items["helper_name"], {"has_helper": True})


def test_a_step_whose_questions_all_stay_hidden_is_skipped():
    definition = parse(with_access_step(bulky_waste()))
    access = definition.step("access")
    assert access is not None
    assert not step_is_shown(access, {"area": "ueno"})
    assert step_is_shown(access, {"area": "oyamada"})


@pytest.mark.parametrize(
    ("when", "expected"),
    [
        (
            {"field": "floor"},
            "a condition needs a field of the same level and one of equals, not_equals, in or answered",
        ),
        ({"field": "floor", "equals": "ground", "in": ["upper"]}, "a condition needs a field"),
        ({"field": "floor", "is": "ground"}, "a condition needs a field"),
        ({"field": "nowhere", "equals": "ground"}, "a condition needs a field"),
        ({"field": "carrying_notes", "answered": True}, "a condition needs a field"),
        ("floor == ground", "a condition needs a field"),
        ({"field": "floor", "in": "ground"}, "in needs a list of one or more values"),
        ({"field": "floor", "in": []}, "in needs a list of one or more values"),
        ({"field": "floor", "answered": False}, "answered can only be true"),
        ({"field": "floor", "answered": "yes"}, "answered can only be true"),
        ({"field": "floor", "not_equals": "basement"}, "\"basement\" is not a possible answer of 'floor'"),
        ({"field": "floor", "in": ["ground", "roof"]}, "\"roof\" is not a possible answer of 'floor'"),
        ({"field": "floor", "equals": True}, "true is not a possible answer of 'floor'"),
    ],
)
def test_a_malformed_condition_is_a_problem_naming_the_item(when, expected):
    data = with_access_step(bulky_waste())
    schedule = next(step for step in data["steps"] if step["id"] == "schedule")
    carrying = next(item for item in schedule["items"] if item["field"] == "carrying_notes")
    carrying["when"] = when
    with pytest.raises(DefinitionError) as caught:
        parse(data)
    index = data["steps"].index(schedule)
    where = f"steps[{index}].items[{schedule['items'].index(carrying)}].when"
    assert [str(problem) for problem in caught.value.problems if str(problem).startswith(where)] != []
    problem = next(str(problem) for problem in caught.value.problems if str(problem).startswith(where))
    assert problem.startswith(f"{where}: {expected}")


def test_condition_problems_are_in_the_staff_members_language():
    data = with_access_step(bulky_waste())
    data["steps"][2]["items"][0]["when"] = {"field": "area", "in": ["ueno", "kyoto"]}
    data["steps"][3]["items"][-1]["when"] = {"field": "alternative_date", "answered": False}
    with pytest.raises(DefinitionError) as caught:
        parse(data)
    with translation.override("ja"):
        translated = caught.value.problems_translated()
    assert 'steps[2].items[0].when: "kyoto" は「area」の回答として選べない値です' in translated
    assert "steps[3].items[5].when: answered に指定できるのは true だけです" in translated


def test_the_page_carries_each_condition_for_the_script():
    definition = parse(with_access_step(bulky_waste()))
    views = {view.item.field: view for step in definition.steps for view in step_fields(definition, step, {})}
    road, carrying, time = views["road_access"], views["carrying_notes"], views["alternative_time"]
    assert (road.when_operator, road.when_values, road.when_id) == (
        "in",
        '["shimagahara", "oyamada"]',
        "f-area",
    )
    assert (carrying.when_operator, carrying.when_value) == ("not_equals", "ground")
    assert (time.when_operator, time.when_value, time.when_values) == ("answered", "", "")
    assert not road.visible and not carrying.visible and not time.visible
    shown = {
        view.item.field: view for view in step_fields(definition, definition.steps[3], {"floor": "upper"})
    }
    assert shown["carrying_notes"].visible


@pytest.mark.django_db
def test_the_server_skips_a_step_and_waits_for_a_revealed_question(resident, resident_client):
    proc = procedure(resident.municipality, BULKY)
    version = procedure_version_save_draft(procedure=proc, data=with_access_step(bulky_waste()), actor=None)
    procedure_version_publish(version=version, actor=None)
    answers = {key: value for key, value in version.definition["example"].items() if key != "floor"}
    answers["area"] = "ueno"
    application = make_draft(resident, code=BULKY, answers=answers)
    assert application.procedure_version_id == version.pk
    base = f"/my/applications/{application.public_id}/steps"
    # 上野地区: the road question does not apply, the access step is skipped.
    items = {
        "f.items.count": "1",
        "f.items.0.item_type": "bicycle",
        "f.items.0.description": "子ども用自転車（20インチ）",
        "f.items.0.quantity": "1",
        "action": "next",
    }
    response = resident_client.post(f"{base}/items/", items)
    assert response.status_code == 302 and response["Location"].endswith("/steps/schedule/")
    # 大山田地区: the access step comes next.
    application.answers["area"] = "oyamada"
    application.save(update_fields=["answers"])
    response = resident_client.post(f"{base}/items/", items)
    assert response.status_code == 302 and response["Location"].endswith("/steps/access/")
    # Without JavaScript, 「2階以上」 opens the carrying question on the same page, not as an error.
    schedule = {
        "f.preferred_date": "2027-04-12",
        "f.alternative_date": "",
        "f.floor": "upper",
        "action": "next",
    }
    page = resident_client.post(f"{base}/schedule/", schedule)
    assert page.status_code == 200
    body = page.content.decode()
    assert 'id="revealed-note"' in body and 'id="error-summary"' not in body
    wrap = re.search(r'<div class="field[^"]*" id="f-carrying-notes-wrap"[^>]*>', body)
    assert wrap and " hidden" not in wrap.group(0)
    assert 'data-when-op="not_equals"' in wrap.group(0) and 'data-when-value="ground"' in wrap.group(0)
    # 「1階」: nothing more to ask, on to the last step; the carrying answer is not kept.
    schedule.update({"f.floor": "ground", "f.carrying_notes": "階段が狭いです"})
    response = resident_client.post(f"{base}/schedule/", schedule)
    assert response.status_code == 302 and response["Location"].endswith("/steps/confirm/")
    application.refresh_from_db()
    assert application.answers["floor"] == "ground" and "carrying_notes" not in application.answers
