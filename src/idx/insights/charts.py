"""Charts as server-rendered SVG: they read without JavaScript, print, and need no inline style.

Each chart is an ``<svg role="img">`` whose accessible name says what it shows; the page puts a
table with the same numbers right after it (and a CSV of exactly that table), so nothing is only
in the picture. Colours come from classes in ``insights.css`` (CSP forbids ``style=""``); the
channel colours differ in lightness and carry a pattern-free legend with the numbers beside it.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.utils.html import escape, format_html
from django.utils.safestring import SafeString, mark_safe

WIDTH = 720
HEIGHT = 300
LEFT, RIGHT, TOP, BOTTOM = 56, 16, 16, 56


@dataclass(frozen=True)
class Marker:
    """A vertical line at an index of the series (an intervention's start)."""

    index: float
    label: str


def _nice_max(value: float) -> float:
    if value <= 0:
        return 1.0
    magnitude = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 2.5, 5, 10):
        if value <= step * magnitude:
            return step * magnitude
    return 10 * magnitude


def _ticks(top: float, count: int = 4) -> list[float]:
    return [top * index / count for index in range(count + 1)]


def _number(value: float) -> str:
    return f"{value:,.0f}" if value == int(value) else f"{value:,.1f}"


def _axis(top: float, unit_suffix: str, width: int = WIDTH) -> list[str]:
    parts = []
    plot_height = HEIGHT - TOP - BOTTOM
    for tick in _ticks(top):
        y = TOP + plot_height - plot_height * tick / top
        parts.append(f'<line class="ins-grid" x1="{LEFT}" x2="{width - RIGHT}" y1="{y:.1f}" y2="{y:.1f}"/>')
        parts.append(
            f'<text class="ins-tick" x="{LEFT - 6}" y="{y + 4:.1f}" text-anchor="end">'
            f"{escape(_number(tick))}{escape(unit_suffix)}</text>"
        )
    return parts


def _x_labels(labels: Sequence[str], step_x: float, offset: float, most: int = 12) -> list[str]:
    every = max(1, math.ceil(len(labels) / most))
    parts = []
    for index, label in enumerate(labels):
        if index % every:
            continue
        x = LEFT + offset + step_x * index
        parts.append(
            f'<text class="ins-tick" x="{x:.1f}" y="{HEIGHT - BOTTOM + 18}" text-anchor="middle">{escape(label)}</text>'
        )
    return parts


def line_chart(
    *,
    title: str,
    labels: Sequence[str],
    values: Sequence[Decimal | None],
    target: Decimal | None = None,
    target_label: str = "",
    markers: Sequence[Marker] = (),
    unit_suffix: str = "",
    max_value: float | None = None,
    width: int = WIDTH,
) -> SafeString:
    """A line of ``values`` over ``labels`` (gaps where a value is None), a dashed target line
    and vertical markers; ``title`` is the chart's accessible name. A narrower ``width`` keeps the
    text legible on a phone (the drawing scales to the page's width)."""
    known = [float(value) for value in values if value is not None]
    top = max_value or _nice_max(max([*known, float(target or 0), 0.0]) * 1.1)
    plot_width = width - LEFT - RIGHT
    plot_height = HEIGHT - TOP - BOTTOM
    step_x = plot_width / max(1, len(values) - 1)

    def y_of(value: float) -> float:
        return TOP + plot_height - plot_height * min(value, top) / top

    parts = _axis(top, unit_suffix, width)
    segments: list[list[str]] = [[]]
    for index, value in enumerate(values):
        if value is None:
            segments.append([])
            continue
        segments[-1].append(f"{LEFT + step_x * index:.1f},{y_of(float(value)):.1f}")
    for segment in segments:
        if len(segment) > 1:
            parts.append(f'<polyline class="ins-line" fill="none" points="{" ".join(segment)}"/>')
    for index, value in enumerate(values):
        if value is not None:
            parts.append(
                f'<circle class="ins-point" cx="{LEFT + step_x * index:.1f}" cy="{y_of(float(value)):.1f}" r="3"/>'
            )
    if target is not None:
        y = y_of(float(target))
        parts.append(f'<line class="ins-target" x1="{LEFT}" x2="{width - RIGHT}" y1="{y:.1f}" y2="{y:.1f}"/>')
        parts.append(
            f'<text class="ins-target-label" x="{LEFT + 6}" y="{y - 6:.1f}">{escape(target_label)}</text>'
        )
    for marker in markers:
        x = LEFT + step_x * marker.index
        parts.append(
            f'<line class="ins-marker" x1="{x:.1f}" x2="{x:.1f}" y1="{TOP}" y2="{TOP + plot_height}"/>'
        )
        # The label reads away from the right edge, so it is never cut off.
        anchor, label_x = ("end", x - 4) if x > width * 0.6 else ("start", x + 4)
        parts.append(
            f'<text class="ins-marker-label" x="{label_x:.1f}" y="{TOP + 12}" text-anchor="{anchor}">'
            f"{escape(marker.label)}</text>"
        )
    parts.extend(_x_labels(labels, step_x, 0, most=max(4, (width - LEFT - RIGHT) // 56)))
    return _svg(title, parts, width)


def stacked_bars(
    *,
    title: str,
    labels: Sequence[str],
    series: Sequence[tuple[str, str, Sequence[int]]],
) -> SafeString:
    """Stacked bars: ``series`` is (name, css class, counts per label); the legend names each."""
    totals = [sum(counts[index] for _name, _cls, counts in series) for index in range(len(labels))]
    top = _nice_max(max([*totals, 0]) * 1.05)
    plot_width = WIDTH - LEFT - RIGHT
    plot_height = HEIGHT - TOP - BOTTOM
    slot = plot_width / max(1, len(labels))
    bar = slot * 0.7
    parts = _axis(top, "")
    for index in range(len(labels)):
        base: float = TOP + plot_height
        for _name, css_class, counts in series:
            height = plot_height * counts[index] / top
            base -= height
            x = LEFT + slot * index + (slot - bar) / 2
            parts.append(
                f'<rect class="{escape(css_class)}" x="{x:.1f}" y="{base:.1f}" width="{bar:.1f}" height="{height:.1f}"/>'
            )
    parts.extend(_x_labels(labels, slot, slot / 2))
    legend_x = LEFT
    for name, css_class, _counts in series:
        parts.append(
            f'<rect class="{escape(css_class)}" x="{legend_x}" y="{HEIGHT - 22}" width="12" height="12"/>'
            f'<text class="ins-tick" x="{legend_x + 16}" y="{HEIGHT - 12}">{escape(name)}</text>'
        )
        legend_x += 24 + 14 * len(name)
    return _svg(title, parts)


def _svg(title: str, parts: list[str], width: int = WIDTH) -> SafeString:
    head = format_html(
        '<svg class="ins-chart" viewBox="0 0 {} {}" role="img" aria-label="{}" focusable="false" '
        'xmlns="http://www.w3.org/2000/svg">',
        width,
        HEIGHT,
        title,
    )
    # Every text in the parts above is escaped where it is written.
    return mark_safe(head + "".join(parts) + "</svg>")  # noqa: S308  # nosec B308, B703
