#!/usr/bin/env bash
# Run submit_throughput.py against 2..5 gunicorn workers, then queue_latency.py against WORKERS_QUEUE.
# Results (text and JSON) go to bench/results/. Usage: bench/run_matrix.sh [workers...]
set -uo pipefail
cd "$(dirname "$0")/.."
PY=${PY:-python}
export IDX_BIN=${IDX_BIN:-idx}
mkdir -p bench/results
for w in "${@:-2 3 4 5}"; do
  for n in $w; do
    bench/serve.sh start "$n" || exit 1
    $PY bench/submit_throughput.py --json "bench/results/submit_w$n.json" 2>&1 | tee "bench/results/submit_w$n.txt"
    bench/serve.sh stop
  done
done
