#!/usr/bin/env python
"""Load tests of IDX on the reference topology (or on a server already running), with CPU per request.

    # start the reference topology (deploy/topology.py, seeded), prepare, run both scenarios, stop
    .venv/bin/python bench/load/run.py --scenario both --json var/load/result.json

    # a topology started before (``deploy/topology.py start --workdir W``), left running
    .venv/bin/python bench/load/run.py --attach W --scenario mixed

    # any running server: its database environment (DATABASE_URL, DJANGO_SETTINGS_MODULE,
    # IDX_SECRET_KEY, ...) in this process's environment, for the set-up and the check
    .venv/bin/python bench/load/run.py --target http://127.0.0.1:8000 --scenario mixed

Steps: ``prepare.py`` (residents, tokens, pending payments; see there), then Locust headless
(``--headless -u N -r R -t T --csv``) on ``locustfile.py``, while a sampler reads every second the
CPU time (utime + stime from /proc/<pid>/stat, plus the CPU of children reaped meanwhile, so that
PostgreSQL backends and gunicorn workers that end are counted) of every process, grouped as web
(portal and back-office nodes), worker, PostgreSQL, HAProxy, Redis, S3, load generator and other.
Then per endpoint (Locust's CSV): requests, failures, req/s, p50/p95/p99; the CPU seconds per group,
CPU per request (total, web, PostgreSQL) and per endpoint class.

CPU per class in the mixed run is apportioned by each class's share of the summed response times
(an estimate); ``--isolate S`` instead runs every class of the mixed workload alone for S seconds
and divides each run's CPU by its requests (a measurement). The surge scenario is one class anyway.

Surge: ``--surge-rate`` applications per second (households, each applying once: start, answers,
submit) for ``--surge-duration`` seconds; afterwards the database is checked: every 2xx answer to a
submission is exactly one submitted application (``prepare.py --verify``).
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
PYTHON = sys.executable
LOCUST = str(Path(sys.executable).parent / "locust")
CLK_TCK = os.sysconf("SC_CLK_TCK")
MIXED_CLASSES = ["Browser", "Applicant", "Asker", "Payer", "Clerk", "PaymentWebhook"]
CLASS_OF_USER = {
    "Browser": "browse",
    "Applicant": "apply",
    "Asker": "assist",
    "Payer": "pay",
    "Clerk": "staff",
    "PaymentWebhook": "webhook",
    "SurgeApplicant": "surge",
}
SERVER_GROUPS = ("web", "worker", "postgres", "haproxy", "redis", "s3")

# ---- CPU sampling ---------------------------------------------------------------------------------


def _read(path: str) -> str:
    try:
        with open(path, "rb") as handle:
            return handle.read().decode(errors="replace")
    except OSError:
        return ""


def _stat(pid: int) -> tuple[int, float, float] | None:
    """(process group, own CPU seconds, CPU seconds of reaped children) of a process."""
    text = _read(f"/proc/{pid}/stat")
    if not text:
        return None
    rest = text[text.rfind(")") + 2 :].split()
    own = (int(rest[11]) + int(rest[12])) / CLK_TCK
    children = (int(rest[13]) + int(rest[14])) / CLK_TCK
    return int(rest[2]), own, children


def _busy() -> tuple[float, float]:
    values = [int(value) for value in _read("/proc/stat").splitlines()[0].split()[1:]]
    idle = values[3] + values[4]
    return (sum(values) - idle) / CLK_TCK, sum(values) / CLK_TCK


@dataclass
class Seen:
    group: str
    own0: float
    own: float
    children0: float
    children: float
    alive: bool = True


@dataclass
class CpuSampler:
    """CPU seconds per group of processes over a run: ``groups`` maps a process group id to a group
    name (the topology's nodes each lead one); ``classify`` names the others by their command line."""

    groups: dict[int, str] = field(default_factory=dict)
    load_generator: int | None = None
    interval: float = 1.0
    seen: dict[int, Seen] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)
        self._busy0 = self._busy1 = (0.0, 0.0)
        self._t0 = self._t1 = 0.0
        self._lock = threading.Lock()
        self._own = os.getpid()

    def classify(self, pid: int, pgid: int) -> str:
        if self.load_generator and pgid == self.load_generator:
            return "load generator"
        if pgid in self.groups:
            return self.groups[pgid]
        if pid == self._own:
            return "load generator"  # this script
        if self.groups:
            # The topology's processes are known by their process groups: anything else (another
            # server, another PostgreSQL on this machine) is not the system under test.
            return "other"
        command = _read(f"/proc/{pid}/cmdline").replace("\0", " ")
        comm = _read(f"/proc/{pid}/comm").strip()
        if "locust" in command:
            return "load generator"
        if comm.startswith(("postgres", "postmaster")):
            return "postgres"
        if "gunicorn" in command or "idx serve" in command or "idx.cli serve" in command:
            return "web"
        if (
            "rqworker" in command
            or "idx worker" in command
            or "idx.cli worker" in command
            or "db_worker" in command
        ):
            return "worker"
        if comm.startswith("haproxy"):
            return "haproxy"
        if comm.startswith("redis"):
            return "redis"
        return "other"

    def group_cpu(self, group: str) -> float:
        """The CPU seconds the live processes of ``group`` have used so far (to see it go quiet)."""
        self.sample()
        with self._lock:
            return sum(
                known.own + known.children
                for known in self.seen.values()
                if known.group == group and known.alive
            )

    def settle(self, group: str = "worker", busy: float = 0.05, longest: float = 30.0) -> float:
        """Wait until ``group`` uses under ``busy`` cores (the task backlog a run left is done); seconds waited."""
        began = time.monotonic()
        before = self.group_cpu(group)
        while time.monotonic() - began < longest:
            time.sleep(1.0)
            now = self.group_cpu(group)
            if now - before < busy:
                break
            before = now
        return time.monotonic() - began

    def sample(self, first: bool = False) -> None:
        with self._lock:
            self._sample(first)

    def _sample(self, first: bool = False) -> None:
        alive = set()
        for entry in os.listdir("/proc"):
            if not entry.isdigit():
                continue
            pid = int(entry)
            stat = _stat(pid)
            if stat is None:
                continue
            pgid, own, children = stat
            alive.add(pid)
            known = self.seen.get(pid)
            if known is None:
                # Born during the run: all its CPU is the run's.
                start_own, start_children = (own, children) if first else (0.0, 0.0)
                self.seen[pid] = Seen(self.classify(pid, pgid), start_own, own, start_children, children)
            else:
                known.own, known.children = own, children
        for pid, known in self.seen.items():
            if pid not in alive:
                known.alive = False

    def _loop(self) -> None:
        while not self._stop.wait(self.interval):
            self.sample()

    def start(self) -> None:
        self._t0 = time.monotonic()
        self._busy0 = _busy()
        self.sample(first=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()
        self.sample()
        self._busy1 = _busy()
        self._t1 = time.monotonic()

    def report(self) -> dict[str, Any]:
        """CPU seconds per group. A process that ended was reaped by its parent (a postmaster, a
        gunicorn master: same group), whose children's CPU then holds its whole life: so the ended
        one counts only through its parent, minus what it had used before the run began."""
        cpu: dict[str, float] = {}
        for known in self.seen.values():
            if known.alive:
                value = (known.own - known.own0) + (known.children - known.children0)
            else:
                # Its parent's children's CPU grew by all it and its own reaped children ever used.
                value = -(known.own0 + known.children0)
            cpu[known.group] = cpu.get(known.group, 0.0) + value
        busy = self._busy1[0] - self._busy0[0]
        total = self._busy1[1] - self._busy0[1]
        return {
            "cpu_seconds": {group: round(max(0.0, value), 2) for group, value in sorted(cpu.items())},
            "machine_busy_pct": round(100 * busy / total, 1) if total else None,
            "machine_cpu_seconds": round(busy, 1),
            "seconds": round(self._t1 - self._t0, 2),
        }


# ---- Locust ------------------------------------------------------------------------------------


def locust(
    data: Path,
    prefix: Path,
    *,
    scenario: str,
    users: int,
    spawn_rate: float,
    seconds: int,
    sampler: CpuSampler,
    extra_env: dict[str, str] | None = None,
) -> tuple[list[dict[str, Any]], dict[str, Any], float]:
    """Run Locust headless; (rows of its stats CSV, the sampler's report, wall seconds)."""
    env = {
        **os.environ,
        "IDX_LOAD_DATA": str(data),
        "IDX_LOAD_SCENARIO": scenario,
        **(extra_env or {}),
    }
    prefix.parent.mkdir(parents=True, exist_ok=True)
    command = [
        LOCUST,
        "-f",
        str(HERE / "locustfile.py"),
        "--headless",
        "-u",
        str(users),
        "-r",
        str(spawn_rate),
        "-t",
        f"{seconds}s",
        "--csv",
        str(prefix),
        "--only-summary",
        "--stop-timeout",
        "10",
        "--loglevel",
        "WARNING",
        "--exit-code-on-error",
        "0",
    ]
    began = time.monotonic()
    with open(f"{prefix}.log", "wb") as log:
        process = subprocess.Popen(  # noqa: S603
            command, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
        sampler.load_generator = process.pid
        sampler.start()
        try:
            process.wait(timeout=seconds + 120)
            # The tasks the requests enqueued are part of their cost: wait for the workers to finish them.
            sampler.settle()
        finally:
            sampler.stop()
    elapsed = time.monotonic() - began
    if process.returncode != 0:
        raise SystemExit(f"locust failed ({process.returncode}); see {prefix}.log")
    with open(f"{prefix}_stats.csv", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    return rows, sampler.report(), elapsed


def endpoint_rows(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    out = []
    for row in rows:
        if row["Name"] == "Aggregated":
            continue
        count = int(row["Request Count"])
        out.append(
            {
                "name": row["Name"],
                "class": row["Name"].split("]")[0].lstrip("[") if row["Name"].startswith("[") else "other",
                "requests": count,
                "failures": int(row["Failure Count"]),
                "rps": float(row["Requests/s"]),
                "p50": float(row["50%"] or 0),
                "p95": float(row["95%"] or 0),
                "p99": float(row["99%"] or 0),
                "avg": float(row["Average Response Time"] or 0),
            }
        )
    return out


def net_of_idle(report: dict[str, Any], idle: dict[str, float] | None) -> dict[str, float]:
    """The run's CPU seconds per group less what the idle topology uses in as long (health checks,
    workers polling, the audit sealer): what the requests cost."""
    gross: dict[str, float] = report["cpu_seconds"]
    if not idle:
        return dict(gross)
    return {
        group: round(max(0.0, value - idle.get(group, 0.0) * report["seconds"]), 2)
        if group in SERVER_GROUPS
        else value
        for group, value in gross.items()
    }


def summarise(
    label: str,
    rows: list[dict[str, Any]],
    report: dict[str, Any],
    elapsed: float,
    seconds: int,
    idle: dict[str, float] | None = None,
) -> dict[str, Any]:
    endpoints = endpoint_rows(rows)
    total = next((row for row in rows if row["Name"] == "Aggregated"), None)
    requests = sum(row["requests"] for row in endpoints)
    failures = sum(row["failures"] for row in endpoints)
    cpu = net_of_idle(report, idle)
    report = {**report, "net_cpu_seconds": cpu, "idle_cpu_per_s": idle or {}}
    server = sum(cpu.get(group, 0.0) for group in SERVER_GROUPS)
    per_class: dict[str, dict[str, float]] = {}
    weight_total = sum(row["avg"] * row["requests"] for row in endpoints) or 1.0
    for row in endpoints:
        entry = per_class.setdefault(row["class"], {"requests": 0, "time": 0.0})
        entry["requests"] += row["requests"]
        entry["time"] += row["avg"] * row["requests"]
    classes = {}
    for name, entry in sorted(per_class.items()):
        share = entry["time"] / weight_total
        count = max(1, entry["requests"])
        classes[name] = {
            "requests": entry["requests"],
            "web_ms_per_request": round(1000 * cpu.get("web", 0.0) * share / count, 2),
            "db_ms_per_request": round(1000 * cpu.get("postgres", 0.0) * share / count, 2),
            "worker_ms_per_request": round(1000 * cpu.get("worker", 0.0) * share / count, 2),
            "server_ms_per_request": round(1000 * server * share / count, 2),
        }
    return {
        "label": label,
        "seconds": seconds,
        "wall_seconds": round(elapsed, 1),
        "requests": requests,
        "failures": failures,
        "rps": round(float(total["Requests/s"]), 1) if total else 0.0,
        "p50": float(total["50%"]) if total else 0.0,
        "p95": float(total["95%"]) if total else 0.0,
        "p99": float(total["99%"]) if total else 0.0,
        "endpoints": endpoints,
        "cpu": report,
        "cpu_ms_per_request": {
            "server": round(1000 * server / max(1, requests), 2),
            "web": round(1000 * cpu.get("web", 0.0) / max(1, requests), 2),
            "postgres": round(1000 * cpu.get("postgres", 0.0) / max(1, requests), 2),
            "worker": round(1000 * cpu.get("worker", 0.0) / max(1, requests), 2),
            "haproxy+redis+s3": round(
                1000 * sum(cpu.get(group, 0.0) for group in ("haproxy", "redis", "s3")) / max(1, requests), 2
            ),
        },
        "classes_apportioned": classes,
    }


def markdown(result: dict[str, Any]) -> str:
    lines = [
        f"### {result['label']}",
        "",
        f"{result['requests']} requests in {result['seconds']} s ({result['rps']} req/s), "
        f"{result['failures']} failures; p50 {result['p50']:.0f} ms, p95 {result['p95']:.0f} ms, "
        f"p99 {result['p99']:.0f} ms",
        "",
        "| endpoint | requests | failures | req/s | p50 ms | p95 ms | p99 ms |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for row in result["endpoints"]:
        lines.append(
            f"| `{row['name']}` | {row['requests']} | {row['failures']} | {row['rps']:.2f} | "
            f"{row['p50']:.0f} | {row['p95']:.0f} | {row['p99']:.0f} |"
        )
    cpu = result["cpu"]["cpu_seconds"]
    net = result["cpu"].get("net_cpu_seconds", cpu)
    lines += [
        "",
        "CPU seconds: "
        + ", ".join(f"{group} {value:.1f}" for group, value in cpu.items())
        + f"; machine busy {result['cpu']['machine_busy_pct']} %",
        "",
        "less the idle topology's: "
        + ", ".join(f"{group} {net[group]:.1f}" for group in SERVER_GROUPS if group in net),
        "",
        "| CPU ms per request | server (all tiers) | web | PostgreSQL | workers | HAProxy+Redis+S3 |",
        "| --- | ---: | ---: | ---: | ---: | ---: |",
        "| all requests | {server} | {web} | {postgres} | {worker} | {haproxy+redis+s3} |".format(
            **result["cpu_ms_per_request"]
        ),
    ]
    classes = result.get("classes_measured") or result["classes_apportioned"]
    how = "measured alone" if result.get("classes_measured") else "apportioned by response time"
    lines += [
        "",
        f"| class ({how}) | requests | server ms/req | web ms/req | PostgreSQL ms/req |",
        "| --- | ---: | ---: | ---: | ---: |",
    ]
    for name, entry in classes.items():
        lines.append(
            f"| {name} | {entry['requests']} | {entry['server_ms_per_request']} | "
            f"{entry['web_ms_per_request']} | {entry['db_ms_per_request']} |"
        )
    if result.get("surge"):
        lines += ["", "Surge: " + json.dumps(result["surge"], ensure_ascii=False)]
    return "\n".join(lines)


# ---- set-up --------------------------------------------------------------------------------------


def manage_env(topo: Any | None) -> dict[str, str]:
    if topo is not None:
        env: dict[str, str] = topo.env()
        return env
    return dict(os.environ)


def prepare(
    env: dict[str, str], out: Path, portal: str, backoffice: str, args: argparse.Namespace
) -> dict[str, Any]:
    command = [
        PYTHON,
        str(HERE / "prepare.py"),
        "--out",
        str(out),
        "--portal-url",
        portal,
        "--backoffice-url",
        backoffice,
        "--residents",
        str(args.residents),
        "--surge-residents",
        str(args.surge_households),
        "--webhooks",
        str(args.webhooks),
        "--fix-payment-url",
    ]
    subprocess.run(command, env=env, check=True, cwd=REPO)  # noqa: S603
    data: dict[str, Any] = json.loads(out.read_text(encoding="utf-8"))
    return data


def verify(env: dict[str, str], run_id: str, accepted: Path) -> dict[str, Any]:
    answer = subprocess.run(  # noqa: S603
        [PYTHON, str(HERE / "prepare.py"), "--verify", run_id, "--accepted", str(accepted)],
        env=env,
        check=True,
        cwd=REPO,
        capture_output=True,
        text=True,
    )
    checks: dict[str, Any] = json.loads(answer.stdout.strip().splitlines()[-1])
    return checks


def topology_groups(topo: Any) -> dict[int, str]:
    role_group = {"portal": "web", "backoffice": "web"}
    return {
        node.pid: role_group.get(node.role, node.role) for node in topo.nodes.values() if node.pid is not None
    }


def context() -> dict[str, str]:
    return {
        "date": time.strftime("%Y-%m-%d %H:%M:%S %Z"),
        "loadavg": _read("/proc/loadavg").strip(),
        "cpus": str(os.cpu_count()),
    }


def main() -> int:  # noqa: C901 - one straight script
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    where = parser.add_mutually_exclusive_group()
    where.add_argument("--target", help="a running server's portal URL (its database environment in ours)")
    where.add_argument("--attach", help="the workdir of a topology started with deploy/topology.py start")
    parser.add_argument("--backoffice-url", default="", help="with --target: the staff API's server")
    parser.add_argument("--workdir", default=str(REPO / "var" / "load" / "topology"))
    parser.add_argument("--base-port", type=int, default=0, help="default: a free range")
    parser.add_argument("--keep", action="store_true", help="leave the started topology running")
    parser.add_argument("--scenario", choices=["mixed", "surge", "both"], default="both")
    parser.add_argument("--users", "-u", type=int, default=40, help="mixed: Locust users")
    parser.add_argument("--spawn-rate", "-r", type=float, default=10)
    parser.add_argument("--time", "-t", type=int, default=90, help="mixed: seconds")
    parser.add_argument(
        "--isolate", type=int, default=0, metavar="S", help="also run each mixed class alone S s"
    )
    parser.add_argument("--warmup", type=int, default=15, help="seconds of uncounted load first (0: none)")
    parser.add_argument(
        "--idle", type=int, default=20, help="seconds of idle CPU measured and subtracted (0: none)"
    )
    parser.add_argument("--surge-rate", type=float, default=15.0, help="applications (households) per second")
    parser.add_argument("--surge-users", type=int, default=60)
    parser.add_argument("--surge-duration", type=int, default=90)
    parser.add_argument("--residents", type=int, default=400)
    parser.add_argument("--surge-households", type=int, default=0, help="default: rate x duration x 1.3")
    parser.add_argument("--webhooks", type=int, default=1500)
    parser.add_argument("--out", default=str(REPO / "var" / "load"))
    parser.add_argument("--json", default="", help="write the results here too")
    args = parser.parse_args()
    if not args.surge_households:
        args.surge_households = int(args.surge_rate * args.surge_duration * 1.3) + 50
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)

    sys.path.insert(0, str(REPO / "deploy"))
    topo = None
    started = False
    try:
        if args.target:
            portal, backoffice = args.target.rstrip("/"), (args.backoffice_url or args.target).rstrip("/")
            groups: dict[int, str] = {}
        else:
            from topology import Topology, free_base_port  # type: ignore[import-not-found]

            if args.attach:
                topo = Topology.attach(args.attach)
            else:
                topo = Topology(
                    workdir=Path(args.workdir), base_port=args.base_port or free_base_port(), seed=True
                )
                print(f"starting the reference topology in {topo.workdir} (base port {topo.base_port}) ...")
                topo.start()
                started = True
            portal, backoffice = topo.portal_url, topo.backoffice_url
            groups = topology_groups(topo)
        env = manage_env(topo)
        data_path = out / "data.json"
        print("preparing residents, tokens and pending payments ...")
        data = prepare(env, data_path, portal, backoffice, args)
        results: dict[str, Any] = {
            "context": context(),
            "portal": portal,
            "backoffice": backoffice,
            "runs": [],
        }
        print(f"context: {results['context']}")
        idle: dict[str, float] | None = None
        if args.warmup:
            # Every web worker imports and caches what it needs before anything is measured (a
            # node in production is warm; a cold one is slow for its first requests).
            print(f"warm-up: {args.warmup} s of the mixed workload, not counted ...")
            locust(
                data_path,
                out / "warmup",
                scenario="mixed",
                users=max(4, args.users // 4),
                spawn_rate=2,
                seconds=args.warmup,
                sampler=CpuSampler(groups=dict(groups)),
            )
        if args.idle:
            CpuSampler(groups=dict(groups)).settle(longest=60)
            print(f"idle: {args.idle} s without requests (the topology's own CPU, subtracted below) ...")
            sampler = CpuSampler(groups=dict(groups))
            sampler.start()
            time.sleep(args.idle)
            sampler.stop()
            quiet = sampler.report()
            idle = {group: quiet["cpu_seconds"].get(group, 0.0) / quiet["seconds"] for group in SERVER_GROUPS}
            results["idle_cpu_per_s"] = {group: round(value, 4) for group, value in idle.items()}
            print(f"  idle CPU per second: {results['idle_cpu_per_s']}")
        if args.scenario in ("mixed", "both"):
            print(f"mixed: {args.users} users, {args.time} s ...")
            rows, report, elapsed = locust(
                data_path,
                out / "mixed",
                scenario="mixed",
                users=args.users,
                spawn_rate=args.spawn_rate,
                seconds=args.time,
                sampler=CpuSampler(groups=dict(groups)),
            )
            mixed = summarise(f"mixed workload, {args.users} users", rows, report, elapsed, args.time, idle)
            if args.isolate:
                measured = {}
                for user_class in MIXED_CLASSES:
                    print(f"  {user_class} alone, {args.isolate} s ...")
                    users = args.users
                    rows, report, elapsed = locust(
                        data_path,
                        out / f"alone-{user_class}",
                        scenario="mixed",
                        users=users,
                        spawn_rate=args.spawn_rate,
                        seconds=args.isolate,
                        sampler=CpuSampler(groups=dict(groups)),
                        extra_env={"IDX_LOAD_ONLY": user_class},
                    )
                    alone = summarise(user_class, rows, report, elapsed, args.isolate, idle)
                    measured[CLASS_OF_USER[user_class]] = {
                        "requests": alone["requests"],
                        "failures": alone["failures"],
                        "server_ms_per_request": alone["cpu_ms_per_request"]["server"],
                        "web_ms_per_request": alone["cpu_ms_per_request"]["web"],
                        "db_ms_per_request": alone["cpu_ms_per_request"]["postgres"],
                        "worker_ms_per_request": alone["cpu_ms_per_request"]["worker"],
                        "p50": alone["p50"],
                        "p95": alone["p95"],
                        "cpu": alone["cpu"],
                    }
                mixed["classes_measured"] = measured
            results["runs"].append(mixed)
            print(markdown(mixed), "\n")

        if args.scenario in ("surge", "both"):
            pacing = args.surge_users / args.surge_rate
            accepted_path = out / "surge-accepted.json"
            print(
                f"surge: {args.surge_rate}/s applications, {args.surge_users} users (one every {pacing:.2f} s each), "
                f"{args.surge_duration} s ..."
            )
            rows, report, elapsed = locust(
                data_path,
                out / "surge",
                scenario="surge",
                users=args.surge_users,
                spawn_rate=args.surge_rate,  # users start one after another: arrivals at the rate from the start
                seconds=args.surge_duration,
                sampler=CpuSampler(groups=dict(groups)),
                extra_env={"IDX_LOAD_SURGE_PACING": f"{pacing:.4f}", "IDX_LOAD_ACCEPTED": str(accepted_path)},
            )
            surge = summarise(
                f"surge, {args.surge_rate}/s applications offered",
                rows,
                report,
                elapsed,
                args.surge_duration,
                idle,
            )
            net = surge["cpu"]["net_cpu_seconds"]
            submit = next((row for row in surge["endpoints"] if row["name"].endswith("/submit")), None)
            time.sleep(1)
            checks = verify(env, data["run_id"], accepted_path)
            accepted = int(checks["submit_200"])
            surge["surge"] = {
                "offered_per_s": args.surge_rate,
                "accepted": accepted,
                "accepted_per_s": round(accepted / args.surge_duration, 2),
                "submit_p50": submit["p50"] if submit else None,
                "submit_p95": submit["p95"] if submit else None,
                "submit_p99": submit["p99"] if submit else None,
                "server_cpu_ms_per_application": round(
                    1000 * sum(net.get(group, 0.0) for group in SERVER_GROUPS) / max(1, accepted),
                    1,
                ),
                "web_cpu_ms_per_application": round(1000 * net.get("web", 0.0) / max(1, accepted), 1),
                "db_cpu_ms_per_application": round(1000 * net.get("postgres", 0.0) / max(1, accepted), 1),
                "worker_cpu_ms_per_application": round(1000 * net.get("worker", 0.0) / max(1, accepted), 1),
                "check": checks,
            }
            results["runs"].append(surge)
            print(markdown(surge), "\n")
        results["context_after"] = context()
        if args.json:
            Path(args.json).parent.mkdir(parents=True, exist_ok=True)
            Path(args.json).write_text(json.dumps(results, ensure_ascii=False, indent=1), encoding="utf-8")
        bad = any(run["failures"] for run in results["runs"]) or any(
            not run["surge"]["check"]["exactly_once"] for run in results["runs"] if run.get("surge")
        )
        return 1 if bad else 0
    finally:
        if topo is not None and started and not args.keep:
            topo.stop()


if __name__ == "__main__":
    sys.exit(main())
