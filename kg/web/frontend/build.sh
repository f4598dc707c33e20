#!/usr/bin/env bash
# Install the explorer's browser libraries with npm (pinned in package.json, no lockfile) and copy
# their minified dist files into kg/web/static/vendor/, which the server serves (no CDN).
# The copied files are committed, so a clean clone serves the graph view without npm; run this
# script after changing a version in package.json. node_modules/ here is git-ignored.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
vendor="$here/../static/vendor"
version="$(sed -n 's/.*"cytoscape": "\([^"]*\)".*/\1/p' "$here/package.json")"
if [ "${1:-}" != "--force" ] && [ -s "$vendor/cytoscape.min.js" ] && grep -qs "^cytoscape@$version\$" "$vendor/VERSIONS"; then
  echo "kg/web/static/vendor is up to date (cytoscape $version)"; exit 0
fi
command -v npm >/dev/null || { echo "npm not found: keeping the committed vendor files"; exit 0; }
npm install --prefix "$here" --no-package-lock --no-audit --no-fund --loglevel=error
mkdir -p "$vendor"
cp "$here/node_modules/cytoscape/dist/cytoscape.min.js" "$vendor/cytoscape.min.js"
cp "$here/node_modules/cytoscape/LICENSE" "$vendor/cytoscape.LICENSE"
echo "cytoscape@$version" > "$vendor/VERSIONS"
echo "copied cytoscape $version into $vendor"
