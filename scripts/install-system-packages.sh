#!/usr/bin/env bash
# Debian/Ubuntu packages IDX needs: a browser for the end-to-end tests, Japanese fonts for PDFs
# and screenshots, gettext for the translation catalogs, Tesseract for OCR, Node.js for the test
# OpenID Provider.
set -euo pipefail
packages=(chromium fonts-noto-cjk fonts-dejavu-core gettext tesseract-ocr tesseract-ocr-jpn libpango-1.0-0 libpangoft2-1.0-0)
missing=()
for package in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
# Node.js and npm run the independent OpenID Provider the sign-in tests use (tests/identity/
# oidc_provider). A Node.js from elsewhere (e.g. NodeSource, which bundles npm) is kept as it is.
command -v node >/dev/null || missing+=(nodejs)
command -v npm >/dev/null || missing+=(npm)
# pg_dump and pg_restore for `idx backup` and `idx restore` on PostgreSQL.
command -v pg_dump >/dev/null || missing+=(postgresql-client)
# The reference topology (deploy/topology.py) and its fault tests: a load balancer, and a
# PostgreSQL server and a Redis server of their own that they can stop and start.
command -v haproxy >/dev/null || [ -x /usr/sbin/haproxy ] || missing+=(haproxy)
command -v redis-server >/dev/null || missing+=(redis-server)
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || missing+=(postgresql)
# The load generator of bench/submit_ratio.py.
command -v wrk >/dev/null || missing+=(wrk)
if [ "${#missing[@]}" -eq 0 ]; then
  exit 0
fi
if [ "$(id -u)" -eq 0 ]; then sudo=(); else sudo=(sudo); fi
echo "Installing Debian packages: ${missing[*]}"
"${sudo[@]}" apt-get update -qq
DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
