#!/bin/sh
# Refresh reloader/data/idiomorph.min.js (the DOM morphing library the page client
# uses on server-rendered HTML pages) from the npm registry.
# Usage: scripts/update_idiomorph.sh [VERSION]   (default: the latest release)
set -eu
version="${1:-latest}"
data="$(cd "$(dirname "$0")/.." && pwd)/reloader/data"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cd "$work"
npm pack --silent "idiomorph@$version" >/dev/null
tar xzf idiomorph-*.tgz
resolved="$(node -p 'require("./package/package.json").version')"
cp package/dist/idiomorph.min.js "$data/idiomorph.min.js"
cp package/LICENSE "$data/idiomorph.LICENSE"
printf 'idiomorph %s (npm package "idiomorph", dist/idiomorph.min.js, BSD-2-Clause licence in idiomorph.LICENSE)\nRefresh with scripts/update_idiomorph.sh [VERSION].\n' \
    "$resolved" >"$data/idiomorph.VERSION"
if grep -qi '</script' "$data/idiomorph.min.js"; then
    echo "idiomorph.min.js contains '</script': it cannot be inlined into a page" >&2
    exit 1
fi
echo "reloader/data/idiomorph.min.js is now idiomorph $resolved"
