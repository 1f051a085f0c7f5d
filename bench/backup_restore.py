#!/usr/bin/env python
"""The restore drill, timed: `idx backup` of a loaded database and its files, then `idx restore` into
a new PostgreSQL database and an empty folder, each as the command an operator runs.

    python bench/backup_restore.py --database-url postgres://postgres@127.0.0.1:5432/idx_ops_demo \
        --data-dir var

Prints the wall time of each command, the archive's size, the database's size, the rows, tables
and files the commands report. The new database is dropped at the end (--keep keeps it).
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit


def _psql(url: str, sql: str) -> str:
    server = urlunsplit(urlsplit(url)._replace(path="/postgres"))
    return subprocess.run(  # noqa: S603
        ["psql", server, "-Atc", sql], capture_output=True, text=True, check=True
    ).stdout.strip()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", required=True, help="the loaded database (PostgreSQL)")
    parser.add_argument("--data-dir", required=True, help="its IDX_DATA_DIR (media/ inside holds the files)")
    parser.add_argument("--keep", action="store_true", help="keep the restored database")
    options = parser.parse_args()
    idx = str(Path(sys.executable).with_name("idx"))
    name = urlsplit(options.database_url).path.lstrip("/")
    work = Path(tempfile.mkdtemp(prefix="idx-bench-backup-"))
    key = work / "backup.key"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "idx.settings.dev",
        "DATABASE_URL": options.database_url,
        "IDX_DATA_DIR": options.data_dir,
    }
    recipient = subprocess.run(  # noqa: S603
        [idx, "backup_keygen", str(key)], env=env, capture_output=True, text=True, check=True
    ).stdout.strip()
    env["IDX_BACKUP_RECIPIENTS"] = recipient.removeprefix("IDX_BACKUP_RECIPIENTS=")
    size = _psql(options.database_url, f"SELECT pg_size_pretty(pg_database_size('{name}'))")
    print(f"database {name}: {size}")
    media = Path(options.data_dir) / "media"
    files = [path for path in media.rglob("*") if path.is_file()] if media.exists() else []
    print(f"files: {len(files)}, {sum(path.stat().st_size for path in files):,} bytes")

    archive = work / "idx.age"
    started = time.monotonic()
    done = subprocess.run([idx, "backup", str(archive)], env=env, capture_output=True, text=True)  # noqa: S603
    backup_seconds = time.monotonic() - started
    print(done.stdout.strip() or done.stderr.strip())
    if done.returncode:
        return 1
    print(f"idx backup: {backup_seconds:.1f} s wall, archive {archive.stat().st_size:,} bytes")

    target = f"{name}_restored_{os.getpid()}"
    _psql(options.database_url, f'CREATE DATABASE "{target}"')
    restore_env = {
        **env,
        "IDX_DATA_DIR": str(work / "restored"),
        "DATABASE_URL": urlunsplit(urlsplit(options.database_url)._replace(path=f"/{target}")),
    }
    try:
        started = time.monotonic()
        done = subprocess.run(  # noqa: S603
            [idx, "restore", str(archive), "--identity", str(key)],
            env=restore_env,
            capture_output=True,
            text=True,
        )
        restore_seconds = time.monotonic() - started
        print(done.stdout.strip() or done.stderr.strip())
        if done.returncode:
            return 1
        print(
            f"idx restore: {restore_seconds:.1f} s wall (decrypt, check, pg_restore, files, compare every table)"
        )
    finally:
        if not options.keep:
            _psql(options.database_url, f'DROP DATABASE IF EXISTS "{target}" WITH (FORCE)')
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
