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
from array import array
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Final

from django.db.models import Count, Max

from idx.assist.models import Faq, FaqVariant

K1: Final = 1.2
B: Final = 0.75
QUESTION_WEIGHT: Final = 2
READING_WEIGHT: Final = 0.3  # sound bigrams (see idx.assist.text) help kana-only questions, words decide
LATIN_LANGUAGES: Final = frozenset({"en", "pt-br", "es", "vi", "fil"})
JAPANESE_LANGUAGES: Final = frozenset({"ja", "ja-easy", "zh-hans"})


@dataclass(frozen=True)
class Hit:
    faq_id: int
    score: float
    coverage: float  # share of the question's weight (idf) found in this FAQ, 0–1


class Index:
    """Postings per script and term as two compact arrays: FAQ ids and each one's BM25 term factor,
    tf·(k1+1) / (tf + k1·(1 − b + b·len/avg)), computed once at build; a search only adds idf × factor."""

    def __init__(self) -> None:
        self.postings: dict[str, dict[str, tuple[array[int], array[float]]]] = {"ja": {}, "latin": {}}
        self.lengths: dict[str, dict[int, float]] = {"ja": {}, "latin": {}}
        self.count = {"ja": 0, "latin": 0}
        self.average = {"ja": 1.0, "latin": 1.0}

    def add(self, faq_id: int, script: str, counter: Counter[str]) -> None:
        """One document's term frequencies (kept raw until ``finish``)."""
        self.lengths[script][faq_id] = float(sum(counter.values()))
        terms = self.postings[script]
        for term, frequency in counter.items():
            entry = terms.get(term)
            if entry is None:
                entry = terms[term] = (array("l"), array("f"))
            entry[0].append(faq_id)
            entry[1].append(frequency)

    def finish(self) -> Index:
        """Turn raw frequencies into BM25 factors, in place (no per-posting Python objects are kept)."""
        for script, found in self.lengths.items():
            self.count[script] = len(found)
            self.average[script] = sum(found.values()) / len(found) if found else 1.0
            average = self.average[script]
            for ids, factors in self.postings[script].values():
                for position, faq_id in enumerate(ids):
                    frequency = factors[position]
                    norm = K1 * (1 - B + B * found[faq_id] / average)
                    factors[position] = frequency * (K1 + 1) / (frequency + norm)
        self.lengths = {"ja": {}, "latin": {}}
        return self

    def idf(self, script: str, term: str) -> float:
        n = self.count[script]
        entry = self.postings[script].get(term)
        df = len(entry[0]) if entry is not None else 0
        return math.log(1 + (n - df + 0.5) / (df + 0.5))

    def search(self, script: str, query_terms: list[str], limit: int = 5) -> list[Hit]:
        if script not in self.postings or not query_terms:
            return []
        unique = list(dict.fromkeys(query_terms))
        postings = self.postings[script]
        rare = math.log(1 + (self.count[script] + 0.5) / 0.5)  # a term no FAQ has: as telling as the rarest
        weights = {
            t: (self.idf(script, t) if t in postings else rare)
            * (READING_WEIGHT if t.startswith("#") else 1.0)
            for t in unique
        }
        total_weight = sum(weights.values()) or 1.0
        scores: dict[int, float] = defaultdict(float)
        matched: dict[int, float] = defaultdict(float)
        for term in unique:
            entry = postings.get(term)
            if entry is None:
                continue
            idf = weights[term]
            for faq_id, factor in zip(entry[0], entry[1], strict=True):
                scores[faq_id] += idf * factor
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
    """An index from (faq id, language, question terms, answer terms) rows, all rows of one FAQ together."""
    index = Index()
    current: int | None = None
    documents: dict[str, Counter[str]] = {}

    def flush() -> None:
        for script, counter in documents.items():
            if current is not None:
                index.add(current, script, counter)
        documents.clear()

    for faq_id, language, question_terms, answer_terms in rows:
        script = script_of_language(language)
        if script is None:
            continue
        if faq_id != current:
            flush()
            current = faq_id
        document = documents.setdefault(script, Counter())
        for term in question_terms:
            document[term] += QUESTION_WEIGHT
        # Sound bigrams only from the question and its other wordings: from long answers they
        # would add many postings and little signal.
        document.update(term for term in answer_terms if not term.startswith("#"))
    flush()
    return index.finish()


def build_index(municipality_id: int) -> Index:
    rows = (
        FaqVariant.objects.filter(faq__municipality_id=municipality_id, faq__published=True)
        .order_by("faq_id", "language")
        .values_list("faq_id", "language", "question_tokens", "answer_tokens")
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
