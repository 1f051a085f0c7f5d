"""Reads of the assistant: answers to a question, FAQs, the gap list and inquiries, each scoped."""

from __future__ import annotations

import hmac
from dataclasses import dataclass, field
from typing import Final

from django.conf import settings
from django.db.models import Q, QuerySet

from idx.assist import search, text
from idx.assist.models import Faq, FaqVariant, Inquiry, InquiryStatus, UnansweredQuestion
from idx.assist.services import token_hash
from idx.common.models import Municipality
from idx.identity.models import Department, User
from idx.identity.policy import Action, Scope, scope_of
from idx.procedures.models import Procedure

MAX_QUESTION_CHARS: Final = 500
# How sure the assistant is, from the share of the question's weight the best FAQ covers and how
# far it leads the next one (calibrated on the evaluation set, see docs/assistant.md).
SURE_COVERAGE: Final = 0.55
LIKELY_COVERAGE: Final = 0.35
LEAD: Final = 1.15


@dataclass
class AnswerItem:
    faq: Faq
    variant: FaqVariant
    in_requested_language: bool
    confidence: str  # high | medium | low
    score: float
    procedures: list[Procedure] = field(default_factory=list)


@dataclass
class AssistantAnswer:
    question: str
    status: str  # answered | unsure | empty | too_long | unsupported
    items: list[AnswerItem] = field(default_factory=list)

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


def _confidence(hit: search.Hit, runner_up: search.Hit | None) -> str:
    leads = runner_up is None or hit.score >= LEAD * runner_up.score
    if hit.coverage >= SURE_COVERAGE and leads:
        return "high"
    if hit.coverage >= LIKELY_COVERAGE:
        return "medium"
    return "low"


def rank(municipality: Municipality, question: str, limit: int = 3) -> list[search.Hit]:
    """The best FAQ hits for a cleaned question (no database reads besides the index stamp)."""
    script = text.script_of(question)
    if script not in ("ja", "latin"):
        return []
    from idx.assist.services import synonyms_of

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
    if not hits:
        return AssistantAnswer(question=cleaned, status="unsure")
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
    for position, hit in enumerate(hits):
        faq = faqs.get(hit.faq_id)
        if faq is None:
            continue
        variants = {v.language: v for v in faq.variants.all()}
        chosen = next((variants[lang] for lang in _fallbacks(language) if lang in variants), None)
        if chosen is None:
            continue
        runner_up = hits[position + 1] if position + 1 < len(hits) else None
        items.append(
            AnswerItem(
                faq=faq,
                variant=chosen,
                in_requested_language=chosen.language == language,
                confidence=_confidence(hit, runner_up),
                score=hit.score,
                procedures=[procedures[c] for c in faq.procedures if c in procedures],
            )
        )
    status = "answered" if items and items[0].confidence != "low" else "unsure"
    return AssistantAnswer(question=cleaned, status=status, items=items)


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
