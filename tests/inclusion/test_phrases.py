"""Japanese breaks between phrases (BudouX), receipt numbers never break, long links in messages
wrap and are links, and the assistant's panel has a close control."""

from __future__ import annotations

import re
import time

import pytest
from django.conf import settings
from django.test import Client

from idx.common.phrases import break_at_phrases, phrase_text, phrases
from idx.notifications.models import Message
from tests.conftest import IGA_HOST, signed_in


def visible(html: str) -> str:
    return re.sub(r"<[^>]+>", "", html)


@pytest.mark.parametrize(
    ("text", "whole"),
    [
        ("マイナンバーカードでログインしてください", "ログイン"),
        ("申請を始める", "申請"),
        ("QRコードを読み取ってください", "QRコード"),
        ("児童手当の認定請求", "児童手当"),
    ],
)
def test_words_stay_whole_between_phrase_breaks(text: str, whole: str) -> None:
    parts = phrases(text)
    assert "".join(parts) == text and len(parts) >= 2
    assert any(whole in part for part in parts), parts  # a break never falls inside the word
    html = phrase_text(text)
    assert html.startswith('<span class="phrases">') and "<wbr>" in html
    assert visible(html) == text


def test_marked_elements_get_phrases_and_receipt_numbers_stay_whole() -> None:
    page = (
        '<html><body><header data-phrases><a href="/">マイナンバーカードでログイン</a>'
        '<button type="submit">申請を始める</button><select><option>日本語</option></select></header>'
        "<p>窓口で受付票を受け取ってください</p>"
        "<script>var a = '申請を始める';</script><p>受付番号 IGA-2026-000123</p></body></html>"
    )
    out = break_at_phrases(page)
    assert '<a href="/"><span class="phrases">マイナンバーカードで<wbr>ログイン</span></a>' in out
    assert "申請を<wbr>始める" in out and "<option>日本語</option>" in out
    assert "<p>窓口で受付票を受け取ってください</p>" in out  # outside the marked element: untouched
    assert "var a = '申請を始める';" in out
    assert "<p>受付番号 IGA-2026-000123</p>" in out
    assert '<span class="nowrap">R-IGA-2026-000001</span>' in phrase_text("領収番号はR-IGA-2026-000001です")


def test_the_phrases_filter() -> None:
    from idx.common.templatetags.idx_lang import phrases as phrases_filter

    assert str(phrases_filter("QRコードを読み取ってください")) == (
        '<span class="phrases">QRコードを<wbr>読み取ってください</span>'
    )
    assert str(phrases_filter("<b>申請</b>")) == "&lt;b&gt;申請&lt;/b&gt;"


@pytest.mark.django_db
def test_phrase_layout_costs_little_per_page(municipalities) -> None:
    """Measured: BudouX on the whole main content of the catalog (the largest page)."""
    client = Client(HTTP_HOST=IGA_HOST)
    # The whole main content opted in: far more text than the header and menu.
    page = client.get("/").content.decode().replace('<main id="main"', '<main data-phrases id="main"', 1)
    assert "data-phrases" in page
    phrases.cache_clear()
    started = time.perf_counter()
    break_at_phrases(page)
    cold = time.perf_counter() - started
    started = time.perf_counter()
    for _ in range(10):
        break_at_phrases(page)
    warm = (time.perf_counter() - started) / 10
    print(f"phrase layout of the catalog: {cold * 1000:.1f} ms cold, {warm * 1000:.1f} ms cached")
    assert cold < 0.25 and warm < 0.05


@pytest.mark.django_db
def test_long_links_in_messages_wrap_and_are_links(resident) -> None:
    url = "https://www.city.iga.lg.jp/0000012345.html?utm_source=idx&section=kosodate-teate-" + "x" * 80
    Message.objects.create(
        municipality=resident.municipality,
        recipient=resident,
        channel="inbox",
        purpose="notice",
        subject="児童手当の現況届について",
        body=f"詳しくは次のページをご覧ください。\n{url}\n<script>alert(1)</script>",
        idempotency_key="inbox-long-link",
    )
    page = signed_in(resident).get("/my/notifications/").content.decode()
    assert f'<a href="{url.replace("&", "&amp;")}" rel="nofollow noopener">' in page
    assert "<script>alert(1)</script>" not in page and "&lt;script&gt;" in page
    assert 'class="message-body"' in page


@pytest.mark.django_db
def test_the_assistant_panel_has_a_close_control_and_the_switch_says_its_action(municipalities) -> None:
    client = Client(HTTP_HOST=IGA_HOST)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    page = client.get("/").content.decode()
    assert 'id="assist-close"' in page and ">Close</button>" in page
    assert ">Show furigana</button>" in page
