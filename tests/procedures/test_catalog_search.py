"""Catalog search as residents type it: kana for kanji, the plain word ranked first, a next step
when nothing matches, and life events that list what they call for."""

from __future__ import annotations

import re

from idx.procedures.selectors import procedure_catalog


def _codes(response) -> list[str]:
    return list(dict.fromkeys(re.findall(r'href="/procedures/([a-z0-9-]+)/"', response.content.decode())))


def test_kana_finds_the_kanji_name(iga_client):
    found = _codes(iga_client.get("/", {"q": "じどうてあて"}))
    assert "child-allowance-certification" in found
    assert all(code.startswith("child-allowance") for code in found), found
    # Katakana and full-width forms too.
    assert "child-allowance-certification" in _codes(iga_client.get("/", {"q": "ジドウテアテ"}))
    assert _codes(iga_client.get("/", {"q": "じゅうみんひょう"}))[0] == "residence-certificate-request"


def test_the_procedure_named_by_the_word_comes_first(iga, iga_client):
    ranked = [p.code for p in procedure_catalog(municipality=iga, query="住民票")]
    assert ranked[0] == "residence-certificate-request"
    assert len(ranked) > 1  # others that mention 住民票 still come, after it
    assert _codes(iga_client.get("/", {"q": "住民票"}))[0] == "residence-certificate-request"
    # Every word must match; names in English are searched too.
    assert [p.code for p in procedure_catalog(municipality=iga, query="bulky")] == ["bulky-waste-collection"]
    assert not procedure_catalog(municipality=iga, query="住民票 粗大ごみ").exists()


def test_catalog_search_is_scoped_to_the_municipality(iga, watarai):
    iga_codes = {p.code for p in procedure_catalog(municipality=iga, query="じどうてあて")}
    for procedure in procedure_catalog(municipality=watarai, query="じどうてあて"):
        assert procedure.municipality_id == watarai.pk
    assert iga_codes


def test_no_results_offer_the_assistant_and_an_inquiry(iga_client):
    response = iga_client.get("/", {"q": "ドローン飛行許可"})
    page = response.content.decode()
    assert _codes(response) == []
    assert "/ask/?q=%E3%83%89%E3%83%AD%E3%83%BC%E3%83%B3" in page
    assert "/inquiries/new/?q=" in page
    plain = re.sub(r"<[^>]+>", "", page)  # phrase-break markup (<wbr>) aside
    assert "自分の言葉でアシスタントに質問する" in plain


def test_pregnancy_and_birth_lists_the_child_allowance_claim(iga_client):
    found = _codes(iga_client.get("/", {"life_event": "pregnancy_birth"}))
    assert "pregnancy-notification" in found
    assert "child-allowance-certification" in found
    # Still under child-rearing, where it has always been.
    assert "child-allowance-certification" in _codes(iga_client.get("/", {"life_event": "childrearing"}))


def test_search_query_count_does_not_grow_with_the_catalog(iga, django_assert_max_num_queries):
    with django_assert_max_num_queries(3):
        list(procedure_catalog(municipality=iga, query="児童手当", life_event="pregnancy_birth"))


def test_also_life_events_must_name_known_life_events():
    import copy

    import pytest

    from idx.procedures.definition import DefinitionError, parse
    from idx.procedures.services import shipped_definitions

    data = copy.deepcopy(
        next(d for d in shipped_definitions() if d["code"] == "child-allowance-certification")
    )
    assert parse(data)
    data["also_life_events"] = ["wedding"]
    with pytest.raises(DefinitionError, match="also_life_events"):
        parse(data)
