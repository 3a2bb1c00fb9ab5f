#!/usr/bin/env bash
# Installs Debian's Chromium at /usr/bin/chromium for the browser tests.
#
# Exits 0 at once when /usr/bin/chromium already exists. Otherwise it needs root
# and apt-get. It runs `apt-get update` only when apt has no candidate for the
# chromium package or the install fails on a stale index, then installs the
# package without recommended packages. Progress and errors go to stderr, and the
# script prints nothing when Chromium is already installed.
# Exit status: 0 when Chromium is installed, 1 when it cannot be installed.
set -euo pipefail

readonly CHROMIUM=/usr/bin/chromium
readonly PACKAGE=chromium
# Serializes concurrent test runs on one machine, so only one of them installs.
readonly LOCK_FILE=/tmp/arizuko-provision-browser.lock
# Seconds apt-get waits for another apt or dpkg process to release its lock.
readonly APT_LOCK_TIMEOUT_S=600

fail() {
  echo "provision-browser: $*" >&2
  exit 1
}

log() {
  echo "provision-browser: $*" >&2
}

[[ -x $CHROMIUM ]] && exit 0

if [[ $EUID -ne 0 ]]; then
  fail "$CHROMIUM is missing and installing it needs root (running as uid $EUID); run 'apt-get install -y chromium' as root, then rerun the tests"
fi
if ! command -v apt-get >/dev/null 2>&1; then
  fail "$CHROMIUM is missing and apt-get was not found, so the Debian package '$PACKAGE' cannot be installed on this machine; install Chromium at $CHROMIUM by hand"
fi

exec 9>"$LOCK_FILE"
if ! flock -w "$APT_LOCK_TIMEOUT_S" 9; then
  fail "timed out after ${APT_LOCK_TIMEOUT_S}s waiting for another provision-browser run (lock $LOCK_FILE)"
fi
# Another run may have installed it while this one waited for the lock.
[[ -x $CHROMIUM ]] && exit 0

apt_get() {
  DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout="$APT_LOCK_TIMEOUT_S" "$@"
}

has_candidate() {
  local candidate
  candidate=$(apt-cache policy "$PACKAGE" 2>/dev/null | awk '/Candidate:/ { print $2 }')
  [[ -n $candidate && $candidate != "(none)" ]]
}

update_index() {
  log "updating the apt package index"
  apt_get update -q >&2 || fail "'apt-get update' failed (output above); check that the Debian repositories are reachable"
}

install_package() {
  apt_get install -y -q --no-install-recommends "$PACKAGE" >&2
}

started=$SECONDS
log "$CHROMIUM is missing; installing the Debian package '$PACKAGE' (this takes a minute or two once)"
has_candidate || update_index
has_candidate || fail "apt has no candidate for the package '$PACKAGE' even after 'apt-get update'; check /etc/apt/sources.list"

if ! install_package; then
  log "'apt-get install $PACKAGE' failed; updating the index in case it was stale, then retrying once"
  update_index
  install_package || fail "'apt-get install $PACKAGE' failed (output above)"
fi

[[ -x $CHROMIUM ]] || fail "the package '$PACKAGE' installed but $CHROMIUM is still missing"
log "installed $("$CHROMIUM" --version 2>/dev/null || echo "$PACKAGE") in $((SECONDS - started))s"
