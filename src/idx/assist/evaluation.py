"""How well the assistant finds the right FAQ: top-1 and top-3 over a question set kept apart from the FAQs.

The evaluation builds the index straight from the demo FAQ files (no database), with the same
analyzer, synonyms, weights and confidence rule the portal uses, and asks every question of the
set. A question's ``expect`` is the FAQ key that answers it; ``expect: null`` marks a question the
city's FAQs do not answer, which the assistant should meet with "not sure" (its low confidence).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from idx.assist import search, text
from idx.assist.demo import demo_faqs, faq_data
from idx.assist.selectors import _confidence

TOP1_TARGET = 0.85
TOP3_TARGET = 0.95


@dataclass
class Report:
    asked: int = 0
    top1: int = 0
    top3: int = 0
    by_register: dict[str, list[int]] = field(default_factory=lambda: defaultdict(lambda: [0, 0, 0]))
    confident: int = 0  # answered with high or medium confidence
    confident_right: int = 0
    off_topic: int = 0
    off_topic_unsure: int = 0
    misses: list[tuple[str, str, str]] = field(default_factory=list)  # (question, expected, got)

    @property
    def top1_rate(self) -> float:
        return self.top1 / self.asked if self.asked else 0.0

    @property
    def top3_rate(self) -> float:
        return self.top3 / self.asked if self.asked else 0.0

    def passed(self) -> bool:
        return self.top1_rate >= TOP1_TARGET and self.top3_rate >= TOP3_TARGET


def load_questions(paths: list[Path]) -> list[dict[str, Any]]:
    questions: list[dict[str, Any]] = []
    for path in paths:
        questions += yaml.safe_load(path.read_text(encoding="utf-8")) or []
    return questions


def evaluate(questions: list[dict[str, Any]], faqs: list[dict[str, Any]] | None = None) -> Report:
    entries = faqs if faqs is not None else demo_faqs()
    keys: list[str] = []
    rows = []
    for number, entry in enumerate(entries):
        data = faq_data(entry)
        keys.append(data.key)
        for language, (question, answer) in data.texts.items():
            asked = "\n".join([question, *data.keywords.get(language, [])])
            rows.append((number, language, text.terms(asked), text.terms(answer)))
    index = search.index_from(rows)
    known = set(keys)
    report = Report()
    for item in questions:
        question, expected = str(item["q"]), item.get("expect")
        script = text.script_of(question)
        hits = index.search(script, text.terms(question), limit=3) if script in ("ja", "latin") else []
        got = [keys[hit.faq_id] for hit in hits]
        confidence = _confidence(hits[0], hits[1] if len(hits) > 1 else None) if hits else "low"
        if expected is None:
            report.off_topic += 1
            report.off_topic_unsure += int(confidence == "low")
            continue
        if expected not in known:
            raise ValueError(f"evaluation question {question!r} expects unknown FAQ {expected!r}")
        report.asked += 1
        register = report.by_register[str(item.get("register", "other"))]
        register[0] += 1
        if got[:1] == [expected]:
            report.top1 += 1
            register[1] += 1
        else:
            report.misses.append((question, expected, got[0] if got else "-"))
        if expected in got[:3]:
            report.top3 += 1
            register[2] += 1
        if confidence != "low":
            report.confident += 1
            report.confident_right += int(got[:1] == [expected])
    return report


def format_report(report: Report, *, misses: bool = False) -> str:
    lines = [
        f"questions: {report.asked}",
        f"top-1: {report.top1_rate:.1%} ({report.top1}/{report.asked}, target {TOP1_TARGET:.0%})",
        f"top-3: {report.top3_rate:.1%} ({report.top3}/{report.asked}, target {TOP3_TARGET:.0%})",
    ]
    for register, (count, one, three) in sorted(report.by_register.items()):
        lines.append(f"  {register:<9} {count:>4}  top-1 {one / count:.1%}  top-3 {three / count:.1%}")
    if report.confident:
        lines.append(
            f"answered with confidence: {report.confident}/{report.asked}, of which right at top-1: "
            f"{report.confident_right / report.confident:.1%}"
        )
    if report.off_topic:
        lines.append(
            f"questions the FAQs do not answer met with 'not sure': {report.off_topic_unsure}/{report.off_topic}"
        )
    if misses:
        lines += [f"  miss: {q!r} expected {e} got {g}" for q, e, g in report.misses]
    return "\n".join(lines)
