#!/usr/bin/env bash
# Set up and serve the demo: SQLite in ./var, two municipalities, demo accounts printed.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
exec .venv/bin/idx demo "$@"
