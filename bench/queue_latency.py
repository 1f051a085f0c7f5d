#!/usr/bin/env python
"""Latency of the staff queue page (/staff/) and the staff list API (/api/v1/staff/cases).

Needs a running server (``idx serve``) on the seeded database; see bench/README.md.

    python bench/queue_latency.py --base-url http://127.0.0.1:8100

Signs a clerk in through the login form (CSRF token + session cookie), issues a staff API token
with ``idx.identity.services.api_token_issue`` (directly against the database), then for each filter
variant (default, status=submitted, due=overdue, q=<receipt number>, q=<surname>, page=5) measures

* ``--sequential`` requests one after the other, and
* ``--concurrency`` clients for ``--duration`` seconds,

and prints p50/p95/p99 and requests/s, the CPU split and the workers' RSS. ``--explain`` also prints
PostgreSQL's plan (EXPLAIN ANALYZE) of the queue query of every variant. ``--json FILE`` writes the results.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import time
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlencode, urlparse

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _bench import (  # noqa: E402
    Job,
    Sampler,
    print_sampler,
    request,
    run_load,
    run_sequential,
    setup_django,
    wait_for_quiet,
)

DEFAULT_DB = "postgres://postgres@127.0.0.1:5432/idx_bench"


def pick_clerk(email: str | None) -> tuple[str, int]:
    """The given clerk, or the clerk of the 伊賀市 department with the most open cases."""
    from django.db.models import Count

    from idx.applications.models import CLOSED, Application, Status
    from idx.identity.models import Role, User

    if email:
        user = User.objects.get(email=email, municipality__slug="iga")
        return user.email, user.pk
    busiest = (
        Application.objects.filter(municipality__slug="iga")
        .exclude(status__in=[*CLOSED, Status.DRAFT])
        .values("department_id")
        .annotate(n=Count("id"))
        .order_by("-n")
        .first()
    )
    user = User.objects.filter(
        municipality__slug="iga", role=Role.CLERK, department_id=busiest["department_id"]
    ).first()
    return user.email, user.pk


def sign_in(base: str, email: str, password: str) -> str:
    """Session cookie header value after a real form sign-in."""
    status, body, response = request(base, ("GET", "/staff/login/", {}, None, 200, b""))
    cookies = SimpleCookie()
    for header in response.headers.get_all("Set-Cookie") or []:
        cookies.load(header)
    token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', body)
    if status != 200 or token is None or "csrftoken" not in cookies:
        raise SystemExit(f"sign-in page: {status}")
    form = urlencode(
        {"csrfmiddlewaretoken": token.group(1).decode(), "email": email, "password": password}
    ).encode()
    headers = {
        "Content-Type": "application/x-www-form-urlencoded",
        "Cookie": f"csrftoken={cookies['csrftoken'].value}",
    }
    status, body, response = request(base, ("POST", "/staff/login/", headers, form, 302, b""))
    for header in response.headers.get_all("Set-Cookie") or []:
        cookies.load(header)
    if status != 302 or "sessionid" not in cookies:
        raise SystemExit(f"sign-in failed: {status} {body[:200]!r}")
    # The second factor: the demo account's TOTP code (its secret is printed by demo_load).
    import pyotp

    from idx.demo.loader import demo_totp_secret

    form = urlencode(
        {
            "csrfmiddlewaretoken": token.group(1).decode(),
            "code": pyotp.TOTP(demo_totp_secret(email)).now(),
        }
    ).encode()
    headers["Cookie"] = f"csrftoken={cookies['csrftoken'].value}; sessionid={cookies['sessionid'].value}"
    status, body, response = request(base, ("POST", "/staff/login/second-factor/", headers, form, 302, b""))
    for header in response.headers.get_all("Set-Cookie") or []:
        cookies.load(header)
    if status != 302:
        raise SystemExit(f"second factor failed: {status} {body[:200]!r}")
    return f"csrftoken={cookies['csrftoken'].value}; sessionid={cookies['sessionid'].value}"


def variants(staff_id: int) -> list[tuple[str, dict[str, str], dict[str, str]]]:
    """(name, queue page parameters, API parameters, what the API answer must contain) per filter variant."""
    from idx.applications.models import Application
    from idx.identity.models import User

    staff = User.objects.get(pk=staff_id)
    case = (
        Application.objects.filter(
            municipality_id=staff.municipality_id, department_id=staff.department_id, status="submitted"
        )
        .order_by("id")
        .values("receipt_number", "applicant_name")
        .first()
    )
    receipt = case["receipt_number"]
    surname = case["applicant_name"].split()[0]
    # The API answer must hold a case (or, for the receipt search, that very case).
    return [
        ("default (open, by due date)", {}, {}, b'"receipt_number"'),
        ("status=submitted", {"status": "submitted"}, {"status": "submitted"}, b'"submitted"'),
        ("due=overdue", {"due": "overdue"}, {"due": "overdue"}, b'"receipt_number"'),
        (f"q=<receipt {receipt}>", {"q": receipt}, {"q": receipt}, receipt.encode()),
        (f"q=<receipt {receipt.lower()}>", {"q": receipt.lower()}, {"q": receipt.lower()}, receipt.encode()),
        (f"q=<surname {surname}>", {"q": surname}, {"q": surname}, json.dumps(surname)[1:-1].encode()),
        ("page=5", {"page": "5"}, {"offset": "200"}, b'"receipt_number"'),
    ]


def explain(staff_id: int, params: dict[str, str]) -> str:
    from django.db import connection

    from idx.applications.selectors import CaseFilters, case_list_for_staff
    from idx.identity.models import User

    staff = User.objects.select_related("department").get(pk=staff_id)
    filters = CaseFilters(
        status=params.get("status", "open"), due=params.get("due", ""), query=params.get("q", "")
    )
    page = int(params.get("page", "1"))
    queryset = case_list_for_staff(staff=staff, filters=filters)[(page - 1) * 50 : page * 50 + 1]
    sql, sql_params = queryset.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql, sql_params)
        return "\n".join(row[0] for row in cursor.fetchall())


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--base-url", default="http://127.0.0.1:8100")
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_DB))
    parser.add_argument(
        "--clerk-email", default=None, help="default: the clerk of the busiest department of 伊賀市"
    )
    parser.add_argument("--sequential", type=int, default=40, help="sequential requests per variant")
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument(
        "--duration", type=float, default=8.0, help="seconds per variant with concurrent clients"
    )
    parser.add_argument("--procs", type=int, default=1, help="load generator processes")
    parser.add_argument("--explain", action="store_true")
    parser.add_argument("--json", default=None, help="write the results to this file")
    args = parser.parse_args()

    setup_django(args.database_url)
    from django.db import connection

    from idx.demo.loader import DEMO_PASSWORD
    from idx.identity.models import User
    from idx.identity.services import api_token_issue

    email, staff_id = pick_clerk(args.clerk_email)
    staff = User.objects.select_related("department").get(pk=staff_id)
    print(f"clerk: {email} ({staff.department.name})")
    cookie = sign_in(args.base_url, email, DEMO_PASSWORD)
    token = api_token_issue(user=staff, name="bench queue_latency")
    all_variants = variants(staff_id)
    connection.close()  # no idle connection of ours during the runs
    bind = urlparse(args.base_url).netloc

    results = []
    for mode in ("sequential", "concurrent"):
        print(
            f"\n== {mode}"
            + (
                f" ({args.concurrency} clients, {args.duration:.0f} s per variant)"
                if mode == "concurrent"
                else f" ({args.sequential} requests per variant)"
            )
        )
        client_cpu = 0.0
        quiet = wait_for_quiet()
        started = time.time()
        with Sampler(bind) as sampler:
            for name, page_params, api_params, needle in all_variants:
                page_job: Job = (
                    "GET",
                    "/staff/" + (f"?{urlencode(page_params)}" if page_params else ""),
                    {"Cookie": cookie},
                    None,
                    200,
                    b"<table",
                )
                api_job: Job = (
                    "GET",
                    "/api/v1/staff/cases" + (f"?{urlencode(api_params)}" if api_params else ""),
                    {"Authorization": f"Bearer {token}"},
                    None,
                    200,
                    needle,
                )
                # Warm both (template loading, first query plans) before timing.
                for job in (page_job, api_job):
                    for _ in range(3):
                        request(args.base_url, job)
                for kind, job in (("queue page", page_job), ("API", api_job)):
                    label = f"{kind}: {name}"
                    if mode == "sequential":
                        result = run_sequential(label, args.base_url, job, args.sequential)
                    else:
                        result = run_load(
                            label,
                            args.base_url,
                            concurrency=args.concurrency,
                            duration=args.duration,
                            repeat=job,
                            procs=args.procs,
                        )
                    print(result.line())
                    client_cpu += result.client_cpu
                    results.append({"mode": mode, **result.summary()})
        report = sampler.report()
        report["busy_before_pct"] = round(quiet, 1)
        print_sampler(report, time.time() - started, client_cpu)
        results.append({"mode": mode, "sampler": report})

    # What one page holds, to show the answers are real.
    status, body, _ = request(
        args.base_url, ("GET", "/api/v1/staff/cases", {"Authorization": f"Bearer {token}"}, None, 200, b"")
    )
    cases = json.loads(body)
    print(
        f"\ndefault API page: {len(cases)} cases, first due {cases[0]['due_date'] if cases else '-'}, last due {cases[-1]['due_date'] if cases else '-'}"
    )

    if args.explain:
        for name, page_params, _api, _needle in all_variants:
            print(f"\n-- EXPLAIN ANALYZE queue query: {name}")
            print(explain(staff_id, page_params))
    if args.json:
        Path(args.json).write_text(json.dumps(results, ensure_ascii=False, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
