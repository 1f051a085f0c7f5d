"""The result 「意見の概要と市の考え方」 in Japanese, やさしい日本語 and English: written by staff per
section with the easy-Japanese check, read by residents in the language they chose, Japanese
(marked lang="ja") where a language is missing."""

from __future__ import annotations

import re

import pytest
from django.conf import settings
from django.test import Client

from idx.public_comment import services
from idx.public_comment.models import Consultation, Section
from tests.conftest import IGA_HOST, signed_in

EASY_SUMMARY = "こどもが 遊ぶ 場所を 増やして ほしい という 意見が ありました。"
EASY_VIEW = "市は 公園を 2か所 増やします。"
HARD_EASY = "本計画における子育て支援施策の推進体制の整備に関する市民意見を踏まえ、関係部局と連携して検討を進めることとしたものである。"


@pytest.fixture
def kodomo_client(kodomo_admin) -> Client:
    return signed_in(kodomo_admin)


def _form(**extra):
    form = {
        "summary_1": "子どもの遊び場を増やしてほしいとの意見がありました。",
        "view_1": "市内に公園を2か所整備します。",
        "summary_easy_1": EASY_SUMMARY,
        "view_easy_1": EASY_VIEW,
        "summary_en_1": "People asked for more places for children to play.",
        "view_en_1": "The city will build two more parks.",
        "changed_1": "yes",
        "summary_2": "相談窓口の周知を求める意見がありました。",
        "view_2": "広報いがで周知します。",
        "changed_2": "no",
        "notes_ja": "第1章を修正しました。",
        "notes_easy": "第1章を なおしました。",
        "notes_en": "Chapter 1 was changed.",
        "action": "publish",
    }
    form.update(extra)
    return form


def _text(response) -> str:
    """The page as read: without the readings (ruby) added above kanji, and without tags."""
    html = re.sub(r"<rt>.*?</rt>|<rp>.*?</rp>", "", response.content.decode(), flags=re.S)
    return re.sub(r"<(?!p lang)[^>]+>", "", html)


def _reader(language: str) -> Client:
    client = Client(HTTP_HOST=IGA_HOST)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    return client


@pytest.mark.django_db
def test_easy_japanese_that_breaks_its_rules_is_refused_and_kept(kodomo_client, closed_case):
    base = f"/staff/public-comment/{closed_case.uid}/"
    page = kodomo_client.post(f"{base}result/", _form(view_easy_1=HARD_EASY))
    assert page.status_code == 422
    body = page.content.decode()
    assert 'href="#id_view_easy_1"' in body and HARD_EASY in body
    section = Section.objects.get(consultation=closed_case, number=1)
    assert "ja-easy" not in section.city_views
    with pytest.raises(services.PublicCommentRefused) as refused:
        services.section_result_put(
            section=section,
            opinion_summaries={"ja": "要約", "ja-easy": HARD_EASY},
            city_views={"ja": "考え方"},
            changed=True,
            actor=None,
        )
    assert refused.value.code == "easy_japanese" and refused.value.field == "opinion_summaries_easy"


@pytest.mark.django_db
def test_residents_read_the_result_in_their_language_with_japanese_marked(kodomo_client, closed_case):
    base = f"/staff/public-comment/{closed_case.uid}/"
    page = kodomo_client.post(f"{base}result/", _form())
    assert page.status_code == 302
    review = kodomo_client.get(f"{base}result/publish/").content.decode()
    # Section 2 has no easy Japanese nor English: the second look says so.
    assert "Section 2" in review or "2" in re.sub(r"<[^>]+>", "", review)
    assert EASY_VIEW in review and "The city will build two more parks." in review
    kodomo_client.post(f"{base}result/publish/", {"confirmed": "yes"})
    consultation = Consultation.objects.get(pk=closed_case.pk)
    assert consultation.result_is_published
    assert consultation.result_notes == {
        "ja": "第1章を修正しました。",
        "ja-easy": "第1章を なおしました。",
        "en": "Chapter 1 was changed.",
    }
    url = f"/public-comment/{closed_case.uid}/result/"
    easy = _text(_reader("ja-easy").get(url))
    assert EASY_SUMMARY in easy and EASY_VIEW in easy and "第1章を なおしました。" in easy
    assert "子どもの遊び場を増やしてほしい" not in easy
    assert "相談窓口の周知を求める意見がありました。" in easy  # section 2 falls back to Japanese
    english = _text(_reader("en").get(url))
    assert "People asked for more places for children to play." in english
    assert "Chapter 1 was changed." in english
    fallback = re.search(r'<p lang="ja">相談窓口の周知を求める意見がありました。', english)
    assert fallback, "the Japanese fallback is marked lang=ja"
    vietnamese = _text(_reader("vi").get(url))
    assert "People asked" not in vietnamese and '<p lang="ja">子どもの遊び場を増やしてほしい' in vietnamese
    japanese = _text(_reader("ja").get(url))
    assert "子どもの遊び場を増やしてほしいとの意見がありました。" in japanese and EASY_SUMMARY not in japanese
    # The opinions themselves are never published, in any language.
    for text in (easy, english, vietnamese, japanese):
        assert "第1章への意見です。" not in text


@pytest.mark.django_db
def test_other_languages_written_through_the_api_are_kept_by_the_form(kodomo_client, closed_case):
    section = Section.objects.get(consultation=closed_case, number=1)
    services.section_result_put(
        section=section,
        opinion_summaries={"ja": "要約", "pt-br": "Resumo das opiniões."},
        city_views={"ja": "考え方", "pt-br": "A visão da cidade."},
        changed=True,
        actor=None,
    )
    page = kodomo_client.post(f"/staff/public-comment/{closed_case.uid}/result/", _form(action="save"))
    assert page.status_code == 302
    section.refresh_from_db()
    assert section.opinion_summaries["pt-br"] == "Resumo das opiniões."
    assert section.city_views["ja-easy"] == EASY_VIEW
