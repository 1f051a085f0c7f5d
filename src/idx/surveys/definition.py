"""A survey's questions as a procedure definition: the procedure engine parses, validates and
renders them (idx.procedures.definition / rendering); nothing here is a second form engine.

Five ready-made question kinds become definition items:

- ``single``: a ``radio`` over a string ``enum`` (c1, c2, …);
- ``multiple``: a ``fieldset`` of ``checkbox`` items (one boolean per choice; the engine has no
  multi-select widget, and a tick box per choice reads the same to a resident);
- ``scale``: a ``radio`` over the integers 1–5;
- ``text``: a ``textarea`` of at most 1,000 characters;
- ``number``: a ``number`` (a whole number from 0 to 999,999).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from idx.procedures.definition import Definition, Item, parse

KINDS = ("single", "multiple", "scale", "text", "number")
# The visual builder's kinds (idx.procedures.builder.ITEM_TYPES) offered for a survey: those the
# results count (choices; numbers; text, never published).
SURVEY_ITEM_TYPES = ("radio", "select", "count", "text", "textarea")
STEP_TITLE = {"ja": "質問", "ja-easy": "しつもん", "en": "Questions"}
TEXT_MAX = 1000
SCALE_LABELS: dict[int, dict[str, str]] = {
    1: {"ja": "1 そう思わない", "en": "1 Disagree", "ja-easy": "1 そう おもわない"},
    2: {"ja": "2 あまりそう思わない", "en": "2 Somewhat disagree", "ja-easy": "2 あまり そう おもわない"},
    3: {"ja": "3 どちらともいえない", "en": "3 Neither", "ja-easy": "3 どちらでもない"},
    4: {"ja": "4 ややそう思う", "en": "4 Somewhat agree", "ja-easy": "4 すこし そう おもう"},
    5: {"ja": "5 そう思う", "en": "5 Agree", "ja-easy": "5 そう おもう"},
}


def _texts(value: Mapping[str, str] | str) -> dict[str, str]:
    """Texts per language; the engine requires ja and en, so a missing en repeats the ja text."""
    texts = {"ja": value} if isinstance(value, str) else {k: v for k, v in value.items() if v}
    texts.setdefault("en", texts.get("ja", ""))
    return texts


def build_definition(questions: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """``schema`` and ``steps`` for questions ``{"kind", "label", "choices", "required", "help"}``.

    Questions with ``"step"`` set start a new page (its title in ``step``); otherwise all
    questions are on one page.
    """
    properties: dict[str, Any] = {}
    required: list[str] = []
    steps: list[dict[str, Any]] = []
    for index, question in enumerate(questions, start=1):
        kind = question["kind"]
        name = f"q{index}"
        item: dict[str, Any] = {"field": name, "label": _texts(question["label"])}
        if question.get("help"):
            item["help"] = _texts(question["help"])
        choices = [_texts(choice) for choice in question.get("choices") or []]
        if kind == "single":
            values = [f"c{n}" for n in range(1, len(choices) + 1)]
            properties[name] = {"type": "string", "enum": values}
            item |= {
                "widget": "radio",
                "options": [{"value": v, "label": c} for v, c in zip(values, choices, strict=True)],
            }
        elif kind == "multiple":
            properties[name] = {
                "type": "object",
                "properties": {f"c{n}": {"type": "boolean"} for n in range(1, len(choices) + 1)},
            }
            item |= {
                "widget": "fieldset",
                "items": [
                    {"field": f"c{n}", "widget": "checkbox", "label": choice}
                    for n, choice in enumerate(choices, start=1)
                ],
            }
        elif kind == "scale":
            properties[name] = {"type": "integer", "enum": [1, 2, 3, 4, 5]}
            item |= {
                "widget": "radio",
                "options": [{"value": v, "label": dict(label)} for v, label in SCALE_LABELS.items()],
            }
        elif kind == "text":
            properties[name] = {"type": "string", "maxLength": TEXT_MAX}
            item["widget"] = "textarea"
        elif kind == "number":
            properties[name] = {"type": "integer", "minimum": 0, "maximum": 999_999}
            item["widget"] = "number"
        else:
            raise ValueError(f"unknown question kind {kind!r}")
        if question.get("when"):
            item["when"] = dict(question["when"])
        if question.get("required") and kind != "multiple":
            required.append(name)
        if question.get("step") or not steps:
            steps.append(
                {
                    "id": f"page{len(steps) + 1}",
                    "title": _texts(question.get("step") or STEP_TITLE),
                    "items": [],
                }
            )
        steps[-1]["items"].append(item)
    return {
        "schema": {
            "type": "object",
            "properties": properties,
            "required": required,
            "additionalProperties": False,
        },
        "steps": steps,
    }


def engine_data(
    *, code: str, titles: Mapping[str, str], department_code: str, definition: Mapping[str, Any]
) -> dict[str, Any]:
    """The whole definition the engine parses, from a survey's ``schema`` and ``steps``.

    The engine is made for procedures and requires keys a survey has no use for (legal basis,
    eligibility, documents, declaration, category, processing days). They are filled here, and
    only here, with neutral values that no survey page shows; the survey's own questions are
    untouched.
    """
    neutral = {"ja": "なし", "en": "None"}
    return {
        "code": f"survey-{code}"[:80],
        "name": _texts(titles),
        "summary": _texts(titles),
        "category": "events",
        "life_event": "daily_life",
        "department": department_code,
        "legal_basis": neutral,
        "eligibility": neutral,
        "required_documents": [],
        "identity_verification": "none",
        "signature_required": False,
        "proxy_allowed": False,
        "processing_days": 1,
        "declaration": neutral,
        "schema": definition["schema"],
        "steps": definition["steps"],
    }


def parsed(survey: Any) -> Definition:
    """The survey's questions parsed by the engine (raises DefinitionError when they are not valid)."""
    return parse(
        engine_data(
            code=survey.code,
            titles=survey.titles,
            department_code=survey.department.code,
            definition=survey.definition,
        )
    )


@dataclass(frozen=True)
class Question:
    """A top-level item with the kind the results are counted by."""

    item: Item
    kind: str

    @property
    def field(self) -> str:
        return self.item.field


def questions_of(definition: Definition) -> list[Question]:
    """The questions of a parsed survey definition, in form order, with their kind."""
    found: list[Question] = []
    for step in definition.steps:
        for item in step.items:
            if item.widget in ("radio", "select"):
                kind = "scale" if item.schema.get("type") == "integer" else "single"
            elif item.widget == "fieldset":
                kind = "multiple"
            elif item.widget in ("textarea", "text"):
                kind = "text"
            elif item.widget == "number":
                kind = "number"
            else:
                kind = "other"
            found.append(Question(item=item, kind=kind))
    return found
