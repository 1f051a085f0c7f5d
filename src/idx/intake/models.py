"""Scans of paper forms: a batch as uploaded, and each page with what the machine read on it."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from idx.common.models import TenantModel
from idx.procedures.models import ProcedureVersion


def batch_path(instance: ScanBatch, filename: str) -> str:
    return f"intake/{instance.municipality_id}/{instance.public_id}/upload"


def page_path(instance: ScanPage, filename: str) -> str:
    return f"intake/{instance.municipality_id}/{instance.batch.public_id}/page-{instance.number:04d}.png"


class ScanBatch(TenantModel):
    """One uploaded file of scans (a multi-page PDF or an image), split into pages in the background."""

    class Status(models.TextChoices):
        RECEIVED = "received", pgettext_lazy("scan", "Received")
        SPLITTING = "splitting", _("Splitting into pages")
        READING = "reading", _("Being read")
        DONE = "done", pgettext_lazy("scan", "Read")
        REFUSED = "refused", _("Refused")

    public_id = models.CharField(max_length=40, unique=True)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    original_name = models.CharField(max_length=200)
    content_type = models.CharField(max_length=60)
    size = models.PositiveBigIntegerField()
    sha256 = models.CharField(max_length=64)
    file = models.FileField(upload_to=batch_path)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.RECEIVED)
    # Why the whole file was refused (a key of ``idx.intake.outcomes.REASONS``).
    refusal = models.CharField(max_length=40, blank=True)
    page_count = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.public_id


class ScanPage(TenantModel):
    """One page of a batch: its image and, once read, the answers with a confidence per item."""

    class Outcome(models.TextChoices):
        QUEUED = "queued", _("Waiting to be read")
        READ = "read", pgettext_lazy("scan", "Read")
        MANUAL = "manual", _("Manual queue")  # no form QR code: a clerk matches it by hand
        BLANK = "blank", _("Blank page")
        FAILED = "failed", _("Could not be read")

    batch = models.ForeignKey(ScanBatch, on_delete=models.CASCADE, related_name="pages")
    number = models.PositiveIntegerField()
    image = models.FileField(upload_to=page_path)
    outcome = models.CharField(max_length=10, choices=Outcome.choices, default=Outcome.QUEUED)
    reason = models.CharField(max_length=40, blank=True)
    procedure_version = models.ForeignKey(
        ProcedureVersion, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # A page without a form QR code: the title read at its top (and, as ``procedure_version`` with
    # the reason "title_match", the published form it names; idx.intake.titles).
    title_read = models.CharField(max_length=200, blank=True)
    form_serial = models.CharField(max_length=16, blank=True)
    form_page = models.PositiveIntegerField(null=True, blank=True)
    form_pages = models.PositiveIntegerField(null=True, blank=True)
    rotated = models.PositiveIntegerField(default=0)
    marks_found = models.PositiveIntegerField(default=0)
    # [{"path", "value", "text", "confidence", "zone": {"x", "y", "w", "h"}}] in form order.
    readings = models.JSONField(default=list, blank=True)
    seconds = models.FloatField(null=True, blank=True)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["batch", "number"]
        constraints = [models.UniqueConstraint(fields=["batch", "number"], name="scan_page_unique")]
        indexes = [models.Index(fields=["municipality", "outcome"], name="scan_page_outcome")]

    def __str__(self) -> str:
        return f"{self.batch_id}/{self.number}"


class FormVerification(TenantModel):
    """A clerk's verification of one read paper form: when the screen was opened, when the answers
    were accepted and by whom, what was corrected, and the case it became.

    A form is the pages of a batch that share a serial, starting at ``first_page`` (the batch's page
    number). The times give the handling time per step: reading (``reading_seconds``, the machine's
    time on the form's pages) and verifying (``started_at`` to ``verified_at``).
    """

    batch = models.ForeignKey(ScanBatch, on_delete=models.PROTECT, related_name="verifications")
    first_page = models.PositiveIntegerField()
    form_serial = models.CharField(max_length=16)
    procedure_version = models.ForeignKey(ProcedureVersion, on_delete=models.PROTECT, related_name="+")
    page_numbers = models.JSONField(default=list, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    verified_at = models.DateTimeField(null=True, blank=True)
    verified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    application = models.OneToOneField(
        "applications.Application", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    reading_seconds = models.FloatField(null=True, blank=True)
    # [{"path", "read", "accepted", "confidence"}] for every item whose accepted value differs.
    corrections = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(fields=["batch", "first_page"], name="form_verification_unique")
        ]
        indexes = [models.Index(fields=["municipality", "verified_at"], name="form_verified_idx")]

    def __str__(self) -> str:
        return f"{self.batch_id}/{self.first_page}"

    @property
    def verifying_seconds(self) -> float | None:
        if self.started_at is None or self.verified_at is None:
            return None
        return round(max((self.verified_at - self.started_at).total_seconds(), 0.0), 3)
