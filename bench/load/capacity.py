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


TIERS = {"web": ("web",), "db": ("postgres",), "worker": ("worker",), "other": ("haproxy", "redis", "s3")}


def tier_ms(cpu: dict[str, Any], count: int, idle: dict[str, float] | None) -> dict[str, float]:
    """CPU ms per unit of each tier from a sampler report (gross CPU seconds over ``seconds``),
    less the idle topology's CPU over as long."""
    gross = cpu["cpu_seconds"]
    seconds = float(cpu.get("seconds") or 0.0)
    out = {}
    for tier, groups in TIERS.items():
        value = 0.0
        for group in groups:
            base = (idle or {}).get(group, 0.0) * seconds
            value += max(0.0, float(gross.get(group, 0.0)) - base)
        out[tier] = 1000 * value / max(1, count)
    return out


def inputs(result: dict[str, Any], idle_override: dict[str, float] | None = None) -> dict[str, Any]:
    """CPU ms per request of each class and tier, and per surge application, from run.py's JSON.

    Recomputed from the gross CPU seconds of each run, less the idle CPU (``idle_override`` or the
    run's own idle measurement). A class whose run alone failed more than 5 % of its requests is
    priced from the mixed run instead (its CPU alone measured an overload, not the class)."""
    idle = idle_override or result.get("idle_cpu_per_s") or {}
    runs = {("surge" if run.get("surge") else "mixed"): run for run in result["runs"]}
    mixed = runs.get("mixed")
    surge = runs.get("surge")
    if mixed is None or surge is None:
        raise SystemExit("the result needs both a mixed and a surge run (run.py --scenario both)")
    average = tier_ms(mixed["cpu"], mixed["requests"], idle)
    per_class: dict[str, dict[str, float]] = {}
    fallback = []
    for name, entry in (mixed.get("classes_measured") or {}).items():
        healthy = entry.get("failures", 0) <= 0.05 * max(1, entry["requests"])
        if healthy and "cpu" in entry:
            per_class[name] = tier_ms(entry["cpu"], entry["requests"], idle)
        elif healthy:
            # An older result without the class's gross CPU: its web and PostgreSQL figures as
            # recorded (net of that run's idle measurement), the workers' from the mixed run.
            web, db = float(entry["web_ms_per_request"]), float(entry["db_ms_per_request"])
            per_class[name] = {
                "web": web,
                "db": db,
                "worker": average["worker"],
                "other": max(
                    0.0,
                    float(entry["server_ms_per_request"])
                    - web
                    - db
                    - float(entry.get("worker_ms_per_request", 0.0)),
                ),
            }
        else:
            per_class[name] = dict(average)
            fallback.append(name)
    for name in mixed["classes_apportioned"]:
        if name not in per_class:
            per_class[name] = dict(average)
            fallback.append(name)
    info = surge["surge"]
    application = tier_ms(surge["cpu"], max(1, int(info["accepted"])), idle)
    return {
        "average": average,
        "per_class": per_class,
        "application": application,
        "measured_classes": bool(mixed.get("classes_measured")),
        "fallback": fallback,
        "idle": idle,
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


def measured_table(result: dict[str, Any], measured: dict[str, Any]) -> str:
    """The measured inputs: per class and tier, the mixed run overall, the surge per application."""
    runs = {("surge" if run.get("surge") else "mixed"): run for run in result["runs"]}
    mixed, surge = runs["mixed"], runs["surge"]
    after = result.get("context_after", {}).get("loadavg", "?").split()[0]
    lines = [
        f"Measured {result['context']['date']} on {result['context']['cpus']} cores shared with other work "
        f"(load average {result['context']['loadavg'].split()[0]} at the start, {after} at the end).",
        "",
        "| class | requests | failures | p50 / p95 ms | web ms/req | PostgreSQL ms/req | worker ms/req | LB+Redis+S3 ms/req |",
        "| --- | ---: | ---: | --- | ---: | ---: | ---: | ---: |",
    ]
    for name, entry in (mixed.get("classes_measured") or {}).items():
        cost = measured["per_class"][name]
        note = " (priced as the mixed run)" if name in measured["fallback"] else ""
        lines.append(
            f"| {name}, alone{note} | {entry['requests']} | {entry.get('failures', 0)} | "
            f"{entry.get('p50', 0):.0f} / {entry.get('p95', 0):.0f} | {cost['web']:.1f} | {cost['db']:.1f} | "
            f"{cost['worker']:.1f} | {cost['other']:.1f} |"
        )
    per = measured["average"]
    lines.append(
        f"| **mixed** ({mixed['rps']} req/s for {mixed['seconds']} s) | {mixed['requests']} | {mixed['failures']} | "
        f"{mixed['p50']:.0f} / {mixed['p95']:.0f} | {per['web']:.1f} | {per['db']:.1f} | {per['worker']:.1f} | "
        f"{per['other']:.1f} |"
    )
    info = surge["surge"]
    app = measured["application"]
    check = info["check"]
    lines += [
        "",
        f"Surge: {info['offered_per_s']} applications/s offered for {surge['seconds']} s, **{info['accepted_per_s']}/s "
        f"accepted** ({info['accepted']}), {surge['failures']} failed requests; submission p50 {info['submit_p50']:.0f} / "
        f"p95 {info['submit_p95']:.0f} / p99 {info['submit_p99']:.0f} ms. CPU per application (start, answers, submit, "
        f"and the tasks after): web {app['web']:.0f} ms, PostgreSQL {app['db']:.0f} ms, workers {app['worker']:.0f} ms, "
        f"LB+Redis+S3 {app['other']:.0f} ms. Database check: "
        f"{'every 200 is exactly one submitted application' if check['exactly_once'] else 'FAILED'} "
        f"({check['submit_200']} answers 200, {check['submitted_in_db']} submitted, "
        f"{check['submitted_without_200']} submitted without a 200, at most "
        f"{check['most_applications_per_household']} application per household).",
    ]
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("result", help="run.py's --json file")
    parser.add_argument(
        "--idle",
        default="",
        help="idle CPU (cores) per group to subtract instead of the run's, e.g. web=0.019,postgres=0.036",
    )
    args = parser.parse_args()
    result = json.loads(Path(args.result).read_text(encoding="utf-8"))
    idle = {key: float(value) for key, value in (item.split("=") for item in args.idle.split(",") if item)}
    measured = inputs(result, idle or None)
    how = "each class measured alone" if measured["measured_classes"] else "apportioned by response time"
    print(
        f"Inputs: {args.result} ({result['context']['date']}, load {result['context']['loadavg']}; {how})\n"
    )
    print(
        f"Idle CPU subtracted (cores): {measured['idle']}; priced from the mixed run: {measured['fallback'] or 'none'}\n"
    )
    print(measured_table(result, measured) + "\n")
    print(tables(measured))
    return 0


if __name__ == "__main__":
    sys.exit(main())
