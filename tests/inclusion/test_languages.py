"""Eight languages: complete catalogs, chosen from the browser, switchable on every page,
remembered on the account; dates in each language's form."""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client
from django.utils import translation

from idx.common.wareki import format_for_language
from idx.identity.models import User
from tests.conftest import IGA_HOST, signed_in
from tests.test_translations import LOCALE_DIR, PLACEHOLDER, parse_po

STAFF_ONLY = "staff pages: Japanese and English only"
RESIDENT_SOURCES = ("portal", "templates")

LOCALES = {
    "ja": "ja",
    "ja-easy": "ja_Easy",
    "pt-br": "pt_BR",
    "vi": "vi",
    "zh-hans": "zh_Hans",
    "es": "es",
    "fil": "fil",
}
HTML_LANG = {"ja-easy": "ja", "pt-br": "pt-BR", "zh-hans": "zh-Hans"}


def without_readings(page: str) -> str:
    """The page's text as read: no readings, no phrase breaks (``<wbr>``)."""
    return re.sub(r"<rp>.*?</rp>|<rt>.*?</rt>|</?ruby>|<wbr>|<span class=\"phrases\">", "", page)


def catalog(locale: str) -> Path:
    return LOCALE_DIR / locale / "LC_MESSAGES" / "django.po"


def test_eight_languages_are_offered():
    assert [code for code, _name in settings.LANGUAGES] == [
        "ja",
        "ja-easy",
        "en",
        "pt-br",
        "vi",
        "zh-hans",
        "es",
        "fil",
    ]


@pytest.mark.parametrize("locale", sorted(set(LOCALES.values()) - {"ja"}))
def test_catalog_is_complete_and_keeps_placeholders(locale):
    entries = parse_po(catalog(locale))
    header = next(entry for entry in entries if entry.msgid == "")
    assert "fuzzy" not in header.flags
    messages = [entry for entry in entries if entry.msgid]
    # Texts of staff pages only (marked in the catalogs) need Japanese; in the other languages of the
    # portal a staff page falls back to its English text. Residents never read them (test below).
    resident = [entry for entry in messages if STAFF_ONLY not in entry.notes]
    untranslated = [
        entry.msgid for entry in resident if not all(text.strip() for text in entry.msgstr.values())
    ]
    assert untranslated == [], f"{locale}: untranslated {untranslated[:5]}"
    fuzzy = [entry.msgid for entry in messages if "fuzzy" in entry.flags]
    assert fuzzy == [], f"{locale}: fuzzy {fuzzy[:5]}"
    # Every plural form the language declares is there (Spanish has three: one, millions, other).
    declared = re.search(r"nplurals=(\d+)", "".join(header.msgstr.values()))
    assert declared, f"{locale}: no Plural-Forms"
    short = [e.msgid for e in resident if e.msgid_plural and len(e.msgstr) != int(declared.group(1))]
    assert short == [], f"{locale}: plural entries without all {declared.group(1)} forms: {short[:5]}"
    for entry in messages:
        expected = Counter(PLACEHOLDER.findall(entry.msgid_plural or entry.msgid))
        for text in entry.msgstr.values():
            if not text and STAFF_ONLY in entry.notes:
                continue
            assert Counter(PLACEHOLDER.findall(text)) == expected, f"{locale}: {entry.msgid!r} -> {text!r}"
    ja_ids = {(entry.msgctxt, entry.msgid) for entry in parse_po(catalog("ja")) if entry.msgid}
    assert {(entry.msgctxt, entry.msgid) for entry in messages} == ja_ids, f"{locale}: run makemessages"


def test_texts_marked_for_staff_pages_are_complete_in_japanese_and_not_on_resident_pages():
    staff_only = [entry for entry in parse_po(catalog("ja")) if entry.msgid and STAFF_ONLY in entry.notes]
    assert staff_only, "the mark is read"
    untranslated = [entry.msgid for entry in staff_only if not all(t.strip() for t in entry.msgstr.values())]
    assert untranslated == [], f"ja: untranslated staff texts {untranslated[:5]}"
    package = LOCALE_DIR.parent
    sources = [
        path
        for folder in RESIDENT_SOURCES
        for path in (package / folder).rglob("*")
        if path.suffix in (".py", ".html", ".txt")
    ]
    texts = {path: path.read_text(encoding="utf-8") for path in sources}
    # A text with a context is found by its context (the same English word may serve residents too).
    probes = [entry.msgctxt or entry.msgid for entry in staff_only]
    on_resident_pages = [
        (probe, str(path.relative_to(package)))
        for probe in probes
        for path, text in texts.items()
        if f'"{probe}"' in text or f"'{probe}'" in text
    ]
    assert on_resident_pages == [], f"staff-only texts on resident pages: {on_resident_pages[:5]}"


@pytest.mark.django_db
@pytest.mark.parametrize("code", list(LOCALES) + ["en"])
def test_every_language_renders_the_catalog(municipalities, code):
    client = Client(HTTP_HOST=IGA_HOST)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = code
    page = without_readings(client.get("/").content.decode())
    assert f'<html lang="{HTML_LANG.get(code, code)}">' in page
    with translation.override(code):
        expected = translation.gettext("Procedures")
    assert expected in page
    assert 'name="language"' in page and 'action="/i18n/furigana/"' in page


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("accept", "lang"),
    [
        ("pt-BR,pt;q=0.9", "pt-BR"),
        ("vi", "vi"),
        ("zh-CN,zh;q=0.8", "zh-Hans"),
        ("tl", "fil"),
        ("es-MX", "es"),
        ("de", "ja"),
    ],
)
def test_first_visit_follows_the_browser(municipalities, accept, lang):
    page = Client(HTTP_HOST=IGA_HOST, HTTP_ACCEPT_LANGUAGE=accept).get("/").content.decode()
    assert f'<html lang="{lang}">' in page


@pytest.mark.django_db
def test_choice_is_remembered_on_the_account(resident):
    client = signed_in(resident)
    response = client.post("/i18n/setlang/", {"language": "vi", "next": "/my/applications/"})
    assert response.status_code == 302 and response["Location"] == "/my/applications/"
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "vi"
    assert User.objects.get(pk=resident.pk).preferred_language == "vi"
    # Another device, no cookie yet: the account's language.
    other_device = signed_in(resident)
    other_device.cookies.pop(settings.LANGUAGE_COOKIE_NAME, None)
    response = other_device.get("/my/applications/")
    assert '<html lang="vi">' in response.content.decode()
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "vi"


@pytest.mark.django_db
def test_unknown_language_and_foreign_next_are_ignored(resident):
    client = signed_in(resident)
    response = client.post("/i18n/setlang/", {"language": "xx", "next": "https://evil.example/"})
    assert response["Location"] == "/"
    cookie = response.cookies.get(settings.LANGUAGE_COOKIE_NAME)
    assert cookie is None or cookie.value == "ja"  # the account's language, not the unknown one
    assert User.objects.get(pk=resident.pk).preferred_language == "ja"


def test_dates_read_as_each_language_writes_them():
    day = dt.date(2026, 1, 5)
    assert format_for_language(day, "ja") == "2026年1月5日（令和8年1月5日）"
    assert format_for_language(day, "ja-easy") == "2026年1月5日"
    assert "2026" in format_for_language(day, "en") and "令和" not in format_for_language(day, "en")
    for code in ("pt-br", "vi", "zh-hans", "es", "fil"):
        text = format_for_language(day, code)
        assert "2026" in text and "令和" not in text, (code, text)
        assert re.search(r"\b5\b|5日|05", text), (code, text)
