"""QR codes of payment slips as inline SVG: accessible, self-contained, safe under the site's CSP.

The SVG is drawn here from segno's module matrix rather than with segno's own writer so that it
carries what a screen reader needs (``role="img"``, a title and a description referenced by
``aria-labelledby``), scales with its ``viewBox``, and uses no ``style`` attribute (the CSP has no
``unsafe-inline``), no script, no external reference.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from html import escape

import segno
from django.utils.safestring import SafeString, mark_safe

QUIET_ZONE = 4  # modules of white around the code, as ISO/IEC 18004 asks for reliable scanning
DARK = "#000"
LIGHT = "#fff"


def _runs(row: Sequence[int]) -> list[tuple[int, int]]:
    """(start, length) of each run of dark modules in one row."""
    runs: list[tuple[int, int]] = []
    start: int | None = None
    for x, dark in enumerate([*row, 0]):
        if dark and start is None:
            start = x
        elif not dark and start is not None:
            runs.append((start, x - start))
            start = None
    return runs


def render_svg(
    payload: str, *, title: str, description: str = "", module_size: int = 4, element_id: str = ""
) -> SafeString:
    """An ``<svg>`` element showing ``payload`` as a QR code; every text in it is escaped.

    ``title`` names the image for screen readers (say what the code is for); ``description`` can
    say what to do with it. ``element_id`` prefixes the ids inside (the default is derived from the
    payload, so two codes on one page do not share ids).
    """
    # Byte mode in UTF-8: payment payloads (EMVCo) are UTF-8 text, and wallets read them as such.
    code = segno.make(payload, error="m", mode="byte", encoding="utf-8", micro=False)
    matrix = [list(row) for row in code.matrix]
    count = len(matrix)
    size = count + 2 * QUIET_ZONE
    pixels = size * module_size
    prefix = element_id or "qr-" + hashlib.sha256(payload.encode()).hexdigest()[:12]
    title_id, desc_id = f"{prefix}-title", f"{prefix}-desc"
    path = "".join(
        f"M{QUIET_ZONE + start} {QUIET_ZONE + y}h{length}v1h-{length}z"
        for y, row in enumerate(matrix)
        for start, length in _runs(row)
    )
    labelled_by = f"{title_id} {desc_id}" if description else title_id
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {size} {size}" width="{pixels}" '
        f'height="{pixels}" role="img" aria-labelledby="{escape(labelled_by)}" '
        f'shape-rendering="crispEdges" class="qr-code" id="{escape(prefix)}">',
        f'<title id="{escape(title_id)}">{escape(title)}</title>',
    ]
    if description:
        parts.append(f'<desc id="{escape(desc_id)}">{escape(description)}</desc>')
    parts.append(f'<rect width="{size}" height="{size}" fill="{LIGHT}"/>')
    parts.append(f'<path fill="{DARK}" d="{path}"/>')
    parts.append("</svg>")
    # Safe: the only text from outside (title, description, ids) is escaped above.
    return mark_safe("".join(parts))  # noqa: S308  # nosec B308, B703
