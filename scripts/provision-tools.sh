#!/usr/bin/env bash
# Installs the Debian packages of command-line tools the tests call, for each tool
# that is missing: e.g. docker-compose=docker-compose systemd-analyze=systemd.
#
# Usage: provision-tools.sh COMMAND=PACKAGE...
#
# Exits 0 at once when every command is on the PATH. Otherwise it needs root and
# apt-get; it runs `apt-get update` only when an install fails on a stale index.
# Progress and errors go to stderr. Exit status: 0 when every command is there
# afterwards, 1 when one of them cannot be installed.
set -euo pipefail

# Serializes concurrent test runs on one machine, so only one of them installs.
readonly LOCK_FILE=/tmp/arizuko-provision-tools.lock
# Seconds apt-get waits for another apt or dpkg process to release its lock.
readonly APT_LOCK_TIMEOUT_S=600

fail() {
  echo "provision-tools: $*" >&2
  exit 1
}

log() {
  echo "provision-tools: $*" >&2
}

(($# > 0)) || fail "usage: provision-tools.sh COMMAND=PACKAGE..."
for pair in "$@"; do
  [[ $pair == ?*=?* ]] || fail "expected COMMAND=PACKAGE, got '$pair'"
done

# Prints the package of each COMMAND=PACKAGE whose command is not on the PATH.
missing_packages() {
  local pair
  for pair in "$@"; do
    command -v "${pair%%=*}" >/dev/null 2>&1 || echo "${pair#*=}"
  done
}

mapfile -t packages < <(missing_packages "$@")
((${#packages[@]} == 0)) && exit 0

[[ $EUID -eq 0 ]] || fail "missing Debian packages: ${packages[*]}; installing them needs root (running as uid $EUID): run 'apt-get install -y ${packages[*]}' as root, then rerun the tests"
command -v apt-get >/dev/null 2>&1 || fail "missing packages ${packages[*]} and apt-get was not found; install them by hand"

exec 9>"$LOCK_FILE"
flock -w "$APT_LOCK_TIMEOUT_S" 9 || fail "timed out after ${APT_LOCK_TIMEOUT_S}s waiting for another provision-tools run (lock $LOCK_FILE)"
# Another run may have installed them while this one waited for the lock.
mapfile -t packages < <(missing_packages "$@")
((${#packages[@]} == 0)) && exit 0

apt_get() {
  DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout="$APT_LOCK_TIMEOUT_S" "$@"
}

log "installing the Debian packages: ${packages[*]}"
if ! apt_get install -y -q --no-install-recommends "${packages[@]}" >&2; then
  log "install failed; updating the package index and retrying once"
  apt_get update -q >&2 || fail "'apt-get update' failed (output above); check that the Debian repositories are reachable"
  apt_get install -y -q --no-install-recommends "${packages[@]}" >&2 || fail "'apt-get install ${packages[*]}' failed (output above)"
fi

mapfile -t packages < <(missing_packages "$@")
((${#packages[@]} == 0)) || fail "the packages installed but these still lack their command: ${packages[*]}"
