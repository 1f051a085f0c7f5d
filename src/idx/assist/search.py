"""BM25 over the FAQ base of one municipality, kept in memory and rebuilt when an FAQ changes.

Why our own forty lines and not a package: the terms are computed once when an FAQ is saved and
stored on the variant (``idx.assist.text``), so the index only has to count them; an inverted
index then touches only the FAQs that share a term with the question. ``rank_bm25`` scores every
document for every term (linear in the base for each query) and is no longer maintained; ``bm25s``
brings SciPy. Questions count twice as much as answers (BM25F with field weights).

One document per FAQ and script: the Japanese document holds the 日本語 and やさしい日本語
variants, the Latin one the English and other Latin-script variants; a question is matched
against the documents of its own script.
"""

from __future__ import annotations

import math
import threading
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Final

from django.db.models import Count, Max

from idx.assist.models import Faq, FaqVariant

K1: Final = 1.2
B: Final = 0.75
QUESTION_WEIGHT: Final = 2
LATIN_LANGUAGES: Final = frozenset({"en", "pt-br", "es", "vi", "fil"})
JAPANESE_LANGUAGES: Final = frozenset({"ja", "ja-easy", "zh-hans"})


@dataclass(frozen=True)
class Hit:
    faq_id: int
    score: float
    coverage: float  # share of the question's weight (idf) found in this FAQ, 0–1


class Index:
    def __init__(self, documents: dict[tuple[int, str], Counter[str]]) -> None:
        self.postings: dict[str, dict[str, list[tuple[int, float]]]] = {"ja": defaultdict(list), "latin": defaultdict(list)}
        self.length: dict[tuple[int, str], float] = {}
        counts = {"ja": 0, "latin": 0}
        totals = {"ja": 0.0, "latin": 0.0}
        for (faq_id, script), counter in documents.items():
            length = float(sum(counter.values()))
            self.length[(faq_id, script)] = length
            counts[script] += 1
            totals[script] += length
            for term, frequency in counter.items():
                self.postings[script][term].append((faq_id, float(frequency)))
        self.count = counts
        self.average = {s: (totals[s] / counts[s] if counts[s] else 1.0) for s in counts}

    def idf(self, script: str, term: str) -> float:
        n = self.count[script]
        df = len(self.postings[script].get(term, ()))
        return math.log(1 + (n - df + 0.5) / (df + 0.5))

    def search(self, script: str, query_terms: list[str], limit: int = 5) -> list[Hit]:
        if script not in self.postings or not query_terms:
            return []
        unique = list(dict.fromkeys(query_terms))
        postings = self.postings[script]
        rare = math.log(1 + (self.count[script] + 0.5) / 0.5)  # a term no FAQ has: as telling as the rarest
        weights = {t: (self.idf(script, t) if t in postings else rare) for t in unique}
        total_weight = sum(weights.values()) or 1.0
        scores: dict[int, float] = defaultdict(float)
        matched: dict[int, float] = defaultdict(float)
        average = self.average[script]
        for term in unique:
            entries = postings.get(term)
            if not entries:
                continue
            idf = weights[term]
            for faq_id, frequency in entries:
                norm = K1 * (1 - B + B * self.length[(faq_id, script)] / average)
                scores[faq_id] += idf * frequency * (K1 + 1) / (frequency + norm)
                matched[faq_id] += idf
        best = sorted(scores.items(), key=lambda item: (-item[1], item[0]))[:limit]
        return [Hit(faq_id, score, matched[faq_id] / total_weight) for faq_id, score in best]


def script_of_language(language: str) -> str | None:
    if language in JAPANESE_LANGUAGES:
        return "ja"
    if language in LATIN_LANGUAGES:
        return "latin"
    return None


def index_from(rows: Iterable[tuple[int, str, list[str], list[str]]]) -> Index:
    """An index from (faq id, language, question terms, answer terms) rows."""
    documents: dict[tuple[int, str], Counter[str]] = defaultdict(Counter)
    for faq_id, language, question_terms, answer_terms in rows:
        script = script_of_language(language)
        if script is None:
            continue
        document = documents[(faq_id, script)]
        for term in question_terms:
            document[term] += QUESTION_WEIGHT
        document.update(answer_terms)
    return Index(documents)


def build_index(municipality_id: int) -> Index:
    rows = FaqVariant.objects.filter(faq__municipality_id=municipality_id, faq__published=True).values_list(
        "faq_id", "language", "question_tokens", "answer_tokens"
    )
    return index_from(rows.iterator(chunk_size=2000))


_cache: dict[int, tuple[tuple[object, ...], Index]] = {}
_lock = threading.Lock()


def index_for(municipality_id: int) -> Index:
    """The municipality's index, rebuilt when an FAQ was added, changed or removed since it was built."""
    stamp_row = Faq.objects.filter(municipality_id=municipality_id).aggregate(
        changed=Max("updated_at"), count=Count("id")
    )
    stamp = (stamp_row["changed"], stamp_row["count"])
    cached = _cache.get(municipality_id)
    if cached is not None and cached[0] == stamp:
        return cached[1]
    with _lock:
        cached = _cache.get(municipality_id)
        if cached is not None and cached[0] == stamp:
            return cached[1]
        index = build_index(municipality_id)
        _cache[municipality_id] = (stamp, index)
        return index


def forget(municipality_id: int | None = None) -> None:
    """Drop cached indexes (tests; a process that changed FAQs rebuilds on its next question anyway)."""
    if municipality_id is None:
        _cache.clear()
    else:
        _cache.pop(municipality_id, None)
