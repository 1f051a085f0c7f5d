"""The catalog's pages for people: search, a dataset's page with its preview, and what stays private."""

from __future__ import annotations

import json
import re

import pytest
from django.test import Client

from tests.conftest import IGA_HOST

pytestmark = pytest.mark.django_db


def _page(path: str, language: str = "ja") -> str:
    client = Client(HTTP_HOST=IGA_HOST)
    client.cookies["idx_language"] = language
    response = client.get(path)
    assert response.status_code == 200, path
    return response.content.decode()


def test_the_list_searches_and_filters(iga_catalog):
    page = _page("/opendata/")
    assert "4件" in page or "4 " in page
    for title in ("指定緊急避難場所一覧", "AED設置箇所一覧", "公共施設一覧", "イベント一覧"):
        assert title in page
    found = _page("/opendata/?q=避難")
    assert "指定緊急避難場所一覧" in found and "AED設置箇所一覧" not in found
    themed = _page("/opendata/?theme=health_welfare")
    assert "AED設置箇所一覧" in themed and "イベント一覧" not in themed
    geojson = _page("/opendata/?format=GeoJSON")
    assert "指定緊急避難場所一覧" in geojson and "公共施設一覧" not in geojson
    # Query syntax typed into the box is looked for as words, never as an error.
    assert _page("/opendata/?q=name:(a OR b)")


def test_a_dataset_page_previews_the_table_and_links_the_file(iga_catalog):
    page = _page("/opendata/evacuation-sites/")
    assert '<th scope="col">想定収容人数</th>' in page
    assert "<td>上野公園</td>" in page
    assert "出典：伊賀市ウェブサイト" in page and "公共データ利用規約（第1.0版）" in page
    links = re.findall(r'href="(/dataset/evacuation-sites/resource/[^"]+)"', page)
    assert len(links) == 2
    client = Client(HTTP_HOST=IGA_HOST)
    assert all(client.get(link).status_code == 200 for link in links)
    data = json.loads(re.search(r'<script type="application/ld\+json">(.*?)</script>', page, re.S).group(1))
    assert data["@type"] == "Dataset" and data["name"] == "指定緊急避難場所一覧"
    assert len(data["distribution"]) == 2


def test_in_english_the_data_reads_in_english_and_japanese_is_marked(iga_catalog):
    page = _page("/opendata/evacuation-sites/", "en")
    assert "Designated emergency evacuation sites" in page
    assert '<table class="data-preview" lang="ja">' in page
    assert re.search(r'lang="ja">(<span lang="ja">)?出典', page)


def test_other_municipalities_and_withdrawn_datasets_are_not_found(iga_catalog, watarai_dataset, city_admin):
    from idx.opendata import services
    from idx.opendata.models import Dataset

    client = Client(HTTP_HOST=IGA_HOST)
    assert client.get("/opendata/watarai-shelters/").status_code == 404
    assert "度会町" not in _page("/opendata/")
    events = Dataset.objects.get(municipality=iga_catalog, name="events")
    services.dataset_withdraw(dataset=events, actor=city_admin, reason="日付の誤り")
    assert client.get("/opendata/events/").status_code == 404
