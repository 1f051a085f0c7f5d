"""The assistant's question tally: one count more per question asked, by day, category of the best
answer and whether it answered. Nothing of the question itself is kept (the platform's own
statistics publish these counts per month)."""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from idx.assist.models import QuestionTally
from idx.assist.selectors import AssistantAnswer
from idx.common.models import Municipality

UNKNOWN = "unknown"


def question_tally_add(*, municipality: Municipality, answer: AssistantAnswer) -> None:
    """Count one question (answered or unsure; empty and too long ones are not questions)."""
    if answer.status not in ("answered", "unsure"):
        return
    best = answer.best
    category = best.faq.category if best is not None else UNKNOWN
    key = {
        "municipality": municipality,
        "day": timezone.localdate(),
        "category": category,
        "answered": answer.status == "answered",
    }
    if QuestionTally.objects.filter(**key).update(count=F("count") + 1):
        return
    try:
        with transaction.atomic():
            QuestionTally.objects.create(**key, count=1)
    except IntegrityError:  # the first question of the day came twice at once: the other row exists
        QuestionTally.objects.filter(**key).update(count=F("count") + 1)
