#!/usr/bin/env bash
# Removes a Skiff install made by the release installer (install.sh server|agent, which
# runs this as `install.sh uninstall`):
#   scripts/uninstall.sh [--prefix DIR] [--purge]
# --prefix: the install (default: the tree this script is in when it holds an install.conf,
# else /opt/skiff). Stops and removes the systemd units (--init systemd), then runs
# `cluster.sh clean`, the cleanup of `make clean`: the supervised processes of the server and
# of the joined node, their containers, the mounts under the state dir, the proxy's iptables
# rules and the CNI bridge; then removes the prefix. The state dir (certificates, etcd data,
# logs) stays unless --purge. The Node object stays in the cluster: `kubectl delete node NAME`
# on the server (a node's own credential may not delete it).
set -euo pipefail

die() { printf 'uninstall.sh: %s\n' "$*" >&2; exit 2; }
step() { printf '==> %s\n' "$*" >&2; }

here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
prefix="" purge=0
while [[ $# -gt 0 ]]; do
  case "$1" in
    --prefix) [[ $# -ge 2 && "$2" == /* ]] || die "--prefix needs an absolute path"; prefix=${2%/}; shift 2 ;;
    --purge) purge=1; shift ;;
    *) die "unknown argument '$1' (usage: uninstall.sh [--prefix DIR] [--purge])" ;;
  esac
done
if [[ -z "$prefix" ]]; then
  if [[ -f "$here/install.conf" ]]; then prefix=$here; else prefix=/opt/skiff; fi
fi
[[ -n "$prefix" && "$prefix" != / ]] || die "refusing to remove '/'"
conf="$prefix/install.conf"
[[ -f "$conf" ]] || die "no Skiff install at $prefix (no install.conf)"
[[ $EUID -eq 0 ]] || die "run as root"

role="" init="" state_dir=""
while IFS='=' read -r key value; do
  case "$key" in
    ROLE) role=$value ;;
    INIT) init=$value ;;
    STATE_DIR) state_dir=$value ;;
  esac
done <"$conf"
[[ "$role" == server || "$role" == agent ]] || die "$conf names no role"
[[ "$state_dir" == /?* && "$state_dir" != "$prefix" ]] || die "$conf names no usable STATE_DIR ('$state_dir')"

# units this install wrote (scripts/systemd-units.sh writes them into STATE_DIR/systemd first)
if [[ "$init" == systemd ]] && command -v systemctl >/dev/null; then
  step "stopping and removing the systemd units"
  systemctl disable --now "skiff-$role.target" 2>/dev/null || true
  shopt -s nullglob
  for unit in "$state_dir"/systemd/skiff-*.service "$state_dir"/systemd/skiff-*.target; do
    name=$(basename "$unit")
    systemctl disable --now "$name" 2>/dev/null || true
    rm -f "/etc/systemd/system/$name"
  done
  shopt -u nullglob
  systemctl daemon-reload 2>/dev/null || true
fi

# what `make clean` removes from a node, with this install's state dir; --purge: the state too
step "stopping processes and containers, removing mounts, proxy rules and the CNI bridge"
clean=(clean)
((purge)) || clean+=(--keep-state)
SKIFF_DIR="$state_dir" bash "$prefix/scripts/cluster.sh" "${clean[@]}"

step "removing $prefix"
rm -rf "$prefix"
if ((purge)); then
  rm -rf "$state_dir"
  step "uninstalled (state $state_dir removed)"
else
  step "uninstalled (state kept in $state_dir: install.sh uninstall --purge removes it)"
fi
