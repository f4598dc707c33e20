# Tools for the export tests (tests/test_export.py):
# - a CJK font so matplotlib can draw the Chinese node labels of the PNG export (fonts-wqy-microhei,
#   5 MB, renders Simplified Chinese; the Noto CJK fonts are 90 MB);
# - graphology + graphology-gexf in tests/.node/gexf/ (git-ignored), the GEXF reader Gephi Lite uses,
#   so the test can check that a JavaScript consumer reads our GEXF files.
# Idempotent: does nothing when both are already there.
set -u
cd "$(dirname "$0")/../.."
status=0

if ! dpkg -s fonts-wqy-microhei >/dev/null 2>&1; then
  if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null; then
    echo "not root or no apt-get: install fonts-wqy-microhei for the PNG export"
  else
    # another setup step may hold the dpkg lock for a while: wait for it instead of failing
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq -o DPkg::Lock::Timeout=600 \
      --no-install-recommends fonts-wqy-microhei >/dev/null || status=1
  fi
fi

NODE_DIR=tests/.node/gexf  # a prefix of its own: an npm install into tests/.node by another setup step prunes packages it did not save
GRAPHOLOGY=0.26.0
GRAPHOLOGY_GEXF=0.13.2
GRAPHOLOGY_TYPES=0.24.8
installed() {  # installed <package> <version>
  grep -q "\"version\": \"$2\"" "$NODE_DIR/node_modules/$1/package.json" 2>/dev/null
}
if ! command -v npm >/dev/null; then
  echo "no npm: the graphology GEXF check will skip"
elif ! installed graphology "$GRAPHOLOGY" || ! installed graphology-gexf "$GRAPHOLOGY_GEXF"; then
  mkdir -p "$NODE_DIR"
  npm install --prefix "$NODE_DIR" --no-save --no-package-lock --no-audit --no-fund --loglevel=error \
    "graphology@$GRAPHOLOGY" "graphology-gexf@$GRAPHOLOGY_GEXF" "graphology-types@$GRAPHOLOGY_TYPES" >/dev/null || status=1
fi
exit $status
