"""Reads of the procedure catalog."""

from __future__ import annotations

import functools
import threading
import unicodedata
from collections.abc import Iterable
from typing import Any

from django.db.models import Case, IntegerField, Q, QuerySet, Value, When

from idx.common.models import Municipality
from idx.procedures.models import Procedure

MAX_QUERY_WORDS = 8


def procedure_catalog(
    *,
    municipality: Municipality,
    query: str = "",
    category: str = "",
    life_event: str = "",
) -> QuerySet[Procedure]:
    """Listed, published procedures; with a query, those matching every word, best match first.

    A word matches a procedure's names (any language), summaries, eligibility text or code, and the
    sound of its Japanese name and summary, so 「じどうてあて」 typed in kana finds 児童手当.
    A life event also lists the procedures whose definitions name it under ``also_life_events``
    (a birth calls for the 児童手当 認定請求, which lives under child-rearing).
    """
    procedures = Procedure.objects.filter(
        municipality=municipality, is_listed=True, published_version__isnull=False
    ).select_related("department", "published_version")
    if category:
        procedures = procedures.filter(category=category)
    if life_event:
        procedures = procedures.filter(Q(life_event=life_event) | Q(pk__in=_also_in(procedures, life_event)))
    words = [_fold(word) for word in query.split()[:MAX_QUERY_WORDS]]
    words = [word for word in words if word]
    if not words:
        return procedures.order_by("category", "id")
    candidates = procedures.values_list("pk", "code", "names", "summaries", "search_text")
    ranked = _rank(candidates, words)
    if not ranked:
        return procedures.none()
    position = Case(
        *[When(pk=pk, then=Value(index)) for index, pk in enumerate(ranked)], output_field=IntegerField()
    )
    return procedures.filter(pk__in=ranked).order_by(position)


def _also_in(procedures: QuerySet[Procedure], life_event: str) -> list[int]:
    rows = procedures.exclude(life_event=life_event).values_list(
        "pk", "published_version__definition__also_life_events"
    )
    return [pk for pk, also in rows if isinstance(also, list) and life_event in also]


def _fold(text: str) -> str:
    """Width, case and hiragana folded: ＡＢＣ/abc, じどう/ジドウ compare equal."""
    text = unicodedata.normalize("NFKC", text).lower()
    return "".join(chr(ord(c) + 0x60) if "ぁ" <= c <= "ゖ" else c for c in text)


_local = threading.local()


@functools.lru_cache(maxsize=4096)
def _reading(text: str) -> str:
    """The katakana sound of Japanese text (SudachiPy's readings, the dictionary furigana uses)."""
    tokenizer = getattr(_local, "tokenizer", None)
    if tokenizer is None:
        from idx.common.sudachi import dictionary

        tokenizer = _local.tokenizer = dictionary().tokenizer()
    return "".join(str(m.reading_form()) for m in tokenizer.tokenize(text))


def _rank(rows: Iterable[tuple[int, str, Any, Any, str]], words: list[str]) -> list[int]:
    """Ids of the procedures that match every word, best first.

    A word in a name counts most (at its start more), then in the name's sound, a summary, then
    anywhere else; among equals the shorter name (the procedure most plainly about the word) first.
    """
    scored: list[tuple[float, int, int]] = []
    for pk, code, names, summaries, search_text in rows:
        name_texts = [_fold(str(text)) for text in (names or {}).values()]
        summary_texts = [_fold(str(text)) for text in (summaries or {}).values()]
        ja_name = str((names or {}).get("ja", ""))
        sounds = _fold(_reading(ja_name) + " " + _reading(str((summaries or {}).get("ja", ""))))
        name_sound = _fold(_reading(ja_name))
        rest = _fold(search_text) + " " + code
        score = 0.0
        for word in words:
            if any(text.startswith(word) for text in name_texts):
                score += 12
            elif any(word in text for text in name_texts):
                score += 10
            elif word in name_sound:
                score += 8
            elif any(word in text for text in summary_texts):
                score += 4
            elif word in rest or word in sounds:
                score += 1
            else:
                score = -1
                break
        if score > 0:
            scored.append((-score, len(ja_name), pk))
    return [pk for _score, _length, pk in sorted(scored)]


def procedure_get_published(*, municipality: Municipality, code: str) -> Procedure | None:
    return (
        Procedure.objects.filter(municipality=municipality, code=code, published_version__isnull=False)
        .select_related("department", "published_version")
        .first()
    )
