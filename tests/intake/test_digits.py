"""The digit-box classifier: digits of a font it was not trained on, blank boxes, and ink that is no digit."""

from __future__ import annotations

import random

import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFont

from idx.intake import digits
from idx.intake.reading import PX_PER_MM, _binarise

CELL = round(6.5 * PX_PER_MM)  # a box at 200 dpi
INSET = round(0.55 * PX_PER_MM)  # where reading.py cuts its inside


def _box(draw_into, seed: int) -> np.ndarray:
    """A box's inside as reading.py gives it to the classifier: drawn, noised, despeckled, thresholded."""
    import cv2

    image = Image.new("L", (CELL, CELL), 255)
    draw_into(ImageDraw.Draw(image), random.Random(seed))
    pixels = np.asarray(image).astype(np.float64) + np.random.default_rng(seed).normal(0, 12, (CELL, CELL))
    gray = cv2.medianBlur(np.clip(pixels, 0, 255).astype(np.uint8), 3)
    return _binarise(gray[INSET:-INSET, INSET:-INSET], 150)


def test_held_out_font_digits_are_read():
    (held_out,) = digits.HELD_OUT_FONTS
    assert held_out not in {path for path, _faces in digits.TRAINING_FONTS}
    cuts, expected = [], []
    for seed in range(60):
        char = str(seed % 10)

        def write(draw, rng, char=char):
            font = ImageFont.truetype(str(held_out), round(CELL * rng.uniform(0.6, 0.8)))
            centre = CELL / 2 + rng.uniform(-3, 3), CELL / 2 + rng.uniform(-3, 3)
            draw.text(centre, char, font=font, fill=rng.randint(0, 50), anchor="mm")

        cuts.append(_box(write, seed))
        expected.append(char)
    read = digits.read_digits(cuts)
    right = sum(char == want for (char, _conf), want in zip(read, expected, strict=True))
    assert right / len(expected) >= 0.98
    assert all(conf > 0.5 for (char, conf), want in zip(read, expected, strict=True) if char == want)


def test_blank_boxes_are_blank():
    empty = _box(lambda draw, rng: None, 1)
    speck = _box(lambda draw, rng: draw.point([(20, 20), (21, 20)], fill=0), 2)
    assert digits.read_digits([empty, speck]) == [(" ", 1.0), (" ", 1.0)]


@pytest.mark.parametrize("seed", range(3))
def test_a_scribble_is_not_read_surely(seed):
    def scribble(draw, rng):
        points = [(rng.uniform(8, CELL - 8), rng.uniform(8, CELL - 8)) for _ in range(9)]
        draw.line(points, fill=0, width=3)

    def kana(draw, rng):
        font = ImageFont.truetype(str(digits.NOTO_DIR / "NotoSansCJK-Regular.ttc"), 32)
        draw.text((CELL / 2, CELL / 2), "ネ", font=font, fill=0, anchor="mm")

    for draw_into in (scribble, kana):
        [(char, confidence)] = digits.read_digits([_box(draw_into, 100 + seed)])
        assert confidence < 0.5, char
