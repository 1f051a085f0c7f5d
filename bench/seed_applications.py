#!/usr/bin/env python
"""Seed a PostgreSQL database with the two demo municipalities and N applications (default 1,000,000).

    python bench/seed_applications.py --reset
    python bench/seed_applications.py --applications 200000 --database-url postgres://postgres@127.0.0.1:5432/idx_small

What it does:

1. creates the database (``--reset`` drops it first), migrates it;
2. loads the two demo municipalities (伊賀市, 度会町) with ``idx.demo.loader.load_municipality``:
   departments, staff (password ``DEMO_PASSWORD``), five residents each and the 30 shipped procedures —
   no demo applications;
3. creates ``--residents`` more resident accounts (90 % 伊賀市, 10 % 度会町) with ``bulk_create`` and one
   precomputed password hash (so they can sign in with ``DEMO_PASSWORD`` too);
4. bulk-inserts the applications on the PostgreSQL side (``INSERT ... SELECT generate_series``), 90 % for
   伊賀市, in chunks, with ``synchronous_commit = off``;
5. points every ``ReceiptSequence`` at the highest number used, so new submissions get fresh numbers;
6. ``VACUUM (ANALYZE)`` the tables.

The data (documented in docs/performance.md): creation dates spread evenly over the last three years and
ids grow with time, as in production. Procedures are skewed (the first procedures of the catalog are
more popular), the department follows from the procedure, the answers are a copy of the procedure's
``example``. Status depends on age: applications of the last 30 days are mostly open (submitted, in
review, correction requested, resubmitted); older ones are mostly decided or withdrawn, with 3 % left open
(they are the overdue cases at the top of the queue) and 3 % abandoned drafts. That makes about 5 %
of all applications open, i.e. ~50,000 open cases in the default queue of all departments together.
Receipt numbers are ``PREFIX-YYYY-NNNNNN`` with a number unique per municipality that grows with time.
No StatusChange or AuditEntry rows are generated for the seeded applications (the queue and the list API
do not read them).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path
from urllib.parse import urlparse, urlunparse

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/idx_bench"

SURNAMES = [
    "伊賀",
    "上野",
    "阿山",
    "青山",
    "柘植",
    "島田",
    "大山田",
    "名張",
    "佐那具",
    "比土",
    "服部",
    "西田",
    "中森",
    "奥田",
    "福井",
    "森川",
    "岩田",
    "松本",
    "山本",
    "田中",
    "鈴木",
    "高橋",
    "伊藤",
    "渡辺",
    "中村",
    "小林",
    "加藤",
    "吉田",
    "山田",
    "Silva",
]
GIVEN_NAMES = [
    "花子",
    "太郎",
    "美咲",
    "健一",
    "由美",
    "大輔",
    "恵子",
    "翔",
    "真理",
    "颯太",
    "陽菜",
    "蓮",
    "結衣",
    "湊",
    "葵",
    "悠真",
    "さくら",
    "大翔",
    "凛",
    "陸",
]


def _admin_url(url: str) -> tuple[str, str]:
    parsed = urlparse(url)
    name = parsed.path.lstrip("/")
    return urlunparse(parsed._replace(path="/postgres")), name


def create_database(url: str, reset: bool) -> None:
    import psycopg

    admin, name = _admin_url(url)
    with psycopg.connect(admin, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if exists and reset:
            print(f"dropping database {name}")
            conn.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
            exists = None
        if not exists:
            print(f"creating database {name}")
            conn.execute(f'CREATE DATABASE "{name}"')


def setup_django(url: str) -> None:
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "idx.settings.dev")
    os.environ.setdefault("IDX_DEBUG", "false")
    os.environ.setdefault("IDX_TASK_BACKEND", "database")
    os.environ.setdefault("IDX_DATA_DIR", "var/bench")
    src = Path(__file__).resolve().parent.parent / "src"
    if str(src) not in sys.path:
        sys.path.insert(0, str(src))
    import django

    django.setup()


def create_residents(total: int) -> None:
    from django.contrib.auth.hashers import make_password
    from django.utils import timezone

    from idx.common.models import Municipality
    from idx.demo.loader import DEMO_PASSWORD
    from idx.identity.models import Role, User

    password = make_password(DEMO_PASSWORD)  # one argon2 hash, shared: hashing 1000 times would take minutes
    now = timezone.now()
    municipalities = list(Municipality.objects.order_by("code"))
    shares = {"iga": 0.9}
    for municipality in municipalities:
        count = int(total * shares.get(municipality.slug, 0.1))
        existing = set(
            User.objects.filter(municipality=municipality, email__startswith="bench-resident").values_list(
                "email", flat=True
            )
        )
        users = []
        for index in range(1, count + 1):
            email = f"bench-resident{index}@{municipality.slug}.example.jp"
            if email in existing:
                continue
            surname = SURNAMES[index % len(SURNAMES)]
            given = GIVEN_NAMES[(index * 7) // len(SURNAMES) % len(GIVEN_NAMES)]
            users.append(
                User(
                    municipality=municipality,
                    email=email,
                    password=password,
                    full_name=f"{surname} {given}",
                    role=Role.RESIDENT,
                    email_verified_at=now,
                )
            )
        User.objects.bulk_create(users, batch_size=1000)
        print(f"  {municipality.name}: {len(users)} residents created")


# One chunk of applications for one municipality. %(lo)s..%(hi)s are this chunk's positions in the
# municipality's timeline 1..%(total)s; position n was created (total - n) / total * 1095 days ago.
INSERT_SQL = """
WITH procs AS (
    SELECT (row_number() OVER (ORDER BY p.id) - 1)::int AS idx, p.id AS procedure_id,
           p.published_version_id AS version_id, p.department_id,
           COALESCE((v.definition->>'processing_days')::int, 14) AS days,
           COALESCE(v.definition->'example', '{}'::jsonb) AS example
    FROM procedures_procedure p JOIN procedures_procedureversion v ON v.id = p.published_version_id
    WHERE p.municipality_id = %(m)s
), nprocs AS (SELECT count(*)::int AS c FROM procs),
users AS (
    SELECT (row_number() OVER (ORDER BY id) - 1)::int AS idx, id, full_name
    FROM identity_user WHERE municipality_id = %(m)s AND role = 'resident'
), nusers AS (SELECT count(*)::int AS c FROM users),
clerks AS (
    SELECT DISTINCT ON (department_id) department_id, id
    FROM identity_user WHERE municipality_id = %(m)s AND role = 'clerk' ORDER BY department_id, id
),
series AS MATERIALIZED (
    SELECT g AS n,
           ((%(total)s - g)::float8 / %(total)s) * 1095 + random() * 0.5 AS age_days,
           random() AS r_status,
           floor(power(random(), 1.6) * (SELECT c FROM nprocs))::int AS proc_idx,
           floor(random() * (SELECT c FROM nusers))::int AS user_idx,
           random() AS r_decide
    FROM generate_series(%(lo)s, %(hi)s) g
),
rows AS (
    SELECT s.*, p.procedure_id, p.version_id, p.department_id, p.days, p.example,
           u.id AS applicant_id, u.full_name,
           now() - s.age_days * interval '1 day' AS at,
           CASE
             WHEN s.age_days <= 30 THEN CASE
               WHEN s.r_status < 0.02 THEN 'draft'
               WHEN s.r_status < 0.42 THEN 'submitted'
               WHEN s.r_status < 0.77 THEN 'in_review'
               WHEN s.r_status < 0.85 THEN 'correction_requested'
               WHEN s.r_status < 0.89 THEN 'resubmitted'
               WHEN s.r_status < 0.97 THEN 'approved'
               WHEN s.r_status < 0.98 THEN 'rejected'
               ELSE 'withdrawn' END
             ELSE CASE
               WHEN s.r_status < 0.03 THEN 'draft'
               WHEN s.r_status < 0.045 THEN 'submitted'
               WHEN s.r_status < 0.06 THEN 'in_review'
               WHEN s.r_status < 0.82 THEN 'approved'
               WHEN s.r_status < 0.88 THEN 'rejected'
               ELSE 'withdrawn' END
           END AS status
    FROM series s
    JOIN procs p ON p.idx = s.proc_idx
    JOIN users u ON u.idx = s.user_idx
)
INSERT INTO applications_application (
    created_at, updated_at, public_id, applicant_name, status, answers, language, receipt_number,
    submitted_at, due_date, decided_at, decision_reason, correction_notes, correction_message,
    declaration_accepted_at, row_version, idempotency_key,
    applicant_id, assignee_id, department_id, municipality_id, procedure_id, procedure_version_id
)
SELECT
    r.at,
    CASE WHEN r.status IN ('approved', 'rejected') THEN r.at + r.r_decide * r.days * interval '1 day'
         ELSE r.at + interval '10 minutes' END,
    gen_random_uuid(),
    r.full_name,
    r.status,
    r.example,
    'ja',
    CASE WHEN r.status = 'draft' THEN NULL
         ELSE %(prefix)s || '-' || extract(year FROM (r.at AT TIME ZONE 'Asia/Tokyo'))::int || '-'
              || lpad(r.n::text, greatest(6, length(r.n::text)), '0') END,
    CASE WHEN r.status = 'draft' THEN NULL ELSE r.at END,
    CASE WHEN r.status = 'draft' THEN NULL ELSE (r.at AT TIME ZONE 'Asia/Tokyo')::date + r.days END,
    CASE WHEN r.status IN ('approved', 'rejected') THEN r.at + r.r_decide * r.days * interval '1 day' END,
    CASE WHEN r.status = 'rejected' THEN '要件を満たしていないため。' ELSE '' END,
    CASE WHEN r.status = 'correction_requested'
         THEN '{"contact.phone": "記載内容を確認のうえ、訂正してください。"}'::jsonb ELSE '{}'::jsonb END,
    CASE WHEN r.status = 'correction_requested' THEN '一部の項目について確認をお願いします。' ELSE '' END,
    CASE WHEN r.status = 'draft' THEN NULL ELSE r.at END,
    CASE r.status WHEN 'draft' THEN 1 WHEN 'submitted' THEN 2 WHEN 'withdrawn' THEN 3 WHEN 'in_review' THEN 3
                  WHEN 'correction_requested' THEN 4 WHEN 'resubmitted' THEN 5 ELSE 4 END,
    NULL,
    r.applicant_id,
    CASE WHEN r.status IN ('in_review', 'correction_requested', 'resubmitted', 'approved', 'rejected')
         THEN c.id END,
    r.department_id, %(m)s, r.procedure_id, r.version_id
FROM rows r
LEFT JOIN clerks c ON c.department_id = r.department_id
ORDER BY r.n
"""

RECEIPT_SEQUENCE_SQL = """
INSERT INTO applications_receiptsequence (municipality_id, year, last_number)
SELECT municipality_id, split_part(receipt_number, '-', 2)::int, max(split_part(receipt_number, '-', 3)::int)
FROM applications_application WHERE receipt_number IS NOT NULL
GROUP BY 1, 2
ON CONFLICT (municipality_id, year) DO UPDATE SET last_number = GREATEST(applications_receiptsequence.last_number, EXCLUDED.last_number)
"""


def insert_applications(total: int, chunk: int) -> None:
    from django.db import connection, transaction

    from idx.common.models import Municipality

    shares = {"iga": 0.9}
    with connection.cursor() as cursor:
        cursor.execute("SET synchronous_commit = off")
        cursor.execute("SET work_mem = '256MB'")
        cursor.execute("SET maintenance_work_mem = '1GB'")
    for municipality in Municipality.objects.order_by("code"):
        count = int(round(total * shares.get(municipality.slug, 0.1)))
        if count <= 0:
            continue
        started = time.monotonic()
        for lo in range(1, count + 1, chunk):
            hi = min(count, lo + chunk - 1)
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute(
                    INSERT_SQL,
                    {
                        "m": municipality.pk,
                        "lo": lo,
                        "hi": hi,
                        "total": count,
                        "prefix": municipality.receipt_prefix,
                    },
                )
            print(
                f"  {municipality.name}: {hi:>9,} / {count:,} applications ({time.monotonic() - started:.0f} s)"
            )
    with connection.cursor() as cursor:
        cursor.execute(RECEIPT_SEQUENCE_SQL)


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_URL))
    parser.add_argument("--applications", type=int, default=1_000_000)
    parser.add_argument("--residents", type=int, default=1000)
    parser.add_argument("--chunk", type=int, default=100_000, help="rows per INSERT statement")
    parser.add_argument("--reset", action="store_true", help="drop and recreate the database first")
    args = parser.parse_args()

    started = time.monotonic()
    create_database(args.database_url, args.reset)
    setup_django(args.database_url)

    from django.core.management import call_command
    from django.db import connection

    from idx.applications.models import Application
    from idx.demo.loader import MUNICIPALITIES, load_municipality

    print("migrating")
    call_command("migrate", verbosity=0)
    print("loading the demo municipalities (no demo applications)")
    for spec in MUNICIPALITIES:
        load_municipality(spec)
    print(f"creating {args.residents} residents")
    create_residents(args.residents)
    existing = Application.objects.count()
    if existing:
        print(f"{existing:,} applications exist already; not inserting more (use --reset to start over)")
    else:
        print(f"inserting {args.applications:,} applications")
        insert_applications(args.applications, args.chunk)
    print("VACUUM (ANALYZE)")
    with connection.cursor() as cursor:
        cursor.execute("VACUUM (ANALYZE)")
        cursor.execute(
            "SELECT status, count(*) FROM applications_application GROUP BY status ORDER BY count(*) DESC"
        )
        for status, count in cursor.fetchall():
            print(f"  {status:<22} {count:>9,}")
        cursor.execute("SELECT pg_size_pretty(pg_total_relation_size('applications_application'))")
        print(f"  applications_application: {cursor.fetchone()[0]} with indexes")
    print(f"done in {time.monotonic() - started:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
