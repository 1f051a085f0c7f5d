#!/usr/bin/env python
"""Events and courses at scale (PostgreSQL): the event list, and registering and cancelling with the
waiting list under concurrency.

    python bench/events.py
    python bench/events.py --events 3000 --requests 60 --threads 4 --seconds 15

Set-up (not timed) drops and creates a database of its own, migrates, loads 伊賀市 and adds
``--events`` published events over the next 180 days (every kind and area, a tenth online, a fifth
paid, texts in ja / en / やさしい日本語) with 20,000 registrations spread over them, and 5,000
residents, with ``bulk_create`` in batches of 5,000.

Timed, in process through Django's test client (whole requests: middleware, templates): the
portal's event list (first page, a kind, an area, a search, a date range), an event page, and the
API's list. p50/p95/max in milliseconds and the queries each makes.

Then registering and cancelling: ``--threads`` threads, each with residents of its own, register
(joining the waiting list when full) for one of ``--hot`` small events (20 places, 10 waiting) and
cancel an own live registration half the time, through ``registration_create`` /
``registration_cancel`` (the event's row locked, the promotion in the same transaction, the
messages enqueued) for ``--seconds``. Operations per second, promotions, and a check of every hot
event after: places held ≤ capacity, waiting ≤ its size, nobody waiting while their places are free.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import threading
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _bench import fresh_database, percentile, setup_django, timed  # noqa: E402

DEFAULT_DB = "postgres://postgres@127.0.0.1:5432/idx_bench_events"
BATCH = 5000
TITLES = [
    ("スマホ教室（はじめての方）", "Smartphone class for beginners", "スマホ きょうしつ"),
    ("マイナンバーカード 相談会", "My Number Card help desk", "マイナンバーカード の そうだん"),
    ("防災講座「非常持ち出し袋」", "Disaster preparedness: the emergency bag", "さいがい に そなえる"),
    ("伊賀焼 陶芸体験", "Iga ware pottery", "いがやき を つくる"),
    ("親子 忍者体験", "Ninja day for parents and children", "おやこ で にんじゃ"),
    ("フレイル予防体操", "Exercises against frailty", "げんき に なる たいそう"),
    ("離乳食教室", "Baby food class", "りにゅうしょく の きょうしつ"),
    ("伊賀上野シティマラソン", "Iga-Ueno City Marathon", "いがうえの マラソン"),
]
CATEGORIES = [
    "digital_support",
    "digital_support",
    "disaster",
    "culture",
    "childcare",
    "health",
    "childcare",
    "sports",
]
AREAS = ["ueno", "iga", "shimagahara", "ayama", "oyamada", "aoyama"]


def fill(municipality: Any, args: argparse.Namespace) -> tuple[list[Any], list[Any]]:
    import datetime as dt

    from django.db import connection
    from django.utils import timezone

    from idx.events.models import Event, EventStatus, Registration, RegistrationStatus
    from idx.identity.models import Department, Role, User

    rng = random.Random(17)  # noqa: S311 - benchmark data
    started = time.perf_counter()
    departments = list(Department.objects.filter(municipality=municipality))
    residents = User.objects.bulk_create(
        [
            User(
                municipality=municipality,
                email=f"bench{n}@iga.example.jp",
                full_name=f"住民 {n}",
                role=Role.RESIDENT,
                email_verified_at=timezone.now(),
                password="!",
            )
            for n in range(5000)
        ],
        batch_size=BATCH,
    )
    now = timezone.now()
    events = []
    for n in range(args.events):
        kind = n % len(TITLES)
        starts = (now + dt.timedelta(days=1 + rng.randrange(180), hours=rng.randrange(8))).replace(
            minute=0, second=0, microsecond=0
        )
        online = n % 10 == 0
        ja, en, easy = TITLES[kind]
        events.append(
            Event(
                municipality=municipality,
                department=departments[n % len(departments)],
                titles={"ja": f"{ja}（第{n + 1}回）", "en": f"{en} ({n + 1})", "ja-easy": easy},
                descriptions={
                    "ja": f"{ja}です。どなたでも参加できます。",
                    "en": f"{en}. Everyone is welcome.",
                },
                places={} if online else {"ja": "ハイトピア伊賀 4階", "en": "Hightopia Iga, 4th floor"},
                category=CATEGORIES[kind],
                area="online" if online else AREAS[n % len(AREAS)],
                accessibility=["step_free", "sign_language"] if n % 3 == 0 else ["childcare"],
                starts_at=starts,
                ends_at=starts + dt.timedelta(hours=2),
                registration_deadline=starts - dt.timedelta(hours=12),
                cancel_deadline=starts - dt.timedelta(hours=12),
                capacity=rng.choice([10, 20, 30, 100]),
                waitlist_size=10,
                max_companions=1,
                fee=rng.choice([0, 0, 0, 0, 500]),
                online=online,
                join_base_url="https://meet.iga.example.jp/r/bench" if online else "",
                status=EventStatus.PUBLISHED,
            )
        )
    events = Event.objects.bulk_create(events, batch_size=BATCH)
    # 20,000 registrations, at most one live per resident and event, within each event's places.
    taken: dict[int, int] = {}
    seen: set[tuple[int, int]] = set()
    rows = []
    while len(rows) < min(20_000, args.events * 8):
        event = events[rng.randrange(len(events))]
        resident = residents[rng.randrange(len(residents))]
        if (event.pk, resident.pk) in seen or taken.get(event.pk, 0) + 1 > event.capacity:
            continue
        seen.add((event.pk, resident.pk))
        taken[event.pk] = taken.get(event.pk, 0) + 1
        rows.append(
            Registration(
                municipality=municipality,
                event=event,
                resident=resident,
                status=RegistrationStatus.CONFIRMED,
                payment_state="due" if event.fee else "",
            )
        )
    Registration.objects.bulk_create(rows, batch_size=BATCH)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    print(f"set-up: {time.perf_counter() - started:.0f} s for the rows", flush=True)
    return events, residents


def hot_events(municipality: Any, count: int) -> list[Any]:
    import datetime as dt

    from django.utils import timezone

    from idx.events.models import Event, EventStatus
    from idx.identity.models import Department

    department = Department.objects.filter(municipality=municipality).first()
    starts = timezone.now() + dt.timedelta(days=30)
    return [
        Event.objects.create(
            municipality=municipality,
            department=department,
            titles={"ja": f"スマホ教室（混雑 {n + 1}）"},
            category="digital_support",
            area="ueno",
            starts_at=starts,
            ends_at=starts + dt.timedelta(hours=2),
            registration_deadline=starts - dt.timedelta(days=1),
            cancel_deadline=starts - dt.timedelta(days=1),
            capacity=20,
            waitlist_size=10,
            status=EventStatus.PUBLISHED,
        )
        for n in range(count)
    ]


def churn(events: list[Any], residents: list[Any], threads: int, seconds: float) -> dict[str, Any]:
    from django.db import connections

    from idx.events import services
    from idx.events.models import LIVE, Registration

    stats = {"registered": 0, "waiting": 0, "refused": 0, "cancelled": 0}
    latencies: list[float] = []
    lock = threading.Lock()
    errors: list[str] = []
    stop = time.perf_counter() + seconds
    per_thread = len(residents) // threads

    def work(index: int) -> None:
        rng = random.Random(index)  # noqa: S311
        mine = residents[index * per_thread : (index + 1) * per_thread]
        local = {"registered": 0, "waiting": 0, "refused": 0, "cancelled": 0}
        times: list[float] = []
        try:
            while time.perf_counter() < stop:
                resident = rng.choice(mine)
                started = time.perf_counter()
                live = list(
                    Registration.objects.filter(
                        resident=resident, status__in=LIVE, event__in=events
                    ).select_related("event")[:5]
                )
                if live and rng.random() < 0.5:
                    services.registration_cancel(registration=rng.choice(live), resident=resident)
                    local["cancelled"] += 1
                else:
                    try:
                        registration = services.registration_create(
                            event=rng.choice(events), resident=resident, accept_waitlist=True
                        )
                    except services.EventRefused:
                        local["refused"] += 1
                    else:
                        local["waiting" if registration.status == "waitlisted" else "registered"] += 1
                times.append((time.perf_counter() - started) * 1000)
        except Exception as exc:  # noqa: BLE001
            errors.append(repr(exc))
        finally:
            connections.close_all()
            with lock:
                for key, value in local.items():
                    stats[key] += value
                latencies.extend(times)

    started = time.perf_counter()
    workers = [threading.Thread(target=work, args=(index,)) for index in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    elapsed = time.perf_counter() - started
    assert not errors, errors[:3]
    total = sum(stats.values())
    return {
        **stats,
        "total": total,
        "rate": total / elapsed,
        "p50": percentile(latencies, 50),
        "p95": percentile(latencies, 95),
    }


def check(events: list[Any]) -> list[str]:
    """Every hot event within its places and waiting list, and nobody waiting while their places are free."""
    from idx.events.models import Registration, RegistrationStatus
    from idx.events.services import counts_locked

    wrong = []
    for event in events:
        event.refresh_from_db()
        counts = counts_locked(event)
        if counts.confirmed > event.capacity or counts.waitlisted > event.waitlist_size:
            wrong.append(f"{event.pk}: {counts}")
        first = (
            Registration.objects.filter(event=event, status=RegistrationStatus.WAITLISTED)
            .order_by("created_at", "pk")
            .first()
        )
        if first is not None and counts.confirmed + first.seats <= event.capacity:
            wrong.append(f"{event.pk}: waiting with free places ({counts})")
    return wrong


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--database-url", default=DEFAULT_DB)
    parser.add_argument("--events", type=int, default=3000)
    parser.add_argument("--requests", type=int, default=60)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--hot", type=int, default=4, help="small events the threads register for")
    parser.add_argument("--seconds", type=float, default=15.0)
    parser.add_argument("--reuse", action="store_true", help="reuse the rows of a previous run (no set-up)")
    args = parser.parse_args()

    os.environ["IDX_RATELIMIT_ENABLED"] = "false"  # the threads are few residents registering often
    if not args.reuse:
        fresh_database(args.database_url)
    setup_django(args.database_url)
    from django.core.management import call_command
    from django.test import Client

    from idx.common.models import Municipality
    from idx.events.models import Event, Registration
    from idx.identity.models import User

    if args.reuse:
        municipality = Municipality.objects.get(slug="iga")
        residents = list(User.objects.filter(email__startswith="bench", role="resident").order_by("pk"))
    else:
        from idx.demo.loader import MUNICIPALITIES, load_municipality

        call_command("migrate", verbosity=0)
        municipality, _accounts = load_municipality(MUNICIPALITIES[0])
        _events, residents = fill(municipality, args)
    print(
        f"rows: {Event.objects.count():,} events, {Registration.objects.count():,} registrations", flush=True
    )
    public = Client(HTTP_HOST="127.0.0.1")
    resident = Client(HTTP_HOST="127.0.0.1")
    resident.force_login(residents[0])
    some = (
        Event.objects.filter(municipality=municipality, category="digital_support")
        .order_by("starts_at")
        .first()
    )
    assert some is not None
    cases = {
        "list, first page (50 of all)": (public, "/events/"),
        "list, kind デジタル活用支援": (public, "/events/?category=digital_support"),
        "list, area 阿山": (public, "/events/?area=ayama"),
        "list, search 「スマホ」": (public, "/events/?q=%E3%82%B9%E3%83%9E%E3%83%9B"),
        "list, one month, free": (public, "/events/?date_from=2027-01-01&date_to=2027-01-31&fee=free"),
        "list, signed-in resident": (resident, "/events/"),
        "event page (digital support, form)": (resident, f"/events/{some.public_id}/"),
        "API list (100)": (public, "/api/v1/events"),
        "API list, search": (public, "/api/v1/events?q=%E3%82%B9%E3%83%9E%E3%83%9B"),
    }
    print(f"{'case':45} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8} {'queries':>8}")
    for name, (client, path) in cases.items():
        result = timed(client, path, args.requests)
        print(
            f"{name:45} {result['p50']:8.1f} {result['p95']:8.1f} {result['max']:8.1f} {result['queries']:8d}",
            flush=True,
        )
    hot = hot_events(municipality, args.hot)
    result = churn(hot, residents[-400:], args.threads, args.seconds)
    promoted = Registration.objects.filter(event__in=hot, promoted_at__isnull=False).count()
    wrong = check(hot)
    print(
        f"register/cancel: {result['rate']:.0f} operations/s ({result['total']:,} in {args.seconds:.0f} s, "
        f"{args.threads} threads, {args.hot} events of 20 places + 10 waiting): {result['registered']:,} registered, "
        f"{result['waiting']:,} waiting, {result['refused']:,} refused (full or already registered), "
        f"{result['cancelled']:,} cancelled, {promoted:,} promoted; p50 {result['p50']:.1f} / p95 "
        f"{result['p95']:.1f} ms per operation; wrong events after: {len(wrong)}"
    )
    assert not wrong, wrong


if __name__ == "__main__":
    main()
