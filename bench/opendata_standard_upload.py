#!/usr/bin/env python
"""How long a standard dataset's CSV takes to check, and how much memory the check needs.

    python bench/opendata_standard_upload.py --rows 100000
    python bench/opendata_standard_upload.py --rows 400000 --shift-jis   # about 100 MB, the upload limit

Builds a 指定緊急避難場所一覧 (standard 03) of ``--rows`` realistic rows, every tenth with a date-free
full-width code and phone number to normalise (Shift_JIS with ``--shift-jis``). Timed: reading and
normalising (``tabular.read_csv``), then the Table Schema check with frictionless
(``tabular.validate``). Printed: the seconds of each, rows per second, and the process's peak RSS
(a fresh process: run it once per size).
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
ROOT = Path(__file__).resolve().parent.parent

from _bench import setup_django  # noqa: E402

ROW = (
    "{code},242161030{n:06d},伊賀市,上野西小学校,ウエノニシショウガッコウ,Ueno Nishi Elementary School,"
    "三重県伊賀市上野西日南町1750,34.7672,136.1191,165,{phone},1,1,,1,,1,1,,有,450,上野西部地区,,体育館\n"
)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--shift-jis", action="store_true")
    parser.add_argument("--database-url", default=f"sqlite:///{ROOT}/var/bench/opendata_upload.sqlite3")
    args = parser.parse_args()
    setup_django(args.database_url)
    from idx.opendata import standards, tabular

    standard = standards.get("03")
    assert standard is not None
    header = (
        (ROOT / "src/idx/demo/data/opendata/evacuation-sites.csv").read_text(encoding="utf-8").splitlines()[0]
    )
    lines = [header + "\n"]
    for n in range(args.rows):
        wide = n % 10 == 0
        lines.append(
            ROW.format(
                n=n,
                code="２４２１６１" if wide else "242161",
                phone="０５９５ー２１ー０１０２" if wide else "0595-21-0102",
            )
        )
    body = "".join(lines).encode("cp932" if args.shift_jis else "utf-8")
    del lines
    print(f"{args.rows:,} rows, {len(body) / 1e6:.1f} MB ({'Shift_JIS' if args.shift_jis else 'UTF-8'})")
    started = time.perf_counter()
    table = tabular.read_csv(body, standard=standard)
    read = time.perf_counter()
    tabular.validate(table, standard=standard)
    checked = time.perf_counter()
    print(f"read and normalise: {read - started:.2f} s; changes {table.changes}")
    print(f"frictionless check: {checked - read:.2f} s")
    print(f"total {checked - started:.2f} s, {args.rows / (checked - started):,.0f} rows/s")
    print(f"peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")


if __name__ == "__main__":
    main()
