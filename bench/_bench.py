"""Shared pieces of the benchmarks: a small load generator, percentiles, RSS and CPU sampling.

Standard library only (http.client, threads, multiprocessing). The load generator opens one TCP
connection per request: gunicorn's sync workers answer ``Connection: close`` anyway.
"""

from __future__ import annotations

import http.client
import multiprocessing
import os
import queue
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

CLK_TCK = os.sysconf("SC_CLK_TCK")

# (method, path, headers, body, expected status, substring the body must contain or b"")
Job = tuple[str, str, dict[str, str], bytes | None, int, bytes]


def setup_django(database_url: str) -> None:
    """Configure Django like the served application (for set-up steps and checks, never in the timed path)."""
    os.environ["DATABASE_URL"] = database_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "idx.settings.dev")
    os.environ.setdefault("IDX_DEBUG", "false")
    os.environ.setdefault("IDX_TASK_BACKEND", "database")
    os.environ.setdefault("IDX_DATA_DIR", "var/bench")
    src = Path(__file__).resolve().parent.parent / "src"
    if str(src) not in sys.path:
        sys.path.insert(0, str(src))
    import django

    django.setup()


def request(base: str, job: Job, timeout: float = 30.0) -> tuple[int, bytes, http.client.HTTPResponse]:
    method, path, headers, body, _expected, _needle = job
    parsed = urlparse(base)
    conn = http.client.HTTPConnection(parsed.hostname, parsed.port or 80, timeout=timeout)
    try:
        conn.request(method, path, body=body, headers=headers)
        response = conn.getresponse()
        data = response.read()
        return response.status, data, response
    finally:
        conn.close()


def timed(client: Any, path: str, requests: int) -> dict[str, Any]:
    """p50, p95 and max in ms of ``requests`` GETs of a page by a Django test client, and its query count."""
    from django.db import connection

    for _ in range(3):
        assert client.get(path).status_code == 200, path
    queries: list[str] = []

    def count(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        queries.append(sql)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(count):
        client.get(path)
    times = []
    for _ in range(requests):
        started = time.perf_counter()
        response = client.get(path)
        times.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, path
    return {
        "p50": percentile(times, 50),
        "p95": percentile(times, 95),
        "max": max(times),
        "queries": len(queries),
    }


def fresh_database(url: str) -> None:
    """Drop and create the PostgreSQL database named at the end of ``url``, so a run starts empty."""
    import psycopg

    name = url.rsplit("/", 1)[1]
    admin = url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        connection.execute(f'CREATE DATABASE "{name}"')


def percentile(values: list[float], pct: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = max(0, min(len(ordered) - 1, int(round(pct / 100 * len(ordered) + 0.5)) - 1))
    return ordered[rank]


@dataclass
class Result:
    label: str
    latencies: list[float] = field(default_factory=list)  # seconds, successful requests only
    ok: int = 0
    errors: int = 0
    error_samples: list[str] = field(default_factory=list)
    elapsed: float = 0.0
    client_cpu: float = 0.0  # seconds of CPU used by the load generator itself

    @property
    def rate(self) -> float:
        return self.ok / self.elapsed if self.elapsed else 0.0

    def summary(self) -> dict[str, Any]:
        ms = [value * 1000 for value in self.latencies]
        return {
            "label": self.label,
            "ok": self.ok,
            "errors": self.errors,
            "seconds": round(self.elapsed, 2),
            "req_per_s": round(self.rate, 1),
            "p50_ms": round(percentile(ms, 50), 1),
            "p95_ms": round(percentile(ms, 95), 1),
            "p99_ms": round(percentile(ms, 99), 1),
            "max_ms": round(max(ms), 1) if ms else None,
            "client_cpu_s": round(self.client_cpu, 2),
        }

    def line(self) -> str:
        s = self.summary()
        text = (
            f"{s['label']:<44} n={s['ok']:>6} err={s['errors']:>4} {s['req_per_s']:>8.1f} req/s  "
            f"p50 {s['p50_ms']:>7.1f}  p95 {s['p95_ms']:>7.1f}  p99 {s['p99_ms']:>7.1f}  max {s['max_ms'] or 0:>7.1f} ms"
        )
        if self.error_samples:
            text += f"\n    first errors: {self.error_samples[:3]}"
        return text


def _proc_main(
    base: str,
    jobs: list[Job] | None,
    repeat: Job | None,
    threads: int,
    duration: float,
    start_at: float,
    out: Any,
    rate: float | None = None,
) -> None:
    pending: queue.SimpleQueue[Job] = queue.SimpleQueue()
    for job in jobs or []:
        pending.put(job)
    records: list[tuple[float, int, str]] = []
    lock = threading.Lock()
    deadline = start_at + duration

    counter = iter(range(10**9))

    def worker() -> None:
        local: list[tuple[float, int, str]] = []
        while True:
            if time.time() >= deadline:
                break
            scheduled = None
            if rate:
                # Open loop: request number i is due at start + i / rate, whether or not earlier ones
                # have been answered; its latency counts from when it was due (no coordinated omission).
                with lock:
                    sequence = next(counter)
                scheduled = perf_start + sequence / rate
                if scheduled - perf_start >= duration:
                    break
            if repeat is not None:
                job = repeat
            else:
                try:
                    job = pending.get_nowait()
                except queue.Empty:
                    break
            if scheduled is not None:
                wait = scheduled - time.perf_counter()
                if wait > 0:
                    time.sleep(wait)
            began = time.perf_counter() if scheduled is None else scheduled
            try:
                status, data, _ = request(base, job)
                latency = time.perf_counter() - began
                if status == job[4] and (not job[5] or job[5] in data):
                    local.append((latency, 1, ""))
                else:
                    local.append((latency, 0, f"{status} {job[1]} {data[:160]!r}"))
            except Exception as exc:  # noqa: BLE001 - every failure counts as an error
                local.append((time.perf_counter() - began, 0, f"{type(exc).__name__}: {exc}"))
        with lock:
            records.extend(local)

    while time.time() < start_at:
        time.sleep(0.001)
    perf_start = time.perf_counter()
    cpu0 = time.process_time()
    pool = [threading.Thread(target=worker) for _ in range(threads)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()
    out.put((records, time.process_time() - cpu0))


def run_load(
    label: str,
    base: str,
    *,
    concurrency: int,
    duration: float,
    jobs: list[Job] | None = None,
    repeat: Job | None = None,
    procs: int = 1,
    rate: float | None = None,
) -> Result:
    """Closed loop: ``concurrency`` connections in flight (spread over ``procs`` processes) for ``duration``
    seconds, or until ``jobs`` run out; latency from connect to the last byte.

    Open loop (``rate`` requests/s): requests are started on a fixed schedule by up to ``concurrency``
    threads; latency counts from the scheduled start, so a server that falls behind shows it."""
    procs = max(1, min(procs, concurrency))
    ctx = multiprocessing.get_context("fork")
    out = ctx.Queue()
    start_at = time.time() + 0.3
    children = []
    for index in range(procs):
        threads = concurrency // procs + (1 if index < concurrency % procs else 0)
        share = jobs[index::procs] if jobs is not None else None
        child = ctx.Process(
            target=_proc_main,
            args=(base, share, repeat, threads, duration, start_at, out, rate / procs if rate else None),
        )
        child.start()
        children.append(child)
    result = Result(label)
    for _ in children:
        records, cpu = out.get()
        result.client_cpu += cpu
        for latency, ok, error in records:
            if ok:
                result.ok += 1
                result.latencies.append(latency)
            else:
                result.errors += 1
                if len(result.error_samples) < 5:
                    result.error_samples.append(error)
    for child in children:
        child.join()
    # Wall time from the first request to the last answer (in-flight requests finish after the deadline).
    result.elapsed = max(0.001, time.time() - start_at)
    return result


def run_sequential(label: str, base: str, job: Job, count: int) -> Result:
    result = Result(label)
    cpu0 = time.process_time()
    began_all = time.perf_counter()
    for _ in range(count):
        began = time.perf_counter()
        status, data, _ = request(base, job)
        latency = time.perf_counter() - began
        if status == job[4] and (not job[5] or job[5] in data):
            result.ok += 1
            result.latencies.append(latency)
        else:
            result.errors += 1
            if len(result.error_samples) < 5:
                result.error_samples.append(f"{status} {job[1]} {data[:160]!r}")
    result.elapsed = time.perf_counter() - began_all
    result.client_cpu = time.process_time() - cpu0
    return result


# ---- process sampling --------------------------------------------------------------------------------


def _read(path: str) -> str:
    try:
        with open(path, "rb") as handle:
            return handle.read().decode(errors="replace")
    except OSError:
        return ""


def _stat(pid: int) -> tuple[int, float] | None:
    """(ppid, cpu seconds) of a process."""
    text = _read(f"/proc/{pid}/stat")
    if not text:
        return None
    rest = text[text.rfind(")") + 2 :].split()
    return int(rest[1]), (int(rest[11]) + int(rest[12])) / CLK_TCK


def gunicorn_pids(bind: str) -> tuple[list[int], list[int]]:
    """(masters, workers) of the gunicorn serving ``bind`` (e.g. 127.0.0.1:8100)."""
    matched: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        cmdline = _read(f"/proc/{entry}/cmdline").replace("\0", " ")
        if "gunicorn" in cmdline and "idx.wsgi" in cmdline and bind in cmdline:
            stat = _stat(int(entry))
            if stat:
                matched[int(entry)] = stat[0]
    masters = [pid for pid, ppid in matched.items() if ppid not in matched]
    workers = [pid for pid, ppid in matched.items() if ppid in matched]
    return masters, workers


def rss_kb(pid: int) -> int | None:
    for line in _read(f"/proc/{pid}/status").splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return None


class Sampler:
    """Samples, every ``interval`` seconds, the RSS of each gunicorn worker and the CPU time used by
    the workers, by PostgreSQL and by everything else (the load generator), until stopped."""

    def __init__(self, bind: str, interval: float = 0.5):
        self.bind = bind
        self.interval = interval
        self.rss: dict[int, list[int]] = {}
        self.cpu_first: dict[int, float] = {}
        self.cpu_last: dict[int, float] = {}
        self.kind: dict[int, str] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)
        self._busy0 = self._busy1 = (0.0, 0.0)

    @staticmethod
    def _cpu_totals() -> tuple[float, float]:
        fields = _read("/proc/stat").splitlines()[0].split()[1:]
        values = [int(value) for value in fields]
        idle = values[3] + values[4]
        return (sum(values) - idle) / CLK_TCK, sum(values) / CLK_TCK

    def _classify(self, pid: int, workers: set[int]) -> str:
        if pid in workers:
            return "gunicorn"
        comm = _read(f"/proc/{pid}/comm").strip()
        if comm.startswith("postgres") or comm.startswith("postmaster"):
            return "postgres"
        return "other"

    def _sample(self, first: bool = False) -> None:
        _masters, workers = gunicorn_pids(self.bind)
        worker_set = set(workers)
        for pid in workers:
            value = rss_kb(pid)
            if value is not None:
                self.rss.setdefault(pid, []).append(value)
        for entry in os.listdir("/proc"):
            if not entry.isdigit():
                continue
            pid = int(entry)
            stat = _stat(pid)
            if stat is None:
                continue
            if pid not in self.kind:
                self.kind[pid] = self._classify(pid, worker_set)
                self.cpu_first[pid] = stat[1] if first else 0.0
            self.cpu_last[pid] = stat[1]

    def _loop(self) -> None:
        while not self._stop.wait(self.interval):
            self._sample()

    def __enter__(self) -> Sampler:
        self._busy0 = self._cpu_totals()
        self._sample(first=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self._sample()
        self._busy1 = self._cpu_totals()

    def report(self) -> dict[str, Any]:
        cpu: dict[str, float] = {}
        for pid, kind in self.kind.items():
            cpu[kind] = cpu.get(kind, 0.0) + max(0.0, self.cpu_last[pid] - self.cpu_first[pid])
        busy = self._busy1[0] - self._busy0[0]
        total = self._busy1[1] - self._busy0[1]
        return {
            "workers_seen": len(self.rss),
            "rss_max_mb_per_worker": {
                pid: round(max(values) / 1024, 1) for pid, values in sorted(self.rss.items())
            },
            "rss_max_mb": round(max((max(v) for v in self.rss.values()), default=0) / 1024, 1),
            "cpu_seconds": {kind: round(value, 1) for kind, value in sorted(cpu.items())},
            "machine_busy_pct": round(100 * busy / total, 1) if total else None,
        }


def machine_busy(seconds: float = 1.0) -> float:
    """Percentage of all CPUs busy over ``seconds``."""
    busy0, total0 = Sampler._cpu_totals()
    time.sleep(seconds)
    busy1, total1 = Sampler._cpu_totals()
    return 100 * (busy1 - busy0) / max(1e-9, total1 - total0)


def wait_for_quiet(threshold: float = 20.0, max_wait: float = 20.0) -> float:
    """Wait (up to ``max_wait`` s) until the machine is idle enough to measure; other work on a
    2-core box (test suites, builds) would otherwise be measured as the server's slowness."""
    began = time.monotonic()
    busy = machine_busy()
    if busy > threshold:
        print(
            f"    (machine {busy:.0f} % busy before the run; waiting up to {max_wait:.0f} s for it to calm down)"
        )
    while busy > threshold and time.monotonic() - began < max_wait:
        busy = machine_busy(2.0)
    if busy > threshold:
        print(f"    WARNING: machine still {busy:.0f} % busy; these numbers include other work")
    return busy


def print_sampler(report: dict[str, Any], elapsed: float, client_cpu: float | None = None) -> None:
    cpu = dict(report["cpu_seconds"])
    if client_cpu is not None and "other" in cpu:
        cpu["load generator"] = client_cpu
        cpu["other"] = max(0.0, cpu["other"] - client_cpu)
        report["cpu_seconds"] = {key: round(value, 1) for key, value in cpu.items()}
    shares = ", ".join(f"{kind} {value:.1f} s ({value / elapsed:.2f} cores)" for kind, value in cpu.items())
    print(f"    CPU over {elapsed:.1f} s: {shares}; machine busy {report['machine_busy_pct']} %")
    print(
        f"    gunicorn workers seen: {report['workers_seen']}, max VmRSS per worker: "
        f"{report['rss_max_mb']} MB {report['rss_max_mb_per_worker']}"
    )
