#!/usr/bin/env python
"""Fault: a portal node is killed (SIGKILL) under a mixed load, and started again.

The balancer must route around it (HAProxy's health checks and its retry of what failed to
connect); every submission answered 2xx exists exactly once; the others are retried by the
residents' clients with the same idempotency key and get through. About 45 s plus the start.

    .venv/bin/python bench/faults/kill_web_node.py [--down 15]
"""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _faults as f  # noqa: E402


def run(
    topo: Any, sink: Any, *, down: float = 15, submitters: int = 6, browsers: int = 3
) -> tuple[f.Figures, dict[str, Any], list[str]]:
    f.django_for(topo)
    prepared = f.prepare(f.new_run_id(), 20)
    figures = f.Figures()
    load = f.Load(topo.portal_url, prepared, figures, submitters, browsers).start()
    time.sleep(8)
    killed_at = time.monotonic()
    topo.kill("portal-1")
    time.sleep(down)
    topo.start_node("portal-1")
    restarted_at = time.monotonic()
    time.sleep(8)
    load.stop()
    load.finish()
    submissions = f.check_submissions(load)
    problems = f.violations_of(figures, submissions)
    # Routed around: the failures a client sees are the requests in flight on the killed node and
    # those sent before the health checks ("inter 1s fall 2") took it out: none 5 s after the kill.
    routed = f.recovery_after(figures, killed_at)
    late = [kind for at, kind in figures.failures if killed_at + 5 < at < restarted_at]
    if late:
        problems.append(f"{len(late)} requests failed more than 5 s after the kill ({dict(f.Counter(late))})")
    extra = {
        "node_down_seconds": down,
        "last_failure_after_kill_seconds": routed,
        "failures_while_down": sum(1 for at, _ in figures.failures if killed_at <= at < restarted_at),
        "submissions": submissions,
    }
    return figures, extra, problems


def main() -> int:
    parser = f.parser(__doc__ or "")
    parser.add_argument("--down", type=float, default=15, help="seconds the node stays dead")
    args = parser.parse_args()
    with f.topology_for(args) as (topo, sink):
        figures, extra, problems = run(
            topo, sink, down=args.down, submitters=args.submitters, browsers=args.browsers
        )
    return f.report("kill_web_node", " ".join(sys.argv), figures, extra, problems, args.json)


if __name__ == "__main__":
    sys.exit(main())
