"""Every Japanese page breaks its headings, buttons, labels, legends and links at phrase boundaries
on the server (iPhone Safari and Firefox know no ``word-break: auto-phrase``): 「ログイン」 and 「申請」
never split, receipt numbers stay whole, readings (ruby) stay inside one phrase and valid, and the
cost per page is a few milliseconds (figures in docs/performance.md)."""

from __future__ import annotations

import functools
import re
import time
from html.parser import HTMLParser

import pytest
from django.conf import settings
from django.test import Client

from idx.common.furigana import annotate_html
from idx.common.phrases import PHRASE_TAGS, break_at_phrases, phrases
from tests.conftest import IGA_HOST

VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}


class Nesting(HTMLParser):
    """Fails on a closing tag that does not close the innermost open element (ruby cut in two)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.open: list[str] = []
        self.problems: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in VOID:
            self.open.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if tag in ("ruby", "rt", "rp", "span") and (not self.open or self.open[-1] != tag):
            self.problems.append(f"</{tag}> closes {self.open[-1:]}")
        if tag in self.open:
            while self.open and self.open.pop() != tag:
                pass


def well_nested(html: str) -> list[str]:
    parser = Nesting()
    parser.feed(html)
    return parser.problems


@pytest.fixture
def phrase_breaks(settings):
    settings.IDX_PHRASE_BREAKS = True


def japanese(client: Client, language: str = "ja") -> Client:
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    return client


def test_headings_buttons_labels_and_links_get_phrases_without_opting_in(phrase_breaks) -> None:
    page = (
        '<html><body><nav><a href="/sign-in/">マイナンバーカードでログイン</a></nav>'
        "<h1>児童手当の認定請求</h1><form><label for=x>住民登録している住所</label>"
        '<fieldset><legend>証明が必要な方</legend></fieldset><button type="submit">申請を始める</button></form>'
        "<p>窓口で受付票を受け取ってください</p>"
        "<h2>受付番号 IGA-2026-000123 の申請</h2><div data-no-phrases><h3>申請を始める</h3></div></body></html>"
    )
    out = break_at_phrases(page)
    assert '<a href="/sign-in/"><span class="phrases">マイナンバーカードで<wbr>ログイン</span></a>' in out
    assert '<button type="submit"><span class="phrases">申請を<wbr>始める</span></button>' in out
    assert "児童手当の<wbr>認定請求" in out and "<legend><span" in out and "<label for=x><span" in out
    assert "<p>窓口で受付票を受け取ってください</p>" in out  # running text: the browser's own breaks
    assert '<span class="nowrap">IGA-2026-000123</span>' in out
    assert "<h3>申請を始める</h3>" in out  # data-no-phrases leaves an element as it is
    assert {"h1", "h2", "h3", "button", "label", "legend", "a", "summary"} <= PHRASE_TAGS


@pytest.mark.django_db
@pytest.mark.parametrize("language", ["ja", "ja-easy"])
def test_the_catalog_in_japanese_breaks_at_phrases_with_readings_intact(
    municipalities, phrase_breaks, language
):
    client = japanese(Client(HTTP_HOST=IGA_HOST), language)
    if language == "ja":
        client.cookies["idx_furigana"] = "on"  # readings and phrases together
    page = client.get("/").content.decode()
    assert 'class="phrases"' in page and "<wbr>" in page
    assert "<ruby>" in page
    # A phrase break never falls inside a word, nor inside a ruby.
    for broken in ("ログ<wbr>イン", "ロ<wbr>グイン", "ログイ<wbr>ン", "申<wbr>請"):
        assert broken not in page
    for ruby in re.findall(r"<ruby>.*?</ruby>", page, re.S):
        assert "<wbr>" not in ruby and "phrases" not in ruby, ruby
    assert well_nested(page) == []


@pytest.mark.django_db
def test_the_procedure_page_button_splits_only_at_phrase_boundaries(municipalities, phrase_breaks):
    page = (
        japanese(Client(HTTP_HOST=IGA_HOST))
        .get("/procedures/residence-certificate-request/")
        .content.decode()
    )
    assert "申請を<wbr>始める" in page
    assert "申<wbr>請" not in page and "始<wbr>める" not in page


@pytest.mark.django_db
def test_pages_in_other_languages_are_left_alone(municipalities, phrase_breaks):
    page = japanese(Client(HTTP_HOST=IGA_HOST), "en").get("/").content.decode()
    assert "<wbr>" not in page


def test_readings_added_after_phrases_stay_inside_each_phrase() -> None:
    out = annotate_html(
        break_at_phrases("<html><body><h1>児童手当の認定請求</h1></body></html>", PHRASE_TAGS)
    )
    assert well_nested(out) == []
    inner = re.search(r"<h1>(.*)</h1>", out).group(1)
    assert inner.count("<wbr>") == 1 and "<ruby>" in inner
    before, after = inner.split("<wbr>")
    assert before.count("<ruby>") == before.count("</ruby>") and after.count("<ruby>") == after.count(
        "</ruby>"
    )


def _timed(function, repeat: int = 5) -> float:
    best = float("inf")
    for _ in range(repeat):
        started = time.perf_counter()
        function()
        best = min(best, time.perf_counter() - started)
    return best


@pytest.mark.django_db
def test_phrase_breaks_cost_a_few_milliseconds_per_page(municipalities, resident, settings) -> None:
    """The catalog and an application step (the first step of 児童手当の認定請求, the longest form):
    the page as rendered, then the phrase breaks alone, the first time (BudouX on every text) and
    once its phrases are cached (every later request of a process), and whole requests without and
    with them (noisier: the rest of the request varies more than the breaks cost)."""
    from idx.applications import services
    from tests.conftest import procedure, signed_in

    application = services.application_start(
        resident=resident, procedure=procedure(resident.municipality, "child-allowance-certification")
    )
    step = application.procedure_version.parsed.steps[0].id
    pages = {
        "catalog": (japanese(Client(HTTP_HOST=IGA_HOST)), "/"),
        "application step": (
            japanese(signed_in(resident)),
            f"/my/applications/{application.public_id}/steps/{step}/",
        ),
    }
    for name, (client, url) in pages.items():
        settings.IDX_PHRASE_BREAKS = False
        html = client.get(url).content.decode()
        without = _timed(functools.partial(client.get, url))
        phrases.cache_clear()
        started = time.perf_counter()
        out = break_at_phrases(html, PHRASE_TAGS)
        cold = time.perf_counter() - started
        warm = _timed(functools.partial(break_at_phrases, html, PHRASE_TAGS), repeat=10)
        settings.IDX_PHRASE_BREAKS = True
        assert "<wbr>" in client.get(url).content.decode()
        with_breaks = _timed(functools.partial(client.get, url))
        print(
            f"{name} ({len(html) // 1024} KB, {out.count('<wbr>')} breaks): phrase breaks "
            f"{cold * 1000:.1f} ms first, {warm * 1000:.1f} ms cached; whole request "
            f"{without * 1000:.1f} ms without, {with_breaks * 1000:.1f} ms with"
        )
        assert warm < 0.005 and cold < 0.25


@pytest.mark.parametrize(
    ("text", "word"),
    [
        ("ふりがなを表示", "ふりがな"),
        ("フリガナを入力", "フリガナ"),
        ("マイナンバーカードでログイン", "ログイン"),
    ],
)
def test_words_the_model_would_cut_stay_whole(text: str, word: str) -> None:
    parts = phrases(text)
    assert "".join(parts) == text and any(word in part for part in parts), parts
