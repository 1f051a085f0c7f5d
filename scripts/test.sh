#!/usr/bin/env bash
# Set up, then lint, type-check, check migrations, and run the whole suite on SQLite and PostgreSQL.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
venv=.venv/bin
export DJANGO_SETTINGS_MODULE=idx.settings.test

echo "== ruff"
$venv/ruff format --check src tests bench
$venv/ruff check src tests bench
echo "== mypy"
$venv/mypy src
echo "== migrations"
$venv/python -m django makemigrations --check --dry-run

pg_url=${IDX_TEST_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/idx}
echo "== tests on SQLite"
env -u DATABASE_URL $venv/python -m pytest -q "$@"
echo "== tests on PostgreSQL ($pg_url)"
DATABASE_URL=$pg_url $venv/python -m pytest -q -m "not e2e" "$@"
