#!/usr/bin/env bash
# Set up, then lint, type-check, check migrations, and run the whole suite on SQLite and PostgreSQL.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
venv=.venv/bin
export DJANGO_SETTINGS_MODULE=idx.settings.test
# Tests that need Node.js (the independent OpenID Provider) fail here instead of skipping.
export IDX_TEST_REQUIRE_NODE=1

echo "== ruff"
$venv/ruff format --check src tests bench
$venv/ruff check src tests bench
echo "== mypy"
$venv/mypy src
echo "== import contracts (layers, no cycles between apps; pyproject.toml [tool.importlinter])"
$venv/lint-imports
echo "== migrations"
$venv/python -m django makemigrations --check --dry-run
echo "== bandit"
$venv/bandit -q -c pyproject.toml -r src -x 'src/idx/*/migrations'
echo "== pip-audit"
# Known vulnerabilities in the installed packages fail the run. When the vulnerability service
# cannot be reached, the step says so loudly instead of failing (or of passing in silence).
audit_log=$(mktemp)
if $venv/pip-audit --progress-spinner off --skip-editable >"$audit_log" 2>&1; then
  unaudited=$(grep -c "could not be audited" "$audit_log" || true)
  if [ "$unaudited" -gt 0 ]; then
    echo "WARNING: pip-audit could not look up $unaudited packages (vulnerability service unreachable?): NOT audited"
  else
    echo "pip-audit: no known vulnerabilities"
  fi
elif grep -qiE "ConnectionError|Max retries exceeded|Failed to establish|Name or service not known|timed out|Temporary failure in name resolution" "$audit_log"; then
  echo "WARNING: pip-audit cannot reach its vulnerability service: installed packages NOT audited"
else
  cat "$audit_log"
  rm -f "$audit_log"
  exit 1
fi
rm -f "$audit_log"

echo "== assistant evaluation (top-1 >= 85%, top-3 >= 95%)"
$venv/python -m django assist_evaluate tests/assist/eval/*.yaml

echo "== API contract (schemathesis, every check, against a served demo: anonymous, resident, clerk)"
# Fails on any server error, any answer outside the OpenAPI document and any other failed check;
# payments, bookings and inquiries are exercised on real rows (tests/api/schemathesis_run.py).
$venv/python -m tests.api.schemathesis_run

pg_url=${IDX_TEST_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/idx}
# One test process per core, at most four (each browser-test process serves a demo of its own);
# IDX_TEST_PROCESSES=0 runs everything in this process. A process that is free takes the next test.
processes=${IDX_TEST_PROCESSES:-$(cores=$(nproc); echo $((cores > 4 ? 4 : cores)))}
parallel=()
if [ "$processes" -gt 0 ]; then
  parallel=(-n "$processes" --dist worksteal)
fi
echo "== tests on SQLite ($processes processes)"
env -u DATABASE_URL $venv/python -m pytest -q -m "not topology" "${parallel[@]}" --durations=25 "$@"
echo "== tests on PostgreSQL ($pg_url, $processes processes)"
DATABASE_URL=$pg_url $venv/python -m pytest -q -m "not e2e and not topology" "${parallel[@]}" --durations=25 "$@"
echo "== reference topology (journey through the balancer, fault tests)"
# deploy/topology.py started once (its own PostgreSQL, Redis, S3 server, HAProxy, web nodes and
# workers on free loopback ports) for every test marked topology; in one process, no xdist. The
# journey and the load check run first, on a topology no fault has touched; then the faults.
$venv/python -m pytest -q -m topology -p no:xdist --durations=10 \
  tests/topology/test_journey_through_balancer.py tests/topology/test_load_smoke.py tests/topology/test_faults.py
