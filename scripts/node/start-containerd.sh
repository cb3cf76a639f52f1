#!/usr/bin/env bash
# Starts one node's containerd in the background (pid file, log file) and waits until its
# socket answers. Idempotent: does nothing when the pid file names a live process.
#
# usage: scripts/node/start-containerd.sh (--node NAME | --config FILE --socket PATH)
#          [--pid-file FILE] [--log FILE] [--netns NAME]
# --netns NAME runs it in /var/run/netns/NAME via `nsenter --net=` (NOT `ip netns exec`, which
#   remounts /sys, hides the cgroup mounts and makes runc fail with "no cgroup mount found").
# --supervise runs it under scripts/supervise.sh (restarted when it exits): the pid file names
#   the supervisor, containerd.state next to it containerd's own PID.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

node="" config="" socket="" pid_file="" log_file="" netns="" supervise=0
while [[ $# -gt 0 ]]; do
  case "$1" in
    --node) node="$2"; shift 2 ;;
    --config) config="$2"; shift 2 ;;
    --socket) socket="$2"; shift 2 ;;
    --pid-file) pid_file="$2"; shift 2 ;;
    --log) log_file="$2"; shift 2 ;;
    --netns) netns="$2"; shift 2 ;;
    --supervise) supervise=1; shift ;;
    *) die "unknown argument $1" ;;
  esac
done
if [[ -n "$node" ]]; then
  base="$(node_dir "$node")"
  config="${config:-$base/containerd/config.toml}"
  socket="${socket:-$base/containerd/containerd.sock}"
  pid_file="${pid_file:-$base/containerd/containerd.pid}"
  log_file="${log_file:-$skiff_dir/logs/containerd-$node.log}"
fi
[[ -n "$config" && -n "$socket" ]] || die "--node or --config and --socket are required"
[[ -f "$config" ]] || die "no config at $config (run scripts/node/containerd-config.sh first)"
pid_file="${pid_file:-$(dirname "$config")/containerd.pid}"
log_file="${log_file:-$skiff_dir/logs/containerd.log}"
mkdir -p "$(dirname "$pid_file")" "$(dirname "$log_file")"

if [[ -f "$pid_file" ]] && kill -0 "$(cat "$pid_file")" 2>/dev/null; then
  echo "containerd already running (pid $(cat "$pid_file")), socket $socket"
  exit 0
fi

cmd=(containerd --config "$config")
if [[ -n "$netns" ]]; then
  [[ -e "/var/run/netns/$netns" ]] || die "network namespace $netns does not exist (/var/run/netns/$netns)"
  cmd=(nsenter "--net=/var/run/netns/$netns" "${cmd[@]}")
fi
((supervise)) && cmd=(bash "$repo_root/scripts/supervise.sh" "$(dirname "$pid_file")/containerd.state" "${cmd[@]}")
# setsid: containerd must outlive this script and whatever ran it; nsenter and setsid both exec,
# so $! is containerd's own pid (or its supervisor's).
setsid "${cmd[@]}" >>"$log_file" 2>&1 < /dev/null &
pid=$!
echo "$pid" > "$pid_file"

for _ in $(seq 1 100); do
  if [[ -S "$socket" ]] && ctr --address "$socket" version >/dev/null 2>&1; then
    echo "containerd started (pid $pid), socket $socket, log $log_file"
    exit 0
  fi
  kill -0 "$pid" 2>/dev/null || break
  sleep 0.1
done
echo "containerd did not come up (pid $pid); last log lines from $log_file:" >&2
tail -n 30 "$log_file" >&2 || true
exit 1
