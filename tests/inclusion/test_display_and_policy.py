"""Large text and high contrast (表示設定), the accessibility policy page and its results table."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from idx.common.accessibility import SHIPPED_RESULTS
from tests.conftest import IGA_HOST

pytestmark = pytest.mark.django_db


def test_display_settings_are_kept_for_the_browser(municipalities):
    client = Client(HTTP_HOST=IGA_HOST)
    assert 'class="text-large' not in client.get("/").content.decode()
    response = client.post("/i18n/display/", {"text": "large", "contrast": "high", "next": "/"})
    assert response.status_code == 302 and response["Location"] == "/"
    page = client.get("/").content.decode()
    assert '<html lang="ja" class="text-large contrast-high">' in page
    assert 'id="display-text-large" checked' in page
    client.post("/i18n/display/", {"next": "/"})
    assert "text-large" not in client.get("/").content.decode().split("<head>")[0]


def test_unknown_display_classes_are_ignored(municipalities):
    client = Client(HTTP_HOST=IGA_HOST)
    client.cookies["idx_display"] = 'text-large "><script>'
    page = client.get("/").content.decode()
    assert '<html lang="ja" class="text-large">' in page


def test_policy_page_shows_the_published_results(municipalities, settings, tmp_path):
    results = {
        "generated_at": "2026-11-26T12:00:00+00:00",
        "tool": "axe-core (test)",
        "browser": "Chromium 1",
        "tags": ["wcag2a"],
        "pages": [
            {"page": "a", "path": "/", "language": "ja", "width": 390, "violations": 0},
            {"page": "b", "path": "/", "language": "en", "width": 1280, "violations": 0},
            {"page": "c", "path": "/staff/", "language": "ja", "width": 1280, "violations": 0},
        ],
    }
    published = tmp_path / "results.json"
    published.write_text(json.dumps(results), encoding="utf-8")
    settings.IDX_ACCESSIBILITY_RESULTS = str(published)
    page = Client(HTTP_HOST=IGA_HOST).get("/accessibility/").content.decode()
    assert "JIS X 8341-3:2016" in page
    assert "<code>/staff/</code>" in page and "390px, 1280px" in page and "en, ja" in page
    assert "axe-core (test)" in page


def test_policy_page_falls_back_to_the_shipped_results(municipalities, settings, tmp_path):
    settings.IDX_ACCESSIBILITY_RESULTS = str(tmp_path / "missing.json")
    page = Client(HTTP_HOST=IGA_HOST).get("/accessibility/").content.decode()
    if SHIPPED_RESULTS.is_file():
        assert "<table>" in page
    else:
        assert "<table>" not in page


def test_every_page_links_the_policy_and_the_display_settings(municipalities):
    page = Client(HTTP_HOST=IGA_HOST).get("/procedures/child-allowance-certification/").content.decode()
    assert 'href="/accessibility/"' in page and 'action="/i18n/display/"' in page
