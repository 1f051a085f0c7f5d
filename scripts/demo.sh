#!/usr/bin/env bash
# Set up and serve the demo: SQLite in ./var, two municipalities, demo accounts printed.
# Another port: IDX_BIND=127.0.0.1:8100 scripts/demo.sh; options: scripts/demo.sh --help.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
exec .venv/bin/idx demo "$@"
