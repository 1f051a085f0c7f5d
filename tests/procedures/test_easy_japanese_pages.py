"""The やさしい日本語 procedure page reads in やさしい日本語 throughout: who can apply, what you need,
the legal basis and every step title come from the definition's ``ja-easy`` texts (not the plain
Japanese), and each of those texts keeps the rules ``idx easyja check`` checks."""

from __future__ import annotations

import html
import re
from typing import Any

import pytest
from django.conf import settings
from django.test import Client
from django.utils import translation

from idx.common.easyja import check
from idx.common.management.commands.easyja import shipped_texts
from idx.procedures.services import shipped_definitions
from tests.conftest import IGA_HOST

DEFINITIONS = {data["code"]: data for data in shipped_definitions()}


def page_texts(fragment: str, tag: str) -> list[str]:
    """The text of every ``tag`` element of an HTML fragment, as read (readings and tags removed)."""
    texts = []
    for inner in re.findall(rf"<{tag}\b[^>]*>(.*?)</{tag}>", fragment, re.S):
        plain = re.sub(r"<[^>]+>", "", re.sub(r"<rp>.*?</rp>|<rt>.*?</rt>", "", inner, flags=re.S))
        texts.append(html.unescape(plain).strip())
    return texts


def easy_texts(data: dict[str, Any]) -> dict[str, list[tuple[str, str]]]:
    """(やさしい日本語, Japanese) per field of the procedure page; a missing ``ja-easy`` is ''."""
    return {
        "eligibility": [(data["eligibility"].get("ja-easy", ""), data["eligibility"]["ja"])],
        "legal_basis": [(data["legal_basis"].get("ja-easy", ""), data["legal_basis"]["ja"])],
        "documents": [(doc.get("ja-easy", ""), doc["ja"]) for doc in data["required_documents"]],
        "steps": [(step["title"].get("ja-easy", ""), step["title"]["ja"]) for step in data["steps"]],
    }


@pytest.mark.parametrize("code", sorted(DEFINITIONS))
def test_every_page_text_has_its_own_easy_japanese_that_keeps_the_rules(code):
    for field, pairs in easy_texts(DEFINITIONS[code]).items():
        for easy, japanese in pairs:
            assert easy, f"{code} {field}: no ja-easy text for {japanese!r}"
            assert check(easy) == [], f"{code} {field}: {check(easy)}"
            if field != "steps":  # a short step title (配偶者, 確認) may already be plain enough
                assert easy != japanese, f"{code} {field}: the ja-easy text repeats the Japanese"


def test_the_easy_japanese_check_covers_every_page_text():
    checked = {text for _, text in shipped_texts()}
    for code, data in DEFINITIONS.items():
        for field, pairs in easy_texts(data).items():
            for easy, _ in pairs:
                assert easy in checked, f"{code} {field}: {easy!r} is not checked by idx easyja check"


@pytest.mark.django_db
@pytest.mark.parametrize("code", sorted(DEFINITIONS))
def test_the_easy_japanese_procedure_page_shows_the_easy_texts(iga, code):
    client = Client(HTTP_HOST=IGA_HOST)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "ja-easy"
    page = client.get(f"/procedures/{code}/").content.decode()
    facts = re.search(r'<dl class="facts">(.*?)</dl>', page, re.S)
    steps = re.search(r'<ol class="step-list">(.*?)</ol>', page, re.S)
    assert facts and steps
    labels, values = page_texts(facts.group(1), "dt"), page_texts(facts.group(1), "dd")
    shown = dict(zip(labels, values, strict=True))
    texts = easy_texts(DEFINITIONS[code])

    with translation.override("ja-easy"):
        who, law = translation.gettext("Who can apply"), translation.gettext("Legal basis")
    [(eligibility, _)] = texts["eligibility"]
    assert shown[who] == eligibility
    [(legal_basis, _)] = texts["legal_basis"]
    assert shown[law] == legal_basis
    documents = [easy for easy, _ in texts["documents"]]
    if documents:
        assert page_texts(facts.group(1), "li") == documents
    step_titles = page_texts(steps.group(1), "li")[:-1]  # the last step (check and submit) is the page's own
    assert step_titles == [easy for easy, _ in texts["steps"]]
