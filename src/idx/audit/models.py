"""The audit log: one row per action, written in the same transaction as the action.

Entries are append-only and hash-chained per municipality (see ``chain.py``). An action appends
its entry *unchained* (a plain INSERT, no lock); the sealer (``services.audit_seal``) chains the
committed entries shortly after, in id order, under the municipality's chain head lock. The chain
order is ``sequence``, not ``id``: an entry whose transaction commits late is sealed in a later
round with a later sequence. See docs/decisions/0034-audit-sealer.md.
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
    # Set in Python by the writer (never by the database), so the hash covers the stored value.
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    # Position in the municipality's chain, 1, 2, 3, …; NULL until the sealer chains the entry
    # (then previous_hash and entry_hash are set, too; empty before).
    sequence = models.BigIntegerField(null=True, blank=True)
    previous_hash = models.CharField(max_length=64, default="", blank=True)
    entry_hash = models.CharField(max_length=64, default="", blank=True)

    class Meta:
        ordering = ["id"]
        indexes = [
            models.Index(fields=["municipality", "target_type", "target_id"], name="audit_target_idx"),
            # What the sealer reads each round and the backlog gauge counts: small, as it is sealed away.
            models.Index(
                fields=["municipality", "id"],
                condition=models.Q(sequence__isnull=True),
                name="audit_unsealed_idx",
            ),
        ]
        constraints = [
            # One entry per position; also the index verification walks in chain order.
            models.UniqueConstraint(fields=["municipality", "sequence"], name="audit_sequence_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.action} {self.target_type}:{self.target_id}"

    def save(self, *args: object, **kwargs: object) -> None:
        if self.pk is not None:
            raise RuntimeError("audit entries are append-only")
        super().save(*args, **kwargs)

    def compute_hash(self) -> str:
        """The entry's hash over its fields and ``previous_hash`` (meaningful once sealed)."""
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
    """The sealed end of one municipality's chain, locked (``SELECT … FOR UPDATE``) by the sealer
    and by pruning, never by the actions that write entries.

    ``last_sequence``/``last_hash`` is the last sealed entry (0 and the genesis hash when none).
    ``anchor_*`` is where the retained chain starts: the genesis hash and 0, or after pruning the
    hash and sequence of the last entry that was deleted for retention, so verification still holds.
    """

    municipality = models.OneToOneField(
        Municipality, primary_key=True, on_delete=models.PROTECT, related_name="+"
    )
    last_hash = models.CharField(max_length=64, default=GENESIS_HASH)
    last_sequence = models.BigIntegerField(default=0)
    anchor_hash = models.CharField(max_length=64, default=GENESIS_HASH)
    anchor_sequence = models.BigIntegerField(default=0)
    pruned_at = models.DateTimeField(null=True, blank=True)
    sealed_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"audit chain of {self.municipality_id}: {self.last_sequence}"
