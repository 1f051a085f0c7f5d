#!/usr/bin/env python
"""Submissions against their ceiling: the full API submission and a bare view, same run, same load.

Needs two servers on the benchmark database, with the same number of gunicorn sync workers
(bench/serve.sh starts both; see bench/README.md):

* the full path: ``idx serve`` (``--full-url``, default http://127.0.0.1:8100),
  ``POST /api/v1/applications/<id>/submit`` with a resident's bearer token;
* the ceiling: ``bench/ceiling`` (``--ceiling-url``, default http://127.0.0.1:8101), a Django
  project with no installed apps and no middleware whose one view validates the same procedure's
  example answers with IDX's validator and makes three inserts in one transaction.

    python bench/submit_ratio.py --rounds 5 --duration 10 --connections 16

Set-up (not timed): drafts + tokens as in bench/submit_throughput.py. Then, timed, with ``wrk``
(closed loop, ``--connections`` connections over ``--threads`` threads, a Lua script handing each
request its own draft): a warm-up of both servers, then ``--rounds`` interleaved rounds
(full, ceiling, full, ceiling, ...) of ``--duration`` s each. Each round reports rate, p50/p95/p99
and the CPU time per request of the server's workers and of PostgreSQL (``/proc/<pid>/stat``:
the gunicorn master's children; the PostgreSQL backends of the benchmark database plus its
background processes — WAL writer, checkpointer — but not backends of other databases). The ratio
is the median full rate over the median ceiling rate.

Last, an open loop of the full path at ``--open-fraction`` (default 0.5) of the ceiling's median
rate for ``--open-duration`` s (bench/_bench.py's scheduled load generator: latency counts from
the scheduled start), reporting p50/p95/p99. The database is then checked: every submission
answered 200 is submitted with its status change, audit entry and e-mail task, and the
municipality's receipt numbers of the year have no gap and no repeat.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _bench import CLK_TCK, _read, _stat, run_load, setup_django, wait_for_quiet  # noqa: E402
from submit_throughput import prepare, submit_job  # noqa: E402

DEFAULT_DB = "postgres://postgres@127.0.0.1:5432/idx_bench"
HERE = Path(__file__).resolve().parent
POSTGRES_SHARED = ("walwriter", "wal writer", "checkpointer", "background writer", "autovacuum", "logical")


def master_pid(url: str) -> int:
    """The gunicorn master listening on the URL's port (the process whose children are the workers)."""
    port = urlparse(url).port
    pidfile = Path("var/bench") / f"serve_{port}.pid"
    if pidfile.exists():
        return int(pidfile.read_text().strip())
    raise SystemExit(f"no pid file {pidfile}: start the server with bench/serve.sh")


class CpuMeter:
    """CPU seconds of a gunicorn master's workers and of PostgreSQL (this database's backends plus
    the shared background processes), sampled every 0.2 s so that short-lived pids are seen."""

    def __init__(self, master: int, database: str):
        self.master = master
        self.database = database
        self.first: dict[int, float] = {}
        self.last: dict[int, float] = {}
        self.kind: dict[int, str] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)

    def _classify(self, pid: int, ppid: int) -> str:
        if ppid == self.master:
            return "server"
        comm = _read(f"/proc/{pid}/comm").strip()
        if comm.startswith(("postgres", "postmaster")):
            cmdline = _read(f"/proc/{pid}/cmdline").replace("\0", " ")
            if f" {self.database} " in cmdline or any(word in cmdline for word in POSTGRES_SHARED):
                return "postgres"
            return "postgres (other databases)"
        return "other"

    def _sample(self, first: bool = False) -> None:
        for entry in os.listdir("/proc"):
            if not entry.isdigit():
                continue
            pid = int(entry)
            stat = _stat(pid)
            if stat is None:
                continue
            if pid not in self.kind:
                self.kind[pid] = self._classify(pid, stat[0])
                self.first[pid] = stat[1] if first else 0.0
            self.last[pid] = stat[1]

    def _loop(self) -> None:
        while not self._stop.wait(0.2):
            self._sample()

    def __enter__(self) -> CpuMeter:
        self._sample(first=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self._sample()

    def seconds(self) -> dict[str, float]:
        totals: dict[str, float] = {}
        for pid, kind in self.kind.items():
            totals[kind] = totals.get(kind, 0.0) + max(0.0, self.last[pid] - self.first[pid])
        return totals


def wrk(
    url: str, path: str, jobs_file: Path, *, threads: int, connections: int, duration: float
) -> dict[str, Any]:
    command = [
        "wrk",
        "-t",
        str(threads),
        "-c",
        str(connections),
        "-d",
        f"{max(1, round(duration))}s",
        "--timeout",
        "10s",
        "-s",
        str(HERE / "submit_ratio.lua"),
        url,
        "--",
        str(jobs_file),
        path,
        str(threads),
    ]
    done = subprocess.run(command, capture_output=True, text=True, check=False)  # noqa: S603
    output = done.stdout + done.stderr
    match = re.search(r"^WRKJSON (\{.*\})$", output, re.MULTILINE)
    if match is None:
        raise SystemExit(f"wrk printed no result:\n{output}")
    data: dict[str, Any] = json.loads(match.group(1))
    data["rate"] = data["ok"] / (data["duration_us"] / 1e6)
    return data


def closed_round(
    label: str, url: str, path: str, jobs_file: Path, master: int, database: str, args: argparse.Namespace
) -> dict[str, Any]:
    busy = wait_for_quiet()
    t0 = time.monotonic()
    cpu0 = os.times()
    with CpuMeter(master, database) as meter:
        result = wrk(
            url, path, jobs_file, threads=args.threads, connections=args.connections, duration=args.duration
        )
    elapsed = time.monotonic() - t0
    cpu = meter.seconds()
    child = os.times()
    cpu["load generator (wrk)"] = (child.children_user + child.children_system) - (
        cpu0.children_user + cpu0.children_system
    )
    cpu["other"] = max(0.0, cpu.get("other", 0.0) - cpu["load generator (wrk)"])
    n = max(1, result["ok"])
    row = {
        "label": label,
        "ok": result["ok"],
        "bad": result["bad"],
        "socket_errors": result["socket_errors"],
        "exhausted": result["exhausted"],
        "rate": round(result["rate"], 1),
        "p50_ms": round(result["p50_us"] / 1000, 1),
        "p95_ms": round(result["p95_us"] / 1000, 1),
        "p99_ms": round(result["p99_us"] / 1000, 1),
        "server_cpu_ms": round(1000 * cpu.get("server", 0.0) / n, 2),
        "postgres_cpu_ms": round(1000 * cpu.get("postgres", 0.0) / n, 2),
        "cpu_seconds": {key: round(value, 2) for key, value in sorted(cpu.items())},
        "seconds": round(elapsed, 1),
        "busy_before_pct": round(busy, 1),
    }
    row["cpu_ms"] = round(row["server_cpu_ms"] + row["postgres_cpu_ms"], 2)
    print(
        f"{label:<10} {row['rate']:>7.1f}/s  ok={row['ok']:>6} bad={row['bad']:>3} err={row['socket_errors']:>3}  "
        f"p50 {row['p50_ms']:>6.1f}  p95 {row['p95_ms']:>6.1f}  p99 {row['p99_ms']:>6.1f} ms  "
        f"CPU/req server {row['server_cpu_ms']:.2f} + postgres {row['postgres_cpu_ms']:.2f} ms  "
        f"(other {cpu.get('other', 0.0):.1f} s, other databases {cpu.get('postgres (other databases)', 0.0):.1f} s)",
        flush=True,
    )
    if result["exhausted"] and path != "/ceiling/submit":
        print("    WARNING: ran out of drafts (some requests repeated a submitted one); raise --drafts")
    return row


def verify(run_id: str, expected_ok: int, municipality_slug: str = "iga") -> dict[str, Any]:
    from django.db import connection
    from django.db.models import Count
    from django.utils import timezone
    from django_tasks_db.models import DBTaskResult

    from idx.applications.models import Application, ReceiptSequence, StatusChange
    from idx.audit.models import AuditEntry
    from idx.common.models import Municipality

    mine = Application.objects.filter(idempotency_key__startswith=f"bench-{run_id}-")
    submitted = mine.filter(status="submitted")
    ids = list(submitted.values_list("id", flat=True))
    public_ids = [str(value) for value in submitted.values_list("public_id", flat=True)]
    receipts = list(submitted.values_list("receipt_number", flat=True))
    changes = StatusChange.objects.filter(application_id__in=ids, to_status="submitted").count()
    audits = AuditEntry.objects.filter(
        action="application.submit", target_type="application", target_id__in=public_ids
    ).count()
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT count(*) FROM {DBTaskResult._meta.db_table} "  # noqa: S608
            "WHERE task_path LIKE %s AND (args_kwargs->'args'->>0)::bigint = ANY(%s)",
            ["%notify_status", ids],
        )
        tasks = cursor.fetchone()[0]
    municipality = Municipality.objects.get(slug=municipality_slug)
    year = timezone.localdate().year
    prefix = f"{municipality.receipt_prefix}-{year}-"
    numbers = sorted(
        int(value[len(prefix) :])
        for value in Application.objects.filter(
            municipality=municipality, receipt_number__startswith=prefix
        ).values_list("receipt_number", flat=True)
    )
    last = ReceiptSequence.objects.filter(municipality=municipality, year=year).values_list(
        "last_number", flat=True
    )
    checks: dict[str, Any] = {
        "drafts_by_status": dict(
            mine.values_list("status").annotate(n=Count("id")).values_list("status", "n")
        ),
        "answered_200": expected_ok,
        "submitted_in_db": len(ids),
        "receipts_unique_and_set": len(set(receipts)) == len(receipts) and None not in receipts,
        "status_changes": changes,
        "audit_entries": audits,
        "email_tasks_enqueued": tasks,
        "year_numbers_without_gap": numbers == list(range(numbers[0], numbers[0] + len(numbers)))
        and (not last or last[0] == numbers[-1]),
    }
    # wrk stops counting at the deadline; requests in flight then still complete on the server.
    checks["all_ok"] = (
        len(ids) >= expected_ok
        and len(ids) == changes == audits == tasks
        and checks["receipts_unique_and_set"]
        and checks["year_numbers_without_gap"]
    )
    return checks


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--full-url", default="http://127.0.0.1:8100")
    parser.add_argument("--ceiling-url", default="http://127.0.0.1:8101")
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_DB))
    parser.add_argument("--procedure", default="event-registration")
    parser.add_argument("--drafts", type=int, default=64000)
    parser.add_argument("--residents", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--duration", type=float, default=10.0, help="seconds per closed-loop round")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--threads", type=int, default=2, help="wrk threads")
    parser.add_argument("--warmup", type=float, default=3.0, help="seconds of warm-up per server")
    parser.add_argument(
        "--open-fraction", type=float, default=0.5, help="open loop at this share of the ceiling"
    )
    parser.add_argument("--open-duration", type=float, default=20.0)
    parser.add_argument("--procs", type=int, default=2, help="processes of the open-loop generator")
    parser.add_argument("--json", default=None, help="write the results to this file")
    args = parser.parse_args()

    setup_django(args.database_url)
    from django.db import connection

    database = urlparse(args.database_url).path.lstrip("/")
    full_master, ceiling_master = master_pid(args.full_url), master_pid(args.ceiling_url)
    run_id = uuid.uuid4().hex[:8]
    print(f"run {run_id}: preparing {args.drafts} drafts of {args.procedure} and API tokens", flush=True)
    began = time.monotonic()
    pairs = prepare(args.procedure, args.drafts, args.residents, run_id)
    print(f"  prepared in {time.monotonic() - began:.1f} s", flush=True)
    connection.close()

    workdir = Path(tempfile.mkdtemp(prefix="submit_ratio_"))
    ceiling_jobs = workdir / "ceiling.txt"
    ceiling_jobs.write_text("- -\n")
    # Each wrk run gets its own slice of drafts (wrk threads take every n-th line of it).
    budget_per_round = int(args.duration * 1000) + 500
    cursor = 0

    def jobs_file(count: int) -> Path:
        nonlocal cursor
        chosen = pairs[cursor : cursor + count]
        if not chosen:
            raise SystemExit("ran out of drafts; raise --drafts")
        cursor += count
        path = workdir / f"full_{cursor}.txt"
        path.write_text("".join(f"{public_id} {token}\n" for public_id, token in chosen))
        return path

    full_path = "/api/v1/applications/{id}/submit"
    ceiling_path = "/ceiling/submit"
    total_ok = 0
    print(f"\n== warm-up: {args.warmup:.0f} s each", flush=True)
    warm_args = argparse.Namespace(**{**vars(args), "duration": args.warmup})
    warm = closed_round(
        "full",
        args.full_url,
        full_path,
        jobs_file(int(args.warmup * 1000) + 500),
        full_master,
        database,
        warm_args,
    )
    total_ok += warm["ok"]
    closed_round("ceiling", args.ceiling_url, ceiling_path, ceiling_jobs, ceiling_master, database, warm_args)

    print(
        f"\n== {args.rounds} interleaved rounds, {args.connections} connections, {args.duration:.0f} s each",
        flush=True,
    )
    rounds: list[dict[str, Any]] = []
    for _ in range(args.rounds):
        full = closed_round(
            "full", args.full_url, full_path, jobs_file(budget_per_round), full_master, database, args
        )
        # The next rounds take three times what this one used (at least 2,000): fewer drafts to prepare.
        budget_per_round = min(budget_per_round, max(2000, int(3 * full["ok"]) + 500))
        total_ok += full["ok"]
        ceiling = closed_round(
            "ceiling", args.ceiling_url, ceiling_path, ceiling_jobs, ceiling_master, database, args
        )
        rounds += [full, ceiling]

    def median(label: str, key: str) -> float:
        return float(statistics.median(row[key] for row in rounds if row["label"] == label))

    summary = {
        label: {
            key: median(label, key)
            for key in ("rate", "p50_ms", "p95_ms", "p99_ms", "server_cpu_ms", "postgres_cpu_ms", "cpu_ms")
        }
        for label in ("full", "ceiling")
    }
    ratio = summary["full"]["rate"] / summary["ceiling"]["rate"]
    print("\n== medians of the rounds")
    for label, values in summary.items():
        print(f"  {label:<8} " + "  ".join(f"{key} {value:.2f}" for key, value in values.items()))
    print(f"  ratio full / ceiling: {ratio:.2f}")

    open_rate = args.open_fraction * summary["ceiling"]["rate"]
    print(
        f"\n== open loop: full path at {open_rate:.0f}/s ({args.open_fraction:.0%} of the ceiling), {args.open_duration:.0f} s",
        flush=True,
    )
    count = int(open_rate * args.open_duration) + 50
    chosen = pairs[cursor : cursor + count]
    cursor += count
    wait_for_quiet()
    with CpuMeter(full_master, database) as meter:
        opened = run_load(
            f"full (open loop {open_rate:.0f}/s)",
            args.full_url,
            concurrency=64,
            duration=args.open_duration,
            jobs=[submit_job(public_id, token) for public_id, token in chosen],
            procs=args.procs,
            rate=open_rate,
        )
    print(opened.line())
    cpu = meter.seconds()
    print(
        "    CPU: "
        + ", ".join(f"{key} {value:.1f} s" for key, value in sorted(cpu.items()))
        + f"; generator {opened.client_cpu:.1f} s"
    )
    total_ok += opened.ok

    print("\n== checking the database", flush=True)
    checks = verify(run_id, total_ok)
    for key, value in checks.items():
        print(f"  {key}: {value}")
    out = {
        "run": run_id,
        "args": vars(args),
        "rounds": rounds,
        "median": summary,
        "ratio": round(ratio, 3),
        "open": {**opened.summary(), "rate_scheduled": round(open_rate, 1), "cpu_seconds": cpu},
        "checks": checks,
        "clk_tck": CLK_TCK,
    }
    if args.json:
        Path(args.json).write_text(json.dumps(out, ensure_ascii=False, indent=2, default=str))
    return 0 if checks["all_ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
