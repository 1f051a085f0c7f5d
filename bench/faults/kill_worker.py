#!/usr/bin/env python
"""Fault: a task worker is killed (SIGKILL) in the middle of a batch of messages, and started again.

600 e-mail messages are written and enqueued in batches of 50 (as an alert's fan-out is) while
residents submit and browse; when a quarter has reached the SMTP sink, worker-1 is killed; it is
started again 3 s later, and ``idx notifications requeue --stuck-seconds 90`` runs every 10 s as
cron would. Every message must reach the sink exactly once. About 60 s plus the start.

    .venv/bin/python bench/faults/kill_worker.py [--messages 600]
"""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _faults as f  # noqa: E402

STUCK_SECONDS = 90


def run(
    topo: Any, sink: Any, *, messages: int = 600, submitters: int = 3, browsers: int = 2
) -> tuple[f.Figures, dict[str, Any], list[str]]:
    f.django_for(topo)
    run_id = f.new_run_id()
    prepared = f.prepare(run_id, 10)
    figures = f.Figures()
    load = f.Load(topo.portal_url, prepared, figures, submitters, browsers).start()
    began = time.monotonic()
    addresses = f.message_batch(run_id, "m", messages)
    f.wait_until(lambda: sink.counts(addresses)[0] >= messages // 4, timeout=60, every=0.05)
    delivered_at_kill = sink.counts(addresses)[0]
    killed_at = time.monotonic()
    topo.kill("worker-1")
    states_at_kill = f.message_states(addresses)
    time.sleep(3)
    topo.start_node("worker-1")
    # The residents stop here: the workers take the queues in a fixed order (default, email, …,
    # fanout), so under a steady stream of submissions a fan-out waits (bench/faults/README.md).
    load.stop()
    last_cron = 0.0
    requeued = 0

    def all_there() -> bool:
        nonlocal last_cron, requeued
        if time.monotonic() - last_cron >= 10:
            last_cron = time.monotonic()
            requeued += f.cron_requeue(STUCK_SECONDS)[1]
        return (
            sink.counts(addresses)[0] >= messages
            and f.message_states(addresses).get("delivered", 0) >= messages
        )

    complete = f.wait_until(all_there, timeout=300, every=0.5)
    finished_at = time.monotonic()
    time.sleep(2)  # anything sent twice would arrive now
    load.finish()
    arrived, repeated = sink.counts(addresses)
    states = f.message_states(addresses)
    submissions = f.check_submissions(load)
    problems = f.violations_of(figures, submissions)
    if arrived != messages:
        problems.append(f"{messages - arrived} messages never arrived")
    if repeated:
        problems.append(f"{repeated} messages arrived more than once")
    if states.get("delivered", 0) != messages:
        problems.append(f"message states {states}")
    extra = {
        "message_prefix": f"{run_id}-",
        "messages_expected": messages,
        "messages_delivered_at_kill": delivered_at_kill,
        "message_states_at_kill": states_at_kill,
        "messages_arrived": arrived,
        "messages_duplicated": repeated,
        "message_states": states,
        "requeued_by_cron": requeued,
        "seconds_kill_to_all_delivered": round(finished_at - killed_at, 1) if complete else None,
        "seconds_batch_total": round(finished_at - began, 1) if complete else None,
        "submissions": submissions,
    }
    return figures, extra, problems


def main() -> int:
    parser = f.parser(__doc__ or "")
    parser.add_argument("--messages", type=int, default=600)
    args = parser.parse_args()
    with f.topology_for(args) as (topo, sink):
        figures, extra, problems = run(
            topo,
            sink,
            messages=args.messages,
            submitters=min(args.submitters, 1),
            browsers=min(args.browsers, 1),
        )
    return f.report("kill_worker", " ".join(sys.argv), figures, extra, problems, args.json)


if __name__ == "__main__":
    sys.exit(main())
