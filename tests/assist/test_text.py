"""The analyzer: normalized forms, synonyms, scripts, and masking before anything is stored."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from idx.assist import text


def test_spelling_variants_of_applying_meet():
    forms = [set(text.terms(word)) for word in ("申し込み", "申込", "申込み", "申し込む")]
    assert set.intersection(*forms), forms


def test_synonyms_map_to_one_term():
    assert set(text.terms("粗大ゴミ")) & set(text.terms("粗大ごみ")) & set(text.terms("大型ごみ"))
    assert set(text.terms("子ども")) & set(text.terms("子供"))
    assert set(text.terms("マイナカード")) & set(text.terms("マイナンバーカード"))


def test_particles_and_question_words_are_dropped():
    assert text.terms("を に は が の どう 教えて") == []


def test_english_is_stemmed_and_stopwords_dropped():
    assert text.terms("How do I apply for the nursery?") == text.terms("applying nurseries")


def test_scripts():
    assert text.script_of("ごみの日") == "ja"
    assert text.script_of("garbage day") == "latin"
    assert text.script_of("쓰레기 버리는 날") == "unsupported"
    assert text.script_of("Мусор") == "unsupported"
    assert text.script_of("!!! 123 ???") == "empty"


def test_masking():
    masked = text.mask_personal(
        "電話は０９０－１２３４－５６７８、メールは taro.iga@example.jp、口座 1234567 です。2026年です"
    )
    assert "5678" not in masked and "example.jp" not in masked and "1234567" not in masked
    assert "[phone]" in masked and "[email]" in masked and "[number]" in masked
    assert "2026年" in masked  # years and short numbers stay
    assert text.mask_personal("0595-22-9611に電話") == "[phone]に電話"


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=400))
def test_any_text_is_analyzed_without_error(value: str):
    assert isinstance(text.terms(value), list)
    assert isinstance(text.mask_personal(value), str)
    assert text.script_of(value) in ("ja", "zh", "latin", "unsupported", "empty")


def test_hyphens_and_apostrophes_do_not_drop_english():
    assert text.terms("high-cost care service benefit application")
    assert text.terms("heirs' representative form")
    assert set(text.terms("check-in")) == {"check"} | set(text.terms("in check"))
