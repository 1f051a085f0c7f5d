#!/usr/bin/env bash
# Refresh the Digital Agency design tokens (npm @digital-go-jp/design-tokens, MIT) vendored as CSS.
# Usage: scripts/update-design-tokens.sh [version]   (needs npm; the result is committed)
set -euo pipefail
version="${1:-latest}"
target="$(cd "$(dirname "$0")/.." && pwd)/src/idx/static/idx/vendor/design-tokens"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
(cd "$work" && npm pack --silent "@digital-go-jp/design-tokens@${version}" >/dev/null && tar xzf ./*.tgz)
cp "$work/package/dist/tokens.css" "$target/tokens.css"
cp "$work/package/LICENSE" "$target/LICENSE"
resolved="$(node -p "require('$work/package/package.json').version")"
echo "@digital-go-jp/design-tokens ${resolved} (npm), dist/tokens.css; refresh with scripts/update-design-tokens.sh" > "$target/VERSION"
echo "design tokens ${resolved} in ${target}"
