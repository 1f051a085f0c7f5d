"""Reads of the assistant: answers to a question, FAQs, the gap list and inquiries, each scoped."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Final

from django.conf import settings
from django.db.models import Q, QuerySet, Sum
from django.db.models.functions import TruncMonth

from idx.assist import search, text
from idx.assist.models import (
    Faq,
    FaqVariant,
    Inquiry,
    InquiryStatus,
    QuestionTally,
    SynonymSet,
    UnansweredQuestion,
)
from idx.common.models import Municipality
from idx.identity.models import Department, User
from idx.identity.policy import Action, Scope, scope_of
from idx.procedures.models import Procedure

MAX_QUESTION_CHARS: Final = 500
# How sure the assistant is, from the share of the question's weight the best FAQ covers (in all
# its text, and in its question and other wordings), how many of the question's words it has and
# how far it leads the next one. Calibrated on the evaluation set with its out-of-scope questions
# (see docs/assistant.md, "Confidence").
SURE_COVERAGE: Final = 0.55
LIKELY_COVERAGE: Final = 0.4
LIKELY_QUESTION_COVERAGE: Final = 0.3
LEAD: Final = 1.15
# An FAQ far ahead of every other one (twice the score) that has two of the question's words is a
# possible match with less coverage: the rest of the question is wording no FAQ uses.
FAR_LEAD: Final = 2.0
FAR_LEAD_COVERAGE: Final = 0.3
# A lower answer is at best a possible match, and only when it scores close to the best one.
CLOSE: Final = 0.8
CONFIDENCE_LEVELS: Final = ("low", "medium", "high")


@dataclass
class AnswerItem:
    faq: Faq
    variant: FaqVariant
    in_requested_language: bool
    confidence: str  # high | medium | low
    score: float
    procedures: list[Procedure] = field(default_factory=list)

    @property
    def html_lang(self) -> str:
        """The BCP 47 tag of the text's language, for ``lang`` attributes."""
        return HTML_LANG.get(self.variant.language, self.variant.language)


@dataclass
class AssistantAnswer:
    question: str
    status: str  # answered | unsure | empty | too_long | unsupported
    items: list[AnswerItem] = field(default_factory=list)
    language: str = ""  # the language the answers were looked for in: the question's, else the page's

    @property
    def best(self) -> AnswerItem | None:
        return self.items[0] if self.items else None


def clean_question(raw: str) -> str:
    """Printable text only (control and binary characters dropped), spaces folded."""
    kept = "".join(ch if ch.isprintable() else " " for ch in raw)
    return " ".join(kept.split())


def _fallbacks(language: str) -> list[str]:
    if language in ("ja", "ja-easy"):
        return [language, "ja"]
    return [language, "en", "ja"]


HTML_LANG: Final = {"ja-easy": "ja", "pt-br": "pt-BR", "zh-hans": "zh-Hans"}


def _confidence(hit: search.Hit, runner_up: search.Hit | None) -> str:
    """The label of the best hit: how much of the question it covers and how far it leads the next.

    One shared word is not enough when the question has more (「明日の天気」 shares 天気 with an
    FAQ on frozen pipes): an FAQ must have two of the question's words, or all of them.
    """
    likely = _likely(hit)
    far_ahead = (
        (runner_up is None or hit.score >= FAR_LEAD * runner_up.score)
        and hit.words >= 2
        and hit.coverage >= FAR_LEAD_COVERAGE
        and hit.question_coverage >= LIKELY_QUESTION_COVERAGE
    )
    if not (likely or far_ahead):
        return "low"
    leads = runner_up is None or hit.score >= LEAD * runner_up.score
    if likely and hit.coverage >= SURE_COVERAGE and leads:
        return "high"
    return "medium"


def _likely(hit: search.Hit) -> bool:
    enough_words = hit.words >= min(2, hit.question_words)
    return (
        hit.coverage >= LIKELY_COVERAGE and hit.question_coverage >= LIKELY_QUESTION_COVERAGE and enough_words
    )


def confidences(hits: list[search.Hit]) -> list[str]:
    """A label per ranked hit, never higher than the label of the hit above it (monotonic with rank).

    Only the first can be a good match; a lower one is a possible match when it covers enough of
    the question and scores close to the first, else uncertain.
    """
    labels: list[str] = []
    for position, hit in enumerate(hits):
        if position == 0:
            label = _confidence(hit, hits[1] if len(hits) > 1 else None)
        else:
            close = _likely(hit) and hit.score >= CLOSE * hits[0].score
            label = min("medium" if close else "low", labels[-1], key=CONFIDENCE_LEVELS.index)
        labels.append(label)
    return labels


def answer_languages(question: str, page_language: str) -> list[str]:
    """The languages to answer in, best first: the question's own (an English question typed on
    the Japanese page is answered in English when the FAQ has it), then the page's fallbacks."""
    asked = text.language_of(question)
    if asked is None or (asked == "ja" and page_language in ("ja", "ja-easy")):
        return _fallbacks(page_language)
    chain = [
        asked,
        *(["en"] if search.script_of_language(asked) == "latin" else []),
        *_fallbacks(page_language),
    ]
    return list(dict.fromkeys(chain))


def rank(municipality: Municipality, question: str, limit: int = 3) -> list[search.Hit]:
    """The best FAQ hits for a cleaned question (no database reads besides the index stamp)."""
    script = text.script_of(question)
    if script not in search.SCRIPTS:
        return []
    terms = text.terms(question, synonyms_of(municipality.pk))
    return search.index_for(municipality.pk).search(script, terms, limit=limit)


def answer_question(
    *, municipality: Municipality, question: str, language: str, limit: int = 3
) -> AssistantAnswer:
    cleaned = clean_question(question)
    if len(cleaned) > MAX_QUESTION_CHARS:
        return AssistantAnswer(question=cleaned[:MAX_QUESTION_CHARS], status="too_long")
    script = text.script_of(cleaned)
    if script == "empty":
        return AssistantAnswer(question=cleaned, status="empty")
    if script == "unsupported":
        return AssistantAnswer(question=cleaned, status="unsupported")
    hits = rank(municipality, cleaned, limit=limit)
    wanted = answer_languages(cleaned, language)
    if not hits:
        return AssistantAnswer(question=cleaned, status="unsure", language=wanted[0])
    faqs = {
        faq.pk: faq
        for faq in Faq.objects.filter(municipality=municipality, pk__in=[h.faq_id for h in hits])
        .select_related("department")
        .prefetch_related("variants")
    }
    codes = {code for faq in faqs.values() for code in faq.procedures}
    procedures = {
        p.code: p
        for p in Procedure.objects.filter(
            municipality=municipality, code__in=codes, published_version__isnull=False
        )
    }
    items = []
    for hit, confidence in zip(hits, confidences(hits), strict=True):
        faq = faqs.get(hit.faq_id)
        if faq is None:
            continue
        variants = {v.language: v for v in faq.variants.all()}
        chosen = next((variants[lang] for lang in wanted if lang in variants), None)
        if chosen is None:
            continue
        items.append(
            AnswerItem(
                faq=faq,
                variant=chosen,
                in_requested_language=chosen.language == wanted[0],
                confidence=confidence,
                score=hit.score,
                procedures=[procedures[c] for c in faq.procedures if c in procedures],
            )
        )
    status = "answered" if items and items[0].confidence != "low" else "unsure"
    return AssistantAnswer(question=cleaned, status=status, items=items, language=wanted[0])


def assistant_languages() -> list[tuple[str, str]]:
    """The languages a question can be asked in (those with FAQ texts or read by the analyzer)."""
    return [(code, name) for code, name in settings.LANGUAGES]


def faq_get_public(*, municipality: Municipality, key: str) -> Faq | None:
    return (
        Faq.objects.filter(municipality=municipality, key=key, published=True)
        .select_related("department")
        .prefetch_related("variants")
        .first()
    )


def variant_for(faq: Faq, language: str) -> FaqVariant | None:
    variants = {v.language: v for v in faq.variants.all()}
    return next((variants[lang] for lang in _fallbacks(language) if lang in variants), None)


# ---- staff --------------------------------------------------------------------------------------------


def _department_scope(staff: User, action: Action) -> Q | None:
    """Filter on ``department`` for the staff member's scope of ``action``; None when not allowed."""
    scope = scope_of(staff.role, action)
    if scope == Scope.NONE or not staff.is_staff_member:
        return None
    if scope == Scope.ALL_DEPARTMENTS:
        return Q()
    return Q(department_id=staff.department_id)


def faqs_for_staff(*, staff: User, query: str = "", category: str = "") -> QuerySet[Faq]:
    scope = _department_scope(staff, Action.EDIT_FAQ)
    if scope is None:
        return Faq.objects.none()
    faqs = Faq.objects.filter(scope, municipality_id=staff.municipality_id).select_related("department")
    if category:
        faqs = faqs.filter(category=category)
    if query:
        faqs = faqs.filter(Q(key__icontains=query) | Q(variants__question__icontains=query)).distinct()
    return faqs.prefetch_related("variants").order_by("category", "key")


def faq_get_for_staff(*, staff: User, key: str) -> Faq | None:
    return faqs_for_staff(staff=staff).filter(key=key).first()


def departments_for_faq(staff: User) -> QuerySet[Department]:
    departments = Department.objects.filter(municipality_id=staff.municipality_id)
    if scope_of(staff.role, Action.EDIT_FAQ) == Scope.OWN_DEPARTMENT:
        departments = departments.filter(pk=staff.department_id or 0)
    return departments.order_by("code")


def gaps_for_staff(*, staff: User, include_resolved: bool = False) -> QuerySet[UnansweredQuestion]:
    if scope_of(staff.role, Action.EDIT_FAQ) == Scope.NONE:
        return UnansweredQuestion.objects.none()
    gaps = UnansweredQuestion.objects.filter(municipality_id=staff.municipality_id).select_related("best_faq")
    if not include_resolved:
        gaps = gaps.filter(resolved_at__isnull=True)
    return gaps


def inquiries_for_staff(*, staff: User, status: str = "") -> QuerySet[Inquiry]:
    scope = _department_scope(staff, Action.ANSWER_INQUIRY)
    if scope is None:
        return Inquiry.objects.none()
    inquiries = Inquiry.objects.filter(scope, municipality_id=staff.municipality_id).select_related(
        "department"
    )
    if status in InquiryStatus.values:
        inquiries = inquiries.filter(status=status)
    return inquiries.order_by("status", "due_at")


def inquiry_get_for_staff(*, staff: User, public_id: str) -> Inquiry | None:
    return inquiries_for_staff(staff=staff).filter(public_id=public_id).first()


def inquiry_get_for_resident(
    *, municipality: Municipality, public_id: str, user: User | None, token: str = ""
) -> Inquiry | None:
    """The inquiry when ``user`` sent it, or when ``token`` is its link's secret; otherwise None."""
    inquiry = (
        Inquiry.objects.filter(municipality=municipality, public_id=public_id)
        .select_related("department", "resident")
        .first()
    )
    if inquiry is None:
        return None
    if user is not None and user.is_authenticated and inquiry.resident_id == user.pk:
        return inquiry
    if token and hmac.compare_digest(inquiry.access_token_hash, token_hash(token)):
        return inquiry
    return None


def inquiries_of_resident(*, resident: User) -> QuerySet[Inquiry]:
    return (
        Inquiry.objects.filter(municipality_id=resident.municipality_id, resident=resident)
        .select_related("department")
        .order_by("-created_at")
    )


def synonyms_of(municipality_id: int) -> tuple[str, ...]:
    """The municipality's own synonym groups (``a/b/c`` lines), for the analyzer."""
    saved = SynonymSet.objects.filter(municipality_id=municipality_id).values_list("text", flat=True).first()
    return tuple(line.strip() for line in (saved or "").splitlines() if line.count("/") >= 1 and line.strip())


def token_hash(token: str) -> str:
    """The stored form of an inquiry link's secret (only its hash is kept)."""
    return hashlib.sha256(token.encode()).hexdigest()


def inquiry_stats(rows: Iterable[Any]) -> dict[str, Any]:
    """Response-time figures over inquiries: answered within target, median hours to first answer."""
    hours: list[float] = []
    within = total = 0
    for created_at, first_answered_at, due_at in rows:
        total += 1
        if first_answered_at is not None:
            hours.append((first_answered_at - created_at).total_seconds() / 3600)
            within += int(first_answered_at <= due_at)
    hours.sort()
    median = hours[len(hours) // 2] if hours else None
    return {"total": total, "answered": len(hours), "within_target": within, "median_hours": median}


def question_counts_by_month(
    *, municipality: Municipality, since: dt.date | None = None
) -> list[dict[str, Any]]:
    """Questions to the assistant per month (first day) and category (or "unknown"), answered or not
    summed, from the daily tally: ``[{"month": date, "category": str, "count": int}]``."""
    rows = QuestionTally.objects.filter(municipality=municipality)
    if since is not None:
        rows = rows.filter(day__gte=since)
    grouped = (
        rows.annotate(month=TruncMonth("day"))
        .values("month", "category")
        .annotate(total=Sum("count"))
        .order_by("month", "category")
    )
    return [{"month": row["month"], "category": row["category"], "count": row["total"]} for row in grouped]
