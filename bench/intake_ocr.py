"""Paper intake: item accuracy and time per page of the reader on generated scans (docs/performance.md).

The 児童手当 認定請求's printed form is rendered, filled by script with the definition's example
answers in three fonts (Noto Sans CJK, Noto Serif CJK, Noto Sans CJK Bold), "scanned" at 200 dpi
(turned by up to ±5°, Gaussian noise, every fifth page upside down) and read by
``idx.intake.reading.read_page`` — QR code, registration marks, rectification, the digit-box
classifier, Tesseract (katakana, free text), ticks — in one process and then in two worker
processes. No database: the layout comes from the YAML.

    .venv/bin/python bench/intake_ocr.py --forms 6

Prints the accuracy per kind of item (boxes: digits and katakana; ticks; free text), the time per
page (p50/p95), the pages per minute with two workers, and the peak memory of a worker; digit boxes
also per font, the font kept out of the digit classifier's training marked.
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import statistics
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from types import SimpleNamespace
from typing import Any

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "idx.settings.test")
ROOT = Path(__file__).resolve().parent.parent
DEFINITION = ROOT / "src/idx/procedures/definitions/child-allowance-certification.yaml"
DPI = 200
HELD_OUT = ("NotoSerifCJK-Regular",)  # idx.intake.digits.HELD_OUT_FONTS


def _setup() -> tuple[Any, Any, dict[str, Any]]:
    import django
    import yaml

    django.setup()
    from idx.intake.layout import build_layout
    from idx.procedures.definition import parse

    data = yaml.safe_load(DEFINITION.read_text(encoding="utf-8"))
    definition = parse(data)
    version = SimpleNamespace(
        parsed=definition,
        number=1,
        procedure=SimpleNamespace(
            code=data["code"], municipality=SimpleNamespace(code="242161", name="伊賀市")
        ),
    )
    return version, build_layout(definition), data["example"]


def make_pages(forms: int, out: Path) -> list[tuple[Path, int]]:
    """Scanned pages as PNG files (path, page index in the layout)."""
    version, layout, answers = _setup()
    from weasyprint import HTML

    from idx.intake.paper import form_html
    from idx.intake.simulate import FONTS, fill_page, render_pdf, scan

    out.mkdir(parents=True, exist_ok=True)
    pdf = HTML(string=form_html(version, serial="BENCH")).write_pdf()
    blanks = list(render_pdf(pdf, DPI))
    rng = random.Random(2026)
    files = []
    number = 0
    for form in range(forms):
        font = FONTS[form % len(FONTS)]
        for index, blank in enumerate(blanks):
            filled = fill_page(blank, layout.pages[index], answers, dpi=DPI, font_name=font, rng=rng)
            page = scan(filled, angle=rng.uniform(-5, 5), noise=12, seed=number, upside_down=number % 5 == 4)
            path = out / f"page-{number:04d}-{font.split('.')[0]}.png"
            page.save(path)
            files.append((path, index))
            number += 1
    return files


_STATE: dict[str, Any] = {}


def read_one(job: tuple[Path, int]) -> dict[str, Any]:
    if "layout" not in _STATE:
        _version, layout, answers = _setup()
        from idx.intake.simulate import written_answers

        _STATE.update(layout=layout, answers=answers, expected=written_answers(layout, answers))
    from PIL import Image

    from idx.intake.reading import read_page
    from idx.intake.simulate import same_value

    layout = _STATE["layout"]
    path, index = job
    started = time.perf_counter()
    with Image.open(path) as image:
        image.load()
        reading = read_page(image, lambda stamp: layout)
    seconds = time.perf_counter() - started
    zones = {zone.path: zone for zone in layout.pages[index].zones}
    results = []
    for item in reading.items:
        if item.path not in _STATE["expected"]:
            continue
        zone = zones[item.path]
        kind = {"digits": "digits", "kana": "katakana", "choice": "ticks"}.get(zone.kind, "free text")
        right = same_value(zone, _STATE["expected"][item.path], item.value)
        results.append((kind, right, item.confidence))
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"seconds": seconds, "results": results, "rss_mb": rss_mb, "font": path.stem.split("-", 2)[-1]}


def report(title: str, outcomes: list[dict[str, Any]], wall: float) -> None:
    times = sorted(outcome["seconds"] for outcome in outcomes)
    kinds: dict[str, list[bool]] = {}
    confident_wrong = 0
    for outcome in outcomes:
        for kind, right, confidence in outcome["results"]:
            kinds.setdefault(kind, []).append(right)
            confident_wrong += (not right) and confidence >= 0.9
    total = [right for values in kinds.values() for right in values]
    print(f"## {title}: {len(outcomes)} pages in {wall:.1f} s ({60 * len(outcomes) / wall:.1f} pages/min)")
    print(
        f"time per page: p50 {statistics.median(times):.2f} s, p95 {times[int(0.95 * (len(times) - 1))]:.2f} s"
    )
    for kind, values in sorted(kinds.items()):
        print(f"  {kind:10s} {sum(values)}/{len(values)} = {100 * sum(values) / len(values):.1f} %")
    print(f"  all items  {sum(total)}/{len(total)} = {100 * sum(total) / len(total):.1f} %")
    by_font: dict[str, list[bool]] = {}
    for outcome in outcomes:
        by_font.setdefault(outcome["font"], []).extend(
            r for kind, r, _c in outcome["results"] if kind == "digits"
        )
    for font, values in sorted(by_font.items()):
        held_out = " (held out of the digit classifier's training)" if font in HELD_OUT else ""
        print(f"  digits, {font}{held_out}: {sum(values)}/{len(values)}")
    print(f"  wrong items read with confidence >= 0.9: {confident_wrong}")
    print(f"  peak memory of a worker: {max(outcome['rss_mb'] for outcome in outcomes):.0f} MB")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--forms", type=int, default=6, help="filled forms (4 pages each)")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--out", type=Path, default=ROOT / "var/bench/intake")
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT / "src"))
    started = time.perf_counter()
    jobs = make_pages(args.forms, args.out)
    print(f"generated {len(jobs)} scanned pages in {time.perf_counter() - started:.1f} s")
    started = time.perf_counter()
    outcomes = [read_one(job) for job in jobs]
    report("one process", outcomes, time.perf_counter() - started)
    started = time.perf_counter()
    with ProcessPoolExecutor(max_workers=args.workers) as pool:
        outcomes = list(pool.map(read_one, jobs))
    report(f"{args.workers} worker processes", outcomes, time.perf_counter() - started)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
