"""パブリックコメント (意見公募手続): a draft plan or ordinance published section by section with its
documents, opinions per section until the deadline, and the result 「意見の概要と市の考え方」.

The city's own 要綱 rules apply: at least 30 days open, names and addresses unless the case allows
anonymous opinions, and only the city's summary is published, never an opinion verbatim.
"""

from __future__ import annotations

import datetime as dt
import uuid

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from idx.common.models import TenantModel
from idx.identity.models import Department, User

MINIMUM_DAYS = 30  # 要綱: 意見の提出期間は30日以上


class Eligibility(models.TextChoices):
    ANYONE = "anyone", _("Anyone")
    # 市内に住所を有する者、市内に通勤・通学する者、利害関係者
    RELATED = "related", _("People who live, work or study in the city")


class Relation(models.TextChoices):
    """How the person who sends opinions is related to the city (asked when the case limits who may)."""

    RESIDENT = "resident", _("I live in the city")
    WORKER = "worker", _("I work in the city")
    STUDENT = "student", _("I study in the city")
    STAKEHOLDER = "stakeholder", _("I have an interest in this plan")
    OTHER = "other", _("Other")


class Consultation(TenantModel):
    """One パブリックコメント case (意見公募の案件)."""

    uid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    department = models.ForeignKey(Department, on_delete=models.PROTECT, related_name="+")
    titles = models.JSONField(default=dict)
    summaries = models.JSONField(default=dict, blank=True)
    opens_on = models.DateField()
    closes_on = models.DateField()  # inclusive: opinions until the end of that day (JST)
    anonymous_allowed = models.BooleanField(default=False)
    eligibility = models.CharField(max_length=10, choices=Eligibility.choices, default=Eligibility.ANYONE)
    published_at = models.DateTimeField(null=True, blank=True)
    # 「意見の概要と市の考え方」: the overall note on how the plan changed, then the publication
    result_notes = models.JSONField(default=dict, blank=True)
    result_published_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")

    class Meta:
        ordering = ["-opens_on", "-id"]
        indexes = [models.Index(fields=["municipality", "published_at", "closes_on"])]

    def __str__(self) -> str:
        return self.titles.get("ja", "")

    @property
    def is_published(self) -> bool:
        return self.published_at is not None

    @property
    def result_is_published(self) -> bool:
        return self.result_published_at is not None

    def is_open(self, today: dt.date | None = None) -> bool:
        today = today or timezone.localdate()
        return self.is_published and self.opens_on <= today <= self.closes_on

    def has_closed(self, today: dt.date | None = None) -> bool:
        return (today or timezone.localdate()) > self.closes_on

    @property
    def state(self) -> str:
        """draft, upcoming, open, closed (result pending) or result (published)."""
        if not self.is_published:
            return "draft"
        if self.result_is_published:
            return "result"
        today = timezone.localdate()
        if today < self.opens_on:
            return "upcoming"
        return "open" if today <= self.closes_on else "closed"


class Section(models.Model):
    """One part of the draft (第1章 …), with the city's answer to the opinions on it once written."""

    consultation = models.ForeignKey(Consultation, on_delete=models.CASCADE, related_name="sections")
    number = models.PositiveIntegerField()
    headings = models.JSONField(default=dict)
    texts = models.JSONField(default=dict)
    opinion_summaries = models.JSONField(default=dict, blank=True)  # 意見の概要
    city_views = models.JSONField(default=dict, blank=True)  # 市の考え方
    changed = models.BooleanField(null=True, blank=True)  # 修正あり / なし; None: not decided yet

    class Meta:
        ordering = ["consultation", "number"]
        constraints = [
            models.UniqueConstraint(fields=["consultation", "number"], name="public_comment_section_number")
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.headings.get('ja', '')}"


def document_path(document: Document, filename: str) -> str:
    return f"public_comment/{document.consultation.municipality_id}/{document.uid}.pdf"


class Document(models.Model):
    """A PDF published with the draft (the plan itself, its outline); checked by content on upload."""

    uid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    consultation = models.ForeignKey(Consultation, on_delete=models.CASCADE, related_name="documents")
    names = models.JSONField(default=dict)
    file = models.FileField(upload_to=document_path, max_length=300)
    filename = models.CharField(max_length=200)
    size = models.PositiveBigIntegerField(default=0)
    sha256 = models.CharField(max_length=64)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["consultation", "id"]

    def __str__(self) -> str:
        return self.filename


class Submission(TenantModel):
    """One sending of opinions (意見書), on one or more sections, with its receipt number."""

    consultation = models.ForeignKey(Consultation, on_delete=models.PROTECT, related_name="submissions")
    receipt_number = models.CharField(max_length=30)
    user = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    name = models.CharField(max_length=100, blank=True)
    address = models.CharField(max_length=200, blank=True)
    relation = models.CharField(max_length=12, choices=Relation.choices, blank=True)
    language = models.CharField(max_length=10, blank=True)

    class Meta:
        ordering = ["consultation", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["municipality", "receipt_number"], name="public_comment_receipt_unique"
            )
        ]

    def __str__(self) -> str:
        return self.receipt_number


class Opinion(models.Model):
    """What one person wrote on one section: plain text, never published verbatim."""

    submission = models.ForeignKey(Submission, on_delete=models.CASCADE, related_name="opinions")
    section = models.ForeignKey(Section, on_delete=models.PROTECT, related_name="opinions")
    text = models.TextField()

    class Meta:
        ordering = ["submission", "section__number"]

    def __str__(self) -> str:
        return f"{self.submission_id}/{self.section_id}"


class ReceiptSequence(models.Model):
    """Yearly receipt numbers of opinions (PC-2026-000001), per municipality."""

    municipality = models.ForeignKey("common.Municipality", on_delete=models.CASCADE, related_name="+")
    year = models.PositiveIntegerField()
    last_number = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["municipality", "year"], name="public_comment_sequence_year")
        ]

    def __str__(self) -> str:
        return f"{self.municipality_id}/{self.year}: {self.last_number}"
