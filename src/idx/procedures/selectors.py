"""Reads of the procedure catalog."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from idx.common.models import Municipality
from idx.procedures.models import Procedure


def procedure_catalog(
    *,
    municipality: Municipality,
    query: str = "",
    category: str = "",
    life_event: str = "",
) -> QuerySet[Procedure]:
    procedures = Procedure.objects.filter(
        municipality=municipality, is_listed=True, published_version__isnull=False
    ).select_related("department", "published_version")
    if category:
        procedures = procedures.filter(category=category)
    if life_event:
        procedures = procedures.filter(life_event=life_event)
    for word in query.lower().split()[:8]:
        procedures = procedures.filter(Q(search_text__contains=word) | Q(code__contains=word))
    return procedures.order_by("category", "id")


def procedure_get_published(*, municipality: Municipality, code: str) -> Procedure | None:
    return (
        Procedure.objects.filter(municipality=municipality, code=code, published_version__isnull=False)
        .select_related("department", "published_version")
        .first()
    )
