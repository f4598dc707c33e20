# Headless Chromium and CJK fonts for the web explorer tests (tests/test_explorer.py), and the
# explorer's vendored browser libraries (kg/web/frontend/build.sh: npm, pinned, no lockfile).
# Playwright drives Debian's /usr/bin/chromium; `playwright install` is never run.
here="$(cd "$(dirname "$0")/../.." && pwd)"
bash "$here/kg/web/frontend/build.sh" || echo "npm build of kg/web/frontend failed: keeping the committed vendor files"
if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null; then echo "not root or no apt-get: skipping chromium"; exit 0; fi
missing=""
[ -x /usr/bin/chromium ] || missing="$missing chromium"
fc-list 2>/dev/null | grep -qi "Noto Sans CJK" || missing="$missing fonts-noto-cjk"
if [ -n "$missing" ]; then
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing >/dev/null
fi
