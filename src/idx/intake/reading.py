"""Reading one scanned page of a printed form: QR code, rectification, zones, OCR, ticks.

The steps, each with an outcome a clerk can act on:

1. the QR code (zxing-cpp) names the form (``FormStamp``) and, by its orientation, how the page
   lies (upside-down pages are turned); no QR code → ``blank`` when there is hardly any ink,
   otherwise ``no_form`` (the manual queue);
2. the four registration marks (or, when a corner is missing, the QR code's own corners) give the
   perspective that maps the scan onto the layout (OpenCV), at ``DPI``;
3. each zone is cut from the rectified page: digit boxes are read one by one by a small classifier
   (``idx.intake.digits``: the box's ink normalised, a neural network on its gradients and pixels);
   フリガナ boxes and free text by Tesseract 5 in Japanese, all zones of a kind in one Tesseract call
   (a strip of the cut boxes, words mapped back by their position, look-alikes mapped to what the
   box allows); checkboxes by the share of dark pixels inside them;
4. each item gets a value, the text read and a confidence (0-1).

Everything here works on one page in memory (about 4 MB at 200 dpi); pages are never held together.
"""

from __future__ import annotations

import datetime as dt
import io
import subprocess  # nosec B404
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from PIL import Image

from idx.intake.layout import MARK_CENTRES, MARK_SIZE, PAGE_HEIGHT, PAGE_WIDTH, QR_BOX, Box, FormLayout, Zone
from idx.intake.paper import FormStamp

DPI = 200
PX_PER_MM = DPI / 25.4
KATAKANA = "アイウエオカキクケコサシスセソタチツテトナニヌネノハヒフヘホマミムメモヤユヨラリルレロワヲン" + (
    "ガギグゲゴザジズゼゾダヂヅデドバビブベボパピプペポァィゥェォッャュョヮヴー"
)
DIGITS = "0123456789"
SMALL_TO_FULL = dict(zip("ァィゥェォッャュョヮ", "アイウエオツヤユヨワ", strict=True))
# Characters Tesseract gives for a digit or a katakana when it is not held to them: a box only
# holds one kind, so they are read as the character the box allows (with a lower confidence).
# Tesseract 5.3 reports a confidence of 0 for every word read under a whitelist, so the boxes
# are read without one and mapped here instead.
CONFUSABLE = {
    "O": "0",
    "o": "0",
    "D": "0",
    "Q": "0",
    "l": "1",
    "I": "1",
    "|": "1",
    "i": "1",
    "Z": "2",
    "z": "2",
    "S": "5",
    "s": "5",
    "B": "8",
    "G": "6",
    "b": "6",
    "q": "9",
    "g": "9",
    "A": "4",
    "T": "7",
    "口": "ロ",
    "二": "ニ",
    "力": "カ",
    "工": "エ",
    "卜": "ト",
    "八": "ハ",
    "夕": "タ",
    "一": "ー",
    "ー": "ー",
    "-": "ー",
    "ｰ": "ー",
    "へ": "ヘ",
    "べ": "ベ",
    "ぺ": "ペ",
    "十": "ナ",
    "千": "チ",
    "才": "オ",
    "也": "セ",
    "了": "ア",
    "入": "ス",
    "人": "ス",
    "匕": "ヒ",
    "乙": "Z",
}
CELL_INK_MIN = 0.015  # share of dark pixels in a box's inside above which it holds a character
TICK_MIN = 0.06  # ... above which a checkbox counts as ticked
TESSERACT_TIMEOUT = 60


class PageError(Exception):
    """A page that cannot be read; ``code`` is one of ``READ_OUTCOMES``' keys."""

    def __init__(self, code: str):
        super().__init__(code)
        self.code = code


@dataclass
class ItemReading:
    path: str
    value: Any
    text: str
    confidence: float
    zone: Box  # where to cut the image for the clerk (mm)


@dataclass
class PageReading:
    stamp: FormStamp
    rotated: int  # degrees the scan was turned before reading
    items: list[ItemReading] = field(default_factory=list)
    image: Image.Image | None = None  # the rectified page (grayscale, DPI)
    marks_found: int = 4


def gray_array(image: Image.Image) -> np.ndarray:
    if image.mode not in ("L", "RGB"):
        image = image.convert("RGB")
    return np.asarray(image.convert("L"))


def find_stamp(gray: np.ndarray) -> tuple[FormStamp, Any] | None:
    import zxingcpp

    for barcode in zxingcpp.read_barcodes(
        gray, formats=zxingcpp.BarcodeFormats(zxingcpp.BarcodeFormat.QRCode)
    ):
        stamp = FormStamp.decode(barcode.text)
        if stamp is not None:
            return stamp, barcode
    return None


def ink_share(gray: np.ndarray) -> float:
    return float(np.count_nonzero(gray < 128)) / max(gray.size, 1)


def read_page(image: Image.Image, layout_for: Callable[[FormStamp], FormLayout | None]) -> PageReading:
    """Everything written on one scanned page; raises ``PageError`` with a reason when it cannot."""
    gray = gray_array(image)
    found = find_stamp(gray)
    if found is None:
        raise PageError("blank" if ink_share(gray) < 0.004 else "no_form")
    stamp, barcode = found
    layout = layout_for(stamp)
    if layout is None:
        raise PageError("unknown_form")
    if not 1 <= stamp.page <= len(layout.pages):
        raise PageError("unknown_form")
    turns = (round(barcode.orientation / 90.0)) % 4
    if turns:
        gray = np.ascontiguousarray(np.rot90(gray, k=turns))
        found = find_stamp(gray)
        if found is None:
            raise PageError("no_form")
        stamp, barcode = found
    page_image, marks = rectify(gray, barcode)
    reading = PageReading(stamp=stamp, rotated=turns * 90, marks_found=marks)
    reading.items = read_zones(page_image, layout.pages[stamp.page - 1].zones)
    reading.image = Image.fromarray(page_image)
    return reading


def _qr_corners(barcode: Any) -> np.ndarray:
    position = barcode.position
    return np.array(
        [
            [position.top_left.x, position.top_left.y],
            [position.top_right.x, position.top_right.y],
            [position.bottom_right.x, position.bottom_right.y],
            [position.bottom_left.x, position.bottom_left.y],
        ],
        dtype=np.float32,
    )


def find_marks(gray: np.ndarray, scale: float) -> list[tuple[float, float] | None]:
    """Centres of the four registration marks (top-left, top-right, bottom-left, bottom-right)."""
    import cv2

    _threshold, binary = cv2.threshold(gray, 0, 255, cv2.THRESH_BINARY_INV | cv2.THRESH_OTSU)
    contours, _hierarchy = cv2.findContours(binary, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    expected = (MARK_SIZE * scale) ** 2
    candidates: list[tuple[float, float]] = []
    for contour in contours:
        area = cv2.contourArea(contour)
        if not 0.45 * expected <= area <= 2.0 * expected:
            continue
        (cx, cy), (w, h), _angle = cv2.minAreaRect(contour)
        if min(w, h) <= 0 or max(w, h) / min(w, h) > 1.4 or area / (w * h) < 0.85:
            continue
        candidates.append((cx, cy))
    height, width = gray.shape
    corners = ((0, 0), (width, 0), (0, height), (width, height))
    limit = 0.18 * (width**2 + height**2) ** 0.5
    marks: list[tuple[float, float] | None] = []
    for corner_x, corner_y in corners:
        best = min(candidates, key=lambda c: (c[0] - corner_x) ** 2 + (c[1] - corner_y) ** 2, default=None)
        if best is None or ((best[0] - corner_x) ** 2 + (best[1] - corner_y) ** 2) ** 0.5 > limit:
            marks.append(None)
        else:
            marks.append(best)
    return marks


def rectify(gray: np.ndarray, barcode: Any) -> tuple[np.ndarray, int]:
    """The page mapped onto the layout at ``DPI``, and how many registration marks were used."""
    import cv2

    qr = _qr_corners(barcode)
    # The scan's scale, from the QR code's printed size: tells the marks' expected size.
    qr_side = float(np.mean([np.linalg.norm(qr[i] - qr[(i + 1) % 4]) for i in range(4)]))
    scale = qr_side / QR_BOX[2]
    marks = find_marks(gray, scale)
    found = [(mark, MARK_CENTRES[index]) for index, mark in enumerate(marks) if mark is not None]
    width, height = round(PAGE_WIDTH * PX_PER_MM), round(PAGE_HEIGHT * PX_PER_MM)
    if len(found) == 4:
        source = np.array([mark for mark, _ in found], dtype=np.float32)
        target = np.array([[x * PX_PER_MM, y * PX_PER_MM] for _, (x, y) in found], dtype=np.float32)
        matrix = cv2.getPerspectiveTransform(source, target)
    else:
        # A corner torn or stapled off: the QR code's corners (and the marks there are) fit a similarity.
        qx, qy, qs = QR_BOX
        qr_target = [(qx, qy), (qx + qs, qy), (qx + qs, qy + qs), (qx, qy + qs)]
        source_points = [*qr.tolist(), *[list(mark) for mark, _ in found]]
        target_points = [*qr_target, *[centre for _, centre in found]]
        source = np.array(source_points, dtype=np.float32)
        target = np.array([[x * PX_PER_MM, y * PX_PER_MM] for x, y in target_points], dtype=np.float32)
        affine, _inliers = cv2.estimateAffinePartial2D(source, target)
        if affine is None:
            raise PageError("no_marks")
        matrix = np.vstack([affine, [0, 0, 1]])
    page = cv2.warpPerspective(
        gray, matrix, (width, height), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT, borderValue=255
    )
    return page, len(found)


def _cut(page: np.ndarray, box: Box, inset: float) -> np.ndarray:
    x0 = round((box.x + inset) * PX_PER_MM)
    y0 = round((box.y + inset) * PX_PER_MM)
    x1 = round((box.x + box.w - inset) * PX_PER_MM)
    y1 = round((box.y + box.h - inset) * PX_PER_MM)
    return page[max(y0, 0) : max(y1, 0), max(x0, 0) : max(x1, 0)]


def _dark(cut: np.ndarray, threshold: int) -> float:
    return float(np.count_nonzero(cut < threshold)) / max(cut.size, 1)


@dataclass
class _Strip:
    """Cut boxes laid out in a grid for one Tesseract call; words come back to their (row, column)."""

    lang: str
    allowed: str
    psm: int
    cell: int  # px of a grid cell
    rows: list[list[tuple[int, np.ndarray]]] = field(default_factory=list)

    def add_row(self, cuts: list[tuple[int, np.ndarray]]) -> int:
        self.rows.append(cuts)
        return len(self.rows) - 1

    def read(self) -> dict[tuple[int, int], tuple[str, float]]:
        """Each row is one zone's filled boxes set side by side as a line of text (what Tesseract's
        line model reads best); the characters read go back to the boxes in order."""
        if not any(self.rows):
            return {}
        gap = self.cell // 4 if self.lang == "jpn" else self.cell // 2
        line_gap = self.cell
        columns = max((len(row) for row in self.rows), default=0)
        step_x, step_y = self.cell + gap, self.cell + line_gap
        canvas = np.full(
            (len(self.rows) * step_y + line_gap, columns * step_x + 2 * line_gap), 255, dtype=np.uint8
        )
        for row_index, row in enumerate(self.rows):
            for position, (_column, cut) in enumerate(row):
                h, w = cut.shape
                h, w = min(h, self.cell), min(w, self.cell)
                y = line_gap + row_index * step_y + (self.cell - h) // 2
                x = line_gap + position * step_x + (self.cell - w) // 2
                canvas[y : y + h, x : x + w] = cut[:h, :w]
        per_row: dict[int, list[tuple[int, str, float]]] = {}
        for left, top, _width, height, conf, text in tesseract_words(canvas, lang=self.lang, psm=self.psm):
            row_index = int((top + height / 2 - line_gap / 2) // step_y)
            # Specks read as punctuation ('#', '«') are dropped; look-alikes become what the box allows.
            for offset, char in enumerate(text):
                mapped, char_conf = self._allowed(char, conf)
                if mapped:
                    per_row.setdefault(row_index, []).append((left + offset, mapped, char_conf))
        found: dict[tuple[int, int], tuple[str, float]] = {}
        for row_index, row in enumerate(self.rows):
            chars = sorted(per_row.get(row_index, []))
            agree = len(chars) == len(row)
            for position, (column, _cut) in enumerate(row):
                if position < len(chars):
                    _x, char, conf = chars[position]
                    # More or fewer characters than boxes: the order holds, the clerk checks.
                    found[(row_index, column)] = (char, conf if agree else min(conf, 0.3))
        return found

    def _allowed(self, char: str, conf: float) -> tuple[str, float]:
        if char in self.allowed:
            return char, conf
        if "ぁ" <= char <= "ゖ" and chr(ord(char) + 0x60) in self.allowed:
            return chr(ord(char) + 0x60), conf * 0.9
        mapped = CONFUSABLE.get(char, "")
        if mapped and mapped in self.allowed:
            return mapped, conf * 0.9
        return "", 0.0


def tesseract_words(
    image: np.ndarray, *, lang: str, psm: int, whitelist: str = ""
) -> list[tuple[int, int, int, int, float, str]]:
    """Words Tesseract reads in ``image``: (left, top, width, height, confidence 0-1, text)."""
    buffer = io.BytesIO()
    Image.fromarray(image).save(buffer, format="PNG")
    command = ["tesseract", "stdin", "stdout", "-l", lang, "--psm", str(psm), "--dpi", str(DPI)]
    if whitelist:
        command += ["-c", f"tessedit_char_whitelist={whitelist}"]
    command += ["-c", "preserve_interword_spaces=1", "tsv"]
    result = subprocess.run(  # noqa: S603  # nosec B603
        command, input=buffer.getvalue(), capture_output=True, timeout=TESSERACT_TIMEOUT, check=False
    )
    if result.returncode != 0:
        raise PageError("ocr_failed")
    words = []
    for line in result.stdout.decode("utf-8", "replace").splitlines()[1:]:
        columns = line.split("\t")
        if len(columns) < 12 or columns[0] != "5" or not columns[11].strip():
            continue
        left, top, width, height = (int(value) for value in columns[6:10])
        words.append((left, top, width, height, max(float(columns[10]), 0.0) / 100.0, columns[11].strip()))
    return words


def read_zones(page: np.ndarray, zones: list[Zone]) -> list[ItemReading]:
    import cv2

    # A 3x3 median takes out scanner and fax specks before anything is measured or read.
    page = cv2.medianBlur(page, 3)
    threshold, _binary = cv2.threshold(page, 0, 255, cv2.THRESH_BINARY | cv2.THRESH_OTSU)
    threshold = int(min(max(threshold, 90), 200))
    cell_px = round(6.5 * PX_PER_MM)
    kana = _Strip(lang="jpn", allowed=KATAKANA, psm=6, cell=cell_px)
    rows: dict[str, tuple[_Strip, int, list[bool]]] = {}
    digit_rows: dict[str, tuple[list[bool], list[tuple[int, np.ndarray]]]] = {}
    texts = _TextStrip()
    text_rows: dict[str, int] = {}
    readings: dict[str, ItemReading] = {}
    for zone in zones:
        if zone.kind in ("digits", "kana"):
            filled: list[bool] = []
            cuts: list[tuple[int, np.ndarray]] = []
            for column, cell in enumerate(zone.cells):
                cut = _cut(page, cell, 0.9)
                ink = _dark(cut, threshold) >= CELL_INK_MIN
                filled.append(ink)
                if ink:
                    cuts.append((column, _binarise(_cut(page, cell, 0.55), threshold)))
            if zone.kind == "digits":
                digit_rows[zone.path] = (filled, cuts)
            else:
                rows[zone.path] = (kana, kana.add_row(cuts) if cuts else -1, filled)
        elif zone.kind == "choice":
            readings[zone.path] = _read_choice(page, zone, threshold)
        else:
            cut = _cut(page, zone.frame, 0.9)
            if _dark(cut, threshold) < 0.004:
                readings[zone.path] = ItemReading(zone.path, None, "", 1.0, zone.frame)
            else:
                text_rows[zone.path] = texts.add_row(_binarise(cut, threshold))
    digit_chars = _read_digit_rows(digit_rows)
    kana_chars = kana.read()
    text_words = texts.read()
    for zone in zones:
        if zone.path in digit_rows:
            readings[zone.path] = _assemble_boxes(zone, 0, digit_rows[zone.path][0], digit_chars[zone.path])
        elif zone.path in rows:
            _strip, row_index, filled = rows[zone.path]
            readings[zone.path] = _assemble_boxes(zone, row_index, filled, kana_chars)
        elif zone.path in text_rows:
            words = text_words.get(text_rows[zone.path], [])
            text = _join_words(words, one_line=zone.lines == 1)
            confidence = min((conf for *_box, conf, _text in words), default=0.0)
            readings[zone.path] = ItemReading(zone.path, text or None, text, round(confidence, 3), zone.frame)
    return [readings[zone.path] for zone in zones if zone.path in readings]


def _read_digit_rows(
    digit_rows: dict[str, tuple[list[bool], list[tuple[int, np.ndarray]]]],
) -> dict[str, dict[tuple[int, int], tuple[str, float]]]:
    """Every filled digit box of the page read by the classifier in one batch, back to its zone and
    column (row 0). A box the classifier finds empty after specks are taken out (what a blur or a
    border left) is read as a blank the clerk should look at."""
    from idx.intake.digits import read_digits

    keys = [(path, column) for path, (_filled, cuts) in digit_rows.items() for column, _cut in cuts]
    read = read_digits([cut for _filled, cuts in digit_rows.values() for _column, cut in cuts])
    found: dict[str, dict[tuple[int, int], tuple[str, float]]] = {path: {} for path in digit_rows}
    for (path, column), (char, confidence) in zip(keys, read, strict=True):
        found[path][(0, column)] = (char, 0.5) if char == " " else (char, confidence)
    return found


class _TextStrip:
    """Free-text zones stacked in one image for one Tesseract call; words go back to their row."""

    def __init__(self) -> None:
        self.rows: list[np.ndarray] = []

    def add_row(self, cut: np.ndarray) -> int:
        self.rows.append(cut)
        return len(self.rows) - 1

    def read(self) -> dict[int, list[tuple[int, int, int, int, float, str]]]:
        if not self.rows:
            return {}
        gap = round(4 * PX_PER_MM)
        width = max(row.shape[1] for row in self.rows) + 2 * gap
        height = sum(row.shape[0] + gap for row in self.rows) + gap
        canvas = np.full((height, width), 255, dtype=np.uint8)
        bands: list[tuple[int, int]] = []
        y = gap
        for row in self.rows:
            canvas[y : y + row.shape[0], gap : gap + row.shape[1]] = row
            bands.append((y, y + row.shape[0]))
            y += row.shape[0] + gap
        found: dict[int, list[tuple[int, int, int, int, float, str]]] = {}
        for word in tesseract_words(canvas, lang="jpn", psm=6):
            middle = word[1] + word[3] / 2
            for index, (top, bottom) in enumerate(bands):
                if top - gap / 2 <= middle < bottom + gap / 2:
                    found.setdefault(index, []).append(word)
                    break
        return found


def _binarise(cut: np.ndarray, threshold: int) -> np.ndarray:
    """Black on white, with the box's own border (what is left of it at the edges) wiped."""
    binary = np.where(cut < threshold, 0, 255).astype(np.uint8)
    edge = max(1, round(0.4 * PX_PER_MM))
    binary[:edge, :] = 255
    binary[-edge:, :] = 255
    binary[:, :edge] = 255
    binary[:, -edge:] = 255
    return binary


def _assemble_boxes(
    zone: Zone, row_index: int, filled: list[bool], chars: dict[tuple[int, int], tuple[str, float]]
) -> ItemReading:
    letters: list[str] = []
    confidences: list[float] = []
    for column, ink in enumerate(filled):
        if not ink:
            letters.append(" ")
            continue
        char, conf = chars.get((row_index, column), ("?", 0.0))
        letters.append(char)
        confidences.append(conf)
    text = "".join(letters)
    confidence = min(confidences, default=1.0)
    value = _value_of(zone, text)
    if value is None and text.strip():
        confidence = min(confidence, 0.2)
    return ItemReading(zone.path, value, text.rstrip(), round(confidence, 3), zone.frame)


def _value_of(zone: Zone, text: str) -> Any:
    """The answer a zone's characters make, or None when they make none (blank, or not well formed)."""
    stripped = text.strip()
    if not stripped:
        return None
    if zone.format == "katakana":
        if "?" in stripped:
            return None
        # A small kana never starts a word (ィガ is イガ): Tesseract confuses the two sizes.
        words = [SMALL_TO_FULL.get(word[0], word[0]) + word[1:] for word in stripped.split()]
        return " ".join(words)
    compact = text.replace(" ", "")
    if not compact.isdigit():
        return None
    if zone.format == "date":
        if len(compact) != 8:
            return None
        try:
            return dt.date(int(compact[:4]), int(compact[4:6]), int(compact[6:])).isoformat()
        except ValueError:
            return None
    if zone.format == "postal_code":
        return f"{compact[:3]}-{compact[3:]}" if len(compact) == 7 else None
    if zone.format == "number":
        return int(compact)
    if zone.format == "digits":
        return compact if len(compact) == len(zone.cells) else None
    return compact  # phone


def _read_choice(page: np.ndarray, zone: Zone, threshold: int) -> ItemReading:
    shares = [(_dark(_cut(page, option.box, 0.75), threshold), option) for option in zone.options]
    ticked = [(share, option) for share, option in shares if share >= TICK_MIN]
    if not ticked:
        return ItemReading(
            zone.path, None, "", 1.0 if all(s < TICK_MIN / 2 for s, _ in shares) else 0.5, zone.frame
        )
    ticked.sort(key=lambda pair: pair[0], reverse=True)
    best_share, best = ticked[0]
    confidence = min(1.0, best_share / (TICK_MIN * 2))
    if len(ticked) > 1:
        confidence = min(confidence, 0.3)  # two ticks: the clerk decides
    return ItemReading(zone.path, best.value, best.label, round(confidence, 3), zone.frame)


def _join_words(words: list[tuple[int, int, int, int, float, str]], *, one_line: bool = True) -> str:
    """Words in reading order; a space only where the gap on paper is wide (Japanese has none)."""
    if not words:
        return ""
    ordered = sorted(words, key=lambda word: word[0]) if one_line else list(words)
    height = float(np.median([word[3] for word in ordered]))
    text = ordered[0][5]
    for previous, word in zip(ordered, ordered[1:], strict=False):
        gap = word[0] - (previous[0] + previous[2])
        text += (" " if gap > 0.8 * height else "") + word[5]
    return text


def pages_of_image(image: Image.Image) -> Iterator[Image.Image]:
    """Every frame of an image file (a multi-page TIFF has several), one at a time."""
    index = 0
    while True:
        try:
            image.seek(index)
        except EOFError:
            return
        yield image.copy()
        index += 1
