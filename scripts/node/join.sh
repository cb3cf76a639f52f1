#!/usr/bin/env bash
# The worker join command: everything a fresh worker "VM" runs to become a node of the cluster.
# Gets node credentials, configures and starts containerd, then the kubelet and the node proxy,
# each in the node's network namespace (or the host's when --netns is empty, as on a real VM).
#
# usage: scripts/node/join.sh --node NAME --server https://IP:PORT --ca CA_CRT --node-ip IP
#          [--netns NS] [--pki-dir DIR] [--registry-mirror URL] [--cluster-cidr CIDR]
#          [--kubelet-port N] [--proxy-port N]
#
# Credentials, the one place that changes when the token flow lands: today the node's client
# certificate (CN=system:node:NAME, O=system:nodes) is signed directly with the CA key in
# --pki-dir (what `make up` made). The token flow will replace this block by
# `--token ID.SECRET --ca-hash sha256:HEX` -> bootstrap kubeconfig -> kubelet --bootstrap-kubeconfig.
#
# Writes everything under $SKIFF_DIR/nodes/NAME/ (pid files in run/, logs in $SKIFF_DIR/logs/).
# Idempotent: a process whose pid file names a live process is left alone.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
source "$repo_root/scripts/lib.sh"
use_project_node

node="" server="" ca="" node_ip="" netns="" pki_dir="" mirror="" cluster_cidr="10.244.0.0/16"
kubelet_port=10250 proxy_port=10256
while [[ $# -gt 0 ]]; do
  case "$1" in
    --node) node="$2"; shift 2 ;;
    --server) server="$2"; shift 2 ;;
    --ca) ca="$2"; shift 2 ;;
    --node-ip) node_ip="$2"; shift 2 ;;
    --netns) netns="$2"; shift 2 ;;
    --pki-dir) pki_dir="$2"; shift 2 ;;
    --registry-mirror) mirror="$2"; shift 2 ;;
    --cluster-cidr) cluster_cidr="$2"; shift 2 ;;
    --kubelet-port) kubelet_port="$2"; shift 2 ;;
    --proxy-port) proxy_port="$2"; shift 2 ;;
    *) die "unknown argument $1" ;;
  esac
done
[[ "$node" =~ ^[a-z0-9]([-a-z0-9]*[a-z0-9])?$ ]] || die "--node must be a DNS label, got '$node'"
[[ "$server" =~ ^https:// ]] || die "--server must be an https:// URL, got '$server'"
[[ -r "$ca" ]] || die "--ca: cannot read '$ca'"
[[ "$node_ip" =~ ^([0-9]{1,3}\.){3}[0-9]{1,3}$ ]] || die "--node-ip must be an IPv4 address, got '$node_ip'"
[[ -z "$netns" || -e "/var/run/netns/$netns" ]] || die "network namespace '$netns' does not exist"

base="$(node_dir "$node")"
run_dir="$base/run"
log_dir="$skiff_dir/logs"
mkdir -p "$run_dir" "$log_dir" "$base/kubelet"

# ---- credentials (see the header: replaced by the bootstrap token flow) ----
kubeconfig="$base/kubelet.kubeconfig"
proxy_kubeconfig="$base/proxy.kubeconfig"
if [[ ! -s "$kubeconfig" || ! -s "$proxy_kubeconfig" ]]; then
  [[ -n "$pki_dir" && -r "$pki_dir/ca.key" ]] || die "--pki-dir with the cluster CA key is needed to sign the node certificate"
  bash "$repo_root/scripts/pki.sh" "$pki_dir" client "node-$node" "system:node:$node" system:nodes
  bash "$repo_root/scripts/kubeconfig.sh" "$kubeconfig" "$server" "$ca" \
    "$pki_dir/node-$node.crt" "$pki_dir/node-$node.key" skiff "system:node:$node"
  # the proxy's identity, as kubeadm's kube-proxy ServiceAccount: read Services and endpoints
  bash "$repo_root/scripts/pki.sh" "$pki_dir" client kube-proxy system:kube-proxy system:node-proxier
  bash "$repo_root/scripts/kubeconfig.sh" "$proxy_kubeconfig" "$server" "$ca" \
    "$pki_dir/kube-proxy.crt" "$pki_dir/kube-proxy.key" skiff system:kube-proxy
fi
# the kubelet's serving certificate, which the apiserver checks when it proxies logs and exec
if [[ ! -s "$base/kubelet-serving.crt" ]]; then
  [[ -n "$pki_dir" && -r "$pki_dir/ca.key" ]] || die "--pki-dir with the cluster CA key is needed to sign the kubelet serving certificate"
  bash "$repo_root/scripts/pki.sh" "$pki_dir" serving "node-$node-serving" "$node" "$node_ip"
  cp "$pki_dir/node-$node-serving.crt" "$base/kubelet-serving.crt"
  cp "$pki_dir/node-$node-serving.key" "$base/kubelet-serving.key"
fi

# in_node CMD...: runs CMD in the node's network namespace. nsenter, not `ip netns exec`:
# the latter remounts /sys and hides the cgroup mounts runc needs.
in_node=()
[[ -n "$netns" ]] && in_node=(nsenter "--net=/var/run/netns/$netns")

alive_pid_file() { [[ -f "$1" ]] && kill -0 "$(cat "$1")" 2>/dev/null; }

# start_daemon NAME CMD...: setsid so it outlives this script and leads its own group.
start_daemon() {
  local name=$1; shift
  local pid_file="$run_dir/$name.pid" log="$log_dir/$name-$node.log"
  if alive_pid_file "$pid_file"; then info "$node: $name already running (pid $(cat "$pid_file"))"; return 0; fi
  printf '\n=== %s starting %s\n' "$(date -Is)" "$name" >>"$log"
  (cd "$repo_root" && exec setsid "$@") >>"$log" 2>&1 </dev/null &
  echo $! >"$pid_file"
  info "$node: $name started (pid $!, log ${log#$repo_root/})"
}

component_entry() {
  if [[ "${SKIFF_FROM_SOURCE:-0}" == 1 || ! -f "$repo_root/$1/dist/src/main.js" ]]; then
    printf '%s\n' --conditions=source "$repo_root/$1/src/main.ts"
  else
    printf '%s\n' "$repo_root/$1/dist/src/main.js"
  fi
}

# ---- container runtime ----
mirror_args=()
[[ -n "$mirror" ]] && mirror_args=(--registry-mirror "$mirror")
bash "$repo_root/scripts/node/containerd-config.sh" --node "$node" "${mirror_args[@]}" >/dev/null
netns_args=()
[[ -n "$netns" ]] && netns_args=(--netns "$netns")
bash "$repo_root/scripts/node/start-containerd.sh" --node "$node" "${netns_args[@]}" \
  --log "$log_dir/containerd-$node.log" | sed 's/^/    /' >&2
socket="$base/containerd/containerd.sock"

# ---- kubelet: the CNI config follows the pod CIDR the controller-manager assigns ----
mapfile -t kubelet_entry < <(component_entry kubelet)
start_daemon kubelet "${in_node[@]}" node "${kubelet_entry[@]}" --kubeconfig="$kubeconfig" --node-name="$node" \
  --node-ip="$node_ip" --container-runtime-endpoint="unix://$socket" --root-dir="$base/kubelet" \
  --cni-conf-dir="$base/cni/net.d" --port="$kubelet_port" \
  --tls-cert-file="$base/kubelet-serving.crt" --tls-private-key-file="$base/kubelet-serving.key"

# ---- node proxy: Service rules and host-gw routes to the other nodes' pod CIDRs ----
mapfile -t proxy_entry < <(component_entry proxy)
start_daemon proxy "${in_node[@]}" node "${proxy_entry[@]}" --kubeconfig="$proxy_kubeconfig" --node-name="$node" \
  --node-ip="$node_ip" --cluster-cidr="$cluster_cidr" --port="$proxy_port" --bind-address=127.0.0.1

healthy() { "${in_node[@]}" curl -fsS --max-time 2 -o /dev/null "$@"; }
wait_until 60 healthy -k "https://127.0.0.1:$kubelet_port/healthz" \
  || die "$node: kubelet not healthy after 60s (log $log_dir/kubelet-$node.log)"
wait_until 60 healthy "http://127.0.0.1:$proxy_port/healthz" \
  || die "$node: proxy not healthy after 60s (log $log_dir/proxy-$node.log)"
step "$node joined (node IP $node_ip)"
