"""The FAQ knowledge base, what residents asked that it could not answer, and inquiries (問い合わせ)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from idx.common.models import TenantModel


class Category(models.TextChoices):
    GARBAGE = "garbage", _("Garbage and recycling")
    CHILDCARE = "childcare", _("Children and child-rearing")
    CARE = "care", _("Nursing care and the elderly")
    TAX = "tax", _("Taxes")
    RESIDENCE = "residence", _("Residence records and family register")
    MYNUMBER = "mynumber", _("My Number Card")
    DISASTER = "disaster", _("Disaster preparedness")
    WATER = "water", _("Water and sewerage")
    HEALTH = "health", _("Health")
    LIVING = "living", _("Daily life")


class Faq(TenantModel):
    """One question the city answers; its texts per language are ``FaqVariant`` rows."""

    key = models.SlugField(max_length=80)
    category = models.CharField(max_length=20, choices=Category.choices)
    department = models.ForeignKey(
        "identity.Department", null=True, blank=True, on_delete=models.SET_NULL, related_name="faqs"
    )
    procedures = models.JSONField(default=list, blank=True)  # procedure codes to apply for
    published = models.BooleanField(default=True)
    helpful = models.PositiveIntegerField(default=0)
    not_helpful = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["category", "key"]
        constraints = [
            models.UniqueConstraint(fields=["municipality", "key"], name="faq_key_unique_per_municipality")
        ]

    def __str__(self) -> str:
        return self.key


class FaqVariant(models.Model):
    """The question and answer of a FAQ in one language, with the search tokens computed at save."""

    faq = models.ForeignKey(Faq, on_delete=models.CASCADE, related_name="variants")
    language = models.CharField(max_length=10)
    question = models.CharField(max_length=300)
    answer = models.TextField()
    # Other ways residents ask this, one per line: searched like the question, never shown to residents.
    keywords = models.TextField(blank=True)
    # Analyzer output (see idx.assist.text), stored so that rebuilding the index reads, not parses.
    question_tokens = models.JSONField(default=list)
    answer_tokens = models.JSONField(default=list)

    class Meta:
        ordering = ["faq", "language"]
        constraints = [
            models.UniqueConstraint(fields=["faq", "language"], name="faq_variant_unique_language")
        ]

    def __str__(self) -> str:
        return f"{self.faq_id}:{self.language}"


class SynonymSet(TenantModel):
    """A municipality's own synonym groups for the assistant, one ``a/b/c`` line per group (on top of
    the shipped ones): local words (地区名, 施設の愛称) and what the gap list shows residents say."""

    text = models.TextField(blank=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["municipality"], name="synonym_set_one_per_municipality")
        ]

    def __str__(self) -> str:
        return f"synonyms of {self.municipality_id}"


class UnansweredQuestion(TenantModel):
    """A question the assistant was unsure about, or whose answer a resident found unhelpful (gap list).

    The text is masked (phone numbers, e-mail addresses and long digit runs) before it is stored;
    the same masked text asked again counts up instead of adding a row.
    """

    text = models.CharField(max_length=500)
    text_hash = models.CharField(max_length=64)
    language = models.CharField(max_length=10)
    reason = models.CharField(
        max_length=20,
        choices=[("unsure", _("The assistant was unsure")), ("not_helpful", _("Marked not helpful"))],
    )
    best_faq = models.ForeignKey(Faq, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    times = models.PositiveIntegerField(default=1)
    last_asked_at = models.DateTimeField()
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    resolved_faq = models.ForeignKey(Faq, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["-times", "-last_asked_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["municipality", "text_hash", "reason"], name="unanswered_question_unique_text"
            )
        ]

    def __str__(self) -> str:
        return self.text[:40]


class InquiryStatus(models.TextChoices):
    OPEN = "open", _("Waiting for the city")
    ANSWERED = "answered", _("Answered")
    CLOSED = "closed", _("Closed")


class Inquiry(TenantModel):
    """A question sent to a department (問い合わせ), tracked by its number until it is closed."""

    public_id = models.CharField(max_length=12, unique=True)
    department = models.ForeignKey("identity.Department", on_delete=models.PROTECT, related_name="inquiries")
    resident = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="inquiries"
    )
    name = models.CharField(max_length=100)
    email = models.EmailField()
    language = models.CharField(max_length=10, default="ja")
    subject = models.CharField(max_length=150)
    status = models.CharField(max_length=10, choices=InquiryStatus.choices, default=InquiryStatus.OPEN)
    # Who has the link can read and reply without an account; only its hash is kept.
    access_token_hash = models.CharField(max_length=64)
    due_at = models.DateTimeField()  # the department's response-time target for the open question
    first_answered_at = models.DateTimeField(null=True, blank=True)
    last_resident_at = models.DateTimeField()
    closed_at = models.DateTimeField(null=True, blank=True)
    faq = models.ForeignKey(Faq, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["due_at"]
        indexes = [models.Index(fields=["municipality", "department", "status", "due_at"])]

    def __str__(self) -> str:
        return self.public_id


class InquiryMessage(models.Model):
    inquiry = models.ForeignKey(Inquiry, on_delete=models.CASCADE, related_name="messages")
    from_staff = models.BooleanField(default=False)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    body = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return f"{self.inquiry_id}:{self.pk}"


class InquiryDesk(TenantModel):
    """Where an inquiry goes when the resident does not know which department to ask
    (「わからない」): the general desk the city chooses, e.g. its 総合窓口 or 広聴 section."""

    department = models.ForeignKey("identity.Department", on_delete=models.PROTECT, related_name="+")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["municipality"], name="inquiry_desk_one_per_municipality")
        ]

    def __str__(self) -> str:
        return f"{self.municipality_id}: {self.department_id}"


class QuestionTally(TenantModel):
    """How many questions the assistant was asked on one day, per category of its best answer
    ("unknown" when it had none) and whether it answered: counts only, never the question's text."""

    day = models.DateField()
    category = models.CharField(max_length=20)  # a ``Category`` value or "unknown"
    answered = models.BooleanField()
    count = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["municipality", "day", "category", "answered"], name="question_tally_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.day} {self.category} {self.answered}: {self.count}"
