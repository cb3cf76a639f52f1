#!/usr/bin/env bash
# Keeps one service running, as systemd's Restart=always or the kubelet's restartPolicy would:
#   scripts/supervise.sh STATE_FILE COMMAND...
# cluster.sh starts every service through it. When the service exits it is started again after
# a back-off (1 s, doubling up to 30 s; back to 1 s after a run of a minute or more), so a
# controller-manager or scheduler that exits on losing its Lease comes back. A service whose
# first run ends within SKIFF_SUPERVISE_STARTUP_SECONDS (10) is not retried: it cannot start,
# and `make up` reports it with its log. SIGTERM/SIGINT stop the service and then the supervisor.
# STATE_FILE (KEY=VALUE lines) records what `make status` shows: the service's pid, its
# restarts, and the last exit.
set -uo pipefail

state_file=$1
shift
startup_seconds=${SKIFF_SUPERVISE_STARTUP_SECONDS:-10}
max_backoff=${SKIFF_SUPERVISE_MAX_BACKOFF:-30}
reset_after=${SKIFF_SUPERVISE_RESET_AFTER:-60}

restarts=0
last_exit=""
last_exit_at=""
child=""
stopping=0
backoff=1

write_state() {
  local tmp="$state_file.tmp"
  printf 'pid=%s\nrestarts=%s\nlast_exit=%s\nlast_exit_at=%s\n' "$child" "$restarts" "$last_exit" "$last_exit_at" >"$tmp"
  mv -f "$tmp" "$state_file"
}

stop() {
  stopping=1
  [[ -n "$child" ]] && kill -TERM "$child" 2>/dev/null
}
trap stop TERM INT

first=1
while :; do
  started=$SECONDS
  "$@" &
  child=$!
  write_state
  # wait returns early when a trapped signal arrives: wait again until the child is gone
  while :; do
    wait "$child"
    code=$?
    kill -0 "$child" 2>/dev/null || break
  done
  ran=$((SECONDS - started))
  last_exit=$code
  last_exit_at=$(date -Is)
  if ((stopping)); then
    child=""
    write_state
    exit "$code"
  fi
  printf '=== %s supervisor: %s exited with code %s after %ss\n' "$last_exit_at" "$1" "$code" "$ran"
  if ((first && ran < startup_seconds)); then
    printf '=== supervisor: it did not stay up for %ss at start; not restarting\n' "$startup_seconds"
    child=""
    write_state
    exit "$code"
  fi
  first=0
  ((ran >= reset_after)) && backoff=1
  printf '=== supervisor: restarting in %ss\n' "$backoff"
  child=""
  write_state
  sleep "$backoff" &
  wait $! || true
  ((stopping)) && exit "$code"
  backoff=$((backoff * 2 > max_backoff ? max_backoff : backoff * 2))
  restarts=$((restarts + 1))
done
