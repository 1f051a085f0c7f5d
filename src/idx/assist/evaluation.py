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
from idx.assist.selectors import answer_languages, confidences

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
    off_topic_by_register: dict[str, list[int]] = field(default_factory=lambda: defaultdict(lambda: [0, 0]))
    # calibration: per label of the first answer, [answered with it, right at top-1]
    by_label: dict[str, list[int]] = field(default_factory=lambda: defaultdict(lambda: [0, 0]))
    # the answer in the question's language, when the right FAQ has it: [asked, answered so]
    in_language: list[int] = field(default_factory=lambda: [0, 0])
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
    languages: list[set[str]] = []
    rows = []
    for number, entry in enumerate(entries):
        data = faq_data(entry)
        keys.append(data.key)
        languages.append(set(data.texts))
        for language, (question, answer) in data.texts.items():
            asked = "\n".join([question, *data.keywords.get(language, [])])
            rows.append(
                (
                    number,
                    language,
                    text.terms(asked, language=language),
                    text.terms(answer, language=language),
                )
            )
    index = search.index_from(rows)
    known = set(keys)
    report = Report()
    for item in questions:
        question, expected = str(item["q"]), item.get("expect")
        script = text.script_of(question)
        hits = index.search(script, text.terms(question), limit=3) if script in search.SCRIPTS else []
        got = [keys[hit.faq_id] for hit in hits]
        confidence = confidences(hits)[0] if hits else "low"
        if expected is None:
            report.off_topic += 1
            report.off_topic_unsure += int(confidence == "low")
            off = report.off_topic_by_register[str(item.get("register", "other"))]
            off[0] += 1
            off[1] += int(confidence == "low")
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
        label = report.by_label[confidence]
        label[0] += 1
        label[1] += int(got[:1] == [expected])
        asked_in = item.get("language")
        if asked_in and got[:1] == [expected] and asked_in in languages[keys.index(expected)]:
            report.in_language[0] += 1
            available = languages[keys.index(expected)]
            chosen = next((lang for lang in answer_languages(question, "ja") if lang in available), "")
            report.in_language[1] += int(chosen == asked_in)
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
    for label in ("high", "medium", "low"):
        count, right = report.by_label.get(label, (0, 0))
        if count:
            lines.append(f"  first answer '{label}': {count:>4}, right at top-1 {right / count:.1%}")
    if report.off_topic:
        lines.append(
            f"questions the FAQs do not answer met with 'not sure': {report.off_topic_unsure}/{report.off_topic}"
            f" (false answers: {report.off_topic - report.off_topic_unsure})"
        )
        for register, (count, unsure) in sorted(report.off_topic_by_register.items()):
            lines.append(f"  {register:<10} {count:>4}  not sure {unsure / count:.1%}")
    if report.in_language[0]:
        lines.append(
            "answered in the question's language (typed on the Japanese page): "
            f"{report.in_language[1]}/{report.in_language[0]}"
        )
    if misses:
        lines += [f"  miss: {q!r} expected {e} got {g}" for q, e, g in report.misses]
    return "\n".join(lines)
