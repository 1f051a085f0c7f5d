"""The ``my_number`` widget in the definition engine."""

from __future__ import annotations

import copy

import pytest

from idx.procedures.definition import DefinitionError, parse, validate_answers
from idx.procedures.rendering import answers_from_form, display_value, step_fields
from idx.procedures.services import shipped_definitions
from tests.my_number.conftest import BAD_CHECK_DIGIT, MY_NUMBER, MY_NUMBER_SPACED


def _child_allowance() -> dict:
    return copy.deepcopy(
        next(d for d in shipped_definitions() if d["code"] == "child-allowance-certification")
    )


def test_child_allowance_asks_for_the_claimants_number_optionally():
    definition = parse(_child_allowance())
    item = definition.item("claimant.my_number")
    assert item is not None and item.widget == "my_number" and not item.required
    assert item.label["ja"] and item.label["en"] and item.help["ja"] and item.help["en"]
    assert "my_number" not in definition.data["example"]["claimant"]


@pytest.mark.parametrize(
    ("schema", "problem"),
    [
        ({"type": "string"}, "my_number needs type: string and format: my-number"),
        ({"type": "integer", "format": "my-number"}, "my_number needs type: string"),
        ({"type": "string", "format": "my-number", "maxLength": 12}, "takes no maxLength"),
    ],
)
def test_widget_needs_a_string_with_the_format(schema, problem):
    data = _child_allowance()
    data["schema"]["properties"]["claimant"]["properties"]["my_number"] = schema
    with pytest.raises(DefinitionError) as caught:
        parse(data)
    assert any(problem in text for text in caught.value.problems)


def test_an_example_must_not_hold_a_number():
    data = _child_allowance()
    data["example"]["claimant"]["my_number"] = MY_NUMBER
    with pytest.raises(DefinitionError) as caught:
        parse(data)
    assert any("claimant.my_number" in text for text in caught.value.problems)


def test_validation_checks_the_clear_number():
    definition = parse(_child_allowance())
    answers = copy.deepcopy(definition.data["example"])
    answers["claimant"]["my_number"] = BAD_CHECK_DIGIT
    errors = validate_answers(definition, answers)
    assert [(e.path, e.code) for e in errors] == [("claimant.my_number", "format:my-number")]
    answers["claimant"]["my_number"] = MY_NUMBER
    assert validate_answers(definition, answers) == []


def test_rendering_never_echoes_and_reads_typed_spacing():
    definition = parse(_child_allowance())
    step = definition.step("claimant")
    answers = {"claimant": {"my_number": "sealed:v1:0123abcd:" + "A" * 80}}
    view = next(
        v for v in step_fields(definition, step, answers)[0].children if v.path == "claimant.my_number"
    )
    assert view.value == "" and view.sealed
    assert view.input_mode == "numeric" and view.autocomplete == "off"
    parsed = answers_from_form(step, {"f.claimant.my_number": MY_NUMBER_SPACED}, {})
    assert parsed["claimant"]["my_number"] == MY_NUMBER
    item = definition.item("claimant.my_number")
    assert display_value(item, answers["claimant"]["my_number"]) in (
        "Submitted (encrypted)",
        "提出あり（暗号化済み）",
    )
