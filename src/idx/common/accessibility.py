"""The accessibility policy page (アクセシビリティ方針) with the results of the last test run.

The browser tests run axe-core on every page they visit and write the table to
``tests/e2e/output/accessibility-results.json``. A deployment publishes a run by placing that
file at ``IDX_ACCESSIBILITY_RESULTS``; without one, the results shipped with this release
(``common/data/accessibility-results.json``, from the release's own test run) are shown.
"""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path
from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.views.decorators.http import require_GET

SHIPPED_RESULTS = Path(__file__).resolve().parent / "data" / "accessibility-results.json"


def accessibility_results() -> dict[str, Any] | None:
    for path in (Path(settings.IDX_ACCESSIBILITY_RESULTS), SHIPPED_RESULTS):
        if path.is_file():
            try:
                data = json.loads(path.read_text(encoding="utf-8"))
            except (OSError, ValueError):
                continue
            if isinstance(data, dict) and isinstance(data.get("pages"), list):
                return data
    return None


def _summary(pages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One row per page path: the languages and widths checked, and the violations found."""
    rows: dict[str, dict[str, Any]] = defaultdict(
        lambda: {"languages": set(), "widths": set(), "checks": 0, "violations": 0}
    )
    for page in pages:
        row = rows[str(page.get("path", "")).split("?")[0] or "/"]
        row["languages"].add(str(page.get("language", "")))
        row["widths"].add(int(page.get("width", 0) or 0))
        row["checks"] += 1
        row["violations"] += int(page.get("violations", 0) or 0)
    return [
        {
            "path": path,
            "languages": ", ".join(sorted(row["languages"] - {""})),
            "widths": ", ".join(f"{width}px" for width in sorted(row["widths"] - {0})),
            "checks": row["checks"],
            "violations": row["violations"],
        }
        for path, row in sorted(rows.items())
    ]


@require_GET
def accessibility_policy(request: HttpRequest) -> HttpResponseBase:
    results = accessibility_results()
    pages = results["pages"] if results else []
    return render(
        request,
        "common/accessibility.html",
        {
            "results": results,
            "rows": _summary(pages),
            "total_checks": len(pages),
            "total_violations": sum(int(page.get("violations", 0) or 0) for page in pages),
        },
    )
