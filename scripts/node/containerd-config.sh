#!/usr/bin/env bash
# Writes a containerd 1.6 config.toml for one node (CRI plugin, runc with cgroupfs, CNI from
# /usr/lib/cni, a locally built pause image). Idempotent: rewrites the same file.
#
# usage: scripts/node/containerd-config.sh [--node NAME] [--root DIR] [--state DIR] [--socket PATH]
#          [--cni-conf-dir DIR] [--config FILE] [--sandbox-image REF] [--stream-address IP]
#          [--registry-mirror URL] [--registry-ca FILE]
# --node NAME fills every path from .skiff/nodes/NAME/; explicit flags override them.
# --registry-mirror: where this node reaches the registry known as 127.0.0.1:5000, for a
#   containerd inside a network namespace whose own loopback has no registry
#   (e.g. https://10.200.0.1:5000). --registry-ca: the CA that signs an https mirror's certificate.
# The same registry mirrors docker.io (see certs.d/ below), so short names work offline.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

node="" root="" state="" socket="" cni_conf_dir="" config="" mirror="" registry_ca=""
sandbox_image="127.0.0.1:5000/skiff/pause:latest"
stream_address="127.0.0.1"
while [[ $# -gt 0 ]]; do
  case "$1" in
    --node) node="$2"; shift 2 ;;
    --root) root="$2"; shift 2 ;;
    --state) state="$2"; shift 2 ;;
    --socket) socket="$2"; shift 2 ;;
    --cni-conf-dir) cni_conf_dir="$2"; shift 2 ;;
    --config) config="$2"; shift 2 ;;
    --sandbox-image) sandbox_image="$2"; shift 2 ;;
    --stream-address) stream_address="$2"; shift 2 ;;
    --registry-mirror) mirror="$2"; shift 2 ;;
    --registry-ca) registry_ca="$2"; shift 2 ;;
    *) die "unknown argument $1" ;;
  esac
done
if [[ -n "$node" ]]; then
  base="$(node_dir "$node")"
  root="${root:-$base/containerd/root}"
  state="${state:-$base/containerd/state}"
  socket="${socket:-$base/containerd/containerd.sock}"
  cni_conf_dir="${cni_conf_dir:-$base/cni/net.d}"
  config="${config:-$base/containerd/config.toml}"
fi
for v in root state socket cni_conf_dir config; do [[ -n "${!v}" ]] || die "--${v//_/-} (or --node) is required"; done
# unix socket paths are limited to 107 bytes
(( ${#socket} < 100 )) || die "socket path too long (${#socket} bytes): $socket"

mkdir -p "$root" "$state" "$cni_conf_dir" "$(dirname "$socket")" "$(dirname "$config")"

# Registry hosts live in hosts.toml files under certs.d/ next to the config (containerd's
# config_path; the older registry.mirrors/configs sections cannot be combined with it):
#  - 127.0.0.1:5000, the name every Skiff image has, is the local registry (plain HTTP on
#    loopback), or the --registry-mirror when this node's loopback has none;
#  - docker.io tries the same registry first, so that `busybox`, `busybox:latest` and
#    `docker.io/library/busybox` pull the local copy under library/ (scripts/images.sh pushes
#    every image there too) when it has one, and Docker Hub otherwise.
certs_dir="$(dirname "$config")/certs.d"
local_host="http://127.0.0.1:5000" local_ca=""
if [[ -n "$mirror" ]]; then
  local_host="$mirror"
  if [[ -n "$registry_ca" ]]; then
    [[ "$mirror" =~ ^https:// ]] || die "--registry-ca needs an https:// mirror, got '$mirror'"
    [[ -r "$registry_ca" ]] || die "--registry-ca: cannot read '$registry_ca'"
    local_ca="$registry_ca"
  fi
fi
# hosts_toml DIR SERVER: DIR/hosts.toml sending pulls to the local registry, then to SERVER
hosts_toml() {
  local dir=$1 server=$2
  mkdir -p "$dir"
  {
    echo "# Written by scripts/node/containerd-config.sh; rerun it instead of editing."
    echo "server = \"$server\""
    echo
    echo "[host.\"$local_host\"]"
    echo "  capabilities = [\"pull\", \"resolve\"]"
    [[ -z "$local_ca" ]] || echo "  ca = \"$local_ca\""
  } >"$dir/hosts.toml.tmp.$$"
  mv "$dir/hosts.toml.tmp.$$" "$dir/hosts.toml"
}
hosts_toml "$certs_dir/127.0.0.1:5000" "http://127.0.0.1:5000"
hosts_toml "$certs_dir/docker.io" "https://registry-1.docker.io"

tmp="$config.tmp.$$"
cat > "$tmp" <<TOML
# Written by scripts/node/containerd-config.sh; rerun it instead of editing.
version = 2
root = "$root"
state = "$state"
# Snapshotters this machine cannot use only add start-up noise.
disabled_plugins = ["io.containerd.snapshotter.v1.btrfs", "io.containerd.snapshotter.v1.zfs",
  "io.containerd.snapshotter.v1.devmapper", "io.containerd.snapshotter.v1.aufs"]

[grpc]
  address = "$socket"

[ttrpc]
  address = "$socket.ttrpc"

[debug]
  address = ""
  level = "info"

[metrics]
  address = ""

[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "$sandbox_image"
  # The sandbox refuses negative oom_score_adj; without this runc fails with
  # "can't get final child's PID from pipe".
  restrict_oom_score_adj = true
  stream_server_address = "$stream_address"
  stream_server_port = "0"
  enable_selinux = false
  # Pod network namespaces live under this node's state dir, not the shared /var/run/netns.
  netns_mounts_under_state_dir = true

  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "overlayfs"
    default_runtime_name = "runc"

    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"

      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
        # No systemd on these machines: cgroupfs driver (cgroups v1).
        SystemdCgroup = false

  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "/usr/lib/cni"
    conf_dir = "$cni_conf_dir"
    max_conf_num = 1

  [plugins."io.containerd.grpc.v1.cri".registry]
    config_path = "$certs_dir"
TOML
mv "$tmp" "$config"
echo "$config"
