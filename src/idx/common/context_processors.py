from __future__ import annotations

from typing import Any

from django.http import HttpRequest


def municipality(request: HttpRequest) -> dict[str, Any]:
    return {"municipality": getattr(request, "municipality", None)}
