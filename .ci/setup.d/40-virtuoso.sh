# OpenLink Virtuoso 7 for the SPARQL push test (tests/test_push.py). The test runs its own
# instance from a temporary folder, bound to 127.0.0.1; the system service the package starts
# is stopped and disabled so nothing stays listening on all interfaces.
# Idempotent: does nothing when virtuoso-t is already installed and no service runs.
set -u
if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null; then
  echo "not root or no apt-get: install virtuoso-opensource-7 for the SPARQL push test"; exit 0
fi
stop_service() {
  service virtuoso-opensource-7 stop >/dev/null 2>&1 || true
  command -v systemctl >/dev/null && systemctl disable virtuoso-opensource-7 >/dev/null 2>&1 || true
  command -v update-rc.d >/dev/null && update-rc.d virtuoso-opensource-7 disable >/dev/null 2>&1 || true
  # the package's instance runs as /usr/bin/virtuoso-t from /var/lib/virtuoso-opensource-7/db
  for pid in $(pgrep -x virtuoso-t 2>/dev/null); do
    if [ "$(readlink "/proc/$pid/cwd" 2>/dev/null)" = /var/lib/virtuoso-opensource-7/db ]; then kill "$pid" 2>/dev/null || true; fi
  done
}
if ! command -v virtuoso-t >/dev/null; then
  # the package asks for a DBA password: answer non-interactively (the service is disabled below,
  # and the test's own instance uses a fresh database with its own password)
  pass="kg-$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')"
  printf '%s\n' \
    "virtuoso-opensource-7 virtuoso-opensource-7/dba-password password $pass" \
    "virtuoso-opensource-7 virtuoso-opensource-7/dba-password-again password $pass" | debconf-set-selections
  # policy-rc.d 101 keeps maintainer scripts from starting the service at all
  printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d.kg && chmod +x /usr/sbin/policy-rc.d.kg
  had_policy=0; [ -e /usr/sbin/policy-rc.d ] && had_policy=1
  [ $had_policy = 0 ] && cp /usr/sbin/policy-rc.d.kg /usr/sbin/policy-rc.d
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq -o DPkg::Lock::Timeout=600 \
    --no-install-recommends virtuoso-opensource-7 >/dev/null
  status=$?
  [ $had_policy = 0 ] && rm -f /usr/sbin/policy-rc.d
  rm -f /usr/sbin/policy-rc.d.kg
  stop_service
  exit $status
fi
stop_service
exit 0
