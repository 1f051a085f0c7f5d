"""The printed form of a procedure version as an A4 PDF (WeasyPrint, fonts-noto-cjk embedded).

Each page carries its registration marks and a QR code naming municipality, procedure, version,
page and the form's serial (``FormStamp``); the answer zones come from ``idx.intake.layout``. A
prefilled form (the counter's, 窓口で印字) prints known answers into the same boxes.
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from html import escape
from typing import Any

import segno
from django.conf import settings

from idx.intake.layout import (
    LAYOUT_VERSION,
    MARK_SIZE,
    MARKS,
    PAGE_HEIGHT,
    PAGE_WIDTH,
    QR_BOX,
    FormLayout,
    Zone,
    build_layout,
)
from idx.procedures.models import ProcedureVersion

QR_PREFIX = "IDXF"


@dataclass(frozen=True)
class FormStamp:
    """What a page's QR code says: ``IDXF1;<municipality code>;<procedure>;<version>;<page>;<pages>;<serial>``."""

    municipality_code: str
    procedure_code: str
    version: int
    page: int
    pages: int
    serial: str
    layout_version: int = LAYOUT_VERSION

    def encode(self) -> str:
        return ";".join(
            [
                f"{QR_PREFIX}{self.layout_version}",
                self.municipality_code,
                self.procedure_code,
                str(self.version),
                str(self.page),
                str(self.pages),
                self.serial,
            ]
        )

    @classmethod
    def decode(cls, text: str) -> FormStamp | None:
        """The stamp in a QR code's text, or None when it is not one of our forms."""
        parts = text.strip().split(";")
        if len(parts) != 7 or not parts[0].startswith(QR_PREFIX):
            return None
        try:
            layout_version = int(parts[0][len(QR_PREFIX) :])
            version, page, pages = int(parts[3]), int(parts[4]), int(parts[5])
        except ValueError:
            return None
        if not (parts[1].isdigit() and len(parts[1]) == 6) or not 1 <= page <= pages <= 50:
            return None
        if not parts[6].isalnum() or len(parts[6]) > 16:
            return None
        return cls(parts[1], parts[2], version, page, pages, parts[6], layout_version)


def new_serial() -> str:
    """A form serial: groups the pages of one filled form in a batch of scans (not a secret).

    "P" (printed for one person) keeps it apart from the blank form's "B" serials: hex alone
    could begin with B."""
    return "P" + secrets.token_hex(5).upper()


def blank_serial(version: ProcedureVersion) -> str:
    """The serial of the blank form everyone downloads: pages of one form are told apart by their
    order in the scan (a new form starts at its first page), so a shared serial is harmless."""
    return f"B{version.pk}"


def form_layout(version: ProcedureVersion) -> FormLayout:
    return build_layout(version.parsed)


def form_pdf(
    version: ProcedureVersion, *, answers: Mapping[str, Any] | None = None, serial: str = ""
) -> bytes:
    """The A4 PDF of ``version``'s printed form; with ``answers``, prefilled."""
    from weasyprint import HTML

    return bytes(HTML(string=form_html(version, answers=answers, serial=serial)).write_pdf())


def form_html(
    version: ProcedureVersion, *, answers: Mapping[str, Any] | None = None, serial: str = ""
) -> str:
    layout = form_layout(version)
    municipality = version.procedure.municipality
    serial = serial or new_serial()
    font = escape(settings.IDX_RECEIPT_PDF_FONT)
    parts = [
        '<!doctype html><html lang="ja"><head><meta charset="utf-8">',
        f"<title>{escape(layout.title)}</title><style>",
        f"@page {{ size: A4; margin: 0 }} html, body {{ margin: 0; padding: 0 }}"
        f" body {{ font-family: '{font}', 'Noto Sans CJK JP', sans-serif; color: #000 }}"
        f" .page {{ position: relative; width: {PAGE_WIDTH}mm; height: {PAGE_HEIGHT}mm;"
        " page-break-after: always; overflow: hidden }"
        " .page:last-child { page-break-after: auto }"
        " .a { position: absolute; box-sizing: border-box; white-space: nowrap; line-height: 1.15 }"
        " .mark { background: #000 }"
        " .cell { border: 0.3mm solid #555 }"
        " .check { border: 0.35mm solid #000 }"
        " .line { border: 0.3mm solid #555 }"
        " .rule { background: #333 }"
        " .filled { text-align: center; font-size: 4.6mm; line-height: 6.5mm }"
        " .filled-text { font-size: 4.4mm; padding-left: 1.5mm }"
        " .tick { text-align: center; font-size: 4mm; line-height: 4.5mm; font-weight: bold }"
        "</style></head><body>",
    ]
    pages = len(layout.pages)
    for page in layout.pages:
        stamp = FormStamp(
            municipality.code, version.procedure.code, version.number, page.number, pages, serial
        )
        parts.append('<div class="page">')
        for x, y in MARKS:
            parts.append(_abs("mark", x, y, MARK_SIZE, MARK_SIZE))
        qr_x, qr_y, qr_size = QR_BOX
        qr = segno.make(stamp.encode(), error="m", micro=False)
        svg = qr.svg_inline(scale=1, border=0, omitsize=True)
        parts.append(f'<div class="a" style="{_style(qr_x, qr_y, qr_size, qr_size)}">')
        parts.append(svg.replace("<svg ", '<svg width="100%" height="100%" ', 1))
        parts.append("</div>")
        parts.append(_text(16, 17, 148, layout.title, size=5.2, bold=True, wrap=True))
        parts.append(
            _text(
                16,
                33,
                148,
                f"{municipality.name}　（{version.procedure.code} 第{version.number}版）",
                size=3.0,
            )
        )
        parts.append(
            _text(
                16,
                38,
                148,
                "黒のボールペンで、枠の中に1字ずつ書いてください。選ぶところは □ に ✓ を付けてください。",
                size=2.8,
            )
        )
        parts.append(_text(16, 283.5, 150, f"{page.number} / {pages} 枚　整理番号 {serial}", size=2.8))
        for rule in page.rules:
            parts.append(_abs("rule", rule.x, rule.y, rule.w, rule.h))
        for text in page.texts:
            if text.text:
                parts.append(_text(text.x, text.y, text.w, text.text, size=text.size, bold=text.bold))
        for zone in page.zones:
            parts.extend(_zone_html(zone, value_at(answers or {}, zone.path)))
        parts.append("</div>")
    parts.append("</body></html>")
    return "".join(parts)


def _style(x: float, y: float, w: float, h: float) -> str:
    return f"left:{x:.2f}mm;top:{y:.2f}mm;width:{w:.2f}mm;height:{h:.2f}mm"


def _abs(css: str, x: float, y: float, w: float, h: float, content: str = "") -> str:
    return f'<div class="a {css}" style="{_style(x, y, w, h)}">{content}</div>'


def _text(
    x: float, y: float, w: float, text: str, *, size: float, bold: bool = False, wrap: bool = False
) -> str:
    weight = "font-weight:bold;" if bold else ""
    space = "white-space:normal;" if wrap else ""
    return (
        f'<div class="a" style="left:{x:.2f}mm;top:{y:.2f}mm;width:{w:.2f}mm;'
        f'font-size:{size:.2f}mm;{weight}{space}">{escape(text)}</div>'
    )


def _zone_html(zone: Zone, value: Any) -> list[str]:
    parts: list[str] = []
    characters = zone_characters(zone, value)
    for index, cell in enumerate(zone.cells):
        char = characters[index] if index < len(characters) else ""
        parts.append(_abs("cell filled", cell.x, cell.y, cell.w, cell.h, escape(char.strip())))
    for option in zone.options:
        tick = "✓" if value is not None and value == option.value else ""
        parts.append(_abs("check tick", option.box.x, option.box.y, option.box.w, option.box.h, tick))
    if zone.kind == "text":
        frame = zone.frame
        content = escape(str(value)) if isinstance(value, str) else ""
        parts.append(_abs("line filled-text", frame.x, frame.y, frame.w, frame.h, content))
    return parts


def zone_characters(zone: Zone, value: Any) -> list[str]:
    """What goes in each box of ``zone`` for a known answer (nothing when there is none)."""
    if value is None or value == "" or not zone.cells:
        return []
    cells = len(zone.cells)
    if zone.format == "date":
        try:
            day = dt.date.fromisoformat(str(value))
        except ValueError:
            return []
        return list(f"{day.year:04d}{day.month:02d}{day.day:02d}")
    if zone.format in ("postal_code", "phone"):
        return list("".join(char for char in str(value) if char.isdigit())[:cells])
    if zone.format == "number":
        digits = str(value)[:cells]
        return [" "] * (cells - len(digits)) + list(digits)
    if zone.format == "katakana":
        return list(str(value).replace("\u3000", " ")[:cells])
    return list(str(value)[:cells])


def value_at(answers: Mapping[str, Any], path: str) -> Any:
    current: Any = answers
    for part in path.split("."):
        name, _, index = part.partition("[")
        if not isinstance(current, Mapping):
            return None
        current = current.get(name)
        if index:
            if not isinstance(current, list):
                return None
            position = int(index.rstrip("]"))
            current = current[position] if position < len(current) else None
    return current
