"""A definition's problems are English text for the command line and logs, and carry where they
are and their wording, so the back office shows them in the staff member's language."""

from __future__ import annotations

import copy

import pytest
from django.utils import translation

from idx.procedures.definition import DefinitionError, Problem, parse
from idx.procedures.services import shipped_definitions


def _child_allowance() -> dict:
    return copy.deepcopy(
        next(d for d in shipped_definitions() if d["code"] == "child-allowance-certification")
    )


def test_problems_are_english_text_with_a_path_and_translate():
    data = _child_allowance()
    data["steps"][0]["items"][1]["label"] = {"ja": "転入日"}
    data["steps"][0]["items"][2]["widget"] = "slider"
    with pytest.raises(DefinitionError) as caught:
        parse(data)
    problems = caught.value.problems
    assert "steps[0].items[1].label: missing language 'en'" in problems
    missing = next(problem for problem in problems if problem.startswith("steps[0].items[1].label"))
    assert isinstance(missing, Problem) and missing.path == "steps[0].items[1].label"
    with translation.override("ja"):
        translated = caught.value.problems_translated()
    assert "steps[0].items[1].label: 言語「en」の文章がありません" in translated
    assert "steps[0].items[2]: 不明なウィジェット「slider」" in translated
    with translation.override("en"):
        assert caught.value.problems_translated() == [str(problem) for problem in problems]


def test_a_plain_text_problem_is_shown_as_it_is():
    error = DefinitionError(
        ["department: choose a department you administer", Problem("missing key '%(key)s'", key="x")]
    )
    with translation.override("ja"):
        assert error.problems_translated() == [
            "department: choose a department you administer",
            "キー「x」がありません",
        ]
