#!/usr/bin/env bash
# Start `idx serve` (gunicorn) against the benchmark database in the background and wait for /healthz.
#   bench/serve.sh start WORKERS [PORT]   -> writes the master's pid to var/bench/serve_PORT.pid
#   bench/serve.sh ceiling WORKERS [PORT]  -> the ceiling of a submission (bench/ceiling), port 8101 by default
#   bench/serve.sh stop [PORT]
# Environment: IDX_BIN (default: idx on PATH), PY (python of that environment, for the ceiling; default
# python), BENCH_DATABASE_URL (default idx_bench on 127.0.0.1), BENCH_CACHE_URL (see below).
set -euo pipefail
IDX_BIN=${IDX_BIN:-idx}
DB=${BENCH_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/idx_bench}
cmd=${1:?start or stop}
if [ "$cmd" = start ]; then
  workers=${2:?workers}; port=${3:-8100}
  mkdir -p var/bench
  # The access log goes to a file, as it would to a log collector in production.
  # All the load comes from one address and a few accounts: the rate limiter stays on (its cost is
  # measured) with limits raised far above the load.
  # BENCH_CACHE_URL (e.g. redis://127.0.0.1:6379/9) becomes IDX_CACHE_URL: the shared cache the rate
  # limiter counts in (unset: the settings' default, a table of the database).
  DATABASE_URL=$DB DJANGO_SETTINGS_MODULE=idx.settings.dev IDX_DEBUG=false IDX_TASK_BACKEND=database \
  IDX_DATA_DIR=var/bench IDX_WEB_WORKERS=$workers \
  IDX_RATELIMIT_SUBMIT=1000000/1m IDX_RATELIMIT_SUBMIT_ACCOUNT=1000000/1m \
  IDX_RATELIMIT_API=1000000/1m IDX_RATELIMIT_API_ACCOUNT=1000000/1m \
    env ${BENCH_CACHE_URL:+IDX_CACHE_URL=$BENCH_CACHE_URL} setsid "$IDX_BIN" serve --bind "127.0.0.1:$port" --pid "var/bench/serve_$port.pid" \
    > "var/bench/serve_$port.log" 2>&1 &
  for _ in $(seq 1 100); do
    if curl -fs "http://127.0.0.1:$port/healthz" > /dev/null 2>&1; then
      sleep 2  # let every worker finish booting
      echo "serving on 127.0.0.1:$port with $workers workers (master $(cat var/bench/serve_$port.pid))"
      exit 0
    fi
    sleep 0.2
  done
  echo "server did not come up; see var/bench/serve_$port.log" >&2
  exit 1
elif [ "$cmd" = ceiling ]; then
  # A bare Django project (no installed apps, no middleware) under plain gunicorn sync workers: no
  # access log, nothing but the view (bench/ceiling/views.py).
  workers=${2:?workers}; port=${3:-8101}
  mkdir -p var/bench
  DATABASE_URL=$DB DJANGO_SETTINGS_MODULE=ceiling.settings \
    setsid "${PY:-python}" -m gunicorn --pythonpath bench ceiling.wsgi:application --workers "$workers" \
    --bind "127.0.0.1:$port" --pid "var/bench/serve_$port.pid" --no-control-socket \
    > "var/bench/serve_$port.log" 2>&1 &
  for _ in $(seq 1 100); do
    if curl -fs -X POST -d '{"declaration_accepted": true}' "http://127.0.0.1:$port/ceiling/submit" > /dev/null 2>&1; then
      sleep 2
      echo "ceiling on 127.0.0.1:$port with $workers workers (master $(cat var/bench/serve_$port.pid))"
      exit 0
    fi
    sleep 0.2
  done
  echo "ceiling did not come up; see var/bench/serve_$port.log" >&2
  exit 1
elif [ "$cmd" = stop ]; then
  port=${2:-8100}
  pidfile=var/bench/serve_$port.pid
  if [ -f "$pidfile" ]; then
    kill -TERM "$(cat "$pidfile")" || true
    for _ in $(seq 1 50); do [ -f "$pidfile" ] || break; sleep 0.2; done
  fi
fi
