"""The builder's operations keep schema, form, required lists, standard names and example in step."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
import yaml
from django.utils import translation
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from idx.procedures import builder
from idx.procedures.definition import parse

DEFINITIONS = sorted((Path(builder.__file__).parent / "definitions").glob("*.yaml"))


def load(code: str = "bulky-waste-collection") -> dict[str, Any]:
    path = Path(builder.__file__).parent / "definitions" / f"{code}.yaml"
    return yaml.safe_load(path.read_text(encoding="utf-8"))


@pytest.fixture(autouse=True)
def _japanese():
    with translation.override("ja"):
        yield


def test_thirty_definitions_are_shipped():
    assert len(DEFINITIONS) == 30


@pytest.mark.parametrize("path", DEFINITIONS, ids=lambda p: p.stem)
def test_round_trip_without_loss(path):
    """Every item saved unchanged through the item editor, and moved down and back: the same dict."""
    original = yaml.safe_load(path.read_text(encoding="utf-8"))
    data = copy.deepcopy(original)
    for place in list(builder.iter_places(data)):
        data, new_path = builder.update_item(data, place.path, builder.item_values(data, place.path))
        assert new_path == place.path
    assert data == original
    first = data["steps"][0]["items"][0]["field"]
    try:
        moved = builder.move_by(data, first, +1)
    except builder.BuilderError:
        return  # the next item depends on the first one
    assert builder.move_by(moved, first, -1) == original


@pytest.mark.parametrize("path", DEFINITIONS, ids=lambda p: p.stem)
def test_generated_example_is_accepted(path):
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    example = builder.generate_example(data)
    parse({**data, "example": example})
    assert "my_number" not in str(example)


def test_example_is_realistic_japanese():
    example = builder.generate_example(load())
    assert example["applicant"] == {
        "name": "伊賀 太郎",
        "name_kana": "イガ タロウ",
        "phone": "0595-22-9600",
        "email": "taro.iga@example.jp",
    }
    assert example["collection_postal_code"] == "518-8501"
    assert example["collection_address"] == "三重県伊賀市四十九町3184番地"
    assert example["area"] == "ueno"
    assert 1 <= len(example["items"]) <= 2
    assert example["preferred_date"] > "2026-01-01"


def test_shipped_standard_item_names_are_in_the_list():
    names = builder.standard_item_names()
    for path in DEFINITIONS:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        for value in (data.get("standard_items") or {}).values():
            assert value in names, f"{path.stem}: {value}"
    assert all(description for description in names.values())


def test_add_yes_no_writes_schema_form_and_example():
    data, path = builder.add_item(
        load(),
        item_type="yes_no",
        step_id="schedule",
        position=1,
        label={
            "ja": "立ち会いを希望しますか",
            "ja-easy": "収集のとき、家にいたいですか",
            "en": "Will you be present?",
        },
        required=True,
    )
    assert path == "will_you_be_present"
    assert data["schema"]["properties"]["will_you_be_present"] == {"type": "boolean"}
    assert "will_you_be_present" in data["schema"]["required"]
    step = next(step for step in data["steps"] if step["id"] == "schedule")
    assert step["items"][1]["field"] == "will_you_be_present"
    assert step["items"][1]["widget"] == "yes_no"
    assert data["example"]["will_you_be_present"] is True
    parse(data)


def test_add_into_repeat_group_and_unique_names():
    data, path = builder.add_item(
        load(), item_type="text", step_id="items", group="items", label={"ja": "品名", "en": "Description"}
    )
    assert path == "items[].description_2"
    assert "description_2" in data["schema"]["properties"]["items"]["items"]["properties"]
    parse(data)
    with pytest.raises(builder.BuilderError):
        builder.add_item(
            data, item_type="repeat", step_id="items", group="items", label={"ja": "x", "en": "x"}
        )


def test_label_in_japanese_is_required_and_named():
    with pytest.raises(builder.BuilderError) as caught:
        builder.add_item(load(), item_type="date", step_id="schedule", label={"ja": "", "en": "Date"})
    assert caught.value.field == "label_ja"
    assert "日本語" in caught.value.message


def test_condition_makes_required_conditional():
    data = load()
    data, path = builder.add_item(
        data, item_type="yes_no", step_id="schedule", label={"ja": "立ち会い", "en": "Present"}
    )
    data, reason = builder.add_item(
        data, item_type="text", step_id="schedule", label={"ja": "理由", "en": "Reason"}, required=True
    )
    values = builder.item_values(data, reason)
    values.when = {"field": "present", "equals": True}
    data, _ = builder.update_item(data, reason, values)
    assert "reason" not in data["schema"]["required"]
    assert {
        "if": {"properties": {"present": {"const": True}}, "required": ["present"]},
        "then": {"required": ["reason"]},
    } in data["schema"]["allOf"]
    parse(data)
    # A condition on a later question is refused.
    values = builder.item_values(data, path)
    values.when = {"field": "reason", "equals": "x"}
    with pytest.raises(builder.BuilderError):
        builder.update_item(data, path, values)
    # The question a condition depends on cannot be deleted, nor moved after it.
    with pytest.raises(builder.BuilderError) as caught:
        builder.delete_item(data, path)
    assert "理由" in caught.value.message
    with pytest.raises(builder.BuilderError):
        builder.move_by(data, path, +1)


def test_delete_removes_property_required_standard_name_and_example():
    data = builder.delete_item(load(), "preferred_date")
    assert "preferred_date" not in data["schema"]["properties"]
    assert "preferred_date" not in data["schema"]["required"]
    assert "preferred_date" not in data["standard_items"]
    assert "preferred_date" not in data["example"]
    parse(data)
    data = builder.delete_item(data, "items[].quantity")
    assert "items[].quantity" not in data["standard_items"]
    assert all("quantity" not in entry for entry in data["example"]["items"])
    parse(data)


def test_rename_field_follows_everywhere():
    data = load()
    values = builder.item_values(data, "applicant.phone")
    values.field = "telephone"
    data, path = builder.update_item(data, "applicant.phone", values)
    assert path == "applicant.telephone"
    assert data["standard_items"]["applicant.telephone"] == "申込者_電話番号"
    assert "telephone" in data["schema"]["properties"]["applicant"]["required"]
    parse(data)
    values.field = "Bad Name"
    with pytest.raises(builder.BuilderError) as caught:
        builder.update_item(data, path, values)
    assert caught.value.field == "field"


def test_options_edit_keeps_enum_in_step():
    data = load()
    values = builder.item_values(data, "area")
    values.options = values.options[:2] + [{"value": "", "label": {"ja": "市外", "en": "Outside the city"}}]
    data, _ = builder.update_item(data, "area", values)
    assert data["schema"]["properties"]["area"]["enum"] == ["ueno", "iga", "outside_the_city"]
    parse(data)


def test_move_between_steps_and_duplicate():
    data = builder.move_by(load(), "preferred_date", -1)
    assert data["steps"][1]["items"][-1]["field"] == "preferred_date"
    parse(data)
    data, copy_path = builder.duplicate_item(data, "items[].description")
    assert copy_path == "items[].description_2"
    parse(data)


def test_problems_are_mapped_beside_the_item_in_japanese():
    data = load()
    data["steps"][2]["items"][1]["label"] = {"ja": "第2希望日"}
    data["steps"][0]["items"][0]["items"][2]["widget"] = "yes_no"
    problems = builder.check(data)
    assert problems.blocking
    assert "質問を英語で入力してください。" in problems.items["alternative_date"]
    assert "applicant.phone" in problems.items
    text = str(problems.items)
    assert "steps[" not in text and "schema" not in text


def test_easy_japanese_advice_beside_the_item():
    data = load()
    data["steps"][0]["items"][1]["label"]["ja-easy"] = "地区は17時までに選択しなければなりません。"
    problems = builder.check(data)
    assert not problems.blocking
    assert any("やさしい日本語" in message for message in problems.items["area"])


OPERATIONS = st.lists(
    st.tuples(
        st.sampled_from(["add", "delete", "up", "down", "duplicate", "example"]),
        st.integers(min_value=0, max_value=200),
        st.sampled_from(sorted(builder.ITEM_TYPES)),
    ),
    max_size=8,
)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(OPERATIONS)
def test_random_operations_keep_the_definition_valid(operations):
    data = load()
    for name, number, item_type in operations:
        paths = [place.path for place in builder.iter_places(data)]
        path = paths[number % len(paths)]
        try:
            if name == "add":
                step = data["steps"][number % len(data["steps"])]["id"]
                data, _ = builder.add_item(
                    data,
                    item_type=item_type,
                    step_id=step,
                    position=number % 5,
                    label={"ja": "質問", "en": "Question"},
                )
            elif name == "delete":
                data = builder.delete_item(data, path)
            elif name in ("up", "down"):
                data = builder.move_by(data, path, -1 if name == "up" else 1)
            elif name == "duplicate":
                data, _ = builder.duplicate_item(data, path)
            else:
                data = builder.regenerate_example(data)
        except builder.BuilderError:
            continue
        parse(data)


def test_note_is_shown_between_questions_and_holds_no_answer():
    from idx.procedures.rendering import step_fields

    data, path = builder.add_item(
        load(),
        item_type="note",
        step_id="schedule",
        position=1,
        label={"ja": "収集日について", "ja-easy": "ごみを取りに行く日", "en": "About the collection day"},
    )
    assert path == "about_the_collection_day"
    assert "about_the_collection_day" not in data["schema"]["properties"]
    values = builder.item_values(data, path)
    values.help = {"ja": "年末年始は収集しません。", "en": "No collection over the New Year holidays."}
    values.required = True
    data, _ = builder.update_item(data, path, values)
    assert "about_the_collection_day" not in data["schema"]["required"]
    definition = parse(data)
    step = definition.step("schedule")
    assert step.fields == ["preferred_date", "alternative_date", "placement_notes"]
    views = step_fields(definition, step, data["example"])
    assert [view.widget for view in views] == ["date", "note", "date", "textarea"]
    assert views[1].label == "収集日について"
    data, copy_path = builder.duplicate_item(data, path)
    parse(data)
    data = builder.delete_item(data, copy_path)
    parse(data)
    with pytest.raises(builder.BuilderError):
        builder.add_item(
            data, item_type="note", step_id="items", group="items", label={"ja": "注", "en": "Note"}
        )


def test_a_step_is_never_left_with_notes_alone():
    # The confirm step's one question, with a note added before it: the note asks nothing, so the
    # question can neither be deleted nor moved out (a step of notes alone is not a valid step).
    data, _ = builder.add_item(
        load(), item_type="note", step_id="confirm", position=0, label={"ja": "注意", "en": "Note"}
    )
    with pytest.raises(builder.BuilderError, match="ステップごと削除"):
        builder.delete_item(data, "confirm_no_recycling_items")
    with pytest.raises(builder.BuilderError, match="ステップごと削除"):
        builder.move_item(data, "confirm_no_recycling_items", step_id="schedule", position=0)
    parse(data)
