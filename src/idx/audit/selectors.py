from __future__ import annotations

from django.db.models import QuerySet

from idx.audit.models import AuditEntry
from idx.common.models import Municipality


def audit_entries_for_target(
    *, municipality: Municipality, target_type: str, target_id: object
) -> QuerySet[AuditEntry]:
    return AuditEntry.objects.filter(
        municipality=municipality, target_type=target_type, target_id=str(target_id)
    ).select_related("actor")
