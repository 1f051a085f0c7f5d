#!/usr/bin/env python
"""How fast CKAN's package_search answers over a large open data catalog.

    python bench/opendata_search.py --datasets 10000 --requests 200
    python bench/opendata_search.py --database-url postgres://postgres@127.0.0.1:5432/idx_bench_opendata

Set-up (not timed): a database of its own (SQLite under var/bench/, or the PostgreSQL database of
``--database-url``, dropped and created afresh), the
demo municipality, and ``--datasets`` published datasets of realistic shape (Japanese titles and
descriptions, two to four tags from a list of 40, one of the departments and themes, one to three
files of different formats), written in bulk. Timed: the whole request through Django (URL,
parameters, selectors, the CKAN dictionaries, JSON) with the test client, in process, for four
kinds of search a harvester or a portal sends; p50/p95/max in milliseconds, the number of queries
each one makes, the CPU time of this process per request (p50/p95: on a busy machine, what the
request costs apart from waiting for a core) and, on PostgreSQL, the server's CPU per request.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import time
import uuid
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
ROOT = Path(__file__).resolve().parent.parent

from _bench import percentile, setup_django  # noqa: E402

WORDS = [
    "避難",
    "給水",
    "AED",
    "公園",
    "図書館",
    "子育て",
    "介護",
    "ごみ",
    "人口",
    "観光",
    "祭り",
    "学校",
    "病院",
    "駐車場",
]
TAGS = [f"タグ{number}" for number in range(30)] + [
    "防災",
    "地図",
    "子育て",
    "施設",
    "統計",
    "観光",
    "ごみ",
    "福祉",
    "健康",
    "教育",
]


def fresh_postgres_database(url: str) -> None:
    import psycopg

    name = url.rsplit("/", 1)[1]
    admin = url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        connection.execute(f'CREATE DATABASE "{name}"')


ALL_FACETS = '["organization","groups","tags","res_format","license_id"]'


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--datasets", type=int, default=10000)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--database-url", default="")
    args = parser.parse_args()
    if args.database_url:
        url = args.database_url
        fresh_postgres_database(url)
    else:
        database = ROOT / "var" / "bench" / "opendata.sqlite3"
        database.parent.mkdir(parents=True, exist_ok=True)
        if database.exists():
            database.unlink()
        url = f"sqlite:///{database}"
    setup_django(url)
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from django.test import Client
    from django.utils import timezone

    from idx.demo.loader import MUNICIPALITIES, load_municipality
    from idx.identity.models import Department
    from idx.opendata.models import Dataset, Resource, Theme

    municipality, _accounts = load_municipality(MUNICIPALITIES[0])
    departments = list(Department.objects.filter(municipality=municipality))
    rng = random.Random(2026)
    started = time.perf_counter()
    now = timezone.now()
    batch: list[Dataset] = []
    for number in range(args.datasets):
        word = rng.choice(WORDS)
        tags = rng.sample(TAGS, rng.randint(2, 4))
        dataset = Dataset(
            municipality=municipality,
            uid=uuid.uuid4(),
            name=f"dataset-{number:05d}",
            titles={"ja": f"{word}に関するデータ その{number}", "en": f"Data on {word} no. {number}"},
            descriptions={"ja": f"伊賀市の{word}についての一覧です（{number}）。"},
            department=rng.choice(departments),
            theme=rng.choice(Theme.values),
            tags=tags,
            tag_index="".join(f"|{tag}" for tag in tags) + "|",
            license_id=rng.choice(["pdl-1.0", "cc-by-4.0"]),
            frequency="ANNUAL",
            contact_name="情報政策課",
            status=Dataset.Status.PUBLISHED,
            published_at=now,
        )
        dataset.search_text = " ".join(
            [dataset.name, *dataset.titles.values(), *dataset.descriptions.values(), *tags]
        ).lower()
        batch.append(dataset)
    Dataset.objects.bulk_create(batch, batch_size=1000)
    resources = []
    for dataset in Dataset.objects.filter(municipality=municipality).only("pk"):
        for position, format in enumerate(
            rng.sample(["CSV", "JSON", "GeoJSON", "PDF", "XLSX"], rng.randint(1, 3))
        ):
            resources.append(
                Resource(
                    dataset_id=dataset.pk,
                    position=position,
                    names={"ja": f"ファイル{position + 1}"},
                    format=format,
                    file=f"opendata/bench/{dataset.pk}-{position}.{format.lower()}",
                    filename=f"data-{position}.{format.lower()}",
                    size=1024 * (position + 1),
                    sha256="0" * 64,
                )
            )
    Resource.objects.bulk_create(resources, batch_size=2000)
    from django.db import connection

    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")  # as autovacuum would after a load this size
    print(
        f"set-up: {args.datasets} datasets, {len(resources)} files in {time.perf_counter() - started:.1f} s"
    )

    client = Client(HTTP_HOST="127.0.0.1")
    kinds = {
        "words (q=避難 rows=10)": {"q": "避難"},
        "harvest page (rows=100, sort name)": {"rows": "100", "start": "500", "sort": "name asc"},
        "filter + 3 facets": {
            "fq": "tags:防災 res_format:CSV",
            "facet.field": '["tags","organization","res_format"]',
        },
        "portal list (fq theme, facets groups)": {
            "fq": "groups:disaster",
            "facet.field": '["groups","license_id"]',
            "sort": "metadata_modified desc",
        },
        # The target's case: a harvester's page of 100 with all five facets.
        "all, 5 facets, rows=100": {"rows": "100", "facet.field": ALL_FACETS},
        "q=避難, 5 facets, rows=100": {"q": "避難", "rows": "100", "facet.field": ALL_FACETS},
        "fq tags+format, 5 facets, rows=100": {
            "fq": "tags:防災 res_format:CSV",
            "rows": "100",
            "facet.field": ALL_FACETS,
        },
    }
    from django.db import connection

    print(f"load average before: {os.getloadavg()[0]:.1f}")
    print(
        f"{'search':40} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8}  results  queries"
        f" {'cpu p50':>8} {'cpu p95':>8} {'db cpu':>7}"
    )
    backend = database_backend_pid(connection)
    for label, params in kinds.items():
        times: list[float] = []
        cpu: list[float] = []
        count = 0
        queries: list[str] = []

        def counting(execute, sql, params, many, context, queries=queries):  # type: ignore[no-untyped-def]
            queries.append(sql)
            return execute(sql, params, many, context)

        with connection.execute_wrapper(counting):
            client.get("/api/3/action/package_search", params)
        database_cpu = process_cpu_seconds(backend)
        for _ in range(args.requests):
            begin, begin_cpu = time.perf_counter(), time.process_time()
            response = client.get("/api/3/action/package_search", params)
            times.append((time.perf_counter() - begin) * 1000)
            cpu.append((time.process_time() - begin_cpu) * 1000)
            assert response.status_code == 200, response.content[:300]
            count = response.json()["result"]["count"]
        print(
            f"{label:40} {percentile(times, 50):8.1f} {percentile(times, 95):8.1f} {max(times):8.1f}"
            f"  {count:7}  {len(queries):7} {percentile(cpu, 50):8.1f} {percentile(cpu, 95):8.1f}"
            f" {(process_cpu_seconds(backend) - database_cpu) * 1000 / args.requests:7.1f}"
        )
    print(f"load average after: {os.getloadavg()[0]:.1f}")


def database_backend_pid(connection: Any) -> int | None:
    """The PostgreSQL server process answering this connection (same machine), to read its CPU."""
    if connection.vendor != "postgresql":
        return None
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        return int(cursor.fetchone()[0])


def process_cpu_seconds(pid: int | None) -> float:
    """CPU seconds (user + system) a process has used; 0 without one (SQLite runs in this process)."""
    if pid is None:
        return 0.0
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


if __name__ == "__main__":
    main()
