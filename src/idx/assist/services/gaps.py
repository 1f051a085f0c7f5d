"""Writes of the assistant's gap list: questions it could not answer well (counted, masked), the
residents' feedback on answers, and what staff do about them."""

from __future__ import annotations

import hashlib

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from idx.assist import text
from idx.assist.models import Faq, UnansweredQuestion
from idx.assist.selectors import synonyms_of
from idx.audit.services import audit_record
from idx.common.models import Municipality
from idx.identity.models import User


def _hash(masked: str) -> str:
    return hashlib.sha256(text.normalize(masked).strip().encode()).hexdigest()


def gap_record(
    *, municipality: Municipality, question: str, language: str, reason: str, best_faq_id: int | None
) -> UnansweredQuestion | None:
    """Count a question the assistant could not answer well (masked first); the same text counts up."""
    masked = text.mask_personal(question).strip()[:500]
    if not masked:
        return None
    digest = _hash(masked)
    now = timezone.now()
    updated = UnansweredQuestion.objects.filter(
        municipality=municipality, text_hash=digest, reason=reason
    ).update(times=F("times") + 1, last_asked_at=now, resolved_at=None)
    if updated:
        return UnansweredQuestion.objects.filter(
            municipality=municipality, text_hash=digest, reason=reason
        ).first()
    try:
        with transaction.atomic():
            return UnansweredQuestion.objects.create(
                municipality=municipality,
                text=masked,
                text_hash=digest,
                language=language,
                reason=reason,
                best_faq_id=best_faq_id,
                last_asked_at=now,
            )
    except IntegrityError:  # asked at the same moment by someone else
        return None


def faq_feedback(*, faq: Faq, helpful: bool, question: str, language: str) -> None:
    if helpful:
        Faq.objects.filter(pk=faq.pk).update(helpful=F("helpful") + 1)
        return
    Faq.objects.filter(pk=faq.pk).update(not_helpful=F("not_helpful") + 1)
    if question.strip():
        gap_record(
            municipality=faq.municipality,
            question=question,
            language=language,
            reason="not_helpful",
            best_faq_id=faq.pk,
        )


def faq_add_phrasing(*, faq: Faq, phrasing: str, language: str, actor: User) -> None:
    """Teach an FAQ another way residents ask it (from the gap list); the index follows."""
    variant = faq.variants.filter(language=language).first() or faq.variants.filter(language="ja").first()
    if variant is None:
        return
    lines = [line for line in variant.keywords.splitlines() if line.strip()]
    if phrasing.strip() and phrasing.strip() not in lines:
        lines.append(phrasing.strip()[:300])
    variant.keywords = "\n".join(lines)
    variant.question_tokens = text.terms(
        "\n".join([variant.question, *lines]), synonyms_of(faq.municipality_id), language=variant.language
    )
    variant.save(update_fields=["keywords", "question_tokens"])
    Faq.objects.filter(pk=faq.pk).update(updated_at=timezone.now())
    audit_record(
        municipality=faq.municipality,
        actor=actor,
        action="faq.phrasing_add",
        target_type="faq",
        target_id=faq.key,
        after={"language": variant.language},
    )


def gap_resolve(*, gap: UnansweredQuestion, actor: User, faq: Faq | None = None) -> None:
    gap.resolved_at = timezone.now()
    gap.resolved_by = actor
    gap.resolved_faq = faq
    gap.save(update_fields=["resolved_at", "resolved_by", "resolved_faq", "updated_at"])
