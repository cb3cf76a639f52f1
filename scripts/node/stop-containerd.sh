#!/usr/bin/env bash
# Stops a containerd started by start-containerd.sh, by the pid in its pid file. Running pods
# (their shims) survive on purpose, as with a real containerd restart.
# usage: scripts/node/stop-containerd.sh (--node NAME | --pid-file FILE)
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

pid_file=""
while [[ $# -gt 0 ]]; do
  case "$1" in
    --node) pid_file="$(node_dir "$2")/containerd/containerd.pid"; shift 2 ;;
    --pid-file) pid_file="$2"; shift 2 ;;
    *) die "unknown argument $1" ;;
  esac
done
[[ -n "$pid_file" ]] || die "--node or --pid-file is required"
if [[ ! -f "$pid_file" ]] || ! kill -0 "$(cat "$pid_file")" 2>/dev/null; then
  echo "containerd not running (no live pid in $pid_file)"; rm -f "$pid_file"; exit 0
fi
pid="$(cat "$pid_file")"
kill "$pid"
for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
if kill -0 "$pid" 2>/dev/null; then kill -9 "$pid"; fi
rm -f "$pid_file"
echo "containerd stopped (pid $pid)"
