"""Bulk import (一括取込): where files come from, each run, and what was wrong with a row.

An ``ImportSource`` is one other system's file layout for one procedure: which column holds which
answer of the procedure's current definition, and which holds the applicant's name (and birth
date). An ``ImportRun`` is one uploaded file, checked (a dry run) and then imported in one
transaction, or refused with its ``ImportRowError`` list.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import pgettext_lazy

from idx.common.models import TenantModel
from idx.procedures.models import Procedure


def run_path(instance: ImportRun, filename: str) -> str:
    # Outside the web root, named by the run's id, never by the uploaded name.
    return f"imports/{instance.municipality_id}/{instance.public_id}/upload"


class ImportSource(TenantModel):
    """A saved column mapping for one procedure: file header → answer path (``claimant.name``)."""

    procedure = models.ForeignKey(Procedure, on_delete=models.PROTECT, related_name="+")
    name = models.CharField(max_length=80)
    # {"氏名": "pregnant_person.name", "出産予定日": "expected_delivery_date", ...}
    mapping = models.JSONField(default=dict)
    applicant_name_column = models.CharField(max_length=100)
    # Optional: with a birth date an existing resident of the same name and birth date is found.
    birthdate_column = models.CharField(max_length=100, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["name", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["municipality", "procedure", "name"], name="import_source_name_unique"
            )
        ]

    def __str__(self) -> str:
        return self.name


class ImportRun(TenantModel):
    """One uploaded file of a source: checked, then imported as a whole or not at all."""

    class Status(models.TextChoices):
        CHECKED = "checked", pgettext_lazy("import", "Checked, ready to import")
        REFUSED = "refused", pgettext_lazy("import", "Refused")  # the dry run found errors
        IMPORTED = "imported", pgettext_lazy("import", "Imported")
        FAILED = "failed", pgettext_lazy("import", "Not imported")  # errors at import: nothing kept

    public_id = models.CharField(max_length=40, unique=True)
    source = models.ForeignKey(ImportSource, on_delete=models.PROTECT, related_name="runs")
    original_name = models.CharField(max_length=200)
    size = models.PositiveBigIntegerField()
    sha256 = models.CharField(max_length=64)
    file_type = models.CharField(max_length=8)  # csv | xlsx
    encoding = models.CharField(max_length=12, blank=True)  # utf-8 | utf-8-sig | cp932 (CSV only)
    file = models.FileField(upload_to=run_path, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.CHECKED)
    # Why the whole file was refused (a key of ``idx.imports.reading.REFUSALS``); blank otherwise.
    refusal = models.CharField(max_length=40, blank=True)
    refusal_params = models.JSONField(default=dict, blank=True)  # the headers it names, if any
    row_count = models.PositiveIntegerField(default=0)
    error_row_count = models.PositiveIntegerField(default=0)
    error_count = models.PositiveIntegerField(default=0)
    imported_count = models.PositiveIntegerField(default=0)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    imported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    imported_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["source", "sha256"], name="import_run_file_idx")]

    def __str__(self) -> str:
        return self.public_id


class ImportRowError(models.Model):
    """One problem of one row: the row's number in the file (the header is row 1), the column's
    header as written in the file, a stable code and its parameters (worded when shown)."""

    run = models.ForeignKey(ImportRun, on_delete=models.CASCADE, related_name="errors")
    row = models.PositiveIntegerField()
    column = models.CharField(max_length=100, blank=True)
    path = models.CharField(max_length=120, blank=True)
    code = models.CharField(max_length=40)
    params = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["row", "id"]

    def __str__(self) -> str:
        return f"{self.run_id} row {self.row}: {self.code}"
