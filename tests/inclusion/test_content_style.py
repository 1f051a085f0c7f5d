"""docs/content-style.md, checked on rendered pages: no ISO dates, no grouped years, no raw
booleans or codes in what a resident reads, in Japanese, やさしい日本語 and English."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest

from tests.conftest import make_draft, make_submitted, signed_in

ISO_DATE = re.compile(r"\b\d{4}-\d{2}-\d{2}\b")
GROUPED_YEAR = re.compile(r"(?<![\d,])(?:19|20)?[12],\d{3}(?![\d,])\s*(?:年|年度)?")
HALF_WIDTH_IN_JAPANESE = re.compile(r"[ぁ-んァ-ヶ一-龠]\s?\(|[ぁ-んァ-ヶ一-龠]: |〒\s")
RAW_VALUES = {"true", "false", "True", "False", "None", "residence_certificate_copy", "kosei_nenkin"}


class VisibleText(HTMLParser):
    """The text nodes a person reads (scripts, styles and attribute values left out)."""

    def __init__(self) -> None:
        super().__init__()
        self.nodes: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style"):
            self._skip += 1

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style"):
            self._skip -= 1

    def handle_data(self, data: str) -> None:
        if not self._skip and data.strip():
            self.nodes.append(data.strip())


def breaches(page: str, language: str = "ja") -> list[str]:
    parser = VisibleText()
    parser.feed(page)
    found = []
    for node in parser.nodes:
        if ISO_DATE.search(node):
            found.append(f"ISO date: {node}")
        if GROUPED_YEAR.search(node) and "円" not in node and "yen" not in node:
            found.append(f"grouped year: {node}")
        if node in RAW_VALUES:
            found.append(f"raw value: {node}")
        if language.startswith("ja") and HALF_WIDTH_IN_JAPANESE.search(node):
            found.append(f"half-width punctuation in Japanese: {node}")
    return found


def test_the_checker_finds_each_kind_of_breach():
    page = "<p>2026-12-04 07:32</p><dd>2,025</dd><dd>true</dd><script>var d='2026-01-01'</script>"
    assert len(breaches(page)) == 3
    assert len(breaches("<p>住民課 (本庁舎1階)</p><p>〒 518-8501</p><p>電話番号: 0595</p>")) == 3
    assert breaches("<p>2026年12月4日（金）</p><dd>4,200,000</dd><dd>はい</dd>") == []


@pytest.mark.parametrize("language", ["ja", "ja-easy", "en"])
def test_resident_pages_follow_the_content_style(resident, language):
    client = signed_in(resident)
    client.cookies["idx_language"] = language
    submitted = make_submitted(resident)
    draft = make_draft(resident, "residence-certificate-request")
    pages = {
        "review": f"/my/applications/{draft.public_id}/review/",
        "detail": f"/my/applications/{submitted.public_id}/",
        "receipt": f"/my/applications/{submitted.public_id}/receipt/",
        "mine": "/my/applications/",
        "procedure": "/procedures/residence-certificate-request/",
        "catalog": "/",
    }
    for name, url in pages.items():
        response = client.get(url)
        assert response.status_code == 200, (name, response.status_code)
        page = response.content.decode()
        assert breaches(page, language) == [], (language, name)
    detail = client.get(pages["detail"]).content.decode()
    # The 児童手当 example's income year and amount are both on the detail page.
    assert "2025" in detail and "4,200,000" in detail
