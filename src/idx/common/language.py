"""The resident's language and reading aids: choosing, remembering on the account, furigana.

* The first visit follows the browser (Django's ``LocaleMiddleware`` and ``Accept-Language``).
* Choosing a language on any page sets the cookie and, when signed in, the account's
  ``preferred_language``, so the choice follows the resident to another device.
* A signed-in request without a language cookie (a new device) uses the account's language.
* The ふりがな switch (cookie ``idx_furigana``) adds readings to kanji on every page; it is on by
  default in やさしい日本語.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.http.response import HttpResponseBase
from django.utils import translation
from django.utils.html import escape
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext
from django.views.decorators.http import require_POST

FURIGANA_COOKIE = "idx_furigana"
DISPLAY_COOKIE = "idx_display"
DISPLAY_CLASSES = ("text-large", "contrast-high")
EASY_JAPANESE = "ja-easy"
# BCP 47 tags for the html lang attribute (Django's codes are lower case; やさしい日本語 is Japanese).
HTML_LANG = {"ja-easy": "ja", "pt-br": "pt-BR", "zh-hans": "zh-Hans"}
_COOKIE_AGE = 365 * 24 * 3600


def supported(code: str) -> bool:
    return code in dict(settings.LANGUAGES)


def html_lang(code: str) -> str:
    return HTML_LANG.get(code, code)


def furigana_on(request: HttpRequest) -> bool:
    """Readings are shown when asked for, and by default in やさしい日本語."""
    choice = request.COOKIES.get(FURIGANA_COOKIE)
    if choice in ("on", "off"):
        return choice == "on"
    return (translation.get_language() or "") == EASY_JAPANESE


def _safe_next(request: HttpRequest) -> str:
    target = request.POST.get("next", "") or request.headers.get("referer", "") or "/"
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return "/"
    return target


def _set_cookie(response: HttpResponseBase, name: str, value: str) -> None:
    response.set_cookie(
        name,
        value,
        max_age=_COOKIE_AGE,
        secure=settings.LANGUAGE_COOKIE_SECURE,
        httponly=True,
        samesite="Lax",
    )


@require_POST
def language_set(request: HttpRequest) -> HttpResponseBase:
    """Switch the interface language; remembered in a cookie and on the signed-in account."""
    code = request.POST.get("language", "")
    response = HttpResponseRedirect(_safe_next(request))
    if not supported(code):
        return response
    _set_cookie(response, settings.LANGUAGE_COOKIE_NAME, code)
    user: Any = request.user
    if user.is_authenticated and user.preferred_language != code:
        user.preferred_language = code
        user.save(update_fields=["preferred_language"])
    return response


@require_POST
def furigana_set(request: HttpRequest) -> HttpResponseBase:
    response = HttpResponseRedirect(_safe_next(request))
    _set_cookie(response, FURIGANA_COOKIE, "on" if request.POST.get("furigana") == "on" else "off")
    return response


@require_POST
def display_set(request: HttpRequest) -> HttpResponseBase:
    """Large text and high contrast (表示設定), kept in a cookie for this browser."""
    chosen = []
    if request.POST.get("text") == "large":
        chosen.append("text-large")
    if request.POST.get("contrast") == "high":
        chosen.append("contrast-high")
    response = HttpResponseRedirect(_safe_next(request))
    _set_cookie(response, DISPLAY_COOKIE, " ".join(chosen) or "standard")
    return response


def display_classes(request: HttpRequest) -> str:
    return " ".join(
        name for name in request.COOKIES.get(DISPLAY_COOKIE, "").split() if name in DISPLAY_CLASSES
    )


class AccountLanguageMiddleware:
    """A signed-in request without a language cookie uses the account's language (and keeps it)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user: Any = getattr(request, "user", None)
        chosen = ""
        if (
            user is not None
            and user.is_authenticated
            and settings.LANGUAGE_COOKIE_NAME not in request.COOKIES
            and supported(user.preferred_language)
        ):
            chosen = user.preferred_language
            translation.activate(chosen)
            request.LANGUAGE_CODE = chosen
        response = self.get_response(request)
        if chosen and settings.LANGUAGE_COOKIE_NAME not in response.cookies:
            _set_cookie(response, settings.LANGUAGE_COOKIE_NAME, chosen)
        return response


def language_context(request: HttpRequest) -> dict[str, Any]:
    code = translation.get_language() or settings.LANGUAGE_CODE
    return {
        "html_lang": html_lang(code),
        "furigana": furigana_on(request),
        "display_classes": display_classes(request),
        "language_choices": settings.LANGUAGES,
        # Links to resident pages only where the portal is mounted (not on a back-office-only host).
        "portal_mounted": settings.IDX_ROLE in ("portal", "all"),
    }


FALLBACK_MARKER = "<!--idx:fallback-note-->"


class ReadingAidsMiddleware:
    """Adds readings to kanji when the ふりがな switch is on, or when a page had to show Japanese
    text for want of the resident's language (then it also says so where the marker is). On a page
    in another language, the Japanese it shows is marked ``lang="ja"`` (``mark_japanese``); on a
    Japanese page, elements marked ``data-phrases`` break at phrase boundaries (``idx.common.phrases``)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        from idx.common.i18n import fell_back_to_japanese, japanese_fallback_texts, reset_fallback

        reset_fallback()
        response = self.get_response(request)
        if response.streaming or "text/html" not in response.get("Content-Type", ""):
            return response
        fell_back = fell_back_to_japanese()
        japanese_page = (translation.get_language() or "") in ("ja", EASY_JAPANESE)
        content = response.content.decode(response.charset or "utf-8")
        if japanese_page:
            from idx.common.phrases import break_at_phrases

            content = break_at_phrases(content)
        if not fell_back and not furigana_on(request):
            if not japanese_page:
                content = mark_japanese(content, ())
            _replace_content(response, content)
            return response  # the empty marker is an HTML comment: nothing to rewrite
        if FALLBACK_MARKER in content:
            note = ""
            if fell_back:
                note = (
                    '<p class="fallback-note">'
                    + escape(
                        gettext(
                            "Part of this page is not yet available in your language. It is shown in "
                            "Japanese, with readings. Ask the department if anything is unclear."
                        )
                    )
                    + "</p>"
                )
            content = content.replace(FALLBACK_MARKER, note, 1)
        from idx.common.furigana import annotate_html

        if not japanese_page:
            content = mark_japanese(content, japanese_fallback_texts() if fell_back else ())
        # On a Chinese page only Japanese text (it has kana) gets readings, never the Chinese.
        chinese_page = (translation.get_language() or "").startswith("zh")
        content = annotate_html(content, kana_only=chinese_page)
        _replace_content(response, content)
        return response


def _replace_content(response: HttpResponse, content: str) -> None:
    response.content = content.encode(response.charset or "utf-8")
    if response.has_header("Content-Length"):
        response["Content-Length"] = str(len(response.content))


_MARK_SKIP = {"script", "style", "textarea", "title", "option", "select", "head"}
_TAG = re.compile(r"(<[^>]*>)")
_TAG_NAME = re.compile(r"<\s*(/?)\s*([a-zA-Z][a-zA-Z0-9-]*)")
_KANA = re.compile(r"[\u3041-\u309f\u30a1-\u30fa]")
# A Japanese term given in brackets after its translation: 「Status report (現況届)」.
_GLOSS_PART = r"(?:[^()（）<>A-Za-z]|[(（][^()（）<>A-Za-z]*[)）])"  # one level of brackets inside
_GLOSS = re.compile(
    rf"(?<=[(（]){_GLOSS_PART}*[\u3041-\u309f\u30a1-\u30fa\u3400-\u4dbf\u4e00-\u9fff]{_GLOSS_PART}*(?=[)）])"
)


# A run of Japanese inside a sentence in a language written in Latin letters (「the プラ mark」).
_RUN = r"[\u3041-\u309f\u30a1-\u30ff\u3400-\u4dbf\u4e00-\u9fff々〆][\u3041-\u309f\u30a1-\u30ff\u3400-\u4dbf\u4e00-\u9fff々〆・]*"
_LATIN_WORDS = re.compile(r"[A-Za-z\u00c0-\u024f\u1e00-\u1eff]{2}")
LATIN_LANGUAGES = ("en", "pt-br", "vi", "es", "fil")


def mark_japanese(document: str, texts: tuple[str, ...]) -> str:
    """Mark the Japanese of a page in another language with ``<span lang="ja">`` so that screen readers
    and fonts treat it as Japanese: each of ``texts`` (shown for want of the page's language) and each
    Japanese term given in brackets after its translation or written inside a sentence in a
    language of Latin letters. A text wholly in Japanese that is none of these stays unmarked: it is
    a text left untranslated (``tests/inclusion/test_page_scripts.py`` finds those). Returns
    ``document`` itself when nothing is to be marked."""
    language = translation.get_language() or ""
    latin_page = language in LATIN_LANGUAGES
    needles = {escape(line.strip()) for text in texts for line in text.splitlines() if line.strip()}
    chinese_page = language.startswith("zh")
    if not needles and not latin_page and not chinese_page and not _GLOSS.search(document):
        return document
    # One pass, leftmost match first: a fallback text holding brackets is marked whole, and a gloss
    # that holds a fallback text is marked whole too (the gloss is tried first where both start).
    alternatives = [f"(?P<gloss>{_GLOSS.pattern})"]
    if needles:
        ordered = sorted(needles, key=len, reverse=True)
        alternatives.append("(?P<needle>" + "|".join(re.escape(needle) for needle in ordered) + ")")
    pattern = re.compile("|".join(alternatives))
    in_sentences = re.compile("|".join([*alternatives, f"(?P<run>{_RUN})"]))
    out: list[str] = []
    skipping: list[str] = []
    for piece in _TAG.split(document):
        if not piece:
            continue
        if piece.startswith("<"):
            out.append(piece)
            name = _TAG_NAME.match(piece)
            if name is not None and name.group(2).lower() in _MARK_SKIP and not piece.endswith("/>"):
                tag = name.group(2).lower()
                if name.group(1) == "/":
                    if skipping and skipping[-1] == tag:
                        skipping.pop()
                else:
                    skipping.append(tag)
            continue
        if skipping:
            out.append(piece)
            continue
        chosen = in_sentences if (latin_page or chinese_page) and _LATIN_WORDS.search(piece) else pattern
        out.append(chosen.sub(lambda match: _marked(match, chinese_page), piece))
    return "".join(out)


def _marked(match: re.Match[str], chinese_page: bool) -> str:
    text = match.group(0)
    # On a Chinese page a gloss (or a run in a sentence) of kanji only may be Chinese; kana make it Japanese.
    if match.groupdict().get("needle") is None and chinese_page and not _KANA.search(text):
        return text
    return f'<span lang="ja">{text}</span>'
