#!/usr/bin/env python
"""Nodes and cores for a city, a prefecture and the country, from the CPU per request that
``run.py`` measured (its ``--json`` file) and the sizing assumptions below; prints markdown.

    .venv/bin/python bench/load/capacity.py var/load/result.json

Every number in the output is either an assumption named here, a measured input (shown in the
first table) or arithmetic on those, so the tables can be redone by hand or with other inputs.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path
from typing import Any

# ---- assumptions (docs/capacity.md explains each) -------------------------------------------------

# Requests per resident per year, by kind of traffic (each kind measured as one user class).
REQUESTS_PER_RESIDENT_YEAR = {
    "browse": 30.0,  # portal pages and the catalogue: ~10 visits a year, 3 pages each
    "assist": 3.0,  # questions to the FAQ assistant
    "apply": 8.0,  # 1 online application a year, ~8 requests each (start, answers over steps, submit)
    "pay": 1.8,  # 0.3 fees paid online a year, ~6 requests each
    "staff": 10.0,  # clerk requests per application: queue, case, transitions, exports
    "webhook": 0.45,  # 0.3 payments x 1.5 deliveries (services retry)
}
WORKING_HOURS_PER_YEAR = 245 * 10  # working days x opening hours
SHARE_IN_WORKING_HOURS = 0.8
PEAK_HOUR_FACTOR = 3.0  # the busiest hour against the average working hour
TARGET_UTILISATION = 0.5
PERSONS_PER_HOUSEHOLD = 2.2  # 伊賀市: ~88,000 people in ~40,000 households
SURGE_SHARE = 0.5  # of households applying
SURGE_HOURS = 48
SURGE_PAGES_PER_APPLICATION = 5  # browsing around each application (home, the procedure, the receipt)
CORES_PER_WEB_NODE = 4
CORES_PER_WORKER_NODE = 2
MIN_NODES = 2  # two of each for availability
ONE_PRIMARY_LIMIT_CORES = 64  # beyond this one PostgreSQL primary is no longer a comfortable design

# Open Zaak's hardware guide (docs/installation/hardware.rst): concurrent users by inhabitants, each
# running a 7-request scenario every 5 minutes. A much heavier rule than ours; shown beside it.
OPEN_ZAAK_USERS = [(10_000, 100), (50_000, 250), (100_000, 500), (500_000, 1_000), (1_000_000, 2_000)]
OPEN_ZAAK_REQUESTS_PER_USER_S = 7 / 300

PLACES = [
    ("伊賀市 (one city)", 88_000),
    ("三重県 (29 municipalities, one installation)", 1_700_000),
    ("Japan (124 M)", 124_000_000),
]


def inputs(result: dict[str, Any]) -> dict[str, Any]:
    """CPU ms per request of each class and tier, and per surge application, from run.py's JSON."""
    runs = {("surge" if run.get("surge") else "mixed"): run for run in result["runs"]}
    mixed = runs.get("mixed")
    surge = runs.get("surge")
    if mixed is None or surge is None:
        raise SystemExit("the result needs both a mixed and a surge run (run.py --scenario both)")
    classes = mixed.get("classes_measured") or mixed["classes_apportioned"]
    worker_per_request = mixed["cpu_ms_per_request"]["worker"]
    per_class = {}
    for name, entry in classes.items():
        # Workers: measured per class when the class ran alone; else the mixed run's, spread evenly.
        worker = float(entry.get("worker_ms_per_request", worker_per_request))
        web, db = float(entry["web_ms_per_request"]), float(entry["db_ms_per_request"])
        per_class[name] = {
            "web": web,
            "db": db,
            "worker": worker,
            "other": max(0.0, float(entry["server_ms_per_request"]) - web - db - worker),
        }
    info = surge["surge"]
    cpu = surge["cpu"].get("net_cpu_seconds") or surge["cpu"]["cpu_seconds"]
    accepted = max(1, int(info["accepted"]))
    application = {
        "web": 1000 * cpu.get("web", 0.0) / accepted,
        "db": 1000 * cpu.get("postgres", 0.0) / accepted,
        "worker": 1000 * cpu.get("worker", 0.0) / accepted,
        "other": 1000 * sum(cpu.get(group, 0.0) for group in ("haproxy", "redis", "s3")) / accepted,
    }
    average = {
        "web": float(mixed["cpu_ms_per_request"]["web"]),
        "db": float(mixed["cpu_ms_per_request"]["postgres"]),
        "worker": float(worker_per_request),
    }
    return {
        "average": average,
        "per_class": per_class,
        "application": application,
        "measured_classes": bool(mixed.get("classes_measured")),
    }


def open_zaak_users(people: int) -> float:
    """Concurrent users by Open Zaak's table, linear between its rows, 0.2 % of inhabitants beyond."""
    points = OPEN_ZAAK_USERS
    if people <= points[0][0]:
        return points[0][1] * people / points[0][0]
    for (low, low_users), (high, high_users) in zip(points, points[1:], strict=False):
        if people <= high:
            return low_users + (high_users - low_users) * (people - low) / (high - low)
    return people * points[-1][1] / points[-1][0]


def size(cores_needed: float, per_node: int) -> tuple[int, int]:
    nodes = max(MIN_NODES, math.ceil(cores_needed / per_node))
    return nodes, nodes * per_node


def tables(measured: dict[str, Any]) -> str:
    per_class = measured["per_class"]
    lines = [
        "| class | requests / resident / year | web ms | PostgreSQL ms | worker ms | LB+Redis+S3 ms | CPU ms / resident / year (web, db, worker, other) |",
        "| --- | ---: | ---: | ---: | ---: | ---: | --- |",
    ]
    per_resident = {"web": 0.0, "db": 0.0, "worker": 0.0, "other": 0.0}
    for name, count in REQUESTS_PER_RESIDENT_YEAR.items():
        cost = per_class.get(name)
        if cost is None:
            continue
        for tier in per_resident:
            per_resident[tier] += count * cost[tier]
        lines.append(
            f"| {name} | {count:g} | {cost['web']:.1f} | {cost['db']:.1f} | {cost['worker']:.1f} | {cost['other']:.1f} | "
            f"{count * cost['web']:.0f}, {count * cost['db']:.0f}, {count * cost['worker']:.0f}, {count * cost['other']:.0f} |"
        )
    lines.append(
        f"| **sum** | {sum(REQUESTS_PER_RESIDENT_YEAR.values()):g} | | | | | "
        f"**{per_resident['web']:.0f}, {per_resident['db']:.0f}, {per_resident['worker']:.0f}, {per_resident['other']:.0f}** |"
    )
    peak = SHARE_IN_WORKING_HOURS * PEAK_HOUR_FACTOR / (WORKING_HOURS_PER_YEAR * 3600)
    lines += [
        "",
        f"Peak seconds per year-second: {SHARE_IN_WORKING_HOURS} x {PEAK_HOUR_FACTOR} / ({WORKING_HOURS_PER_YEAR} h x 3600 s) "
        f"= {peak:.3e} (the busiest hour carries {peak * 3600:.5f} of a year's traffic).",
        "",
        "Ordinary year, busiest hour (cores = residents x CPU ms per resident-year / 1000 x peak / utilisation "
        f"{TARGET_UTILISATION:.0%}):",
        "",
        "| place | residents | peak req/s | web cores | web nodes (x4 cores) | PostgreSQL cores | worker cores | LB+Redis+S3 cores |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    requests_year = sum(REQUESTS_PER_RESIDENT_YEAR.values())
    for place, people in PLACES:
        cores = {
            tier: people * per_resident[tier] / 1000 * peak / TARGET_UTILISATION for tier in per_resident
        }
        nodes, _ = size(cores["web"], CORES_PER_WEB_NODE)
        lines.append(
            f"| {place} | {people:,} | {people * requests_year * peak:,.1f} | {cores['web']:.2f} | {nodes} | "
            f"{cores['db']:.2f} | {cores['worker']:.2f} | {cores['other']:.2f} |"
        )
    average = measured["average"]
    lines += [
        "",
        "The same places by Open Zaak's rule (concurrent users from its table, 7 requests per user every "
        "5 minutes, all at once), priced at the mixed run's CPU per request "
        f"(web {average['web']:.1f}, PostgreSQL {average['db']:.1f}, worker {average['worker']:.1f} ms):",
        "",
        "| place | concurrent users | req/s | web cores | web nodes (x4) | PostgreSQL cores | worker cores |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for place, people in PLACES:
        users = open_zaak_users(people)
        rate = users * OPEN_ZAAK_REQUESTS_PER_USER_S
        cores = {tier: rate * average[tier] / 1000 / TARGET_UTILISATION for tier in ("web", "db", "worker")}
        nodes, _ = size(cores["web"], CORES_PER_WEB_NODE)
        lines.append(
            f"| {place} | {users:,.0f} | {rate:,.1f} | {cores['web']:.2f} | {nodes} | {cores['db']:.2f} | "
            f"{cores['worker']:.2f} |"
        )
    app = measured["application"]
    browse = per_class.get("browse", {"web": 0.0, "db": 0.0, "worker": 0.0, "other": 0.0})
    per_app = {tier: app[tier] + SURGE_PAGES_PER_APPLICATION * browse[tier] for tier in app}
    lines += [
        "",
        f"Surge (特別定額給付金-like: {SURGE_SHARE:.0%} of households apply within {SURGE_HOURS} h, the peak hour "
        f"{PEAK_HOUR_FACTOR:g} x the average; households = residents / {PERSONS_PER_HOUSEHOLD}). CPU ms per application: "
        f"the surge run's (web {app['web']:.0f}, PostgreSQL {app['db']:.0f}, worker {app['worker']:.0f}, "
        f"other {app['other']:.0f}) plus {SURGE_PAGES_PER_APPLICATION} page views "
        f"= web {per_app['web']:.0f}, PostgreSQL {per_app['db']:.0f}, worker {per_app['worker']:.0f}, "
        f"other {per_app['other']:.0f}:",
        "",
        "| place | households | peak applications/s | web cores | web nodes (x4) | PostgreSQL cores | worker cores | one primary enough? |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |",
    ]
    for place, people in PLACES:
        households = people / PERSONS_PER_HOUSEHOLD
        rate = SURGE_SHARE * households / SURGE_HOURS * PEAK_HOUR_FACTOR / 3600
        cores = {tier: rate * per_app[tier] / 1000 / TARGET_UTILISATION for tier in per_app}
        nodes, _ = size(cores["web"], CORES_PER_WEB_NODE)
        enough = (
            "yes"
            if cores["db"] <= ONE_PRIMARY_LIMIT_CORES
            else f"no: {math.ceil(cores['db'] / ONE_PRIMARY_LIMIT_CORES)}+ primaries' worth, split per prefecture"
        )
        lines.append(
            f"| {place} | {households:,.0f} | {rate:,.2f} | {cores['web']:.2f} | {nodes} | {cores['db']:.2f} | "
            f"{cores['worker']:.2f} | {enough} |"
        )
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("result", help="run.py's --json file")
    args = parser.parse_args()
    result = json.loads(Path(args.result).read_text(encoding="utf-8"))
    measured = inputs(result)
    how = "each class measured alone" if measured["measured_classes"] else "apportioned by response time"
    print(
        f"Inputs: {args.result} ({result['context']['date']}, load {result['context']['loadavg']}; {how})\n"
    )
    print(tables(measured))
    return 0


if __name__ == "__main__":
    sys.exit(main())
