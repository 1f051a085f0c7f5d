#!/usr/bin/env python
"""パブリックコメント at scale (PostgreSQL): the case page with its sections, the result, the staff's
opinions page, and sending opinions.

    python bench/public_comment.py
    python bench/public_comment.py --cases 300 --submissions 3000 --requests 60 --threads 4 --seconds 15

Set-up (not timed) drops and creates a database of its own, migrates, loads 伊賀市 and adds
``--cases`` published cases (ten years of a city's パブリックコメント, three sections each) and one
large open case: a plan in 12 sections of about 3,000 characters each (headings and texts in ja /
やさしい日本語 / en) with ``--submissions`` sendings (1–3 opinions each, on the sections of a plan
people care about most), and one closed case with its result 「意見の概要と市の考え方」 published
in three languages.

Timed, in process through Django's test client (whole requests: middleware, templates): the list,
the large case's page (all 12 sections), its opinion form, the result page in ja / やさしい日本語 /
en, the API's case and result, and the staff's opinions page by section. p50/p95/max in
milliseconds and the queries each makes.

Then sending opinions: the resident's whole journey through the pages (form → second look →
sent, three requests) sequentially, then ``--threads`` threads calling ``submission_create`` for
``--seconds`` (each a receipt number from the yearly sequence, locked); sendings per second and a
check that the receipt numbers have no gap and no repeat.
"""

from __future__ import annotations

import argparse
import os
import random
import re
import sys
import threading
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _bench import fresh_database, percentile, setup_django, timed  # noqa: E402

DEFAULT_DB = "postgres://postgres@127.0.0.1:5432/idx_bench_public_comment"
BATCH = 5000
SECTION_TEXT = (
    "本市では、子育て世帯が安心して暮らせるよう、保育所の待機児童の解消と放課後児童クラブの拡充を進めてきました。"
    "今後五年間は、地域の子育て支援拠点の充実、ひとり親家庭への相談体制の強化、医療的ケア児への支援を重点とします。"
)
OPINIONS = [
    "放課後児童クラブの開所時間を午後7時まで延ばしてください。",
    "上野地区だけでなく、青山地区にも子育て支援センターを設けてほしいです。",
    "ひとり親家庭の相談窓口は、土曜日も開いていると助かります。",
    "医療的ケア児を受け入れる保育所の数を、計画に数値で書いてください。",
    "外国籍の家庭向けに、やさしい日本語とポルトガル語の案内を増やしてください。",
]


def _texts(ja: str, easy: str, en: str) -> dict[str, str]:
    return {"ja": ja, "ja-easy": easy, "en": en}


def fill(municipality: Any, args: argparse.Namespace) -> tuple[Any, Any]:
    import datetime as dt

    from django.db import connection
    from django.utils import timezone

    from idx.identity.models import Department
    from idx.public_comment import services
    from idx.public_comment.models import Consultation, Opinion, Section, Submission

    rng = random.Random(17)  # noqa: S311 - benchmark data
    started = time.perf_counter()
    department = Department.objects.get(municipality=municipality, code="kodomo-katei")
    today = timezone.localdate()
    # Ten years of cases, closed, three sections each.
    old = []
    for n in range(args.cases):
        opens = today - dt.timedelta(days=60 + n * 12)
        old.append(
            Consultation(
                municipality=municipality,
                department=department,
                titles=_texts(f"伊賀市第{n + 1}次計画（案）", f"けいかく {n + 1}", f"Plan {n + 1} (draft)"),
                summaries={"ja": "計画の案について意見を募集しました。"},
                opens_on=opens,
                closes_on=opens + dt.timedelta(days=30),
                anonymous_allowed=bool(n % 2),
                published_at=timezone.now() - dt.timedelta(days=60 + n * 12),
            )
        )
    old = Consultation.objects.bulk_create(old, batch_size=BATCH)
    Section.objects.bulk_create(
        [
            Section(
                consultation=case, number=number, headings={"ja": f"第{number}章"}, texts={"ja": SECTION_TEXT}
            )
            for case in old
            for number in (1, 2, 3)
        ],
        batch_size=BATCH,
    )

    def case(title: str, opens: dt.date, closes: dt.date) -> Any:
        made = services.consultation_create(
            municipality=municipality,
            department=department,
            titles=_texts(title, "こそだて の けいかく", "Iga child and family plan (draft)"),
            summaries=_texts(
                "第3期伊賀市子ども・子育て支援事業計画の案です。",
                "こども の けいかく です。",
                "The draft plan.",
            ),
            opens_on=opens,
            closes_on=closes,
            anonymous_allowed=True,
            eligibility="anyone",
            actor=None,
        )
        for number in range(1, 13):
            services.section_put(
                consultation=made,
                number=number,
                headings=_texts(f"第{number}章 子育て支援の施策", f"{number}. こそだて", f"Chapter {number}"),
                texts=_texts(
                    SECTION_TEXT * 20, "こそだて を たすけます。" * 40, "The city supports families. " * 60
                ),
                actor=None,
            )
        services.consultation_publish(consultation=made, actor=None, today=opens)
        return Consultation.objects.get(pk=made.pk)

    large = case(
        "第3期伊賀市子ども・子育て支援事業計画（案）",
        today - dt.timedelta(days=5),
        today + dt.timedelta(days=25),
    )
    closed = case(
        "伊賀市子どもの居場所づくり計画（案）", today - dt.timedelta(days=45), today - dt.timedelta(days=10)
    )
    sections = {section.number: section for section in Section.objects.filter(consultation=large)}
    submissions = Submission.objects.bulk_create(
        [
            Submission(
                municipality=municipality,
                consultation=large,
                receipt_number=f"PC-{today.year - 1}-{n + 1:06d}",
                name="" if n % 3 else f"伊賀 太郎{n}",
                address="" if n % 3 else "伊賀市上野丸之内",
                language="ja",
            )
            for n in range(args.submissions)
        ],
        batch_size=BATCH,
    )
    opinions = []
    for submission in submissions:
        for number in rng.sample([1, 1, 2, 3, 3, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12], rng.randint(1, 3)):
            opinions.append(
                Opinion(submission=submission, section=sections[number], text=rng.choice(OPINIONS))
            )
    Opinion.objects.bulk_create(opinions, batch_size=BATCH, ignore_conflicts=True)
    for _ in range(40):
        services.submission_create(
            consultation=closed,
            opinions={rng.randint(1, 12): rng.choice(OPINIONS)},
            today=closed.opens_on + dt.timedelta(days=3),
        )
    for section in Section.objects.filter(consultation=closed):
        Section.objects.filter(pk=section.pk).update(
            opinion_summaries=_texts(
                "開所時間の延長を求める意見がありました。",
                "あずかる 時間を 長く して ほしい という 意見が ありました。",
                "People asked for longer opening hours.",
            ),
            city_views=_texts(
                "令和9年度から午後7時までの開所を検討します。",
                "2027年 から 午後7時 まで あける ことを 考えます。",
                "The city will consider opening until 7 p.m. from April 2027.",
            ),
            changed=bool(section.number % 2),
        )
    Consultation.objects.filter(pk=closed.pk).update(
        result_notes=_texts("第1章を修正しました。", "1章 を なおしました。", "Chapter 1 was changed."),
        result_published_at=timezone.now(),
    )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    print(
        f"set-up: {time.perf_counter() - started:.0f} s for the rows ({len(opinions):,} opinions on the large case)",
        flush=True,
    )
    return large, Consultation.objects.get(pk=closed.pk)


def journey(large: Any, count: int) -> dict[str, Any]:
    """The whole sending through the pages: form (POST) → second look (POST) → done (GET)."""
    from django.test import Client

    base = f"/public-comment/{large.uid}/opinion/"
    times = []
    for n in range(count):
        client = Client(HTTP_HOST="127.0.0.1")
        started = time.perf_counter()
        form = client.post(
            base,
            {"opinion_3": OPINIONS[n % len(OPINIONS)], "opinion_7": "賛成です。", "name": "", "address": ""},
        )
        assert form.status_code == 302, form.status_code
        sent = client.post(f"{base}confirm/", {})
        assert sent.status_code == 302, sent.status_code
        done = client.get(f"{base}done/")
        assert done.status_code == 200 and re.search(rb"PC-\d{4}-\d{6}", done.content)
        times.append((time.perf_counter() - started) * 1000)
    return {"p50": percentile(times, 50), "p95": percentile(times, 95), "max": max(times)}


def flood(large: Any, threads: int, seconds: float) -> tuple[float, int]:
    from django.db import connections

    from idx.public_comment import services

    counts = [0] * threads
    errors: list[str] = []
    stop = time.perf_counter() + seconds

    def work(index: int) -> None:
        rng = random.Random(index)  # noqa: S311
        try:
            while time.perf_counter() < stop:
                services.submission_create(
                    consultation=large,
                    opinions={rng.randint(1, 12): rng.choice(OPINIONS), rng.randint(1, 12): "賛成です。"},
                )
                counts[index] += 1
        except Exception as exc:  # noqa: BLE001
            errors.append(repr(exc))
        finally:
            connections.close_all()

    started = time.perf_counter()
    workers = [threading.Thread(target=work, args=(index,)) for index in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    elapsed = time.perf_counter() - started
    assert not errors, errors[:3]
    return sum(counts) / elapsed, sum(counts)


def receipt_gaps(municipality: Any, year: int) -> list[str]:
    from idx.public_comment.models import Submission

    numbers = sorted(
        int(number.rsplit("-", 1)[1])
        for number in Submission.objects.filter(
            municipality=municipality, receipt_number__startswith=f"PC-{year}-"
        ).values_list("receipt_number", flat=True)
    )
    problems = []
    if len(numbers) != len(set(numbers)):
        problems.append("repeated numbers")
    if numbers and numbers != list(range(numbers[0], numbers[0] + len(numbers))):
        problems.append("gaps")
    return problems


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--database-url", default=DEFAULT_DB)
    parser.add_argument("--cases", type=int, default=300)
    parser.add_argument("--submissions", type=int, default=3000)
    parser.add_argument("--requests", type=int, default=60)
    parser.add_argument("--journeys", type=int, default=60)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--seconds", type=float, default=15.0)
    args = parser.parse_args()

    os.environ["IDX_RATELIMIT_ENABLED"] = "false"  # one address sends everything here
    fresh_database(args.database_url)
    setup_django(args.database_url)
    from django.core.management import call_command
    from django.test import Client
    from django.utils import timezone

    from idx.demo.loader import MUNICIPALITIES, load_municipality
    from idx.identity.models import Department, Role
    from idx.public_comment.models import Consultation, Opinion

    call_command("migrate", verbosity=0)
    municipality, _accounts = load_municipality(MUNICIPALITIES[0])
    large, closed = fill(municipality, args)
    print(f"rows: {Consultation.objects.count():,} cases, {Opinion.objects.count():,} opinions", flush=True)
    from idx.identity.models import User

    admin = User.objects.create_user(
        municipality=municipality,
        email="bench-pc@staff.iga.example.jp",
        password=None,
        role=Role.DEPARTMENT_ADMIN,
        department=Department.objects.get(municipality=municipality, code="kodomo-katei"),
    )

    def reader(language: str) -> Any:
        client = Client(HTTP_HOST="127.0.0.1")
        client.cookies["idx_language"] = language
        return client

    staff = Client(HTTP_HOST="127.0.0.1")
    staff.force_login(admin)
    cases = {
        f"list ({args.cases + 2} cases)": (reader("ja"), "/public-comment/"),
        "case page, 12 sections (ja)": (reader("ja"), f"/public-comment/{large.uid}/"),
        "case page, 12 sections (やさしい日本語)": (reader("ja-easy"), f"/public-comment/{large.uid}/"),
        "opinion form, 12 sections": (reader("ja"), f"/public-comment/{large.uid}/opinion/"),
        "result page (ja)": (reader("ja"), f"/public-comment/{closed.uid}/result/"),
        "result page (やさしい日本語)": (reader("ja-easy"), f"/public-comment/{closed.uid}/result/"),
        "result page (en)": (reader("en"), f"/public-comment/{closed.uid}/result/"),
        "API case with sections": (reader("ja"), f"/api/v1/public-comments/{large.uid}"),
        "API result": (reader("ja"), f"/api/v1/public-comments/{closed.uid}/result"),
        "staff: opinions by section": (staff, f"/staff/public-comment/{large.uid}/comments/"),
    }
    print(f"{'case':45} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8} {'queries':>8}")
    for name, (client, path) in cases.items():
        try:
            result = timed(client, path, args.requests)
        except AssertionError as exc:
            print(f"{name:45} not measured ({exc})", flush=True)
            continue
        print(
            f"{name:45} {result['p50']:8.1f} {result['p95']:8.1f} {result['max']:8.1f} {result['queries']:8d}",
            flush=True,
        )
    result = journey(large, args.journeys)
    print(
        f"sending through the pages (form → second look → receipt, {args.journeys} sequential): "
        f"p50 {result['p50']:.1f} / p95 {result['p95']:.1f} / max {result['max']:.1f} ms",
        flush=True,
    )
    rate, total = flood(large, args.threads, args.seconds)
    problems = receipt_gaps(municipality, timezone.localdate().year)
    print(
        f"submission_create: {rate:.0f} sendings/s ({total:,} in {args.seconds:.0f} s, {args.threads} threads); "
        f"receipt numbers: {', '.join(problems) or 'no gap, no repeat'}"
    )
    assert not problems


if __name__ == "__main__":
    main()
