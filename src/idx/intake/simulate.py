"""Filled-in and scanned forms made by script, to measure the reader (tests and ``bench/intake_ocr.py``).

A blank printed form is rendered at the scanner's resolution, the answers are drawn into its boxes
with a Japanese font (fonts-noto-cjk: sans, serif, bold), slightly off-centre and of varying size
as a hand would, ticks are drawn as strokes, and the page is "scanned": turned a few degrees,
noised and, if asked, blurred.
"""

from __future__ import annotations

import random
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image, ImageDraw, ImageFilter, ImageFont

from idx.intake.layout import FormLayout, Page, Zone
from idx.intake.paper import value_at, zone_characters

FONT_DIR = Path("/usr/share/fonts/opentype/noto")
FONTS = ("NotoSansCJK-Regular.ttc", "NotoSerifCJK-Regular.ttc", "NotoSansCJK-Bold.ttc")


def render_pdf(pdf: bytes, dpi: int) -> Iterator[Image.Image]:
    """The pages of a PDF as grayscale images, one at a time."""
    import pypdfium2 as pdfium

    document = pdfium.PdfDocument(pdf)
    try:
        for index in range(len(document)):
            page = document[index]
            yield page.render(scale=dpi / 72, grayscale=True).to_pil().convert("L")
            page.close()
    finally:
        document.close()


def fill_page(
    image: Image.Image,
    page: Page,
    answers: Mapping[str, Any],
    *,
    dpi: int,
    font_name: str = FONTS[0],
    rng: random.Random | None = None,
) -> Image.Image:
    """``image`` (a rendered blank page) with ``answers`` written into the zones of ``page``."""
    rng = rng or random.Random(0)
    scale = dpi / 25.4
    filled = image.convert("L").copy()
    draw = ImageDraw.Draw(filled)
    font_path = str(FONT_DIR / font_name)
    for zone in page.zones:
        value = value_at(answers, zone.path)
        if value is None or value == "":
            continue
        if zone.cells:
            for cell, char in zip(zone.cells, zone_characters(zone, value), strict=False):
                if not char.strip():
                    continue
                size = cell.h * scale * rng.uniform(0.62, 0.78)
                font = ImageFont.truetype(font_path, round(size))
                cx = (cell.x + cell.w / 2) * scale + rng.uniform(-0.5, 0.5) * scale
                cy = (cell.y + cell.h / 2) * scale + rng.uniform(-0.5, 0.5) * scale
                draw.text((cx, cy), char, font=font, fill=rng.randint(0, 50), anchor="mm")
        elif zone.options:
            for option in zone.options:
                if option.value == value:
                    _tick(draw, option.box.x * scale, option.box.y * scale, option.box.w * scale, rng)
        elif isinstance(value, str):
            size = min(zone.frame.h / max(zone.lines, 1), 9.0) * scale * rng.uniform(0.5, 0.6)
            font = ImageFont.truetype(font_path, round(size))
            x = (zone.frame.x + 2.0) * scale + rng.uniform(0, 2) * scale
            y = (zone.frame.y + min(zone.frame.h, 9.0) / 2) * scale
            draw.text((x, y), value, font=font, fill=rng.randint(0, 50), anchor="lm")
    return filled


def _tick(draw: ImageDraw.ImageDraw, x: float, y: float, size: float, rng: random.Random) -> None:
    width = max(2, round(size / 8))
    jitter = size * 0.08
    points = [
        (x + size * 0.15 + rng.uniform(-jitter, jitter), y + size * 0.5),
        (x + size * 0.42, y + size * 0.85 + rng.uniform(-jitter, jitter)),
        (x + size * 0.9 + rng.uniform(-jitter, jitter), y + size * 0.1),
    ]
    draw.line(points, fill=rng.randint(0, 40), width=width)


def scan(
    image: Image.Image,
    *,
    angle: float = 0.0,
    noise: float = 12.0,
    blur: float = 0.0,
    upside_down: bool = False,
    seed: int = 0,
) -> Image.Image:
    """``image`` as a scanner would give it back: turned, noised, perhaps blurred."""
    page = image.convert("L")
    if upside_down:
        page = page.rotate(180)
    if angle:
        page = page.rotate(angle, expand=True, fillcolor=255, resample=Image.Resampling.BICUBIC)
    if blur:
        page = page.filter(ImageFilter.GaussianBlur(blur))
    if noise:
        pixels = np.asarray(page).astype(np.float64) + np.random.default_rng(seed).normal(
            0, noise, page.size[::-1]
        )
        page = Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8))
    return page


def written_answers(layout: FormLayout, answers: Mapping[str, Any]) -> dict[str, Any]:
    """What of ``answers`` the form has a zone for, by concrete path (the reader's expected output)."""
    expected: dict[str, Any] = {}
    for _page, zone in layout.zones():
        value = value_at(answers, zone.path)
        if value is not None and value != "":
            expected[zone.path] = value
    return expected


def same_value(zone: Zone, expected: Any, read: Any) -> bool:
    """Whether an item was read right; free text ignores spaces (the clerk's screen shows them)."""
    if zone.format == "phone" and isinstance(expected, str) and isinstance(read, str):
        return expected.replace("-", "") == read
    if zone.kind == "text" and isinstance(expected, str) and isinstance(read, str):
        return "".join(expected.split()) == "".join(read.split())
    return bool(expected == read)
