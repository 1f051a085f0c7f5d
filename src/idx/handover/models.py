"""Hand-over of decided cases to a core system (基幹系システム): where, how and when, each run, and
which case went in which run (docs/decisions/0032-handover.md).

``HandedOverCase`` is unique per target and application: a case written to a target once is never
selected for it again, whatever runs later.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from idx.applications.models import Application
from idx.common.models import Municipality
from idx.procedures.models import Procedure


class FileFormat(models.TextChoices):
    CSV_UTF8 = "csv_utf8", _("CSV (UTF-8)")
    CSV_CP932 = "csv_cp932", _("CSV (Shift_JIS, cp932)")
    JSON = "json", _("JSON")


class Destination(models.TextChoices):
    FOLDER = "folder", _("Folder on this server")
    SFTP = "sftp", _("SFTP server")


class Cases(models.TextChoices):
    DECIDED = "decided", _("Decided cases (approved and rejected)")
    APPROVED = "approved", _("Approved cases only")


class HandoverTarget(models.Model):
    """One core system's intake of one procedure's decided cases.

    The SFTP private key is never stored here: ``sftp_key_name`` names a key file in the folder of
    ``IDX_HANDOVER_KEYS_DIR``; ``sftp_host_key`` pins the server's host key by its SHA-256
    fingerprint (``SHA256:…``), so a server presenting any other key is refused.
    """

    municipality = models.ForeignKey(Municipality, on_delete=models.PROTECT, related_name="+")
    procedure = models.ForeignKey(Procedure, on_delete=models.PROTECT, related_name="+")
    name = models.CharField(max_length=80)
    active = models.BooleanField(default=True)
    file_format = models.CharField(max_length=12, choices=FileFormat.choices, default=FileFormat.CSV_UTF8)
    headers = models.CharField(max_length=10, default="standard")  # ExportLayout.headers
    values = models.CharField(max_length=10, default="codes")  # ExportLayout.values
    cases = models.CharField(max_length=10, choices=Cases.choices, default=Cases.DECIDED)
    destination = models.CharField(max_length=8, choices=Destination.choices, default=Destination.FOLDER)
    # Destination.FOLDER: a folder under IDX_HANDOVER_ROOT (relative path).
    folder = models.CharField(max_length=200, blank=True)
    # Destination.SFTP
    sftp_host = models.CharField(max_length=253, blank=True)
    sftp_port = models.PositiveIntegerField(default=22)
    sftp_user = models.CharField(max_length=64, blank=True)
    sftp_directory = models.CharField(max_length=200, blank=True)
    sftp_key_name = models.CharField(max_length=64, blank=True)
    sftp_host_key = models.CharField(max_length=100, blank=True)
    daily_at = models.TimeField(help_text="local time of the daily run")
    # The last acknowledgement that could not be trusted (unknown file, hash or receipts mismatch).
    ack_problem = models.CharField(max_length=300, blank=True)
    ack_problem_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["municipality", "name"], name="handover_target_name_unique")
        ]

    def __str__(self) -> str:
        return self.name


class RunStatus(models.TextChoices):
    RUNNING = "running", pgettext_lazy("hand-over run", "Running")
    DELIVERED = "delivered", pgettext_lazy("hand-over run", "Delivered")
    FAILED = "failed", pgettext_lazy("hand-over run", "Failed")
    NOTHING_NEW = "nothing_new", pgettext_lazy("hand-over run", "No new cases")


class HandoverRun(models.Model):
    """One run of a target: the cases it selected, the file it wrote and how delivery went.

    ``application_ids`` and ``receipts`` are kept from the moment the run starts, so a run that a
    crash interrupted after delivery is completed from them, not selected again.
    """

    target = models.ForeignKey(HandoverTarget, on_delete=models.CASCADE, related_name="runs")
    started_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    status = models.CharField(max_length=12, choices=RunStatus.choices, default=RunStatus.RUNNING)
    file_name = models.CharField(max_length=160, blank=True)
    case_count = models.PositiveIntegerField(default=0)
    sha256 = models.CharField(max_length=64, blank=True)
    application_ids = models.JSONField(default=list, blank=True)
    receipts = models.JSONField(default=list, blank=True)
    manifest = models.TextField(blank=True)  # the manifest JSON exactly as delivered
    error = models.CharField(max_length=500, blank=True)
    acknowledged_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-started_at", "-id"]
        constraints = [
            # One run at a time per target: a second one starting meanwhile stops at once.
            models.UniqueConstraint(
                fields=["target"], condition=models.Q(status="running"), name="handover_one_running_run"
            )
        ]

    def __str__(self) -> str:
        return self.file_name or f"run {self.pk}"

    @property
    def manifest_name(self) -> str:
        return f"{self.file_name}.manifest.json" if self.file_name else ""


class HandedOverCase(models.Model):
    """A case delivered to a target (and, once the core system says so, taken in by it)."""

    target = models.ForeignKey(HandoverTarget, on_delete=models.CASCADE, related_name="handed_over")
    application = models.ForeignKey(Application, on_delete=models.PROTECT, related_name="+")
    run = models.ForeignKey(HandoverRun, on_delete=models.PROTECT, related_name="cases")
    acknowledged_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["target", "application"], name="handover_case_once_per_target")
        ]

    def __str__(self) -> str:
        return f"{self.application_id} → {self.target_id}"
