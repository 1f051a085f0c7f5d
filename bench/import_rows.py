#!/usr/bin/env python
"""Bulk import of a large file: the dry run and the all-or-nothing import of N rows (docs/performance.md).

A 妊娠の届出 file of ``--rows`` rows (18 columns, dates in three notations, full-width digits,
option labels, はい/いいえ) is written to disk in Shift_JIS (``--encoding cp932``, the default),
UTF-8 or as an Excel workbook (``--xlsx``), streamed row by row. Then, in process as the back
office runs them, ``import_check`` reads every row (the dry run) and ``import_execute`` imports
them in one transaction as submitted applications. The file is never read into memory at once:
the peak RSS of the process is reported before the file is made and after each step.

    .venv/bin/python bench/import_rows.py --rows 50000
    .venv/bin/python bench/import_rows.py --rows 50000 --database-url postgres://postgres@127.0.0.1:5432/idx_bench_import

SQLite in var/bench/ unless a PostgreSQL URL is given (that database is dropped and made again).
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
ROOT = Path(__file__).resolve().parent.parent

from _bench import fresh_database, setup_django  # noqa: E402

HEADERS = [
    "氏名", "フリガナ", "生年月日", "郵便番号", "住所", "電話番号", "出産予定日", "診断日", "妊娠週数",
    "胎児数", "医療機関", "初産", "喫煙", "飲酒", "同居者喫煙", "支援者", "訪問希望", "希望言語",
]  # fmt: skip
PATHS = [
    "pregnant_person.name", "pregnant_person.name_kana", "pregnant_person.birth_date",
    "pregnant_person.postal_code", "pregnant_person.address", "pregnant_person.phone",
    "expected_delivery_date", "diagnosis_date", "weeks_at_diagnosis", "number_of_babies",
    "diagnosis_institution", "first_pregnancy", "smoking", "drinking", "household_smoking",
    "has_support_person", "wants_consultation_visit", "preferred_language",
]  # fmt: skip
DIGITS = str.maketrans("0123456789", "０１２３４５６７８９")


def rows(count: int):
    for number in range(count):
        day = number % 28 + 1
        yield [
            f"伊賀 花子{number}",
            "イガ ハナコ",
            f"{1980 + number % 25}/{number % 12 + 1}/{day}",
            "5188501",
            f"伊賀市上野丸之内{number % 500 + 1}番地",
            "0595-22-9611",
            f"令和8年{number % 12 + 1}月{day}日",
            f"2026-0{number % 3 + 1}-{day:02d}",
            str(number % 30 + 5).translate(DIGITS),
            ["1人（単胎）", "twins", "まだわからない"][number % 3],
            "上野総合市民病院",
            "はい",
            ["いいえ", "0"][number % 2],
            "いいえ",
            "0",
            "1",
            "はい",
            ["ja", "日本語", "English"][number % 3],
        ]


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def write_file(path: Path, count: int, *, encoding: str, xlsx: bool) -> None:
    if xlsx:
        from openpyxl import Workbook

        workbook = Workbook(write_only=True)
        sheet = workbook.create_sheet("申請")
        sheet.append(HEADERS)
        for cells in rows(count):
            sheet.append(cells)
        workbook.save(path)
        return
    from idx.common.spreadsheet import csv_chunks

    with path.open("w", encoding=encoding, newline="") as out:
        for chunk in csv_chunks([HEADERS, *[]], bom=encoding == "utf-8-sig"):
            out.write(chunk.lstrip("\ufeff") if encoding != "utf-8-sig" else chunk)
        for chunk in csv_chunks(rows(count), bom=False, batch=1000):
            out.write(chunk)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=50_000)
    parser.add_argument("--encoding", default="cp932", choices=["cp932", "utf-8", "utf-8-sig"])
    parser.add_argument("--xlsx", action="store_true")
    parser.add_argument("--database-url", default="")
    args = parser.parse_args()
    bench_dir = ROOT / "var" / "bench"
    bench_dir.mkdir(parents=True, exist_ok=True)
    if args.database_url:
        fresh_database(args.database_url)
        url = args.database_url
    else:
        database = bench_dir / "import_rows.sqlite3"
        if database.exists():
            database.unlink()
        url = f"sqlite:///{database}"
    setup_django(url)
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from idx.demo.loader import MUNICIPALITIES, load_municipality
    from idx.identity.models import User
    from idx.imports.services import import_check, import_execute, import_source_save
    from idx.procedures.models import Procedure

    municipality, _accounts = load_municipality(MUNICIPALITIES[0])
    staff = User.objects.select_related("department", "municipality").get(
        municipality=municipality, email="kenko-suishin@staff.iga.example.jp"
    )
    procedure = Procedure.objects.select_related("published_version", "department").get(
        municipality=municipality, code="pregnancy-notification"
    )
    source = import_source_save(
        staff=staff,
        procedure=procedure,
        name="母子保健システム",
        mapping=dict(zip(HEADERS, PATHS, strict=True)),
        applicant_name_column="氏名",
        birthdate_column="生年月日",
    )
    path = bench_dir / ("import_rows.xlsx" if args.xlsx else "import_rows.csv")
    before = peak_mb()
    started = time.perf_counter()
    write_file(path, args.rows, encoding=args.encoding, xlsx=args.xlsx)
    written = time.perf_counter() - started
    size = path.stat().st_size
    print(
        f"file: {args.rows:,} rows, {size / 1e6:.1f} MB ({'xlsx' if args.xlsx else args.encoding}), written in {written:.1f} s"
    )
    print(f"peak RSS before reading: {before:.0f} MB (after writing {peak_mb():.0f} MB)")
    with path.open("rb") as upload:
        started = time.perf_counter()
        run = import_check(staff=staff, source=source, upload=upload, name=path.name)
        checked = time.perf_counter() - started
    print(
        f"dry run: {run.row_count:,} rows, {run.error_count} problems, status {run.status} in {checked:.1f} s"
        f" ({run.row_count / checked:,.0f} rows/s); peak RSS {peak_mb():.0f} MB"
    )
    assert run.status == "checked", (run.refusal, list(run.errors.values("row", "column", "code")[:5]))
    started = time.perf_counter()
    run = import_execute(staff=staff, run=run)
    imported = time.perf_counter() - started
    print(
        f"import: {run.imported_count:,} submitted applications, status {run.status} in {imported:.1f} s"
        f" ({run.imported_count / imported:,.0f} rows/s); peak RSS {peak_mb():.0f} MB"
    )
    assert run.status == "imported"


if __name__ == "__main__":
    main()
