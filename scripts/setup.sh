#!/usr/bin/env bash
# Prepare a checkout: system packages, a virtualenv in .venv with IDX and its tools, compiled catalogs.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-system-packages.sh
python=${PYTHON:-python3.11}
command -v "$python" >/dev/null || python=python3
if [ ! -x .venv/bin/python ]; then
  "$python" -m venv .venv
fi
.venv/bin/python -m pip install -q --upgrade pip
.venv/bin/python -m pip install -q -e ".[dev]"
if [ -d src/idx/locale ]; then
  (cd src/idx && DJANGO_SETTINGS_MODULE=idx.settings.dev ../../.venv/bin/python -m django compilemessages -v 0)
fi
# The independent OpenID Provider (panva/oidc-provider) the sign-in tests run against.
if command -v npm >/dev/null; then
  (cd tests/identity/oidc_provider && npm ci --no-audit --no-fund --loglevel=error)
fi
