#!/usr/bin/env python
"""Fault: PostgreSQL is killed (SIGKILL) under a mixed load and started again after --down seconds.

While it is away every request must answer 503 with ``Retry-After`` (IDX's own answer, or the
balancer's once its health checks took the nodes out), never a 500; when it is back the nodes
must answer again by themselves. Submissions that failed are retried with their idempotency key
and exist exactly once. About 40 s plus the start.

    .venv/bin/python bench/faults/restart_postgres.py [--down 10]
"""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _faults as f  # noqa: E402


def run(
    topo: Any, sink: Any, *, down: float = 10, submitters: int = 6, browsers: int = 3
) -> tuple[f.Figures, dict[str, Any], list[str]]:
    f.django_for(topo)
    prepared = f.prepare(f.new_run_id(), 20)
    figures = f.Figures()
    load = f.Load(topo.portal_url, prepared, figures, submitters, browsers).start()
    time.sleep(8)
    killed_at = time.monotonic()
    topo.kill("postgres")
    time.sleep(down)
    topo.start_node("postgres")
    back_at = time.monotonic()

    def answering() -> bool:
        answer = f.call(topo.portal_url, "GET", "/api/v1/procedures")
        return answer.status == 200

    recovered = f.wait_until(answering, timeout=60, every=0.2)
    recovered_at = time.monotonic()
    time.sleep(8)
    load.stop()
    f.reconnect()
    load.finish()
    submissions = f.check_submissions(load)
    problems = f.violations_of(figures, submissions)
    if not recovered:
        problems.append("the portal did not answer within 60 s of PostgreSQL being back")
    while_down = [kind for at, kind in figures.failures if killed_at <= at < back_at]
    extra = {
        "database_down_seconds": down,
        "seconds_to_first_200_after_database_back": round(recovered_at - back_at, 1) if recovered else None,
        "last_failure_after_database_back_seconds": f.recovery_after(figures, back_at),
        "failures_while_down_by_kind": dict(f.Counter(while_down)),
        "submissions": submissions,
    }
    return figures, extra, problems


def main() -> int:
    parser = f.parser(__doc__ or "")
    parser.add_argument("--down", type=float, default=10, help="seconds PostgreSQL stays down")
    args = parser.parse_args()
    with f.topology_for(args) as (topo, sink):
        figures, extra, problems = run(
            topo, sink, down=args.down, submitters=args.submitters, browsers=args.browsers
        )
    return f.report("restart_postgres", " ".join(sys.argv), figures, extra, problems, args.json)


if __name__ == "__main__":
    sys.exit(main())
