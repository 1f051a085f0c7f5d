#!/usr/bin/env python
"""Participation at scale (PostgreSQL): proposal list and proposal page, and support toggling.

    python bench/participation.py
    python bench/participation.py --proposals 10000 --comments 200000 --supports 500000 --requests 200

Set-up (not timed) drops and creates a database of its own, migrates, loads 伊賀市 and fills one
theme with ``--proposals`` proposals, ``--comments`` comments (a tenth of them replies, 1 in 200
hidden) and ``--supports`` supports from 5,000 residents, in batches of 5,000 rows with COPY-like
``bulk_create``; the kept counts are set from the rows and checked with the recount.

Timed, in process through Django's test client (whole requests: middleware, templates):
the proposal list (first page by supports, a deep page, newest first, a search), a proposal page
with many comments, as a signed-out visitor and as a signed-in resident, and the API's list.
p50/p95/max in milliseconds and the queries each makes.

Then support toggling: ``--threads`` threads, each a resident adding and withdrawing supports
through ``support_add``/``support_remove`` (real transactions, the unique constraint, the F()
count) for ``--toggle-seconds``; supports per second, and the recount must find no wrong count.
"""

from __future__ import annotations

import argparse
import random
import sys
import threading
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _bench import fresh_database, setup_django, timed  # noqa: E402

DEFAULT_DB = "postgres://postgres@127.0.0.1:5432/idx_bench_participation"
BATCH = 5000
WORDS = [
    "空き家",
    "子育て",
    "お試し住宅",
    "町家",
    "学生",
    "シェアハウス",
    "高齢者",
    "サロン",
    "工房",
    "菜園",
    "駐車場",
    "公園",
    "ベンチ",
    "日かげ",
    "図書館",
    "バス",
    "通学路",
    "見守り",
    "観光",
    "忍者",
]


def fill(municipality: Any, args: argparse.Namespace) -> tuple[Any, list[Any]]:
    import datetime as dt

    from django.db import connection
    from django.utils import timezone

    from idx.identity.models import Department, Role, User
    from idx.participation import services
    from idx.participation.models import Comment, Process, Proposal, Support

    rng = random.Random(17)  # noqa: S311 - benchmark data
    department = Department.objects.get(municipality=municipality, code="shimin-seikatsu")
    admin = User.objects.create_user(
        municipality=municipality,
        email="bench-admin@staff.iga.example.jp",
        password=None,
        role=Role.DEPARTMENT_ADMIN,
        department=department,
    )
    today = timezone.localdate()
    process = services.process_create(
        staff=admin,
        department=department,
        slug="bench",
        titles={"ja": "ベンチマークのテーマ"},
        descriptions={"ja": "負荷試験"},
        phases=[("proposals", today - dt.timedelta(days=30), today + dt.timedelta(days=30), {})],
        supports_per_resident=0,
    )
    services.process_publish(staff=admin, process=process)
    process = Process.objects.get(pk=process.pk)
    started = time.perf_counter()
    residents = [
        User(
            municipality=municipality,
            email=f"bench{n}@iga.example.jp",
            full_name=f"住民 {n}",
            role=Role.RESIDENT,
            email_verified_at=timezone.now(),
            password="!",
        )
        for n in range(5000)
    ]
    residents = User.objects.bulk_create(residents, batch_size=BATCH)
    proposals = [
        Proposal(
            municipality=municipality,
            process=process,
            number=n + 1,
            author=residents[n % len(residents)],
            title=f"{rng.choice(WORDS)}と{rng.choice(WORDS)}について（{n + 1}）",
            body="。".join(rng.choice(WORDS) + "を良くしたいです" for _ in range(8)),
            language="ja",
        )
        for n in range(args.proposals)
    ]
    proposals = Proposal.objects.bulk_create(proposals, batch_size=BATCH)
    # Supports: distinct (proposal, resident) pairs, skewed towards the first proposals.
    seen: set[tuple[int, int]] = set()
    batch: list[Support] = []
    made = 0
    while made < args.supports:
        proposal = proposals[
            min(int(rng.paretovariate(1.2)) - 1, len(proposals) - 1)
            if rng.random() < 0.3
            else rng.randrange(len(proposals))
        ]
        resident = residents[rng.randrange(len(residents))]
        key = (proposal.pk, resident.pk)
        if key in seen:
            continue
        seen.add(key)
        batch.append(
            Support(municipality=municipality, process=process, proposal=proposal, resident=resident)
        )
        made += 1
        if len(batch) >= BATCH:
            Support.objects.bulk_create(batch)
            batch = []
    if batch:
        Support.objects.bulk_create(batch)
    # Comments: the busiest proposal gets 2,000, the rest spread over the others.
    tops: list[Comment] = []
    batch_c: list[Comment] = []
    for n in range(args.comments):
        proposal = proposals[0] if n < 2000 else proposals[rng.randrange(len(proposals))]
        batch_c.append(
            Comment(
                municipality=municipality,
                proposal=proposal,
                author=residents[rng.randrange(len(residents))],
                body=f"{rng.choice(WORDS)}について賛成です。{n}",
                language="ja",
                visibility="hidden" if n % 200 == 0 else "visible",
                hidden_reason="規約違反" if n % 200 == 0 else "",
            )
        )
        if len(batch_c) >= BATCH:
            tops += Comment.objects.bulk_create(batch_c)[:50]
            batch_c = []
    if batch_c:
        Comment.objects.bulk_create(batch_c)
    replies = [
        Comment(
            municipality=municipality,
            proposal_id=parent.proposal_id,
            parent=parent,
            author=residents[rng.randrange(len(residents))],
            body="返信です",
            language="ja",
        )
        for parent in tops
    ]
    Comment.objects.bulk_create(replies, batch_size=BATCH)
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE participation_proposal p SET support_count = s.n FROM "
            "(SELECT proposal_id, count(*) n FROM participation_support GROUP BY proposal_id) s WHERE s.proposal_id = p.id"
        )
        cursor.execute(
            "UPDATE participation_proposal p SET comment_count = c.n FROM "
            "(SELECT proposal_id, count(*) n FROM participation_comment GROUP BY proposal_id) c WHERE c.proposal_id = p.id"
        )
        cursor.execute("ANALYZE")
    print(f"set-up: {time.perf_counter() - started:.0f} s for the rows", flush=True)
    return process, residents


def toggling(process: Any, residents: list[Any], threads: int, seconds: float) -> tuple[float, int]:
    from django.db import connections

    from idx.participation import services
    from idx.participation.models import Proposal

    # As the pages and the API find them: the proposal with its theme, the theme with its phases.
    targets = list(
        Proposal.objects.filter(process=process)
        .select_related("process")
        .prefetch_related("process__phases")
        .order_by("-support_count")[:20]
    )
    counts = [0] * threads
    stop = time.perf_counter() + seconds
    errors: list[str] = []

    def work(index: int) -> None:
        rng = random.Random(index)  # noqa: S311
        resident = residents[-(index + 1)]
        try:
            while time.perf_counter() < stop:
                proposal = rng.choice(targets)
                try:
                    services.support_add(proposal=proposal, resident=resident)
                except services.ParticipationRefused:
                    services.support_remove(proposal=proposal, resident=resident)
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
    assert not errors, errors
    return sum(counts) / elapsed, sum(counts)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--database-url", default=DEFAULT_DB)
    parser.add_argument("--proposals", type=int, default=10_000)
    parser.add_argument("--comments", type=int, default=200_000)
    parser.add_argument("--supports", type=int, default=500_000)
    parser.add_argument("--requests", type=int, default=100)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--toggle-seconds", type=float, default=10.0)
    parser.add_argument(
        "--reuse",
        action="store_true",
        help="reuse the rows of a previous run (no set-up); time everything again",
    )
    args = parser.parse_args()

    if not args.reuse:
        fresh_database(args.database_url)
    setup_django(args.database_url)
    from django.core.management import call_command
    from django.test import Client

    from idx.identity.models import User
    from idx.participation.models import Comment, Process, Proposal, Support
    from idx.participation.selectors import support_counts_verify

    if args.reuse:
        process = Process.objects.get(slug="bench")
        residents = list(User.objects.filter(email__startswith="bench", role="resident").order_by("pk"))
    else:
        from idx.demo.loader import MUNICIPALITIES, load_municipality

        call_command("migrate", verbosity=0)
        municipality, _accounts = load_municipality(MUNICIPALITIES[0])
        process, residents = fill(municipality, args)
    print(
        f"rows: {Proposal.objects.count():,} proposals, {Comment.objects.count():,} comments, "
        f"{Support.objects.count():,} supports",
        flush=True,
    )
    assert support_counts_verify(process=process) == []
    public = Client(HTTP_HOST="127.0.0.1")
    resident = Client(HTTP_HOST="127.0.0.1")
    resident.force_login(residents[0])
    busiest = Proposal.objects.filter(process=process).order_by("-comment_count").first()
    assert busiest is not None
    cases = {
        "list, by supports (page 1)": (public, "/participation/bench/"),
        "list, by supports (page 250)": (public, "/participation/bench/?sort=supports&page=250"),
        "list, newest first (page 1)": (public, "/participation/bench/?sort=newest"),
        "list, search 「空き家」": (public, "/participation/bench/?q=%E7%A9%BA%E3%81%8D%E5%AE%B6"),
        "list, signed-in resident": (resident, "/participation/bench/"),
        f"proposal page ({busiest.comment_count:,} comments)": (
            public,
            f"/participation/bench/{busiest.number}/",
        ),
        "proposal page, signed-in resident": (resident, f"/participation/bench/{busiest.number}/"),
        "proposal page, typical": (public, f"/participation/bench/{args.proposals // 2}/"),
        "API list": (public, "/api/v1/participation/processes/bench/proposals"),
        "API comments (page 1)": (
            public,
            f"/api/v1/participation/processes/bench/proposals/{busiest.number}/comments",
        ),
    }
    print(f"{'case':45} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8} {'queries':>8}")
    for name, (client, path) in cases.items():
        result = timed(client, path, args.requests)
        print(
            f"{name:45} {result['p50']:8.1f} {result['p95']:8.1f} {result['max']:8.1f} {result['queries']:8d}",
            flush=True,
        )
    rate, total = toggling(process, residents, args.threads, args.toggle_seconds)
    wrong = support_counts_verify(process=process)
    print(
        f"support toggling: {rate:.0f}/s ({total:,} toggles, {args.threads} threads); wrong counts after: {len(wrong)}"
    )


if __name__ == "__main__":
    main()
