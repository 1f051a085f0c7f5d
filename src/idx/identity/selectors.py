"""Reads of identity records, scoped to the person asking."""

from __future__ import annotations

from django.db.models import QuerySet

from idx.identity.models import ApiToken, User


def personal_tokens_for_user(*, user: User) -> QuerySet[ApiToken]:
    """The personal access tokens a person made (not operator-issued ones), newest first,
    revoked ones included so that the list tells what happened."""
    return ApiToken.objects.filter(
        user=user, municipality_id=user.municipality_id, scopes__isnull=False
    ).order_by("-created_at", "-pk")
