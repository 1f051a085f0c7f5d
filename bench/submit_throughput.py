#!/usr/bin/env python
"""Throughput of POST /api/v1/applications/<id>/submit, and of /healthz on the same server, same run.

Needs a running server (``idx serve`` with IDX_TASK_BACKEND=database) on the seeded database; see
bench/README.md.

    python bench/submit_throughput.py --base-url http://127.0.0.1:8100 --concurrency 16 --duration 30

Set-up (not timed, directly in the database through the ORM): one API token per resident of 伊賀市
(``--residents``) and ``--drafts`` draft applications of ``--procedure`` spread over those residents,
each holding the procedure's ``example`` answers (checked valid first with the same validation the
submission runs). The drafts are tagged with an idempotency key ``bench-<run>-<n>`` so the run can be
counted afterwards. ``bulk_create`` stands in for ``application_start`` + ``application_save_answers``:
the rows are the same, only the "application.start" audit entries are missing.

Then, timed:

1. warm-up: ``--warmup`` submissions (every worker imports and caches what it needs);
2. closed loop: ``--concurrency`` connections submit as fast as the server answers, ``--duration`` s;
3. open loop (``--rate``, default 100/s): submissions started on a fixed schedule, ``--rate-duration`` s,
   latency counted from the scheduled start (so queueing is not hidden);
4. /healthz closed loop with the same concurrency, ``--healthz-duration`` s.

Each submission is a full ``application_submit``: validation against the JSON schema, the locked receipt
sequence, the status change, the audit entry and, after commit, the e-mail task enqueued in the database
(django-tasks-db; nothing runs it during the benchmark). Afterwards the script checks in the database that
exactly the submissions answered 200 are submitted, with unique receipt numbers, one StatusChange, one
audit entry and one enqueued e-mail task each.
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import random
import sys
import time
import uuid
from pathlib import Path
from urllib.parse import urlparse

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _bench import Job, Result, Sampler, print_sampler, run_load, setup_django, wait_for_quiet  # noqa: E402

DEFAULT_DB = "postgres://postgres@127.0.0.1:5432/idx_bench"


def prepare(procedure_code: str, drafts: int, residents: int, run_id: str) -> list[tuple[str, str]]:
    """[(public_id, bearer token)] of fresh drafts, ready to submit."""
    from django.utils import timezone

    from idx.applications.answers import applicant_name_from, visible_answers
    from idx.applications.models import Application
    from idx.identity.models import ApiToken, Role, User
    from idx.procedures.definition import validate_answers
    from idx.procedures.models import Procedure

    procedure = Procedure.objects.select_related("published_version", "municipality").get(
        municipality__slug="iga", code=procedure_code
    )
    version = procedure.published_version
    definition = version.parsed
    example = copy.deepcopy(version.definition.get("example") or {})
    errors = validate_answers(definition, visible_answers(definition, example))
    if errors:
        raise SystemExit(f"the example of {procedure_code} is not valid: {errors}")
    users = list(
        User.objects.filter(municipality=procedure.municipality, role=Role.RESIDENT, is_active=True).order_by(
            "id"
        )[:residents]
    )
    tokens: dict[int, str] = {}
    token_rows = []
    for user in users:
        raw = ApiToken.new_raw_token()
        tokens[user.pk] = raw
        token_rows.append(
            ApiToken(
                municipality=procedure.municipality,
                user=user,
                name=f"bench {run_id}",
                token_hash=ApiToken.hash(raw),
                last_used_at=timezone.now(),
            )
        )
    ApiToken.objects.bulk_create(token_rows, batch_size=1000)
    name = applicant_name_from(definition, example)
    rows = []
    for index in range(drafts):
        user = users[index % len(users)]
        rows.append(
            Application(
                municipality=procedure.municipality,
                procedure=procedure,
                procedure_version=version,
                department_id=procedure.department_id,
                applicant=user,
                applicant_name=name or user.full_name,
                answers=example,
                language="ja",
                idempotency_key=f"bench-{run_id}-{index}",
            )
        )
    created = Application.objects.bulk_create(rows, batch_size=2000)
    pairs = [(str(application.public_id), tokens[application.applicant_id]) for application in created]
    random.Random(run_id).shuffle(pairs)
    return pairs


def submit_job(public_id: str, token: str) -> Job:
    return (
        "POST",
        f"/api/v1/applications/{public_id}/submit",
        {"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
        b'{"declaration_accepted": true}',
        200,
        b'"submitted"',
    )


def verify(run_id: str, expected_ok: int) -> dict[str, object]:
    from django.db import connection
    from django.db.models import Count
    from django_tasks_db.models import DBTaskResult

    from idx.applications.models import Application, StatusChange
    from idx.audit.models import AuditEntry

    mine = Application.objects.filter(idempotency_key__startswith=f"bench-{run_id}-")
    by_status = dict(mine.values_list("status").annotate(n=Count("id")).values_list("status", "n"))
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
            f"SELECT count(*) FROM {DBTaskResult._meta.db_table} "
            "WHERE task_path LIKE %s AND (args_kwargs->'args'->>0)::bigint = ANY(%s)",
            ["%notify_status", ids],
        )
        tasks = cursor.fetchone()[0]
    checks = {
        "drafts_by_status": by_status,
        "http_200": expected_ok,
        "submitted_in_db": len(ids),
        "receipts_unique_and_set": len(set(receipts)) == len(receipts) and None not in receipts,
        "status_changes": changes,
        "audit_entries": audits,
        "email_tasks_enqueued": tasks,
    }
    checks["all_ok"] = (
        len(ids) == expected_ok == changes == audits == tasks and checks["receipts_unique_and_set"]
    )
    return checks


def phase(label: str, bind: str, action) -> tuple[Result, dict[str, object]]:  # type: ignore[no-untyped-def]
    quiet = wait_for_quiet()
    started = time.time()
    with Sampler(bind) as sampler:
        result = action()
    report = sampler.report()
    report["busy_before_pct"] = round(quiet, 1)
    print(result.line())
    print_sampler(report, time.time() - started, result.client_cpu)
    return result, report


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--base-url", default="http://127.0.0.1:8100")
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_DB))
    parser.add_argument("--procedure", default="event-registration")
    parser.add_argument("--drafts", type=int, default=8000)
    parser.add_argument("--residents", type=int, default=1000)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--procs", type=int, default=2, help="load generator processes")
    parser.add_argument("--warmup", type=int, default=200)
    parser.add_argument("--duration", type=float, default=30.0, help="closed-loop submission phase, seconds")
    parser.add_argument("--rate", type=float, default=100.0, help="open-loop submissions/s (0 = skip)")
    parser.add_argument("--rate-duration", type=float, default=20.0)
    parser.add_argument("--healthz-duration", type=float, default=10.0)
    parser.add_argument("--json", default=None, help="write the results to this file")
    args = parser.parse_args()

    setup_django(args.database_url)
    from django.db import connection

    run_id = uuid.uuid4().hex[:8]
    print(f"run {run_id}: preparing {args.drafts} drafts of {args.procedure} and API tokens")
    began = time.monotonic()
    pairs = prepare(args.procedure, args.drafts, args.residents, run_id)
    print(f"  prepared in {time.monotonic() - began:.1f} s")
    connection.close()
    bind = urlparse(args.base_url).netloc
    jobs = [submit_job(public_id, token) for public_id, token in pairs]
    cursor = 0

    def take(count: int) -> list[Job]:
        nonlocal cursor
        chosen = jobs[cursor : cursor + count]
        cursor += count
        return chosen

    out: dict[str, object] = {"run": run_id, "args": vars(args)}
    total_ok = 0
    print(f"\n== warm-up: {args.warmup} submissions")
    warm = run_load(
        "submit warm-up",
        args.base_url,
        concurrency=args.concurrency,
        duration=60,
        jobs=take(args.warmup),
        procs=args.procs,
    )
    print(warm.line())
    total_ok += warm.ok

    print(f"\n== closed loop: {args.concurrency} connections, {args.duration:.0f} s")
    # Enough jobs for 1000 submissions/s; the unused ones stay drafts.
    budget = min(len(jobs) - cursor - int(args.rate * args.rate_duration * 1.2), int(args.duration * 1000))
    closed, closed_report = phase(
        "submit (closed loop)",
        bind,
        lambda: run_load(
            "submit (closed loop)",
            args.base_url,
            concurrency=args.concurrency,
            duration=args.duration,
            jobs=take(budget),
            procs=args.procs,
        ),
    )
    total_ok += closed.ok
    if closed.ok >= budget * 0.98:
        print("    WARNING: ran out of drafts; raise --drafts")
    out["closed"] = {**closed.summary(), "sampler": closed_report}

    if args.rate:
        print(f"\n== open loop: {args.rate:.0f} submissions/s scheduled, {args.rate_duration:.0f} s")
        count = int(args.rate * args.rate_duration) + 10
        opened, open_report = phase(
            f"submit (open loop {args.rate:.0f}/s)",
            bind,
            lambda: run_load(
                f"submit (open loop {args.rate:.0f}/s)",
                args.base_url,
                concurrency=max(args.concurrency, 64),
                duration=args.rate_duration,
                jobs=take(count),
                procs=args.procs,
                rate=args.rate,
            ),
        )
        total_ok += opened.ok
        out["open"] = {**opened.summary(), "sampler": open_report}

    print(f"\n== /healthz: {args.concurrency} connections, {args.healthz_duration:.0f} s")
    health_job: Job = ("GET", "/healthz", {}, None, 200, b"ok")
    health, health_report = phase(
        "GET /healthz (closed loop)",
        bind,
        lambda: run_load(
            "GET /healthz (closed loop)",
            args.base_url,
            concurrency=args.concurrency,
            duration=args.healthz_duration,
            repeat=health_job,
            procs=args.procs,
        ),
    )
    out["healthz"] = {**health.summary(), "sampler": health_report}

    print("\n== checking the database")
    checks = verify(run_id, total_ok)
    for key, value in checks.items():
        print(f"  {key}: {value}")
    out["checks"] = checks
    if args.json:
        Path(args.json).write_text(json.dumps(out, ensure_ascii=False, indent=2, default=str))
    return 0 if checks["all_ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
