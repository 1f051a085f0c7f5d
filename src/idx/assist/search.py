"""BM25 over the FAQ base of one municipality, kept in memory and rebuilt when an FAQ changes.

Why our own forty lines and not a package: the terms are computed once when an FAQ is saved and
stored on the variant (``idx.assist.text``), so the index only has to count them; an inverted
index then touches only the FAQs that share a term with the question. ``rank_bm25`` scores every
document for every term (linear in the base for each query) and is no longer maintained; ``bm25s``
brings SciPy. Questions count twice as much as answers (BM25F with field weights).

Documents in partitions: the Japanese one holds a document per FAQ with its 日本語 and やさしい日本語
variants, the Chinese one the 简体中文 variants, and each Latin-script language (English,
Portuguese, Spanish, Vietnamese, Filipino) has its own partition, so that an FAQ written in five
Latin-script languages is not a five times longer document. A question is matched against the
partitions of its own script; an FAQ's score is its best document's.
"""

from __future__ import annotations

import heapq
import math
import threading
from array import array
from bisect import bisect_left
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Final

from django.db.models import Count, Max

from idx.assist.models import Faq, FaqVariant

K1: Final = 1.2
B: Final = 0.75
QUESTION_WEIGHT: Final = 2
READING_WEIGHT: Final = 0.3  # sound bigrams (see idx.assist.text) help kana-only questions, words decide
LATIN_LANGUAGES: Final = frozenset({"en", "pt-br", "es", "vi", "fil"})
JAPANESE_LANGUAGES: Final = frozenset({"ja", "ja-easy"})
CHINESE_LANGUAGES: Final = frozenset({"zh-hans"})
SCRIPTS: Final = ("ja", "latin", "zh")


@dataclass(frozen=True)
class Hit:
    faq_id: int
    score: float
    coverage: float  # share of the question's weight (idf) found in this FAQ, 0–1
    question_coverage: float = 0.0  # the same, found in the FAQ's question and other wordings only
    words: int = 0  # distinct word terms of the question found in this FAQ (sound bigrams not counted)
    question_words: int = 0  # distinct word terms of the question


class Index:
    """Postings per script and term as two compact arrays: FAQ ids and each one's BM25 term factor,
    tf·(k1+1) / (tf + k1·(1 − b + b·len/avg)), computed once at build; a search only adds idf × factor."""

    def __init__(self) -> None:
        self.postings: dict[str, dict[str, tuple[array[int], array[float], array[int]]]] = {}
        # While building: the same postings as plain lists, turned into arrays by ``finish``.
        self._building: dict[str, dict[str, tuple[list[int], list[float], list[bool]]]] = {}
        self.lengths: dict[str, dict[int, float]] = {}
        self.count: dict[str, int] = {}
        self.average: dict[str, float] = {}

    def add(
        self, faq_id: int, script: str, counter: Mapping[str, float], asked: frozenset[str] = frozenset()
    ) -> None:
        """One document's term frequencies (kept raw until ``finish``); ``script`` names the partition,
        ``asked`` the terms of the FAQ's question and other wordings."""
        self.lengths.setdefault(script, {})[faq_id] = float(sum(counter.values()))
        terms = self._building.setdefault(script, {})
        for term, frequency in counter.items():
            entry = terms.get(term)
            if entry is None:
                terms[term] = ([faq_id], [frequency], [term in asked])
            else:
                entry[0].append(faq_id)
                entry[1].append(frequency)
                entry[2].append(term in asked)

    def finish(self) -> Index:
        """Turn raw frequencies into BM25 factors in compact arrays (no per-posting Python objects
        are kept once built: the lists of the build are dropped)."""
        for script, found in self.lengths.items():
            self.count[script] = len(found)
            self.average[script] = sum(found.values()) / len(found) if found else 1.0
            # norm(doc) = k1·(1 − b + b·len/avg), once per document rather than once per posting
            scale = K1 * B / self.average[script]
            base = K1 * (1 - B)
            norms = {faq_id: base + scale * length for faq_id, length in found.items()}
            terms = self.postings.setdefault(script, {})
            for term, (ids, frequencies, asked) in self._building.pop(script, {}).items():
                factors = [
                    frequency * (K1 + 1) / (frequency + norms[faq_id])
                    for faq_id, frequency in zip(ids, frequencies, strict=True)
                ]
                terms[term] = (array("l", ids), array("f", factors), array("b", asked))
        self.lengths = {}
        self._building = {}
        return self

    def idf(self, script: str, term: str) -> float:
        n = self.count[script]
        entry = self.postings[script].get(term)
        df = len(entry[0]) if entry is not None else 0
        return math.log(1 + (n - df + 0.5) / (df + 0.5))

    def search(self, script: str, query_terms: list[str], limit: int = 5) -> list[Hit]:
        """The best FAQs of the partitions of ``script`` (``latin`` searches every Latin-script one)."""
        best: dict[int, Hit] = {}
        for partition in self.postings:
            if partition == script or partition.startswith(script + ":"):
                for hit in self._search(partition, query_terms, limit):
                    if hit.faq_id not in best or hit.score > best[hit.faq_id].score:
                        best[hit.faq_id] = hit
        return sorted(best.values(), key=lambda hit: (-hit.score, hit.faq_id))[:limit]

    def _search(self, script: str, query_terms: list[str], limit: int) -> list[Hit]:
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
        for term in unique:
            entry = postings.get(term)
            if entry is None:
                continue
            idf = weights[term]
            for faq_id, factor in zip(entry[0], entry[1], strict=True):
                scores[faq_id] += idf * factor
        best = heapq.nsmallest(limit, scores.items(), key=lambda item: (-item[1], item[0]))
        question_words = sum(1 for term in unique if not term.startswith("#"))
        hits = []
        # What each of the few best FAQs covers of the question, found by bisection in the
        # postings (FAQ ids ascend): the loop above stays one addition per posting.
        for faq_id, score in best:
            matched = matched_asked = 0.0
            words = 0
            for term in unique:
                entry = postings.get(term)
                if entry is None:
                    continue
                ids = entry[0]
                at = bisect_left(ids, faq_id)
                if at < len(ids) and ids[at] == faq_id:
                    matched += weights[term]
                    if entry[2][at]:
                        matched_asked += weights[term]
                    words += not term.startswith("#")
            hits.append(
                Hit(
                    faq_id, score, matched / total_weight, matched_asked / total_weight, words, question_words
                )
            )
        return hits


def partition_of_language(language: str) -> str | None:
    """The index partition of an FAQ text: its script, and for Latin script its language too."""
    script = script_of_language(language)
    return f"latin:{language}" if script == "latin" else script


def script_of_language(language: str) -> str | None:
    if language in JAPANESE_LANGUAGES:
        return "ja"
    if language in LATIN_LANGUAGES:
        return "latin"
    if language in CHINESE_LANGUAGES:
        return "zh"
    return None


def index_from(rows: Iterable[tuple[int, str, list[str], list[str]]]) -> Index:
    """An index from (faq id, language, question terms, answer terms) rows, in ascending FAQ id
    (all rows of one FAQ together; searches bisect the postings)."""
    index = Index()
    current: int | None = None
    documents: dict[str, dict[str, float]] = {}
    asked: dict[str, set[str]] = {}

    def flush() -> None:
        for script, counts in documents.items():
            if current is not None:
                index.add(current, script, counts, frozenset(asked.get(script, ())))
        documents.clear()
        asked.clear()

    for faq_id, language, question_terms, answer_terms in rows:
        script = partition_of_language(language)
        if script is None:
            continue
        if faq_id != current:
            flush()
            current = faq_id
        document = documents.setdefault(script, {})
        asked.setdefault(script, set()).update(question_terms)
        get = document.get
        for term in question_terms:
            document[term] = get(term, 0) + QUESTION_WEIGHT
        # Sound bigrams only from the question and its other wordings: from long answers they
        # would add many postings and little signal.
        for term in answer_terms:
            if term[:1] != "#":
                document[term] = get(term, 0) + 1
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
