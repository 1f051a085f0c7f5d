#!/usr/bin/env python
"""How fast CKAN's datastore_search answers on a table of 1,000,000 rows (PostgreSQL).

    python bench/opendata_datastore.py --rows 1000000 --requests 100
    python bench/opendata_datastore.py --database-url postgres://postgres@127.0.0.1:5432/idx_bench_datastore

Set-up (not timed): a PostgreSQL database of its own, dropped and created afresh, the demo
municipality, one published dataset with one CSV resource whose ``--rows`` rows (the columns of
the standard AED dataset: name, address, latitude, longitude, place, days) are streamed into the
DataStore with COPY, then ANALYZE. Timed: the whole request through Django (URL, parameters,
selectors, JSON) with the test client, in process, for the queries a client sends: the first page,
a page deep in the table, a filter on a column, a word search, a sort on a column; p50/p95/max in
milliseconds and the queries each makes.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import time
import uuid
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _bench import fresh_database, percentile, setup_django  # noqa: E402

DEFAULT_DB = "postgres://postgres@127.0.0.1:5432/idx_bench_datastore"
TOWNS = ["上野丸之内", "四十九町", "阿保", "柘植町", "島ヶ原", "大山田", "青山", "西明寺", "小田町", "緑ケ丘"]
PLACES = ["1階 総合案内横", "体育館入口", "事務室前", "玄関ホール", "救急外来入口", "2階 廊下"]
DAYS = ["月火水木金", "月火水木金土日", "土日", "火水木金土日"]


def load_rows(resource_id: int, rows: int) -> None:
    """COPY the rows in one stream (nothing held in memory but the row being written)."""
    from django.db import connection

    rng = random.Random(2026)
    with connection.cursor() as cursor:
        raw = cursor.connection  # psycopg 3
        with raw.cursor().copy(
            "COPY opendata_datastorerecord (resource_id, number, data, search_text) FROM STDIN"
        ) as copy:
            for number in range(1, rows + 1):
                town = rng.choice(TOWNS)
                data = {
                    "名称": f"AED設置施設{number}",
                    "所在地_連結表記": f"三重県伊賀市{town}{rng.randint(1, 4000)}",
                    "緯度": round(34.6 + rng.random() * 0.25, 6),
                    "経度": round(136.0 + rng.random() * 0.3, 6),
                    "設置位置": rng.choice(PLACES),
                    "利用可能曜日": rng.choice(DAYS),
                    "町名": town,
                }
                text = " ".join(str(value) for value in data.values()).lower()
                copy.write_row((resource_id, number, json.dumps(data, ensure_ascii=False), text))
        cursor.execute("ANALYZE opendata_datastorerecord")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--requests", type=int, default=100)
    parser.add_argument("--database-url", default=DEFAULT_DB)
    parser.add_argument(
        "--suggested-indexes",
        action="store_true",
        help="also time with the indexes proposed for filters and words (GIN on data, trigram GIN on the text)",
    )
    args = parser.parse_args()
    fresh_database(args.database_url)
    setup_django(args.database_url)
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from django.db import connection
    from django.test import Client
    from django.utils import timezone

    from idx.demo.loader import MUNICIPALITIES, load_municipality
    from idx.identity.models import Department
    from idx.opendata.models import Dataset, Resource

    municipality, _accounts = load_municipality(MUNICIPALITIES[0])
    department = Department.objects.filter(municipality=municipality).order_by("code").first()
    assert department is not None
    dataset = Dataset.objects.create(
        municipality=municipality,
        uid=uuid.uuid4(),
        name="aed-large",
        titles={"ja": "AED設置箇所一覧（大規模）"},
        descriptions={"ja": "計測用の大きな表です。"},
        department=department,
        theme="health_welfare",
        tags=["AED"],
        tag_index="|AED|",
        license_id="pdl-1.0",
        frequency="ANNUAL",
        contact_name="健康推進課",
        status=Dataset.Status.PUBLISHED,
        published_at=timezone.now(),
    )
    columns = ["名称", "所在地_連結表記", "緯度", "経度", "設置位置", "利用可能曜日", "町名"]
    kinds = {"緯度": "numeric", "経度": "numeric"}
    resource = Resource.objects.create(
        dataset=dataset,
        names={"ja": "AED設置箇所一覧（CSV）"},
        format="CSV",
        file="opendata/bench/aed-large.csv",
        filename="aed-large.csv",
        size=args.rows * 120,
        sha256="0" * 64,
        fields=[{"id": name, "type": kinds.get(name, "text")} for name in columns],
        row_count=args.rows,
    )
    started = time.perf_counter()
    load_rows(resource.pk, args.rows)
    print(f"set-up: {args.rows:,} rows copied and analysed in {time.perf_counter() - started:.1f} s")

    client = Client(HTTP_HOST="127.0.0.1")
    rid = str(resource.uid)
    cases = {
        "first page (limit=100)": {"resource_id": rid, "limit": "100"},
        "deep page (offset=900000, limit=100)": {"resource_id": rid, "limit": "100", "offset": "900000"},
        "fields + limit=1000": {"resource_id": rid, "limit": "1000", "fields": "名称,緯度,経度"},
        "filter 町名=阿保 (limit=100)": {"resource_id": rid, "filters": '{"町名": "阿保"}'},
        "same, include_total=false": {
            "resource_id": rid,
            "filters": '{"町名": "阿保"}',
            "include_total": "false",
        },
        "filter 名称 (one row)": {"resource_id": rid, "filters": '{"名称": "AED設置施設765432"}'},
        "q=設置施設76543 (words)": {"resource_id": rid, "q": "設置施設76543"},
        "sort 緯度 desc (limit=100)": {"resource_id": rid, "sort": "緯度 desc"},
    }
    run(client, cases, args.requests)
    if args.suggested_indexes:
        started = time.perf_counter()
        with connection.cursor() as cursor:
            cursor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
            cursor.execute(
                "CREATE INDEX bench_datastore_data ON opendata_datastorerecord USING gin (data jsonb_path_ops)"
            )
            cursor.execute(
                "CREATE INDEX bench_datastore_text ON opendata_datastorerecord USING gin (search_text gin_trgm_ops)"
            )
            cursor.execute("ANALYZE opendata_datastorerecord")
        print(f"with the suggested indexes (built in {time.perf_counter() - started:.1f} s):")
        run(client, cases, args.requests)


def run(client: Any, cases: dict[str, dict[str, str]], request_count: int) -> None:
    from django.db import connection
    from opendata_search import database_backend_pid, process_cpu_seconds

    print(f"load average: {os.getloadavg()[0]:.1f}")
    print(
        f"{'datastore_search':40} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8}  total  queries"
        f" {'cpu p50':>8} {'db cpu':>7}"
    )
    backend = database_backend_pid(connection)
    for label, params in cases.items():
        queries: list[str] = []

        def counting(execute, sql, params, many, context, queries=queries):  # type: ignore[no-untyped-def]
            queries.append(sql)
            return execute(sql, params, many, context)

        with connection.execute_wrapper(counting):
            response = client.get("/api/3/action/datastore_search", params)
        assert response.status_code == 200, response.content[:300]
        times: list[float] = []
        total = 0
        slow = "sort" in params or "q" in params or "filters" in params
        requests = max(10, request_count // 5) if slow else request_count
        cpu: list[float] = []
        database_cpu = process_cpu_seconds(backend)
        for _ in range(requests):
            begin, begin_cpu = time.perf_counter(), time.process_time()
            response = client.get("/api/3/action/datastore_search", params)
            times.append((time.perf_counter() - begin) * 1000)
            cpu.append((time.process_time() - begin_cpu) * 1000)
            assert response.status_code == 200, response.content[:300]
            total = response.json()["result"].get("total", "-")
        print(
            f"{label:40} {percentile(times, 50):8.1f} {percentile(times, 95):8.1f} {max(times):8.1f}"
            f"  {total:>7}  {len(queries):7} {percentile(cpu, 50):8.1f}"
            f" {(process_cpu_seconds(backend) - database_cpu) * 1000 / requests:7.1f}"
        )


if __name__ == "__main__":
    main()
