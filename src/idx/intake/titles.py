"""Pages without a form QR code: which procedure's form they look like, from their printed title.

An old paper form (printed before the platform, or copied without its code) cannot be read item by
item, but its title usually names the procedure: 「児童手当認定請求書」. The top of the page is read
with Tesseract and compared with the Japanese names of the municipality's published procedures;
a close enough name is kept on the page as a guess, so the clerk who matches the page by hand
starts from the right form. The page stays in the manual queue either way.
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

from idx.intake.reading import DPI, tesseract_words

# The band a title is printed in: the top quarter of the page, inside the margins.
TITLE_BAND = (0.04, 0.26)
# Below this likeness a title names no procedure (0 = nothing alike, 1 = the same text).
MIN_LIKENESS = 0.6
_NOT_TEXT = re.compile(r"[\s\W_]+", re.UNICODE)


@dataclass(frozen=True)
class TitleGuess:
    key: int  # what the caller named the candidate by (a procedure version's id)
    name: str
    likeness: float


def _plain(text: str) -> str:
    """Compared as written: width variants folded, spaces and punctuation dropped."""
    return _NOT_TEXT.sub("", unicodedata.normalize("NFKC", text))


def read_title(gray: np.ndarray) -> str:
    """The text printed in the top band of an upright page (empty when nothing is read there)."""
    import cv2

    height = gray.shape[0]
    top, bottom = (int(height * share) for share in TITLE_BAND)
    band = gray[top:bottom]
    scale = DPI / 25.4 * 210 / max(band.shape[1], 1)  # Tesseract is told 200 dpi: an A4 width at that
    if abs(scale - 1) > 0.05:
        band = cv2.resize(band, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    _threshold, binary = cv2.threshold(band, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    words = tesseract_words(binary, lang="jpn", psm=6)
    return "".join(word[5] for word in words if word[4] >= 0.3)


def best_title_match(text: str, names: Iterable[tuple[int, str]]) -> TitleGuess | None:
    """The candidate whose name is most like a stretch of ``text``, if like enough."""
    read = _plain(text)
    if not read:
        return None
    best: TitleGuess | None = None
    for key, name in names:
        wanted = _plain(name)
        if not wanted:
            continue
        likeness = _likeness(read, wanted)
        if likeness >= MIN_LIKENESS and (best is None or likeness > best.likeness):
            best = TitleGuess(key=key, name=name, likeness=round(likeness, 3))
    return best


def _likeness(read: str, wanted: str) -> float:
    """How much of ``wanted`` the best stretch of ``read`` of about its length matches."""
    width = len(wanted)
    if len(read) <= width:
        return difflib.SequenceMatcher(None, read, wanted, autojunk=False).ratio()
    best = 0.0
    for start in range(0, len(read) - width + 1):
        stretch = read[start : start + width]
        best = max(best, difflib.SequenceMatcher(None, stretch, wanted, autojunk=False).ratio())
    return best
