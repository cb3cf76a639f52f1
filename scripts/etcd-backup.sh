#!/usr/bin/env bash
# etcd backup and restore for the `make up` cluster.
#   scripts/etcd-backup.sh backup [DIR]     snapshot into DIR (default .skiff/backups), keep the last N
#   scripts/etcd-backup.sh restore FILE     bring the cluster back to FILE
# backup: `etcdctl snapshot save` over TLS with the etcd healthcheck-client certificate, then a
# sha256 checksum beside it (FILE.sha256, sha256sum's format); only the newest
# SKIFF_BACKUP_KEEP (7) snapshots are kept.
# restore: checks the checksum, stops every Skiff component but containerd and the registry
# (their informers hold resource versions of the old history, which a restored etcd 3.4 does
# not continue), `etcdctl snapshot restore`s into a fresh data dir, swaps it in (the old one is
# kept as etcd.before-restore-TIME) and starts the cluster again. The kubelet then kills the
# pods the restored state does not know, controllers recreate what it does.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
source "$SKIFF_ROOT/scripts/services.sh"

BACKUP_DIR=${SKIFF_BACKUP_DIR:-$SKIFF_DIR/backups}
KEEP=${SKIFF_BACKUP_KEEP:-7}
export ETCDCTL_API=3

etcdctl_tls() {
  etcdctl --endpoints="$ETCD_CLIENT_URL" --cacert="$ETCD_PKI/ca.crt" \
    --cert="$ETCD_PKI/healthcheck-client.crt" --key="$ETCD_PKI/healthcheck-client.key" "$@"
}

cmd_backup() {
  local dir=${1:-$BACKUP_DIR}
  [[ "$KEEP" =~ ^[1-9][0-9]*$ ]] || die "SKIFF_BACKUP_KEEP must be a positive number, not '$KEEP'"
  mkdir -p "$dir"
  chmod 700 "$dir"
  local file
  file="$dir/etcd-$(date -u +%Y%m%dT%H%M%S%NZ).db"
  step "etcd snapshot to ${file#$SKIFF_ROOT/}"
  etcdctl_tls snapshot save "$file.part" >&2
  mv "$file.part" "$file"
  (cd "$dir" && sha256sum "$(basename "$file")" >"$(basename "$file").sha256")
  # keep the newest $KEEP (names sort by time)
  local old
  while read -r old; do
    [[ -n "$old" ]] || continue
    info "removing old snapshot $(basename "$old")"
    rm -f "$old" "$old.sha256"
  done < <(ls -1 "$dir"/etcd-*.db 2>/dev/null | sort | head -n "-$KEEP")
  printf '%s\n' "$file"
}

CONTROL_SERVICES=(metrics-server dns proxy kubelet scheduler controller-manager apiserver etcd)

cmd_restore() {
  local file=${1:-}
  [[ -n "$file" && -f "$file" ]] || die "usage: etcd-backup.sh restore FILE (a snapshot from etcd-backup.sh backup)"
  file=$(cd "$(dirname "$file")" && pwd)/$(basename "$file")
  [[ -f "$file.sha256" ]] || die "$file.sha256 is missing: will not restore an unverified snapshot"
  step "checking $(basename "$file").sha256"
  (cd "$(dirname "$file")" && sha256sum --quiet -c "$(basename "$file").sha256") || die "checksum of $file does not match"
  local stamp new
  stamp=$(date -u +%Y%m%dT%H%M%SZ)
  new="$SKIFF_DIR/etcd.restore-$stamp"
  step "restoring into ${new#$SKIFF_ROOT/}"
  etcdctl snapshot restore "$file" --data-dir "$new" --name skiff \
    --initial-cluster "skiff=$ETCD_PEER_URL" --initial-advertise-peer-urls "$ETCD_PEER_URL" >&2
  chmod 700 "$new"
  bash "$SKIFF_ROOT/scripts/cluster.sh" stop "${CONTROL_SERVICES[@]}"
  if [[ -d "$SKIFF_DIR/etcd" ]]; then mv "$SKIFF_DIR/etcd" "$SKIFF_DIR/etcd.before-restore-$stamp"; fi
  mv "$new" "$SKIFF_DIR/etcd"
  info "the previous data dir is kept as etcd.before-restore-$stamp"
  bash "$SKIFF_ROOT/scripts/cluster.sh" up
}

case "${1:-}" in
  backup) shift; cmd_backup "$@" ;;
  restore) shift; cmd_restore "$@" ;;
  *) die "usage: etcd-backup.sh backup [DIR] | restore FILE" ;;
esac
