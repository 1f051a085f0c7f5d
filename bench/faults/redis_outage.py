#!/usr/bin/env python
"""Fault: Redis (cache, rate limits, task queues) is killed for --seconds and started again, empty.

Under a mixed load: 200 messages are enqueued just before the kill (some still in Redis when it
dies, and lost with it), 200 more are written while it is away (their tasks wait in the database),
residents keep submitting (their status notices' tasks wait too). Cron's
``idx notifications requeue`` runs every 30 s. Afterwards every message must have reached the
SMTP sink exactly once, no task may be left waiting, and no answer may have been a 500; pages and
the API must have been served by the nodes while Redis was away (asked directly, past the balancer).

    .venv/bin/python bench/faults/redis_outage.py --seconds 60
    .venv/bin/python bench/faults/redis_outage.py --seconds 300
"""

from __future__ import annotations

import sys
import threading
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _faults as f  # noqa: E402

CRON_SECONDS = 30


def run(
    topo: Any, sink: Any, *, seconds: float = 60, submitters: int = 4, browsers: int = 2
) -> tuple[f.Figures, dict[str, Any], list[str]]:
    f.django_for(topo)
    run_id = f.new_run_id()
    prepared = f.prepare(run_id, 20)
    figures = f.Figures()
    direct = f.Figures()  # the nodes asked directly, past the balancer
    node_urls = [f"http://127.0.0.1:{topo.nodes[name].port}" for name in ("portal-1", "portal-2")]
    stopping = threading.Event()

    def ask_nodes() -> None:
        paths = ["/", "/procedures/event-registration/", "/api/v1/procedures"]
        index = 0
        while not stopping.is_set():
            direct.record(f.call(node_urls[index % 2], "GET", paths[index % 3]))
            index += 1
            time.sleep(0.2)

    load = f.Load(topo.portal_url, prepared, figures, submitters, browsers).start()
    time.sleep(5)
    before = f.message_batch(run_id, "before", 200)
    topo.kill("redis")
    killed_at = time.monotonic()
    watcher = threading.Thread(target=ask_nodes, daemon=True)
    watcher.start()
    time.sleep(2)
    during = f.message_batch(run_id, "during", 200)  # parked in the database
    parked_during = f.parked_tasks()
    time.sleep(max(0.0, seconds - (time.monotonic() - killed_at)))
    stopping.set()
    watcher.join(timeout=20)
    direct_during = dict(direct.answers)
    topo.start_node("redis")
    back_at = time.monotonic()
    load.stop()  # the fan-out queue is served last: let the workers reach it (README)
    # rq's worker quits when Redis disappears under a running job; a supervisor (systemd's
    # Restart=always) starts it again. Counted, then done here as the supervisor would.
    exited = []
    for name in ("worker-1", "worker-2"):
        stat = Path(f"/proc/{topo.nodes[name].pid}/stat")
        state = stat.read_text().rsplit(")", 1)[-1].split()[0] if stat.exists() else "gone"
        if state in ("Z", "X", "gone"):  # exited (a zombie until its parent, this script, reaps it)
            exited.append(name)
            topo.start_node(name)

    def balancer_serves() -> bool:
        return f.call(topo.portal_url, "GET", "/api/v1/procedures").status == 200

    lb_back = f.wait_until(balancer_serves, timeout=30, every=0.2)
    lb_back_at = time.monotonic()
    addresses = before + during
    last_cron = 0.0
    relayed = requeued = 0

    def all_there() -> bool:
        nonlocal last_cron, relayed, requeued
        if time.monotonic() - last_cron >= CRON_SECONDS:
            last_cron = time.monotonic()
            moved, again = f.cron_requeue(60)
            relayed += moved
            requeued += again
        return sink.counts(addresses)[0] >= len(addresses)

    complete = f.wait_until(all_there, timeout=300, every=0.5)
    delivered_at = time.monotonic()

    time.sleep(3)
    load.finish()
    f.cron_requeue(60)
    time.sleep(3)
    arrived, repeated = sink.counts(addresses)
    states = f.message_states(addresses)
    submissions = f.check_submissions(load)
    problems = f.violations_of(figures, submissions)
    # /readyz answers "degraded" (200) while Redis is away, so the balancer keeps every node: its
    # own 503s are violations like any other failed request.
    for kind, count in direct_during.items():
        if kind not in ("2xx", "3xx"):
            problems.append(f"the nodes answered {count} requests {kind} while Redis was away")
    if arrived != len(addresses):
        problems.append(f"{len(addresses) - arrived} messages never arrived")
    if repeated:
        problems.append(f"{repeated} messages arrived more than once")
    left = f.parked_tasks()
    if left:
        problems.append(f"{left} tasks still waiting in the database")
    extra = {
        "message_prefix": f"{run_id}-",
        "redis_down_seconds": seconds,
        "workers_exited_and_restarted": exited,
        "messages_expected": len(addresses),
        "messages_arrived": arrived,
        "messages_duplicated": repeated,
        "message_states": states,
        "tasks_parked_during_outage": parked_during,
        "tasks_relayed_by_cron": relayed,
        "messages_requeued_by_cron": requeued,
        "seconds_redis_back_to_all_delivered": round(delivered_at - back_at, 1) if complete else None,
        "seconds_redis_back_to_balancer_serving": round(lb_back_at - back_at, 1) if lb_back else None,
        "nodes_direct_answers_during_outage": direct_during,
        "balancer_503_during_outage": figures.answers.get("503 from the balancer without retry-after", 0),
        "submissions": submissions,
    }
    return figures, extra, problems


def main() -> int:
    parser = f.parser(__doc__ or "")
    parser.add_argument("--seconds", type=float, default=60, help="how long Redis stays away")
    args = parser.parse_args()
    with f.topology_for(args) as (topo, sink):
        figures, extra, problems = run(
            topo,
            sink,
            seconds=args.seconds,
            submitters=min(args.submitters, 1),
            browsers=min(args.browsers, 2),
        )
    return f.report(
        f"redis_outage_{int(args.seconds)}s", " ".join(sys.argv), figures, extra, problems, args.json
    )


if __name__ == "__main__":
    sys.exit(main())
