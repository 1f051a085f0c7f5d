"""The audit log: one row per action, written in the same transaction as the action."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from idx.common.models import Municipality


class AuditEntry(models.Model):
    municipality = models.ForeignKey(Municipality, on_delete=models.PROTECT, related_name="+")
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    action = models.CharField(max_length=60)
    target_type = models.CharField(max_length=40)
    target_id = models.CharField(max_length=64)
    before = models.JSONField(default=dict, blank=True)
    after = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["municipality", "target_type", "target_id"], name="audit_target_idx")]

    def __str__(self) -> str:
        return f"{self.action} {self.target_type}:{self.target_id}"

    def save(self, *args: object, **kwargs: object) -> None:
        if self.pk is not None:
            raise RuntimeError("audit entries are append-only")
        super().save(*args, **kwargs)
