"""The audit log: one row per action, written in the same transaction as the action.

Entries are append-only and hash-chained per municipality (see ``chain.py``); the chain's head
row is locked for every append, which serializes appends within one municipality.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from idx.audit.chain import GENESIS_HASH, compute_entry_hash
from idx.common.models import Municipality


class AuditEntry(models.Model):
    municipality = models.ForeignKey(Municipality, on_delete=models.PROTECT, related_name="+")
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    action = models.CharField(max_length=60)
    target_type = models.CharField(max_length=40)
    target_id = models.CharField(max_length=64)
    before = models.JSONField(default=dict, blank=True)
    after = models.JSONField(default=dict, blank=True)
    # Set in Python before hashing (never by the database), so the hash covers the stored value.
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    previous_hash = models.CharField(max_length=64, default=GENESIS_HASH)
    entry_hash = models.CharField(max_length=64, default="")

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["municipality", "target_type", "target_id"], name="audit_target_idx")]

    def __str__(self) -> str:
        return f"{self.action} {self.target_type}:{self.target_id}"

    def save(self, *args: object, **kwargs: object) -> None:
        if self.pk is not None:
            raise RuntimeError("audit entries are append-only")
        super().save(*args, **kwargs)

    def compute_hash(self) -> str:
        return compute_entry_hash(
            municipality_id=self.municipality_id,
            actor_id=self.actor_id,
            action=self.action,
            target_type=self.target_type,
            target_id=self.target_id,
            before=self.before,
            after=self.after,
            created_at=self.created_at,
            previous_hash=self.previous_hash,
        )


class AuditChainHead(models.Model):
    """The end of one municipality's chain, locked (``SELECT … FOR UPDATE``) for every append.

    ``anchor_*`` is where the retained chain starts: the genesis hash, or after pruning the hash
    and id of the last entry that was deleted for retention, so verification still holds.
    """

    municipality = models.OneToOneField(
        Municipality, primary_key=True, on_delete=models.PROTECT, related_name="+"
    )
    last_hash = models.CharField(max_length=64, default=GENESIS_HASH)
    last_id = models.BigIntegerField(null=True, blank=True)
    anchor_hash = models.CharField(max_length=64, default=GENESIS_HASH)
    anchor_id = models.BigIntegerField(null=True, blank=True)
    pruned_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"audit chain of {self.municipality_id}: {self.last_id}"
