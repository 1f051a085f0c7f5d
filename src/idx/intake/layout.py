"""The layout of a printed form (紙の申請書): where every answer zone of a procedure version lies, in mm.

The layout is derived, never stored: the same definition and ``LAYOUT_VERSION`` always give the same
pages and zones, so the printed PDF (``idx.intake.paper``) and the reader of its scans
(``idx.intake.reading``) agree on every box. Everything is placed absolutely on an A4 page; the
four registration marks (見当マーク) and the QR code sit at fixed places.

Answer zones suit machine reading: one box per digit for dates, postal codes, phone numbers and
numbers; one box per character for フリガナ (katakana); a checkbox per choice; a framed line for
free text. Attachments and the 個人番号 are not written on paper forms (the counter checks them).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

from idx.common.i18n import pick
from idx.procedures.definition import Definition, Item

LAYOUT_VERSION = 1
PAGE_WIDTH, PAGE_HEIGHT = 210.0, 297.0
MARK_SIZE = 6.0
# Top-left corners of the four solid registration marks; the reader maps their centres.
MARKS = ((8.0, 8.0), (196.0, 8.0), (8.0, 283.0), (196.0, 283.0))
MARK_CENTRES = tuple((x + MARK_SIZE / 2, y + MARK_SIZE / 2) for x, y in MARKS)
QR_BOX = (168.0, 17.0, 24.0)  # x, y, size
CONTENT_TOP, CONTENT_BOTTOM = 46.0, 274.0
LEFT, RIGHT = 16.0, 194.0
LABEL_WIDTH = 52.0
ZONE_LEFT = LEFT + LABEL_WIDTH + 2.0
CELL = 6.5  # a character box (digits, katakana), square
CHECK = 4.5  # a checkbox
LINE_HEIGHT = 9.0  # a free-text line
LABEL_FONT_MM = 3.2  # 9 pt
ROW_GAP = 2.2
KANA_CELLS = 18
REPEAT_SLOTS = 3  # entries printed for a repeated group (児童 1-3)

_DIGIT_PATTERN = re.compile(r"^\^\[0-9\]\{(\d+)\}\$$")


@dataclass(frozen=True)
class Box:
    x: float
    y: float
    w: float
    h: float


@dataclass(frozen=True)
class Option:
    value: Any
    label: str
    box: Box


@dataclass
class Zone:
    """One answer on paper; ``path`` is concrete (``children[1].birth_date``)."""

    path: str
    kind: str  # digits | kana | text | choice
    format: str  # date | postal_code | phone | number | digits | katakana | text | latin | yes_no | option | checkbox
    label: str
    frame: Box
    cells: list[Box] = field(default_factory=list)
    options: list[Option] = field(default_factory=list)
    lines: int = 1
    required: bool = False


@dataclass
class Text:
    x: float
    y: float
    w: float
    text: str
    size: float = LABEL_FONT_MM
    bold: bool = False


@dataclass
class Page:
    number: int
    zones: list[Zone] = field(default_factory=list)
    texts: list[Text] = field(default_factory=list)
    rules: list[Box] = field(default_factory=list)  # thin separators


@dataclass
class FormLayout:
    code: str
    title: str
    pages: list[Page]

    def zones(self) -> Iterator[tuple[Page, Zone]]:
        for page in self.pages:
            for zone in page.zones:
                yield page, zone

    def as_dict(self) -> dict[str, Any]:
        return {"version": LAYOUT_VERSION, "code": self.code, "pages": [asdict(page) for page in self.pages]}


def text_width(text: str, size: float = LABEL_FONT_MM) -> float:
    """Rough printed width: full-width characters take the font size, others about half."""
    return sum(size if ord(char) > 0x2000 else size * 0.55 for char in text)


def wrap(text: str, width: float, size: float = LABEL_FONT_MM) -> list[str]:
    lines: list[str] = []
    current = ""
    for char in text:
        if current and text_width(current + char, size) > width:
            lines.append(current)
            current = ""
        current += char
    if current:
        lines.append(current)
    return lines or [""]


def zone_format(item: Item) -> str | None:
    """How an item is written on paper, or None when it is not written on paper."""
    schema = item.schema
    widget = item.widget
    if widget in ("file", "my_number"):
        return None
    if widget == "date":
        return "date"
    if widget == "postal_code":
        return "postal_code"
    if widget == "tel":
        return "phone"
    if widget == "number":
        return "number"
    if widget == "yes_no":
        return "yes_no"
    if widget == "checkbox":
        return "checkbox"
    if widget in ("radio", "select"):
        return "option"
    if widget == "email":
        return "latin"
    if schema.get("format") == "katakana":
        return "katakana"
    if _DIGIT_PATTERN.match(str(schema.get("pattern", ""))):
        return "digits"
    return "text"


def digit_count(item: Item, zone_kind: str) -> int:
    if zone_kind == "postal_code":
        return 7
    if zone_kind == "phone":
        return 11
    if zone_kind == "digits":
        match = _DIGIT_PATTERN.match(str(item.schema.get("pattern", "")))
        return int(match.group(1)) if match else 8
    maximum = item.schema.get("maximum")
    return min(max(len(str(int(maximum))) if maximum is not None else 8, 1), 11)


class _Flow:
    """Places rows top to bottom, opening a new page when a row does not fit."""

    def __init__(self, title: str) -> None:
        self.pages: list[Page] = []
        self.title = title
        self.y = 0.0
        self._new_page()

    @property
    def page(self) -> Page:
        return self.pages[-1]

    def _new_page(self) -> None:
        self.pages.append(Page(number=len(self.pages) + 1))
        self.y = CONTENT_TOP

    def ensure(self, height: float) -> None:
        if self.y + height > CONTENT_BOTTOM:
            self._new_page()

    def heading(self, text: str, *, size: float = 4.2, keep_with: float = 12.0) -> None:
        self.ensure(size + 3 + keep_with)
        self.page.texts.append(Text(LEFT, self.y, RIGHT - LEFT, text, size=size, bold=True))
        self.y += size + 1.2
        self.page.rules.append(Box(LEFT, self.y, RIGHT - LEFT, 0.3))
        self.y += 2.0


def build_layout(definition: Definition, *, language: str = "ja") -> FormLayout:
    """The pages of the printed form of ``definition``, with every answer zone in mm."""
    title = pick(definition.data.get("name"), language)
    flow = _Flow(title)
    for step in definition.steps:
        written = [item for item in step.items if _is_written(item)]
        if not written:
            continue
        flow.heading(pick(step.title, language))
        for item in written:
            _place_item(flow, item, prefix="", language=language)
    declaration = pick(definition.data.get("declaration"), language)
    if declaration:
        flow.heading("", size=0.1, keep_with=8)
        flow.page.texts.append(Text(LEFT, flow.y, RIGHT - LEFT, declaration))
        flow.y += 6
    return FormLayout(code=definition.code, title=title, pages=flow.pages)


def _is_written(item: Item) -> bool:
    if item.widget in ("fieldset", "repeat"):
        return any(_is_written(child) for child in item.children)
    return item.widget != "note" and zone_format(item) is not None


def _place_item(flow: _Flow, item: Item, *, prefix: str, language: str) -> None:
    label = pick(item.label, language)
    if item.widget == "fieldset":
        flow.heading(label, size=3.6)
        for child in item.children:
            if _is_written(child):
                _place_item(flow, child, prefix=f"{prefix}{item.field}.", language=language)
        return
    if item.widget == "repeat":
        slots = min(int(item.schema.get("maxItems", REPEAT_SLOTS) or REPEAT_SLOTS), REPEAT_SLOTS)
        for index in range(slots):
            flow.heading(f"{label}（{index + 1}）", size=3.6)
            for child in item.children:
                if _is_written(child):
                    _place_item(flow, child, prefix=f"{prefix}{item.field}[{index}].", language=language)
        return
    kind = zone_format(item)
    assert kind is not None
    _place_scalar(flow, item, kind, path=f"{prefix}{item.field}", label=label)


def _place_scalar(flow: _Flow, item: Item, kind: str, *, path: str, label: str) -> None:
    label_lines = wrap(label, LABEL_WIDTH)
    zone_width = RIGHT - ZONE_LEFT
    texts: list[Text] = []
    cells: list[Box] = []
    options: list[Option] = []
    lines = 1
    if kind in ("date", "postal_code", "phone", "number", "digits", "katakana"):
        height = CELL
    elif kind in ("option", "yes_no", "checkbox"):
        height = 0.0  # computed below
    else:
        lines = 3 if item.widget == "textarea" else 1
        height = LINE_HEIGHT * lines
    # Choices wrap across rows; measure them first so the whole item stays on one page.
    choice_rows: list[list[tuple[Any, str, float]]] = []
    if kind in ("option", "yes_no", "checkbox"):
        if kind == "yes_no":
            entries = [(True, "はい"), (False, "いいえ")]
        elif kind == "checkbox":
            entries = [(True, "はい（該当する）")]
        else:
            entries = [(option["value"], pick(option.get("label"))) for option in item.options]
        row: list[tuple[Any, str, float]] = []
        used = 0.0
        for value, text in entries:
            width = CHECK + 1.5 + text_width(text) + 5.0
            if row and used + width > zone_width:
                choice_rows.append(row)
                row, used = [], 0.0
            row.append((value, text, width))
            used += width
        choice_rows.append(row)
        height = len(choice_rows) * (CHECK + 2.5) - 2.5
    total = max(height, len(label_lines) * (LABEL_FONT_MM + 1.0))
    flow.ensure(total + ROW_GAP)
    y = flow.y
    for index, line in enumerate(label_lines):
        texts.append(Text(LEFT, y + index * (LABEL_FONT_MM + 1.0), LABEL_WIDTH, line))
    x = ZONE_LEFT
    if kind == "date":
        # 西暦 YYYY 年 MM 月 DD 日: one box per digit.
        texts.append(Text(x, y + 1.6, 8, "西暦"))
        x += 8
        for count, unit in ((4, "年"), (2, "月"), (2, "日")):
            for _ in range(count):
                cells.append(Box(x, y, CELL, CELL))
                x += CELL
            texts.append(Text(x + 0.8, y + 1.6, 5, unit))
            x += 5.5
    elif kind == "postal_code":
        texts.append(Text(x, y + 1.6, 4, "〒"))
        x += 4.5
        for index in range(7):
            cells.append(Box(x, y, CELL, CELL))
            x += CELL
            if index == 2:
                texts.append(Text(x + 0.8, y + 1.6, 3, "-"))
                x += 3.5
    elif kind in ("phone", "number", "digits"):
        for _ in range(digit_count(item, kind)):
            cells.append(Box(x, y, CELL, CELL))
            x += CELL
        if kind == "phone":
            texts.append(Text(x + 1.5, y + 1.6, 40, "（数字のみ）", size=2.8))
        elif kind == "number":
            texts.append(Text(x + 1.5, y + 1.6, 40, "（右づめ）", size=2.8))
    elif kind == "katakana":
        for _ in range(KANA_CELLS):
            cells.append(Box(x, y, CELL, CELL))
            x += CELL
    elif kind in ("option", "yes_no", "checkbox"):
        row_y = y
        for row in choice_rows:
            x = ZONE_LEFT
            for value, text, width in row:
                box = Box(x, row_y, CHECK, CHECK)
                options.append(Option(value=value, label=text, box=box))
                texts.append(Text(x + CHECK + 1.5, row_y + 0.4, width, text))
                x += width
            row_y += CHECK + 2.5
    frame_width = (x - ZONE_LEFT) if cells or options else zone_width
    if options:
        frame_width = max(option.box.x + option.box.w for option in options) - ZONE_LEFT
    frame = Box(ZONE_LEFT, y, max(frame_width, zone_width if kind in ("text", "latin") else 0), height)
    zone_kind = {"katakana": "kana", "text": "text", "latin": "text"}.get(kind)
    if zone_kind is None:
        zone_kind = "choice" if options else "digits"
    flow.page.zones.append(
        Zone(
            path=path,
            kind=zone_kind,
            format=kind,
            label=label,
            frame=frame,
            cells=cells,
            options=options,
            lines=lines,
            required=item.required,
        )
    )
    flow.page.texts.extend(texts)
    flow.y = y + total + ROW_GAP


def zone_index(layout: FormLayout) -> Mapping[str, Zone]:
    return {zone.path: zone for _page, zone in layout.zones()}
