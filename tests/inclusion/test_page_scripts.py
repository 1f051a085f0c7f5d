"""Every portal page, in all eight languages, with the demo's data: no text in another script.

A page in English, Portuguese, Vietnamese, Spanish or Filipino must not show kana or kanji
outside an element marked ``lang="ja"`` (Japanese shown for want of a translation is marked so),
a Chinese page no kana outside such elements, and no page a raw code or boolean
(``True``, ``false``, ``None``, ``kodomo-katei``) where a person reads text.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest
from django.conf import settings

from idx.applications.models import Application
from idx.assist.models import Faq
from idx.booking.models import Service
from idx.demo.loader import load_applications
from idx.demo.opendata import load_open_data
from idx.opendata.models import Dataset
from idx.procedures.models import Procedure
from tests.conftest import IGA_HOST, signed_in

KANA = re.compile(r"[\u3041-\u309f\u30a1-\u30fa\u30fc]")
KANJI = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff々]")
RAW_VALUE = re.compile(
    r"^(?:True|False|true|false|None|null)$|^(?=[a-z0-9_-]*[a-z])[a-z0-9]+(?:[_-][a-z0-9]+)+$"
)
LATIN = re.compile(r"[A-Za-z\u00c0-\u024f\u1e00-\u1eff]{2}")
LATIN_LANGUAGES = ("en", "pt-br", "vi", "es", "fil")
SKIPPED = {"script", "style", "template", "noscript"}
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}
READ_ATTRIBUTES = ("aria-label", "title", "placeholder", "alt")


class ReadTextScan(HTMLParser):
    """Walks what a person reads on a page (text in the body, and the attributes read aloud or shown)
    with the open elements and their ``lang``; a subclass says what is wrong with a text in ``_check``."""

    skipped: frozenset[str] = frozenset(SKIPPED)

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[tuple[str, str | None]] = []
        self.problems: list[str] = []

    def _check(self, text: str, where: str) -> None:
        raise NotImplementedError

    def _marker(self, tag: str, values: dict[str, str | None]) -> str | None:
        """What the stack keeps for an element: its ``lang`` (a subclass may mark other elements)."""
        return values.get("lang")

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag not in VOID:
            self.stack.append((tag, self._marker(tag, values)))
        if self._attributes_skipped(tag):
            return
        for name in READ_ATTRIBUTES:
            if values.get(name):
                self._check(values[name] or "", f"<{tag} {name}>")

    def _attributes_skipped(self, tag: str) -> bool:
        return tag in self.skipped  # a script's or template's own attributes; what it holds is not read

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        if tag not in VOID and self.stack and self.stack[-1][0] == tag:
            self.stack.pop()

    def handle_endtag(self, tag: str) -> None:
        for index in range(len(self.stack) - 1, -1, -1):
            if self.stack[index][0] == tag:
                del self.stack[index:]
                return

    def handle_data(self, data: str) -> None:
        tags = [tag for tag, _lang in self.stack]
        if "body" not in tags or any(tag in self.skipped for tag in tags):
            return
        self._check(data, "<" + (tags[-1] if tags else "?") + ">")


class ScriptScan(ReadTextScan):
    """Collects texts a person reads that are in the wrong script for the page's language."""

    def __init__(self, language: str) -> None:
        super().__init__()
        self.language = language

    def _lang(self) -> str:
        return next((lang for _tag, lang in reversed(self.stack) if lang), "")

    def _check(self, text: str, where: str) -> None:
        text = text.strip()
        if not text:
            return
        lang = self._lang().lower()
        if RAW_VALUE.match(text):
            self.problems.append(f"raw value {text!r} in {where}")
        if lang.startswith("ja") or (lang and lang.split("-")[0] != self.language.split("-")[0]):
            return  # marked as Japanese, or as another language (the language menu names each one)
        if where == "<option>" and LATIN.search(text):
            # An option holds no markup: a Japanese term beside its translation cannot be marked.
            text = KANA.sub("", KANJI.sub("", text))
        # Kanji are Chinese on a Chinese page; there only kana show Japanese.
        japanese = KANA.search(text) or (self.language in LATIN_LANGUAGES and KANJI.search(text))
        if japanese and self.language != "ja" and self.language != "ja-easy":
            self.problems.append(f"Japanese {text[:60]!r} in {where}")


def scan(page: str, language: str) -> list[str]:
    parser = ScriptScan(language)
    parser.feed(page)
    parser.close()
    return parser.problems


def test_the_scan_finds_leaks_and_accepts_marked_japanese() -> None:
    page = (
        '<html lang="en"><body><p>Child and Family Division</p>'
        '<p><span lang="ja">こども家庭課</span></p><p>市民課</p><p>False</p><p>kodomo-katei</p></body></html>'
    )
    problems = scan(page, "en")
    assert problems == [
        "Japanese '市民課' in <p>",
        "raw value 'False' in <p>",
        "raw value 'kodomo-katei' in <p>",
    ]
    assert scan('<html lang="zh-Hans"><body><p>儿童家庭科</p><p>こども</p></body></html>', "zh-hans") == [
        "Japanese 'こども' in <p>"
    ]


def portal_pages(iga) -> tuple[list[str], list[str]]:
    """(pages anyone opens, pages of the signed-in resident) with the demo's records."""
    public = [
        "/",
        "/ask/",
        "/ask/?q=児童手当",
        "/booking/",
        "/booking/ticket/",
        "/accounts/login/",
        "/accounts/signup/",
        "/alerts/",
        "/opendata/",
    ]
    public += [
        f"/opendata/{name}/"
        for name in Dataset.objects.filter(municipality=iga, status="published").values_list(
            "name", flat=True
        )
    ]
    public += [
        f"/procedures/{code}/"
        for code in Procedure.objects.filter(municipality=iga, is_listed=True).values_list("code", flat=True)
    ]
    public += [
        f"/faq/{key}/"
        for key in Faq.objects.filter(municipality=iga, published=True).values_list("key", flat=True)
    ]
    public += [
        f"/booking/{code}/"
        for code in Service.objects.filter(municipality=iga, active=True, bookable=True).values_list(
            "code", flat=True
        )
    ]
    private = ["/my/applications/", "/my/payments/", "/my/inquiries/", "/booking/my/", "/inquiries/new/"]
    return public, private


@pytest.mark.django_db
@pytest.mark.parametrize("language", [code for code, _name in settings.LANGUAGES])
def test_every_portal_page_speaks_the_page_language(iga, language: str) -> None:
    load_applications(iga, 10)
    load_open_data(iga, author=None, reviewer=None)
    public, private = portal_pages(iga)
    application = (
        Application.objects.filter(municipality=iga)
        .exclude(status="draft")
        .select_related("applicant")
        .first()
    )
    assert application is not None
    client = signed_in(application.applicant, host=IGA_HOST)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    private.append(f"/my/applications/{application.public_id}/")
    problems: dict[str, list[str]] = {}
    for url in public + private:
        response = client.get(url)
        assert response.status_code == 200, (url, response.status_code)
        found = scan(response.content.decode(), language)
        if found:
            problems[url] = sorted(set(found))
    assert not problems, "\n".join(f"{url}: {found}" for url, found in problems.items())
