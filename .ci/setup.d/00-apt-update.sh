# Refresh Debian's package lists once per hour at most (apt-cache and apt-get need them).
if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null; then echo "not root or no apt-get: skipping system packages"; exit 0; fi
stamp=/var/lib/apt/periodic/kg-update-stamp
if [ -z "$(find "$stamp" -mmin -60 2>/dev/null)" ]; then
  apt-get -o DPkg::Lock::Timeout=600 update -qq && mkdir -p "$(dirname "$stamp")" && touch "$stamp"
fi
