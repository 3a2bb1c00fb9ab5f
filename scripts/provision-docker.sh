#!/usr/bin/env bash
# Starts an isolated Docker engine for the docker runner tests, installing Debian's
# docker.io first when dockerd is missing (needs root and apt-get).
#
# Usage: provision-docker.sh start DIR   starts dockerd with its socket, data and pid
#                                        file under DIR; prints the socket path
#        provision-docker.sh stop DIR    stops the engine started in DIR
#
# The engine has no bridge and no iptables rules, so containers get only loopback,
# and it pulls nothing: tests build their images from local files. Progress and errors
# go to stderr. Exit status: 0 when the engine responds, 1 when it cannot be started.
set -euo pipefail

readonly PACKAGE=docker.io
readonly LOCK_FILE=/tmp/arizuko-provision-docker.lock
readonly APT_LOCK_TIMEOUT_S=600
# Seconds dockerd has to respond after it starts.
readonly START_TIMEOUT_S=60

fail() {
  echo "provision-docker: $*" >&2
  exit 1
}

log() {
  echo "provision-docker: $*" >&2
}

install_engine() {
  command -v dockerd >/dev/null 2>&1 && return 0
  [[ $EUID -eq 0 ]] || fail "dockerd is missing and installing it needs root (running as uid $EUID); run 'apt-get install -y $PACKAGE' as root, then rerun the tests"
  command -v apt-get >/dev/null 2>&1 || fail "dockerd is missing and apt-get was not found; install Docker Engine by hand"

  exec 9>"$LOCK_FILE"
  flock -w "$APT_LOCK_TIMEOUT_S" 9 || fail "timed out after ${APT_LOCK_TIMEOUT_S}s waiting for another provision-docker run (lock $LOCK_FILE)"
  command -v dockerd >/dev/null 2>&1 && return 0

  local apt=(env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout="$APT_LOCK_TIMEOUT_S")
  log "dockerd is missing; installing the Debian package '$PACKAGE' (about 15 s once)"
  if ! "${apt[@]}" install -y -q --no-install-recommends "$PACKAGE" >&2; then
    log "install failed; updating the package index and retrying once"
    "${apt[@]}" update -q >&2 || fail "'apt-get update' failed (output above); check that the Debian repositories are reachable"
    "${apt[@]}" install -y -q --no-install-recommends "$PACKAGE" >&2 || fail "'apt-get install $PACKAGE' failed (output above)"
  fi
  command -v dockerd >/dev/null 2>&1 || fail "the package '$PACKAGE' installed but dockerd is still missing"
}

start() {
  local dir=$1
  [[ $EUID -eq 0 ]] || fail "starting an isolated dockerd needs root (running as uid $EUID)"
  install_engine
  mkdir -p "$dir"
  local socket=$dir/docker.sock
  if [[ -S $socket ]] && DOCKER_HOST=unix://$socket docker info >/dev/null 2>&1; then
    echo "$socket"
    return 0
  fi
  dockerd --host "unix://$socket" --data-root "$dir/data" --exec-root "$dir/exec" --pidfile "$dir/dockerd.pid" \
    --bridge=none --iptables=false --ip6tables=false --log-level warn >"$dir/dockerd.log" 2>&1 &
  local waited=0
  until DOCKER_HOST=unix://$socket docker info >/dev/null 2>&1; do
    sleep 0.2
    waited=$((waited + 1))
    if ((waited > START_TIMEOUT_S * 5)); then
      tail -n 20 "$dir/dockerd.log" >&2 || true
      fail "dockerd did not answer on $socket within ${START_TIMEOUT_S}s (log above, in $dir/dockerd.log)"
    fi
  done
  echo "$socket"
}

stop() {
  local dir=$1
  [[ -f $dir/dockerd.pid ]] || return 0
  local pid
  pid=$(cat "$dir/dockerd.pid")
  kill "$pid" 2>/dev/null || return 0
  for _ in $(seq 1 100); do
    kill -0 "$pid" 2>/dev/null || return 0
    sleep 0.1
  done
  kill -9 "$pid" 2>/dev/null || true
}

case "${1:-}" in
  start) start "${2:?usage: provision-docker.sh start DIR}" ;;
  stop) stop "${2:?usage: provision-docker.sh stop DIR}" ;;
  *) fail "usage: provision-docker.sh start|stop DIR" ;;
esac
