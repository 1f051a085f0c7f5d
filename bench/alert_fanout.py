#!/usr/bin/env python
"""One レベル4 alert to ``--residents`` subscribed residents: how long until every in-app delivery
is written and every external send is queued, and how much memory that takes.

    python bench/alert_fanout.py --residents 100000

Set-up (not timed) in its own PostgreSQL database (``--database-url``, created and migrated when
missing): a municipality with a crisis-management department and two of its staff, one area,
and the residents, each subscribed to the area with e-mail, in bulk. Then, timed: the alert is
issued with the recorded emergency override and ``alert_fan_out`` runs as the worker runs it
(inbox rows written as delivered, e-mail rows queued, one delivery task per 200 e-mails enqueued
in the database task queue). Afterwards the script checks the counts in the database. The peak
resident memory of the process is reported before and after the fan-out: batch work must not
grow with the number of residents.
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _bench import setup_django  # noqa: E402

DEFAULT_DB = "postgres://postgres@127.0.0.1:5432/idx_bench_alerts"


def ensure_database(url: str) -> None:
    import psycopg

    name = url.rsplit("/", 1)[1]
    admin = url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin, autocommit=True) as connection:
        exists = connection.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if not exists:
            connection.execute(f'CREATE DATABASE "{name}"')


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def prepare(residents: int) -> tuple[int, int]:
    """(staff id, area id); residents made in bulk when fewer exist."""
    from django.contrib.auth.hashers import make_password
    from django.core.management import call_command

    from idx.common.models import Municipality
    from idx.identity.models import Department, Role, User
    from idx.notifications.models import Area, Subscription

    call_command("migrate", verbosity=0)
    municipality, _made = Municipality.objects.get_or_create(
        code="242161",
        defaults={
            "slug": "iga",
            "name": "伊賀市",
            "name_en": "Iga",
            "prefecture": "三重県",
            "receipt_prefix": "IGA",
            "public_url": "http://127.0.0.1:8000",
        },
    )
    department, _made = Department.objects.get_or_create(
        municipality=municipality,
        code="kiki-kanri",
        defaults={"name": "危機管理課", "name_en": "Crisis Management", "crisis_management": True},
    )
    staff, _made = User.objects.get_or_create(
        municipality=municipality,
        email="kiki-kanri@staff.iga.example.jp",
        defaults={"full_name": "危機管理課 担当", "role": Role.CLERK, "department": department},
    )
    area, _made = Area.objects.get_or_create(
        municipality=municipality, code="ueno-seibu", defaults={"name": "上野西部地区"}
    )
    existing = User.objects.filter(municipality=municipality, role=Role.RESIDENT).count()
    unusable = make_password(None)
    through = Subscription.areas.through
    step = 5000
    for start in range(existing, residents, step):
        count = min(step, residents - start)
        users = User.objects.bulk_create(
            [
                User(
                    municipality=municipality,
                    email=f"bench{index}@example.jp",
                    password=unusable,
                    full_name=f"住民 {index}",
                    role=Role.RESIDENT,
                )
                for index in range(start, start + count)
            ]
        )
        subscriptions = Subscription.objects.bulk_create(
            [Subscription(user=user, topics=["disaster"], channels=["email"]) for user in users]
        )
        through.objects.bulk_create(
            [through(subscription_id=subscription.pk, area_id=area.pk) for subscription in subscriptions]
        )
        print(f"  residents: {start + count}", flush=True)
    return staff.pk, area.pk


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default=os.environ.get("BENCH_ALERTS_DATABASE_URL", DEFAULT_DB))
    parser.add_argument("--residents", type=int, default=100_000)
    args = parser.parse_args()
    ensure_database(args.database_url)
    setup_django(args.database_url)

    from idx.identity.models import User
    from idx.notifications.alerts import alert_fan_out, alert_issue
    from idx.notifications.models import Area, Message

    print(f"preparing {args.residents} subscribed residents")
    staff_id, area_id = prepare(args.residents)
    staff = User.objects.select_related("municipality", "department").get(pk=staff_id)
    area = Area.objects.get(pk=area_id)
    texts = {
        "ja": {
            "headline": "避難指示（警戒レベル4）",
            "description": "大雨",
            "instruction": "避難してください",
        }
    }
    rss_before = peak_rss_mb()
    began = time.perf_counter()
    alert = alert_issue(
        staff=staff, kind="level4", mode="actual", areas=[area], texts=texts, emergency_override="bench"
    )
    added = alert_fan_out(alert.pk)
    elapsed = time.perf_counter() - began
    rss_after = peak_rss_mb()

    from django_tasks_db.models import DBTaskResult

    inbox = Message.objects.filter(alert=alert, channel="inbox", status="delivered").count()
    queued = Message.objects.filter(alert=alert, channel="email", status="queued").count()
    batches = DBTaskResult.objects.filter(task_path__endswith="deliver_messages").count()
    print(
        f"residents {args.residents}, rows written {added} (inbox delivered {inbox}, e-mail queued {queued})"
    )
    print(f"delivery tasks enqueued (all runs so far) {batches}")
    print(f"fan-out {elapsed:.1f} s, {added / elapsed:.0f} rows/s")
    print(f"peak RSS before {rss_before:.0f} MB, after {rss_after:.0f} MB")
    assert inbox >= args.residents and queued >= args.residents, "not every resident was reached"


if __name__ == "__main__":
    main()
