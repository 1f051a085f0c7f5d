"""Surveys (アンケート): questions as a procedure definition, answers, results."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q

from idx.common.models import TenantModel
from idx.identity.models import Department

SMALL_COUNT_DEFAULT = 5
SMALL_COUNT_MIN = 3
SMALL_COUNT_MAX = 50


class SurveyStatus(models.TextChoices):
    DRAFT = "draft", "下書き"
    OPEN = "open", "回答受付中"
    CLOSED = "closed", "締切"
    PUBLISHED = "published", "結果公表済み"


class Survey(TenantModel):
    """One survey; ``definition`` holds ``schema`` and ``steps`` as a procedure definition does
    (see :func:`idx.surveys.definition.engine_data` for what the engine gets)."""

    department = models.ForeignKey(Department, on_delete=models.PROTECT, related_name="+")
    code = models.SlugField(max_length=60)
    titles = models.JSONField(default=dict)
    descriptions = models.JSONField(default=dict, blank=True)
    opens_on = models.DateField()
    closes_on = models.DateField()
    # Signed: signed-in residents only, one answer each. Anonymous: nobody's account is stored.
    signed = models.BooleanField(default=False)
    status = models.CharField(max_length=12, choices=SurveyStatus.choices, default=SurveyStatus.DRAFT)
    definition = models.JSONField(default=dict)
    # Published counts below this are shown as "fewer than N" (idx.surveys.selectors.suppressed).
    small_count_threshold = models.PositiveSmallIntegerField(default=SMALL_COUNT_DEFAULT)
    results_published_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-opens_on", "code"]
        constraints = [
            models.UniqueConstraint(fields=["municipality", "code"], name="survey_code_unique"),
        ]

    def __str__(self) -> str:
        return self.code

    @property
    def title(self) -> str:
        from idx.common.i18n import pick

        return pick(self.titles)


class SurveyResponse(TenantModel):
    """One answer to a survey. ``resident`` is set for signed surveys only."""

    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="responses")
    resident = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    answers: Any = models.JSONField(default=dict)
    language = models.CharField(max_length=10, default="ja")

    class Meta:
        ordering = ["created_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["survey", "resident"],
                condition=Q(resident__isnull=False),
                name="survey_one_answer_per_resident",
            ),
        ]
