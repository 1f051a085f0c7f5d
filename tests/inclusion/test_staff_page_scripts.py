"""The main back-office pages in Japanese and in English, for a clerk and a city administrator.

A Japanese page must not show English words a clerk would read as an untranslated message
(outside an element marked with another ``lang``), an English page no kana or kanji outside an
element marked ``lang="ja"``, and no page a raw code or boolean where a person reads text (the
scan of the portal's pages, ``tests/inclusion/test_page_scripts.py``, does the same for residents).
"""

from __future__ import annotations

import re

import pytest
from django.conf import settings

from idx.applications.models import Application
from idx.demo.loader import load_applications
from idx.identity.models import User
from idx.procedures.models import Procedure
from tests.conftest import reauthenticated, signed_in
from tests.inclusion.test_page_scripts import SKIPPED, ReadTextScan, scan

# Latin text a Japanese page may show as is: addresses, codes, numbers and these names and acronyms.
# (Acronyms in capitals are read as such in Japanese text: CSV, PDF, FAQ, DV, IC.)
ADDRESS = re.compile(
    r"\S+@\S+|https?://\S+|/\S*|\{[^}]*\}|\b[A-Z]{1,2}=[^·<]*|言語（Language）|(?<![A-Za-z0-9])[A-Za-z0-9]*[0-9][A-Za-z0-9]*"
)
# Product and key names stay as written in Japanese text (the access-key help names browsers,
# systems and keys).
ALLOWED_WORDS = {
    "Atom",
    "Web",
    "PayPay",
    "Excel",
    "Windows",
    "Linux",
    "Chrome",
    "Edge",
    "Firefox",
    "Safari",
    "Mac",
    "macOS",
    "iPhone",
    "iPad",
    "Android",
    # key names on the keyboard
    "Alt",
    "Shift",
    "Control",
    "Option",
    "Ctrl",
    "Enter",
    "Tab",
}
ENGLISH_WORD = re.compile(r"[A-Za-z]*[a-z][A-Za-z]*")
# Elements that hold the page's own wording (headings, column heads, buttons, legends), where an
# English page must show no Japanese; records (names, procedures, FAQs) stay as the city wrote them.
WORDING = (
    "<h1>",
    "<h2>",
    "<th>",
    "<button>",
    "<legend>",
    "<summary>",
    "<caption>",
    " aria-label>",
    " placeholder>",
)


class EnglishScan(ReadTextScan):
    """Collects English words a person reads on a Japanese page outside an element of another lang."""

    # Code, sample and typed text hold what the machine or the person wrote, not the page's wording.
    skipped = frozenset(SKIPPED | {"textarea", "code", "pre", "kbd", "samp"})

    def _marker(self, tag: str, values: dict[str, str | None]) -> str | None:
        if tag == "form" and "language-form" in (values.get("class") or ""):
            return "language-form"  # the language menu names each language in that language
        return values.get("lang")

    def _attributes_skipped(self, tag: str) -> bool:
        return any(name in self.skipped for name, _lang in self.stack)

    def _check(self, text: str, where: str) -> None:
        if any(tag == "form" and lang == "language-form" for tag, lang in self.stack):
            return
        lang = next((lang for _tag, lang in reversed(self.stack) if lang), "ja").lower()
        if not lang.startswith("ja"):
            return
        words = [word for word in ENGLISH_WORD.findall(ADDRESS.sub(" ", text)) if word not in ALLOWED_WORDS]
        if words:
            self.problems.append(f"English {text.strip()[:60]!r} in {where}")


def english_on_japanese_page(page: str) -> list[str]:
    parser = EnglishScan()
    parser.feed(page)
    parser.close()
    return parser.problems


def staff_page_problems(page: str, language: str) -> list[str]:
    if language == "ja":
        return english_on_japanese_page(page) + scan(page, "ja")
    return [
        problem for problem in scan(page, language) if problem.startswith("raw") or problem.endswith(WORDING)
    ]


def test_an_english_page_may_show_records_in_japanese_but_not_its_own_wording() -> None:
    page = (
        '<html lang="en"><body><h1>案件一覧</h1><table><tr><th>Applicant</th></tr>'
        "<tr><td>伊賀 太郎</td></tr></table><button>保存</button><p>None</p></body></html>"
    )
    assert staff_page_problems(page, "en") == [
        "Japanese '案件一覧' in <h1>",
        "Japanese '保存' in <button>",
        "raw value 'None' in <p>",
    ]


def test_the_scan_finds_english_on_a_japanese_page() -> None:
    page = (
        '<html lang="ja"><body><p>Sign out</p><p>CSV で出力</p><p>kodomo@staff.example.jp</p>'
        '<p><span lang="en">English</span></p><p>受付番号 IGA-2026-000123</p></body></html>'
    )
    assert english_on_japanese_page(page) == ["English 'Sign out' in <p>"]


# Known gaps in pages whose wording is being reworked elsewhere; each is a (page, text) pair and
# goes when the page is fixed. Any other finding fails the test.
KNOWN_GAPS: tuple[tuple[str, str], ...] = ()


def known_gap(url: str, problem: str) -> bool:
    return any(url.startswith(page) and problem.startswith(text) for page, text in KNOWN_GAPS)


def staff_pages(iga) -> dict[str, list[str]]:
    """The main pages of a clerk and of a city administrator, with the demo's records."""
    load_applications(iga, 10)
    clerk = User.objects.get(municipality=iga, email="kodomo-katei@staff.iga.example.jp")
    case = Application.objects.filter(department=clerk.department).exclude(status="draft").first()
    assert case is not None
    procedure = Procedure.objects.filter(municipality=iga).order_by("id").first()
    assert procedure is not None
    first_item = procedure.published_version.definition["steps"][0]["items"][0]["field"]
    clerk_pages = [
        "/staff/",
        f"/staff/cases/{case.public_id}/",
        "/staff/counter/",
        "/staff/booking/",
        "/staff/booking/counter/",
        "/staff/inquiries/",
        "/staff/payments/",
    ]
    admin_pages = [
        "/staff/",
        "/staff/?status=",
        "/staff/exports/",
        "/staff/audit/",
        "/staff/procedures/",
        "/staff/procedures/new/",
        f"/staff/procedures/{procedure.code}/edit/",
        f"/staff/procedures/{procedure.code}/builder/",
        f"/staff/procedures/{procedure.code}/builder/add/",
        f"/staff/procedures/{procedure.code}/builder/items/{first_item}/",
        f"/staff/procedures/{procedure.code}/builder/preview/",
        "/staff/faqs/",
        "/staff/faqs/gaps/",
        "/staff/booking/manage/",
        "/staff/payments/",
        "/staff/payments/settlements/",
        "/staff/place-texts/",
        "/staff/templates/",
        "/staff/templates/booking_confirmation/ja/",
        "/staff/templates/application_status/en/",
    ]
    return {"kodomo-katei@staff.iga.example.jp": clerk_pages, "admin@staff.iga.example.jp": admin_pages}


@pytest.mark.django_db
@pytest.mark.parametrize("language", ["ja", "en"])
def test_the_main_staff_pages_speak_the_page_language(iga, language: str) -> None:
    problems: dict[str, list[str]] = {}
    for email, urls in staff_pages(iga).items():
        client = reauthenticated(signed_in(User.objects.get(municipality=iga, email=email)))
        client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
        for url in urls:
            response = client.get(url)
            assert response.status_code == 200, (email, url, response.status_code)
            page = response.content.decode()
            found = [
                problem for problem in staff_page_problems(page, language) if not known_gap(url, problem)
            ]
            if found:
                problems[f"{email} {url}"] = sorted(set(found))
    assert not problems, "\n".join(f"{where}: {found}" for where, found in problems.items())
