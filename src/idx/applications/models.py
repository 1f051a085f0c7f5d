"""Applications (申請), their history, attachments and the per-year receipt-number sequence."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from idx.common.models import Municipality, TenantModel
from idx.identity.models import Department
from idx.procedures.models import Procedure, ProcedureVersion


class Status(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SUBMITTED = "submitted", _("Submitted")
    IN_REVIEW = "in_review", _("In review")
    CORRECTION_REQUESTED = "correction_requested", _("Correction requested")  # 差し戻し
    RESUBMITTED = "resubmitted", _("Resubmitted")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")
    WITHDRAWN = "withdrawn", _("Withdrawn")


DECIDED = {Status.APPROVED, Status.REJECTED}
# Not in any queue. Queries use this exact list so PostgreSQL matches them to case_open_queue_idx.
NOT_OPEN = [Status.DRAFT.value, Status.APPROVED.value, Status.REJECTED.value, Status.WITHDRAWN.value]
CLOSED = {Status.APPROVED, Status.REJECTED, Status.WITHDRAWN}


class Channel(models.TextChoices):
    """How the application reached the city (the platform's own statistics count by it)."""

    ONLINE = "online", _("Online")
    COUNTER = "counter", _("At the counter")  # 書かない窓口: a clerk filled it in with the resident
    PAPER = "paper", _("On paper")  # a paper form keyed in (or imported) by staff
    IMPORTED = "imported", pgettext_lazy("application channel", "Imported")  # a row of another system's file


class Application(TenantModel):
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    procedure = models.ForeignKey(Procedure, on_delete=models.PROTECT, related_name="applications")
    procedure_version = models.ForeignKey(
        ProcedureVersion, on_delete=models.PROTECT, related_name="applications"
    )
    # Copied from the procedure when started, so department-scoped queues need no join.
    department = models.ForeignKey(Department, on_delete=models.PROTECT, related_name="applications")
    applicant = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="applications"
    )
    applicant_name = models.CharField(max_length=100, blank=True)
    status = models.CharField(max_length=24, choices=Status.choices, default=Status.DRAFT)
    answers = models.JSONField(default=dict, blank=True)
    language = models.CharField(max_length=10, default="ja")
    receipt_number = models.CharField(max_length=24, null=True, blank=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    due_date = models.DateField(null=True, blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    # When a clerk first opened the case for review (the statistics time review → decision from it).
    review_started_at = models.DateTimeField(null=True, blank=True)
    decision_reason = models.TextField(blank=True)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="assigned_cases",
    )
    # Per-item notes of the open correction request (差し戻し): {"children[0].birth_date": "..."}.
    correction_notes = models.JSONField(default=dict, blank=True)
    correction_message = models.TextField(blank=True)
    declaration_accepted_at = models.DateTimeField(null=True, blank=True)
    # 書かない窓口: the clerk who filled this in at the counter, and when the resident confirmed it.
    assisted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    resident_confirmed_at = models.DateTimeField(null=True, blank=True)
    channel = models.CharField(max_length=10, choices=Channel.choices, default=Channel.ONLINE)
    # Optimistic concurrency: every write checks and bumps it, so two clerks cannot both win.
    row_version = models.PositiveIntegerField(default=1)
    idempotency_key = models.CharField(max_length=80, null=True, blank=True)

    class Meta:
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["municipality", "receipt_number"], name="receipt_number_unique_per_municipality"
            ),
            models.UniqueConstraint(
                fields=["applicant", "idempotency_key"], name="application_idempotency_key_unique"
            ),
        ]
        indexes = [
            models.Index(fields=["municipality", "department", "status", "due_date"], name="case_queue_idx"),
            models.Index(fields=["municipality", "department", "due_date", "id"], name="case_due_idx"),
            models.Index(fields=["applicant", "-updated_at"], name="resident_applications_idx"),
            # The working queue: open cases only, in due-date order (a small slice of a big table).
            models.Index(
                fields=["municipality", "department", "due_date", "id"],
                name="case_open_queue_idx",
                condition=~models.Q(status__in=NOT_OPEN),
            ),
            # The nightly statistics group a city's applications by month of submission and channel.
            models.Index(
                fields=["municipality", "submitted_at", "procedure", "channel"],
                name="application_facts_idx",
                condition=models.Q(submitted_at__isnull=False),
            ),
            # Prefix search by name (LIKE 'name%'); the pattern operator class matters on PostgreSQL.
            models.Index(
                fields=["applicant_name"],
                name="application_name_prefix_idx",
                opclasses=["varchar_pattern_ops"],
            ),
        ]

    def __str__(self) -> str:
        return self.receipt_number or f"draft {self.public_id}"

    @property
    def is_decided(self) -> bool:
        return self.status in DECIDED


class StatusChange(models.Model):
    """One step of the application's history, shown to the resident and staff."""

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="status_changes")
    from_status = models.CharField(max_length=24, choices=Status.choices, blank=True)
    to_status = models.CharField(max_length=24, choices=Status.choices)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    reason = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.from_status or '-'} → {self.to_status}"


class CaseComment(models.Model):
    """An internal note between staff; never shown to the resident."""

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="comments")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    body = models.TextField(max_length=4000)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"comment {self.pk}"


class ApplicationSignature(models.Model):
    """The verified electronic signature (電子署名) that replaced the seal on submission.

    Keeps what identifies the certificate (serial number and issuer) and what was signed (the
    payload digest and the signature value), never the certificate itself.
    """

    application = models.OneToOneField(Application, on_delete=models.CASCADE, related_name="signature")
    signed_at = models.DateTimeField()
    digest_sha256 = models.CharField(max_length=64)
    signature_b64 = models.TextField()
    certificate_serial = models.CharField(max_length=80)
    certificate_issuer = models.CharField(max_length=500)
    signer_name = models.CharField(max_length=100, blank=True)

    def __str__(self) -> str:
        return f"signature of {self.application_id}"


class CounterConfirmation(models.Model):
    """A summary shown to the resident on the counter's second screen, to be confirmed with a tap.

    The tablet opens it with a six-digit code typed in, or with the QR code's long token; both
    are kept only as hashes, work for ``COUNTER_CONFIRMATION_MINUTES`` and only once.
    """

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="confirmations")
    municipality = models.ForeignKey(Municipality, on_delete=models.CASCADE, related_name="+")
    code_hash = models.CharField(max_length=64)
    token_hash = models.CharField(max_length=64, unique=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    confirmed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["municipality", "code_hash"])]

    def __str__(self) -> str:
        return f"confirmation of {self.application_id}"


def attachment_path(instance: Attachment, filename: str) -> str:
    return f"attachments/{instance.municipality_id}/{instance.public_id}"


class Attachment(TenantModel):
    public_id = models.CharField(max_length=40, unique=True)
    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="attachments")
    field_path = models.CharField(max_length=120)
    original_name = models.CharField(max_length=200)
    content_type = models.CharField(max_length=60)
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    file = models.FileField(upload_to=attachment_path)

    def __str__(self) -> str:
        return self.public_id


class ReceiptSequence(models.Model):
    """The last receipt number issued per municipality and year (IGA-2026-000123)."""

    municipality = models.ForeignKey(Municipality, on_delete=models.CASCADE, related_name="+")
    year = models.PositiveIntegerField()
    last_number = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["municipality", "year"], name="receipt_sequence_unique")
        ]

    def __str__(self) -> str:
        return f"{self.municipality_id}/{self.year}: {self.last_number}"


class CorrectionRound(models.Model):
    """One correction request (差し戻し) and what came back: the items and notes sent, the answers
    as they stood when it was sent, and the answers of those items when the resident resubmitted.

    The case page shows the open round's flagged items, and after resubmission a change per item
    (変更前 → 変更後) from ``answers_before`` and ``answers_after``.
    """

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="correction_rounds")
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    requested_at = models.DateTimeField()
    notes = models.JSONField(default=dict)
    message = models.TextField(blank=True)
    answers_before = models.JSONField(default=dict)
    answers_after = models.JSONField(null=True, blank=True)
    resubmitted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-requested_at", "-id"]

    def __str__(self) -> str:
        return f"correction of {self.application_id} at {self.requested_at:%Y-%m-%d}"


class SavedCaseFilter(TenantModel):
    """A clerk's own named set of queue filters (「今週期限・自分」); nobody else sees it."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    name = models.CharField(max_length=60)
    # The queue's query string without the page (procedure=…&status=…).
    query = models.CharField(max_length=400)

    class Meta:
        ordering = ["name", "id"]
        constraints = [models.UniqueConstraint(fields=["user", "name"], name="saved_case_filter_name_unique")]

    def __str__(self) -> str:
        return self.name
