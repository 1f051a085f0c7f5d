"""``{% staff_navigation as entries %}``: the back-office menu of the signed-in staff member."""

from __future__ import annotations

from typing import Any

from django import template

from idx.backoffice.navigation import Entry, entries_for

register = template.Library()


@register.simple_tag(takes_context=True)
def staff_navigation(context: dict[str, Any]) -> list[Entry]:
    request = context.get("request")
    user = getattr(request, "user", None) or context.get("user")
    if user is None:
        return []
    return entries_for(user)
