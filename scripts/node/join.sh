#!/usr/bin/env bash
# The worker join command: everything a fresh worker "VM" runs to become a node of the cluster.
# Gets node credentials, configures and starts containerd, then the kubelet and the node proxy,
# each in the node's network namespace (or the host's when --netns is empty, as on a real VM).
#
# usage: scripts/node/join.sh --server https://IP:PORT --token ID.SECRET --ca-hash sha256:HEX
#          [--node NAME] [--node-ip IP] [--netns NS] [--registry-mirror URL|none]
#          (an https:// mirror must have a certificate from the cluster CA)
#          [--cluster-cidr CIDR] [--kubelet-port N] [--proxy-port N]
#          [--ingress-kubeconfig FILE] (also runs the ingress controller, :80/:443, with that
#          identity: system:skiff-ingress, whose certificate the control plane makes)
# (`make token` on the control plane prints the first three; `make join` passes them.)
# Defaults: --node the hostname, --node-ip the address the route to the server leaves from,
# --registry-mirror https://SERVER_HOST:5000 (image names 127.0.0.1:5000/... pull from the
# control plane's registry: `SKIFF_REGISTRY_PUBLIC=1 make up` serves it there).
#
# Credentials as Kubernetes' TLS bootstrap: the cluster CA comes from the public
# kube-public/cluster-info and is accepted only if its public key matches --ca-hash; the
# kubelet starts with a bootstrap kubeconfig holding the token, asks for its client
# certificate (CSR for system:node:NAME) and its serving certificate (kubelet-serving CSR),
# which the controller-manager approves and signs. No CA key ever reaches a worker. The node
# proxy then uses the node's own kubeconfig.
#
# Writes everything under $SKIFF_DIR/nodes/NAME/ (pid files in run/, logs in $SKIFF_DIR/logs/).
# Idempotent: a process whose pid file names a live process is left alone; a rejoin with a
# still-valid node certificate does not need a valid token.
# SKIFF_NODE_SUPERVISE=1 runs containerd, the kubelet, the proxy and the ingress controller each
# under scripts/supervise.sh (restarted when they exit), for machines where systemd is not PID 1
# (install.sh agent --init supervise); the pid files then name the supervisors.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
source "$repo_root/scripts/lib.sh"
use_project_node

node="" server="" token="" ca_hash="" node_ip="" netns="" mirror="" cluster_cidr="10.244.0.0/16"
kubelet_port=10250 proxy_port=10256 ingress_kubeconfig=""
while [[ $# -gt 0 ]]; do
  case "$1" in
    --node) node="$2"; shift 2 ;;
    --server) server="$2"; shift 2 ;;
    --token) token="$2"; shift 2 ;;
    --ca-hash) ca_hash="$2"; shift 2 ;;
    --node-ip) node_ip="$2"; shift 2 ;;
    --netns) netns="$2"; shift 2 ;;
    --registry-mirror) mirror="$2"; shift 2 ;;
    --cluster-cidr) cluster_cidr="$2"; shift 2 ;;
    --kubelet-port) kubelet_port="$2"; shift 2 ;;
    --proxy-port) proxy_port="$2"; shift 2 ;;
    --ingress-kubeconfig) ingress_kubeconfig="$2"; shift 2 ;;
    *) die "unknown argument $1" ;;
  esac
done

# in_node CMD...: runs CMD in the node's network namespace. nsenter, not `ip netns exec`:
# the latter remounts /sys and hides the cgroup mounts runc needs.
in_node=()
[[ -z "$netns" || -e "/var/run/netns/$netns" ]] || die "network namespace '$netns' does not exist"
[[ -n "$netns" ]] && in_node=(nsenter "--net=/var/run/netns/$netns")

[[ -n "$node" ]] || node=$(hostname | tr 'A-Z_' 'a-z-')
[[ "$node" =~ ^[a-z0-9]([-a-z0-9]*[a-z0-9])?$ ]] || die "--node must be a DNS label, got '$node'"
[[ "$server" =~ ^https://([^/:]+)(:[0-9]+)?/?$ ]] || die "--server must be https://HOST[:PORT], got '$server'"
server_host=${BASH_REMATCH[1]}
[[ "$token" =~ ^[a-z0-9]{6}\.[a-z0-9]{16}$ ]] || die "--token must look like abcdef.0123456789abcdef (from make token), got '$token'"
[[ "$ca_hash" =~ ^sha256:[0-9a-f]{64}$ ]] || die "--ca-hash must look like sha256:<64 hex digits> (from make token), got '$ca_hash'"
if [[ -z "$node_ip" ]]; then
  # the address this machine reaches the apiserver from is the one other machines reach it at
  node_ip=$("${in_node[@]}" ip -4 route get "$(getent ahostsv4 "$server_host" | awk 'NR == 1 { print $1 }')" 2>/dev/null \
    | grep -o 'src [0-9.]*' | awk '{ print $2 }' || true)
fi
[[ "$node_ip" =~ ^([0-9]{1,3}\.){3}[0-9]{1,3}$ ]] || die "--node-ip must be an IPv4 address, got '$node_ip'"

[[ -n "$mirror" ]] || mirror="https://$server_host:5000"
[[ "$mirror" == none ]] && mirror=""

base="$(node_dir "$node")"
run_dir="$base/run"
log_dir="$skiff_dir/logs"
mkdir -p "$run_dir" "$log_dir" "$base/kubelet"

# ---- credentials: the pinned CA and a bootstrap kubeconfig with the token ----
bootstrap_kubeconfig="$base/bootstrap-kubeconfig"
kubeconfig="$base/kubelet.kubeconfig"
ca_file="$base/ca.crt"
if [[ -s "$kubeconfig" && -s "$ca_file" ]]; then
  info "$node: already joined, the kubelet reuses its certificate (it bootstraps again when that runs out)"
else
  mapfile -t join_entry < <(skiff_program common bootstrap/join-cli)
  "${in_node[@]}" node "${join_entry[@]}" --server "$server" --token "$token" --ca-hash "$ca_hash" \
    --out "$bootstrap_kubeconfig" --ca-out "$ca_file" >/dev/null \
    || die "$node: could not join (see above)"
fi

alive_pid_file() { [[ -f "$1" ]] && kill -0 "$(cat "$1")" 2>/dev/null; }

# SKIFF_NODE_SUPERVISE=1 (see the head of this file; the HA lab, install.sh --init supervise):
# run/NAME.state holds the daemon's own PID.
supervisor=()
[[ "${SKIFF_NODE_SUPERVISE:-0}" == 1 ]] && supervisor=(bash "$repo_root/scripts/supervise.sh")

# start_daemon NAME CMD...: setsid so it outlives this script and leads its own group.
start_daemon() {
  local name=$1; shift
  local pid_file="$run_dir/$name.pid" log="$log_dir/$name-$node.log"
  if alive_pid_file "$pid_file"; then info "$node: $name already running (pid $(cat "$pid_file"))"; return 0; fi
  printf '\n=== %s starting %s\n' "$(date -Is)" "$name" >>"$log"
  # the command, for scripts/systemd-units.sh agent (which runs it as a unit)
  printf '%q ' "$@" >"$run_dir/$name.cmd"
  local -a supervise=()
  ((${#supervisor[@]})) && supervise=("${supervisor[@]}" "$run_dir/$name.state")
  (cd "$repo_root" && exec setsid "${supervise[@]}" "$@") >>"$log" 2>&1 </dev/null &
  echo $! >"$pid_file"
  info "$node: $name started (pid $!, log ${log#$repo_root/})"
}

# ---- container runtime ----
mirror_args=()
[[ -n "$mirror" ]] && mirror_args=(--registry-mirror "$mirror")
# an https mirror is trusted through the cluster CA, the one this node verified at join
[[ "$mirror" == https://* ]] && mirror_args+=(--registry-ca "$ca_file")
bash "$repo_root/scripts/node/containerd-config.sh" --node "$node" "${mirror_args[@]}" >/dev/null
netns_args=()
[[ -n "$netns" ]] && netns_args=(--netns "$netns")
((${#supervisor[@]})) && netns_args+=(--supervise)
bash "$repo_root/scripts/node/start-containerd.sh" --node "$node" "${netns_args[@]}" \
  --log "$log_dir/containerd-$node.log" | sed 's/^/    /' >&2
socket="$base/containerd/containerd.sock"

# ---- kubelet: the CNI config follows the pod CIDR the controller-manager assigns ----
mapfile -t kubelet_entry < <(skiff_program kubelet)
start_daemon kubelet "${in_node[@]}" node "${kubelet_entry[@]}" --bootstrap-kubeconfig="$bootstrap_kubeconfig" \
  --kubeconfig="$kubeconfig" --cert-dir="$base/pki" --rotate-server-certificates --client-ca-file="$ca_file" \
  --node-name="$node" --node-ip="$node_ip" --container-runtime-endpoint="unix://$socket" --root-dir="$base/kubelet" \
  --cni-conf-dir="$base/cni/net.d" --port="$kubelet_port"

# The kubelet serves :10250 once both certificates are signed (the serving one after the Node
# registered). Its API authorizes every request by SubjectAccessReview, so a node's own
# credential gets 403 there, as in Kubernetes: any HTTP answer over TLS verified by the
# cluster CA means it is up. A refused token ends the kubelet.
healthy() { "${in_node[@]}" curl -fsS --max-time 2 -o /dev/null "$@"; }
kubelet_up_or_gone() {
  "${in_node[@]}" curl -sS --max-time 2 -o /dev/null --cacert "$ca_file" "https://$node_ip:$kubelet_port/healthz" \
    || ! alive_pid_file "$run_dir/kubelet.pid"
}
wait_until 120 kubelet_up_or_gone || die "$node: kubelet not healthy after 120s (log $log_dir/kubelet-$node.log)"
if ! alive_pid_file "$run_dir/kubelet.pid"; then
  rm -f "$run_dir/kubelet.pid"
  tail -n 3 "$log_dir/kubelet-$node.log" | sed 's/^/    /' >&2
  die "$node: the kubelet could not join (TLS bootstrap failed, log $log_dir/kubelet-$node.log)"
fi

# ---- node proxy: Service rules and host-gw routes to the other nodes' pod CIDRs ----
mapfile -t proxy_entry < <(skiff_program proxy)
start_daemon proxy "${in_node[@]}" node "${proxy_entry[@]}" --kubeconfig="$kubeconfig" --node-name="$node" \
  --node-ip="$node_ip" --cluster-cidr="$cluster_cidr" --port="$proxy_port" --bind-address=127.0.0.1

wait_until 60 healthy "http://127.0.0.1:$proxy_port/healthz" \
  || die "$node: proxy not healthy after 60s (log $log_dir/proxy-$node.log)"

# ---- ingress controller (optional): Ingresses of the skiff IngressClass on :80 and :443 ----
if [[ -n "$ingress_kubeconfig" ]]; then
  mapfile -t ingress_entry < <(skiff_program ingress)
  start_daemon ingress "${in_node[@]}" node "${ingress_entry[@]}" --kubeconfig="$ingress_kubeconfig" \
    --http-port=80 --https-port=443 --metrics-port=10254
  wait_until 60 healthy "http://127.0.0.1:10254/readyz" \
    || die "$node: ingress controller not ready after 60s (log $log_dir/ingress-$node.log)"
fi
step "$node joined (node IP $node_ip)"
