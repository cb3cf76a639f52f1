#!/usr/bin/env bash
# Local image registry (Debian docker-registry) on 127.0.0.1:5000, plain HTTP, storage under
# .skiff/registry. Usage: scripts/registry.sh start|stop|status|config|tls-config
# Env: SKIFF_DIR (default <repo>/.skiff), SKIFF_REGISTRY_ADDR (default 127.0.0.1:5000),
# SKIFF_REGISTRY_DATA (storage, default $SKIFF_DIR/registry/data).
set -euo pipefail

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
skiff_dir="${SKIFF_DIR:-$repo_root/.skiff}"
addr="${SKIFF_REGISTRY_ADDR:-127.0.0.1:5000}"
reg_dir="$skiff_dir/registry"
data_dir="${SKIFF_REGISTRY_DATA:-$reg_dir/data}"
pid_file="$reg_dir/registry.pid"
config="$reg_dir/config.yml"
log_file="$skiff_dir/logs/registry.log"

answers() { curl -fsS -o /dev/null --max-time 2 "http://$addr/v2/" 2>/dev/null; }
running_pid() {
  [[ -f "$pid_file" ]] || return 1
  local pid; pid="$(cat "$pid_file")"
  kill -0 "$pid" 2>/dev/null && echo "$pid"
}

# registry_config LISTEN OUT [CERT KEY]: a docker-registry config on this storage; with
# CERT and KEY it serves HTTPS (the listener for workers on other machines or in the lab's
# namespaces; the local one stays plain HTTP on loopback).
registry_config() {
  local listen=$1 out=$2 cert=${3:-} key=${4:-} tls=""
  [[ -n "$cert" ]] && tls=$'\n  tls:\n    certificate: '"$cert"$'\n    key: '"$key"
  mkdir -p "$data_dir" "$(dirname "$out")"
  cat > "$out" <<YAML
# Written by scripts/registry.sh; edits are overwritten on start.
version: 0.1
log:
  level: warn
  fields:
    service: registry
storage:
  filesystem:
    rootdirectory: $data_dir
  delete:
    enabled: true
http:
  addr: $listen$tls
  headers:
    X-Content-Type-Options: [nosniff]
YAML
}

write_config() {
  mkdir -p "$(dirname "$log_file")"
  registry_config "$addr" "$config"
}

start() {
  if pid="$(running_pid)"; then echo "registry already running (pid $pid) on $addr"; return 0; fi
  if answers; then echo "a registry already answers on $addr (not started by this script)"; return 0; fi
  write_config
  # setsid: the registry must outlive the shell (and test runner) that started it.
  setsid docker-registry serve "$config" >>"$log_file" 2>&1 < /dev/null &
  echo $! > "$pid_file"
  for _ in $(seq 1 50); do
    if answers; then echo "registry started (pid $(cat "$pid_file")) on $addr, log $log_file"; return 0; fi
    if ! kill -0 "$(cat "$pid_file")" 2>/dev/null; then break; fi
    sleep 0.1
  done
  echo "registry did not come up on $addr; last log lines:" >&2
  tail -n 20 "$log_file" >&2 || true
  return 1
}

stop() {
  if pid="$(running_pid)"; then
    kill "$pid"
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -0 "$pid" 2>/dev/null && kill -9 "$pid"
    echo "registry stopped (pid $pid)"
  else
    echo "registry not running (no live pid in $pid_file)"
  fi
  rm -f "$pid_file"
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  # only the config file, for `make up`, which runs docker-registry itself (pid, log)
  config) write_config; echo "$config" ;;
  tls-config) [[ $# -eq 5 ]] || { echo "usage: $0 tls-config ADDR CERT KEY OUT" >&2; exit 2; }; registry_config "$2" "$5" "$3" "$4"; echo "$5" ;;
  status) if pid="$(running_pid)"; then echo "running (pid $pid) on $addr"; elif answers; then echo "foreign registry on $addr"; else echo "stopped"; exit 3; fi ;;
  *) echo "usage: $0 start|stop|status|config|tls-config ADDR CERT KEY OUT" >&2; exit 2 ;;
esac
