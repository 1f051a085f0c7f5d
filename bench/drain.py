#!/usr/bin/env python
"""How fast queued external sends drain: ``--messages`` LINE pushes, ``--workers`` task workers,
a local LINE stand-in that answers at once (what LINE's API answers, checked as in the tests).

    python bench/drain.py --messages 20000 --workers 2

Set-up (not timed), in a PostgreSQL database of its own (no other queued tasks): the messages are written as
queued rows with ``insert_messages`` and enqueued 200 per task, as an alert's fan-out does. Then
the workers (``db_worker``, what ``idx worker`` runs) are started and the clock runs until every
message is delivered. The stand-in counts the pushes it accepted; the script checks that each
message arrived exactly once.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from _bench import setup_django  # noqa: E402

DEFAULT_DB = "postgres://postgres@127.0.0.1:5432/idx_bench_drain"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default=os.environ.get("BENCH_ALERTS_DATABASE_URL", DEFAULT_DB))
    parser.add_argument("--messages", type=int, default=20_000)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    from alert_fanout import ensure_database, prepare

    ensure_database(args.database_url)
    setup_django(args.database_url)
    prepare(0)  # the municipality, its crisis-management staff and an area; no residents
    from django.utils import timezone
    from tests.notifications.conftest import LineServer

    from idx.common.models import Municipality
    from idx.notifications.bulk import insert_messages, message_row
    from idx.notifications.models import Message
    from idx.notifications.services import enqueue_batch

    municipality = Municipality.objects.get(code="242161")
    run = str(int(time.time()))
    line = LineServer(token="bench-token")
    threading.Thread(target=line.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    now = timezone.now()
    with __import__("django.db", fromlist=["transaction"]).transaction.atomic():
        insert_messages(
            message_row(
                municipality_id=municipality.pk,
                now=now,
                recipient_id=None,  # type: ignore[arg-type]
                channel="line",
                address="U" + format(index, "032x"),
                purpose="bench",
                topic="",
                subject="避難指示",
                body="避難してください。",
                language="ja",
                emergency=True,
                idempotency_key=f"bench:{run}:{index}",
                delivered=False,
            )
            for index in range(args.messages)
        )
    ids = list(
        Message.objects.filter(idempotency_key__startswith=f"bench:{run}:").values_list("pk", flat=True)
    )
    for start in range(0, len(ids), 200):
        enqueue_batch(ids[start : start + 200])
    env = dict(os.environ)
    env.update(
        {
            "DATABASE_URL": args.database_url,
            "DJANGO_SETTINGS_MODULE": "idx.settings.dev",
            "IDX_DEBUG": "false",
            "IDX_TASK_BACKEND": "database",
            "IDX_LINE_API_BASE": f"http://127.0.0.1:{line.server_address[1]}",
            "IDX_LINE_CHANNEL_ACCESS_TOKEN": "bench-token",
        }
    )
    print(f"{len(ids)} messages queued; starting {args.workers} workers")
    began = time.perf_counter()
    workers = [
        subprocess.Popen(  # noqa: S603
            [
                sys.executable,
                "-m",
                "django",
                "db_worker",
                "--queue-name",
                "*",
                "--batch",
                "--no-startup-delay",
            ],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for _ in range(args.workers)
    ]
    pending = Message.objects.filter(idempotency_key__startswith=f"bench:{run}:").exclude(status="delivered")
    while pending.exists() and any(worker.poll() is None for worker in workers):
        time.sleep(0.25)
    elapsed = time.perf_counter() - began
    for worker in workers:
        worker.wait(timeout=60)
    left = pending.count()
    accepted = len(line.pushes)
    print(
        f"delivered {len(ids) - left} of {len(ids)} in {elapsed:.1f} s: {(len(ids) - left) / elapsed:.0f} messages/s"
    )
    print(f"LINE stand-in accepted {accepted} pushes, refused {len(line.rejected)}")
    assert left == 0 and accepted == len(ids), "not every message was delivered exactly once"


if __name__ == "__main__":
    main()
