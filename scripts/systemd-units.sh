#!/usr/bin/env bash
# systemd units for Skiff on real machines: each component runs as its own unit with
# Restart=always (systemd is the supervisor there; `make up` uses scripts/supervise.sh).
#   scripts/systemd-units.sh server [--out DIR] [--install]
#       the services `make up` runs (scripts/services.sh), after one `make up` made their
#       certificates, configs and bootstrap objects
#   scripts/systemd-units.sh agent --node NAME [--out DIR] [--install]
#       a worker's containerd, kubelet and proxy, after `make join` (scripts/node/join.sh
#       records the commands it ran in .skiff/nodes/NAME/run/*.cmd)
# Writes into DIR (default .skiff/systemd): skiff-NAME.sh, the command (bash-quoted, run from
# the repository with the project's Node first in PATH), skiff-NAME.service running it, and
# skiff-server.target or skiff-agent.target wanting them all. --install (root) stops what
# make up / make join started, copies the units to /etc/systemd/system and enables and starts
# the target. Logs go where `make up` puts them (.skiff/logs/).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

role=${1:-}
shift || true
out="" install=0 node=""
while [[ $# -gt 0 ]]; do
  case "$1" in
    --out) out=$2; shift 2 ;;
    --install) install=1; shift ;;
    --node) node=$2; shift 2 ;;
    *) die "unknown argument $1" ;;
  esac
done
[[ "$role" == server || "$role" == agent ]] || die "usage: systemd-units.sh server|agent [--node NAME] [--out DIR] [--install]"
out=${out:-$SKIFF_DIR/systemd}
mkdir -p "$out" "$SKIFF_DIR/logs"
out=$(cd "$out" && pwd)

NAMES=()
declare -A CMD=() LOG=()

# the unit each service needs running first (Wants= and After=); containerd's containers
# outlive it (KillMode=process, as containerd's own unit), so a restart keeps the pods
needs() {
  case "$role:$1" in
    server:apiserver) echo skiff-etcd.service ;;
    server:controller-manager | server:scheduler | server:proxy | server:dns | server:metrics-server) echo skiff-apiserver.service ;;
    server:registry-public) echo skiff-registry.service ;;
    server:containerd) echo skiff-registry.service ;;
    server:kubelet) echo skiff-containerd.service skiff-apiserver.service ;;
    agent:kubelet) echo skiff-containerd.service ;;
    agent:proxy) echo skiff-kubelet.service ;;
  esac
}

if [[ "$role" == server ]]; then
  service() {
    local name=$1; shift 2
    NAMES+=("$name")
    CMD[$name]=$(printf '%q ' "$@")
    LOG[$name]="$SKIFF_DIR/logs/$name.log"
  }
  component() {
    local name=$1 probe=$2; shift 2
    local entry="$SKIFF_ROOT/$name/dist/src/main.js"
    [[ -f "$entry" ]] || die "$name: $entry not found (run the build: make up builds it)"
    local -a node_flags=()
    read -r -a node_flags <<<"$(node_flags_of "$name")"
    service "$name" "$probe" node "${node_flags[@]}" "$entry" "$@"
  }
  source "$SKIFF_ROOT/scripts/services.sh"
  define_services
else
  [[ -n "$node" ]] || die "agent needs --node NAME (the name make join gave the node)"
  base="$SKIFF_DIR/nodes/$node"
  [[ -f "$base/containerd/config.toml" ]] || die "$base/containerd/config.toml missing: run make join first"
  NAMES=(containerd)
  CMD[containerd]=$(printf '%q ' containerd --config "$base/containerd/config.toml")
  LOG[containerd]="$SKIFF_DIR/logs/containerd-$node.log"
  for name in kubelet proxy; do
    [[ -s "$base/run/$name.cmd" ]] || die "$base/run/$name.cmd missing: run make join first"
    NAMES+=("$name")
    CMD[$name]=$(cat "$base/run/$name.cmd")
    LOG[$name]="$SKIFF_DIR/logs/$name-$node.log"
  done
fi

# A worker's kubelet drains its node when stopped (--drain-on-shutdown, README "Draining a node
# by stopping its kubelet"): systemctl stop or a machine's shutdown evicts its pods (budgets
# hold) before it exits, so systemd waits for the drain's budget and the kubelet's own stop
# (up to 10 s) before it kills. The server's kubelet does not: on one machine there is no
# other node to move pods to.
KUBELET_SHUTDOWN_GRACE_SECONDS=30

units=()
for name in "${NAMES[@]}"; do
  unit="skiff-$name.service"
  units+=("$unit")
  {
    printf '#!/usr/bin/env bash\n# %s: written by scripts/systemd-units.sh %s\n' "$unit" "$role"
    printf 'cd %q\n' "$SKIFF_ROOT"
    printf 'export PATH=%q:"$PATH" SKIFF_DIR=%q\n' "$SKIFF_ROOT/node_modules/.bin" "$SKIFF_DIR"
    printf 'exec %s\n' "${CMD[$name]}"
  } >"$out/skiff-$name.sh"
  chmod 755 "$out/skiff-$name.sh"
  deps=$(needs "$name" | paste -sd " " -)
  {
    printf '[Unit]\nDescription=Skiff %s (%s)\nDocumentation=file://%s/README.md\n' "$name" "$role" "$SKIFF_ROOT"
    printf "Wants=network-online.target%s\nAfter=network-online.target%s\n" "${deps:+ $deps}" "${deps:+ $deps}"
    printf 'PartOf=skiff-%s.target\n' "$role"
    # never give up: the supervisor's job is to keep trying
    printf 'StartLimitIntervalSec=0\n\n'
    printf '[Service]\nType=simple\nExecStart=/bin/bash %s\n' "$out/skiff-$name.sh"
    if [[ "$role:$name" == agent:kubelet ]]; then
      printf 'Environment=SKIFF_KUBELET_DRAIN_ON_SHUTDOWN=true SKIFF_KUBELET_SHUTDOWN_GRACE_PERIOD=%ss\n' "$KUBELET_SHUTDOWN_GRACE_SECONDS"
      printf 'Restart=always\nRestartSec=1\nTimeoutStopSec=%s\n' $((KUBELET_SHUTDOWN_GRACE_SECONDS + 30))
    else
      printf 'Restart=always\nRestartSec=1\nTimeoutStopSec=20\n'
    fi
    printf 'StandardOutput=append:%s\nStandardError=inherit\n' "${LOG[$name]}"
    [[ "$name" == containerd ]] && printf 'KillMode=process\nDelegate=yes\nLimitNOFILE=infinity\n'
    printf '\n[Install]\nWantedBy=skiff-%s.target\n' "$role"
  } >"$out/$unit"
done
{
  printf '[Unit]\nDescription=Skiff %s: every component\n' "$role"
  printf 'Wants=%s\n\n[Install]\nWantedBy=multi-user.target\n' "${units[*]}"
} >"$out/skiff-$role.target"
step "units in ${out#$SKIFF_ROOT/}: ${units[*]} skiff-$role.target"

if ((install)); then
  [[ $EUID -eq 0 ]] || die "--install needs root"
  if [[ "$role" == server ]]; then bash "$SKIFF_ROOT/scripts/cluster.sh" down
  else
    for name in proxy kubelet; do
      pid=$(cat "$base/run/$name.pid" 2>/dev/null || true)
      [[ "$pid" =~ ^[0-9]+$ ]] && kill -TERM "$pid" 2>/dev/null || true
      # systemd runs it from now on: a stale pid file could name a reused PID later
      rm -f "$base/run/$name.pid"
    done
    bash "$SKIFF_ROOT/scripts/node/stop-containerd.sh" --node "$node"
  fi
  install -m 0644 "$out"/skiff-*.service "$out/skiff-$role.target" /etc/systemd/system/
  systemctl daemon-reload
  systemctl enable --now "skiff-$role.target" "${units[@]}"
  step "enabled: systemctl status 'skiff-*'"
fi
