"""Writing the audit log. Callers run inside their own transaction, so the entry commits with the action."""

from __future__ import annotations

from typing import Any

from idx.audit.models import AuditEntry
from idx.common.models import Municipality
from idx.identity.models import User


def audit_record(
    *,
    municipality: Municipality,
    actor: User | None,
    action: str,
    target_type: str,
    target_id: object,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> AuditEntry:
    return AuditEntry.objects.create(
        municipality=municipality,
        actor=actor if actor is not None and actor.is_authenticated else None,
        action=action,
        target_type=target_type,
        target_id=str(target_id),
        before=before or {},
        after=after or {},
    )
