"""The application forms read in やさしい日本語 too: every question of every shipped procedure (item
label, help text, the label of each choice, the "add another" button of a repeat and the step's
description, and the declaration confirmed before sending) has its own ``ja-easy`` text that keeps the rules ``idx easyja check`` checks, the
check covers them, and a form shown in やさしい日本語 uses them instead of the plain Japanese."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

import pytest
from django.utils import translation

from idx.common.easyja import check
from idx.common.management.commands.easyja import shipped_texts
from idx.procedures.definition import parse
from idx.procedures.rendering import step_fields
from idx.procedures.services import shipped_definitions

DEFINITIONS = {data["code"]: data for data in shipped_definitions()}


def form_texts(data: Mapping[str, Any]) -> Iterator[tuple[str, Mapping[str, str]]]:
    """(where, language map) of every text of the form a resident reads while answering."""

    def items(raw_items: list[Mapping[str, Any]], where: str) -> Iterator[tuple[str, Mapping[str, str]]]:
        for item in raw_items:
            at = f"{where}.{item['field']}"
            yield f"{at}.label", item["label"]
            for key in ("help", "add_label"):
                if key in item:
                    yield f"{at}.{key}", item[key]
            for option in item.get("options") or []:
                yield f"{at}.options.{option['value']}", option["label"]
            yield from items(item.get("items") or [], at)

    for step in data["steps"]:
        if step.get("description"):
            yield f"{step['id']}.description", step["description"]
        yield from items(step["items"], step["id"])
    yield "declaration", data["declaration"]


@pytest.mark.parametrize("code", sorted(DEFINITIONS))
def test_every_question_has_easy_japanese_that_keeps_the_rules(code: str) -> None:
    texts = list(form_texts(DEFINITIONS[code]))
    assert texts
    for where, text in texts:
        easy = text.get("ja-easy", "")
        assert easy.strip(), f"{code} {where}: no ja-easy text for {text['ja']!r}"
        assert check(easy) == [], f"{code} {where}: {[str(breach) for breach in check(easy)]}"


def test_the_easy_japanese_check_covers_every_question() -> None:
    checked = {text for _, text in shipped_texts()}
    for code, data in DEFINITIONS.items():
        for where, text in form_texts(data):
            assert text["ja-easy"] in checked, f"{code} {where}: not checked by idx easyja check"


def test_a_form_in_easy_japanese_shows_the_easy_questions() -> None:
    definition = parse(DEFINITIONS["residence-certificate-request"])
    step = definition.steps[0]
    with translation.override("ja-easy"):
        easy = step_fields(definition, step, {})
    with translation.override("ja"):
        plain = step_fields(definition, step, {})
    requester_easy, requester = easy[0], plain[0]
    assert requester.label == "請求者（あなた）" and requester_easy.label == "申し込む人（あなた）"
    names = {child.item.field: child for child in requester_easy.children}
    assert names["name"].label == "名前"
    assert names["name_kana"].help == "カタカナで書いてください。"
    target = parse(DEFINITIONS["residence-certificate-request"]).steps[1]
    with translation.override("ja-easy"):
        scope = step_fields(definition, target, {})[0]
    assert [option["label"] for option in scope.options][0] == "あなただけ"
