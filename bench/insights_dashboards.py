#!/usr/bin/env python
"""How fast the EBPM dashboards answer over the facts of 1,000,000 applications (PostgreSQL).

    python bench/insights_dashboards.py --applications 1000000 --requests 60
    python bench/insights_dashboards.py --database-url postgres://postgres@127.0.0.1:5432/idx_bench_insights

The dashboards read only the fact tables, so what a million applications leave behind is what
matters: set-up (not timed) fills, in a database of its own dropped and created afresh, the facts
equivalent to ``--applications`` applications over 36 months (30 procedures × 36 months × 3
channels, each row with its decided count and lead days), counter days (36 months of office days
× 5 counter services) and sign-ins per month, and the demo's KPIs and intervention
(``idx.demo.insights``). Timed: whole requests through Django with the test client, in process,
signed in as the city administrator (who sees every department, the widest query): the
dashboard page, the same narrowed to a department and a procedure and by quarter, a KPI's page
(its 24-month series and the estimated effect of the intervention, statsmodels already loaded by
a first request), a CSV download, the public page and the API's KPIs and series. p50/p95/max in
milliseconds and the queries each makes.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _bench import fresh_database, percentile, setup_django  # noqa: E402

DEFAULT_DB = "postgres://postgres@127.0.0.1:5432/idx_bench_insights"
MONTHS = 36
SERVICES = ["juminhyo", "mynumber-card", "kaigo-soudan", "zei-soudan", "kosodate-soudan"]


def fill_facts(municipality: Any, applications: int, today: dt.date) -> int:
    """Facts of ``applications`` applications over the 36 months before ``today``'s month."""
    from idx.insights.models import ApplicationMonthFact, CounterDayFact, EventMonthFact
    from idx.insights.selectors import add_months, month_start
    from idx.procedures.models import Procedure

    rng = random.Random(2026)  # noqa: S311 - benchmark data
    procedures = list(Procedure.objects.filter(municipality=municipality).order_by("code"))
    first = add_months(month_start(today), -MONTHS)
    months = [add_months(first, index) for index in range(MONTHS)]
    per_cell = applications / (len(procedures) * MONTHS)
    rows = []
    for procedure in procedures:
        weight = rng.uniform(0.2, 1.8)
        for index, month in enumerate(months):
            total = max(3, int(per_cell * weight * rng.uniform(0.8, 1.2)))
            online_share = min(0.9, 0.25 + 0.007 * index + rng.uniform(-0.03, 0.03))
            online = int(total * online_share)
            counter = int((total - online) * 0.6)
            for channel, count in (
                ("online", online),
                ("counter", counter),
                ("paper", total - online - counter),
            ):
                decided = int(count * 0.97)
                rows.append(
                    ApplicationMonthFact(
                        municipality=municipality,
                        month=month,
                        procedure=procedure,
                        department_id=procedure.department_id,
                        channel=channel,
                        submitted=count,
                        decided=decided,
                        decided_within_standard=int(decided * rng.uniform(0.85, 0.99)),
                        lead_days_sum=decided * rng.randint(3, 20),
                    )
                )
    ApplicationMonthFact.objects.bulk_create(rows, batch_size=2000)
    total = sum(row.submitted for row in rows)
    departments = {procedure.department_id for procedure in procedures}
    department_ids = sorted(departments)
    counters = []
    day = first
    while day < add_months(first, MONTHS):
        if day.weekday() < 5:
            for number, service in enumerate(SERVICES):
                tickets = rng.randint(5, 40)
                served = tickets - rng.randint(0, 2)
                counters.append(
                    CounterDayFact(
                        municipality=municipality,
                        day=day,
                        service_key=service,
                        department_id=department_ids[number % len(department_ids)],
                        tickets=tickets,
                        served=served,
                        wait_minutes_sum=served * rng.randint(5, 25),
                        waited_over_30=rng.randint(0, 3),
                    )
                )
        day += dt.timedelta(days=1)
    CounterDayFact.objects.bulk_create(counters, batch_size=2000)
    events = []
    for index, month in enumerate(months):
        card = 2000 + 80 * index
        for key, count in (("my_number_card", card), ("password", 6000 - 60 * index), ("staff", 900)):
            events.append(
                EventMonthFact(municipality=municipality, month=month, kind="sign_in", key=key, count=count)
            )
    EventMonthFact.objects.bulk_create(events)
    print(
        f"set-up: facts of {total:,} applications: {len(rows):,} application rows, "
        f"{len(counters):,} counter days, {len(events)} event rows"
    )
    return total


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--applications", type=int, default=1_000_000)
    parser.add_argument("--requests", type=int, default=60)
    parser.add_argument("--database-url", default=DEFAULT_DB)
    args = parser.parse_args()
    fresh_database(args.database_url)
    os.environ.setdefault("IDX_RATELIMIT_API", "100000/1m")  # one client asks many times: no limit measured
    os.environ.setdefault("IDX_RATELIMIT_API_ACCOUNT", "100000/1m")
    setup_django(args.database_url)
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from django.db import connection
    from django.test import Client
    from django.utils import timezone

    from idx.demo.insights import load_insights
    from idx.demo.loader import MUNICIPALITIES, load_municipality
    from idx.identity.models import Department, User
    from idx.insights.models import Intervention, Kpi

    municipality, _accounts = load_municipality(MUNICIPALITIES[0])
    fill_facts(municipality, args.applications, timezone.localdate())
    admin = User.objects.get(municipality=municipality, email="admin@staff.iga.example.jp")
    load_insights(municipality, recorded_by=admin)
    kpi = Kpi.objects.get(municipality=municipality, code="status-report-online")
    intervention = Intervention.objects.get(municipality=municipality)
    department = Department.objects.get(municipality=municipality, code="kodomo-katei")

    staff = Client(HTTP_HOST="127.0.0.1")
    staff.force_login(admin)
    public = Client(HTTP_HOST="127.0.0.1")
    from idx.identity.services import api_token_issue

    token = {"HTTP_AUTHORIZATION": f"Bearer {api_token_issue(user=admin, name='bench')}"}
    cases: dict[str, tuple[Client, str, dict[str, str], dict[str, str]]] = {
        "dashboard (12 months, all)": (staff, "/staff/insights/", {}, {}),
        "dashboard (36 months, by quarter)": (
            staff,
            "/staff/insights/",
            {"start": "2023-01", "end": "2026-12", "granularity": "quarter"},
            {},
        ),
        "dashboard (department + procedure)": (
            staff,
            "/staff/insights/",
            {"department": str(department.pk), "procedure": "child-allowance-status-report"},
            {},
        ),
        "KPI page (24 months + effect)": (staff, f"/staff/insights/kpis/{kpi.pk}/", {}, {}),
        "CSV (channels)": (staff, "/staff/insights/csv/channels/", {}, {}),
        "public /insights/": (public, "/insights/", {}, {}),
        "API public KPIs": (public, "/api/v1/insights/kpis", {}, {}),
        "API staff series": (staff, f"/api/v1/staff/insights/kpis/{kpi.pk}/series", {}, token),
        "API staff effect": (
            staff,
            f"/api/v1/staff/insights/interventions/{intervention.pk}/effect",
            {"kpi": kpi.code},
            token,
        ),
    }
    print(f"{'request':40} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8}  queries")
    worst = 0.0
    for label, (client, path, params, headers) in cases.items():
        queries: list[str] = []

        def counting(execute, sql, params, many, context, queries=queries):  # type: ignore[no-untyped-def]
            queries.append(sql)
            return execute(sql, params, many, context)

        with connection.execute_wrapper(counting):
            response = client.get(path, params, **headers)  # also the warm-up (statsmodels' import)
            if response.streaming:
                b"".join(response.streaming_content)
        assert response.status_code == 200, (path, response.status_code)
        times: list[float] = []
        for _ in range(args.requests):
            begin = time.perf_counter()
            response = client.get(path, params, **headers)
            if response.streaming:
                b"".join(response.streaming_content)
            times.append((time.perf_counter() - begin) * 1000)
            assert response.status_code == 200
        worst = max(worst, percentile(times, 95))
        print(
            f"{label:40} {percentile(times, 50):8.1f} {percentile(times, 95):8.1f} {max(times):8.1f}  {len(queries):7}"
        )
    print(f"worst p95: {worst:.1f} ms (target 300 ms)")


if __name__ == "__main__":
    main()
