#!/usr/bin/env bash
# The lab: several worker "VMs" on this machine, each a network namespace on a lab bridge that
# joins the cluster through scripts/node/join.sh, as a real worker VM would.
#
#   scripts/lab.sh up [N]        bridge, control plane, N workers (default 3); prints the time
#                                from nothing to all nodes Ready
#   scripts/lab.sh join N        one more worker (N 1..9) joins the running lab
#   scripts/lab.sh kill NODE     the worker "VM" crashes: SIGKILL its processes, link down
#   scripts/lab.sh remove NODE   one worker and everything it made are removed
#   scripts/lab.sh down          removes every namespace, link, rule, mount, container and
#                                process the lab made
#   scripts/lab.sh status        workers and their processes
#   scripts/lab.sh bridge        only the lab bridge (for a control plane started before `up`)
#   scripts/lab.sh vm NAME IP    a bare "VM" on the lab bridge: namespace NAME, address IP/24,
#                                nothing installed (e2e/test/lab-install.test.ts installs a release)
#   scripts/lab.sh vm-remove NAME   removes that namespace and its link
#   scripts/lab.sh control-plane N   (ha) starts what is not running on control-plane node N
#
# Control plane (SKIFF_LAB_CONTROL_PLANE):
#   make-up (default)  the `make up` services on the host (started if not running). The
#                      controller-manager is restarted with short node timeouts for the lab
#                      (restored by `down`), and the host node is cordoned so workloads land
#                      on the workers (uncordoned by `down`).
#   external           someone else runs it (the e2e suite): SKIFF_LAB_SERVER_PORT,
#                      SKIFF_LAB_PKI (its CA cert and key: the lab signs the registry
#                      listener's certificate; apiserver.crt names the address workers use),
#                      SKIFF_LAB_KUBECONFIG (admin) describe it.
#   ha                 a control plane of its own on SKIFF_LAB_CONTROL_PLANES (3) control-plane
#                      "VMs" PREFIXcpN at NET.2N: etcd members, apiservers, controller-managers
#                      and schedulers (scripts/lab-ha.sh); workers fail over between the
#                      apiservers. `lab.sh control-plane N` starts what is missing on node N.
# Workers join with a bootstrap token (made here as `make token` makes it) and the CA hash;
# no CA key leaves the control plane.
# Registry: a second docker-registry listener, HTTPS on BRIDGE_IP:5000 with a certificate from
# the cluster CA, serves the same storage as the host's 127.0.0.1:5000 one; every worker's
# containerd mirrors 127.0.0.1:5000 to it, so image names stay 127.0.0.1:5000/... everywhere.
# Layout knobs (the e2e suite moves them so it never meets a `make lab`):
#   SKIFF_LAB_BRIDGE (skifflab0), SKIFF_LAB_NET (10.254.0: host .1, worker N .1N),
#   SKIFF_LAB_PREFIX (skiff-w: namespace and node names skiff-w1...).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
use_project_node

BRIDGE=${SKIFF_LAB_BRIDGE:-skifflab0}
NET=${SKIFF_LAB_NET:-10.254.0}
PREFIX=${SKIFF_LAB_PREFIX:-skiff-w}
MODE=${SKIFF_LAB_CONTROL_PLANE:-make-up}
LAB_DIR="$SKIFF_DIR/lab-$BRIDGE"
HOST_IP="$NET.1"
REGISTRY_PORT=${SKIFF_LAB_REGISTRY_PORT:-5000}
NODE_MONITOR_GRACE=${SKIFF_LAB_NODE_MONITOR_GRACE:-20}
TOLERATION_SECONDS=${SKIFF_LAB_TOLERATION_SECONDS:-10}
READY_TIMEOUT=${SKIFF_LAB_READY_TIMEOUT:-180}
# LoadBalancer Service addresses: on the bridge's /24, announced by the worker proxies (ARP)
LB_POOL=${SKIFF_LAB_LB_POOL:-$NET.200-$NET.239}

(( ${#BRIDGE} <= 15 )) || die "bridge name '$BRIDGE' is longer than 15 characters"
[[ "$NET" =~ ^[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}$ ]] || die "SKIFF_LAB_NET must be three octets, got '$NET'"
[[ "$PREFIX" =~ ^[a-z][-a-z0-9]{0,8}$ ]] || die "SKIFF_LAB_PREFIX must be a short DNS label, got '$PREFIX'"

case "$MODE" in
  make-up)
    KUBECONFIG_ADMIN="$SKIFF_DIR/kubeconfig"
    PKI_DIR="$SKIFF_DIR/pki"
    SERVER_PORT=${SKIFF_APISERVER_PORT:-6443}
    REGISTRY_DATA="$SKIFF_DIR/registry/data" ;;
  external)
    KUBECONFIG_ADMIN=${SKIFF_LAB_KUBECONFIG:?SKIFF_LAB_KUBECONFIG is required in external mode}
    PKI_DIR=${SKIFF_LAB_PKI:?SKIFF_LAB_PKI is required in external mode}
    SERVER_PORT=${SKIFF_LAB_SERVER_PORT:?SKIFF_LAB_SERVER_PORT is required in external mode}
    REGISTRY_DATA=${SKIFF_LAB_REGISTRY_DATA:-$SKIFF_DIR/registry/data} ;;
  ha)
    KUBECONFIG_ADMIN="$LAB_DIR/admin.kubeconfig"
    PKI_DIR="$LAB_DIR/pki"
    SERVER_PORT=6443
    REGISTRY_DATA=${SKIFF_LAB_REGISTRY_DATA:-$SKIFF_DIR/registry/data}
    source "$SKIFF_ROOT/scripts/lab-ha.sh" ;;
  *) die "SKIFF_LAB_CONTROL_PLANE must be make-up, external or ha, got '$MODE'" ;;
esac

k() { kubectl --kubeconfig "$KUBECONFIG_ADMIN" "$@"; }
worker_ip() { printf '%s.1%s' "$NET" "$1"; }
host_veth() { printf '%s-h' "$1"; }
workers() { ip netns list 2>/dev/null | awk '{ print $1 }' | grep -E "^$PREFIX[0-9]+$" | sort || true; }
node_base() { printf '%s/nodes/%s' "$SKIFF_DIR" "$1"; }

# ---- network ----

ensure_bridge() {
  if ! ip link show "$BRIDGE" >/dev/null 2>&1; then
    ip link add "$BRIDGE" type bridge
  fi
  ip addr replace "$HOST_IP/24" dev "$BRIDGE"
  ip link set "$BRIDGE" up
  # br_netfilter sends bridged frames through the host's FORWARD chain; let lab traffic pass
  # whatever the host's policy is.
  iptables -C FORWARD -i "$BRIDGE" -m comment --comment "skiff lab $BRIDGE" -j ACCEPT 2>/dev/null \
    || iptables -I FORWARD -i "$BRIDGE" -m comment --comment "skiff lab $BRIDGE" -j ACCEPT
}

# lab_supervisor STATE_FILE: the words that run a command under scripts/supervise.sh (none
# with SKIFF_LAB_SUPERVISE=0); STATE_FILE records the service's own PID and its restarts
lab_supervisor() {
  [[ "${SKIFF_LAB_SUPERVISE:-1}" == 0 ]] || printf '%s\n' bash "$SKIFF_ROOT/scripts/supervise.sh" "$1"
}

make_worker_netns() { make_netns "$1" "$(worker_ip "$2")"; }

# make_netns NAME IP: a "VM" on the lab bridge with address IP/24
make_netns() {
  local name=$1 address=$2 veth
  veth=$(host_veth "$name")
  ip netns list | awk '{ print $1 }' | grep -qx "$name" || ip netns add "$name"
  if ! ip link show "$veth" >/dev/null 2>&1; then
    ip link add "$veth" type veth peer name eth0 netns "$name"
  fi
  ip link set "$veth" master "$BRIDGE" up
  ip -n "$name" link set lo up
  ip -n "$name" addr replace "$address/24" dev eth0
  ip -n "$name" link set eth0 up
  ip -n "$name" route replace default via "$HOST_IP"
}

# ---- control plane ----

cm_pid() { cat "$SKIFF_DIR/run/controller-manager.pid" 2>/dev/null; }

# Restart the running controller-manager with the same arguments plus the lab's short node
# timeouts; the original command line is kept for `down`. Later flags win in parseFlags.
tune_controller_manager() {
  local pid; pid=$(cm_pid) || die "controller-manager is not running (no pid file in $SKIFF_DIR/run)"
  [[ -f "$LAB_DIR/controller-manager.cmdline" ]] && return 0
  cp "/proc/$pid/cmdline" "$LAB_DIR/controller-manager.cmdline"
  local -a args
  mapfile -d '' -t args <"$LAB_DIR/controller-manager.cmdline"
  restart_controller_manager "${args[@]}" --node-monitor-grace-period="$NODE_MONITOR_GRACE" \
    --default-toleration-seconds="$TOLERATION_SECONDS" --load-balancer-ip-pool="$LB_POOL"
  info "controller-manager: node-monitor-grace-period ${NODE_MONITOR_GRACE}s, default-toleration-seconds ${TOLERATION_SECONDS}s"
}

restart_controller_manager() {
  local pid; pid=$(cm_pid || true)
  if [[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null; then
    kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid"
    wait_pid_gone "$pid" 10 || kill -KILL "$pid" 2>/dev/null || true
  fi
  (cd "$SKIFF_ROOT" && exec setsid "$@") >>"$SKIFF_DIR/logs/controller-manager.log" 2>&1 </dev/null &
  echo $! >"$SKIFF_DIR/run/controller-manager.pid"
}

wait_pid_gone() {
  local pid=$1 seconds=$2 deadline=$((SECONDS + $2))
  while kill -0 "$pid" 2>/dev/null; do (( SECONDS < deadline )) || return 1; sleep 0.1; done
}

restore_controller_manager() {
  [[ -f "$LAB_DIR/controller-manager.cmdline" ]] || return 0
  local -a args
  mapfile -d '' -t args <"$LAB_DIR/controller-manager.cmdline"
  if [[ -n "$(cm_pid || true)" ]]; then
    restart_controller_manager "${args[@]}"
    info "controller-manager restarted with its own flags"
  fi
  rm -f "$LAB_DIR/controller-manager.cmdline"
}

host_node() { printf '%s' "${SKIFF_NODE_NAME:-$(hostname | tr 'A-Z_' 'a-z-')}"; }

start_control_plane() {
  if [[ "$MODE" == ha ]]; then ha_start_control_plane; return; fi
  [[ "$MODE" == make-up ]] || return 0
  step "control plane: make up's services (reused when running)"
  bash "$SKIFF_ROOT/scripts/cluster.sh" up 2>&1 | sed 's/^/    /' >&2
  tune_controller_manager
  k cordon "$(host_node)" >/dev/null 2>&1 && info "host node $(host_node) cordoned: workloads go to the workers" || true
}

# ---- registry listener on the bridge ----

registry_answers() { curl -fsS -o /dev/null --max-time 2 --cacert "$PKI_DIR/ca.crt" "https://$HOST_IP:$REGISTRY_PORT/v2/"; }

# HTTPS with a certificate from the cluster CA: the workers' containerd verifies it with the CA
# they took from cluster-info, so no plain-HTTP port faces the lab network.
start_lab_registry() {
  local pid_file="$LAB_DIR/registry.pid" config="$LAB_DIR/registry.yml" cert="registry-$BRIDGE"
  if [[ -f "$pid_file" ]] && kill -0 "$(cat "$pid_file")" 2>/dev/null; then return 0; fi
  mkdir -p "$REGISTRY_DATA"
  bash "$SKIFF_ROOT/scripts/pki.sh" "$PKI_DIR" server "$cert" skiff-registry "$HOST_IP" 2>&1 | sed 's/^/    /' >&2
  SKIFF_REGISTRY_DATA="$REGISTRY_DATA" bash "$SKIFF_ROOT/scripts/registry.sh" tls-config \
    "$HOST_IP:$REGISTRY_PORT" "$PKI_DIR/$cert.crt" "$PKI_DIR/$cert.key" "$config" >/dev/null
  setsid docker-registry serve "$config" >>"$LAB_DIR/registry.log" 2>&1 </dev/null &
  echo $! >"$pid_file"
  wait_until 20 registry_answers || die "lab registry did not answer on https://$HOST_IP:$REGISTRY_PORT (log $LAB_DIR/registry.log)"
  info "registry listener on https://$HOST_IP:$REGISTRY_PORT (storage $REGISTRY_DATA)"
  if [[ "$MODE" != make-up ]]; then
    SKIFF_REGISTRY_ADDR="$HOST_IP:$REGISTRY_PORT" SKIFF_REGISTRY_CA="$PKI_DIR/ca.crt" bash "$SKIFF_ROOT/scripts/images.sh" 2>&1 | sed 's/^/    /' >&2
  fi
}

# ---- workers ----

# The join command's credentials, made once per run as `make token` makes them (a bootstrap
# token valid for an hour, cluster-info published). SKIFF_LAB_JOIN_TOKEN replaces the token
# (a test of a refused join).
join_server="" join_token="" join_ca_hash=""
make_join_token() {
  [[ -n "$join_token" ]] && return 0
  join_server="https://$(server_address):$SERVER_PORT"
  local -a token_cli; mapfile -t token_cli < <(skiff_program apiserver auth/token-cli)
  local line
  line=$(node "${token_cli[@]}" --kubeconfig "$KUBECONFIG_ADMIN" --server "$join_server" --ttl 1h \
    --description "skiff lab $BRIDGE" 2>/dev/null) || die "could not create a bootstrap token with $KUBECONFIG_ADMIN"
  [[ "$line" =~ TOKEN=([^[:space:]]+)\ CA_HASH=([^[:space:]]+) ]] || die "unexpected join command from the token tool: $line"
  join_token=${SKIFF_LAB_JOIN_TOKEN:-${BASH_REMATCH[1]}}
  join_ca_hash=${BASH_REMATCH[2]}
}

join_worker() {
  local name=$1 index=$2
  make_join_token
  make_worker_netns "$name" "$index"
  # the ingress controller's identity is made here, where the CA key is, as an operator would
  # hand a certificate to a VM (pki.sh keeps an existing one)
  bash "$SKIFF_ROOT/scripts/pki.sh" "$PKI_DIR" client ingress system:skiff-ingress >/dev/null
  mkdir -p "$(node_base "$name")"
  bash "$SKIFF_ROOT/scripts/kubeconfig.sh" "$(node_base "$name")/ingress.kubeconfig" "$join_server" \
    "$PKI_DIR/ca.crt" "$PKI_DIR/ingress.crt" "$PKI_DIR/ingress.key" skiff ingress >/dev/null
  local -a endpoints_env=()
  # HA: the kubelet, proxy and ingress controller fail over between every apiserver
  [[ "$MODE" == ha ]] && endpoints_env=("SKIFF_APISERVER_ENDPOINTS=$(ha_apiserver_endpoints)")
  # HA: every node daemon under scripts/supervise.sh, as the control-plane components
  [[ "$MODE" == ha && "${SKIFF_LAB_SUPERVISE:-1}" != 0 ]] && endpoints_env+=("SKIFF_NODE_SUPERVISE=1")
  env "${endpoints_env[@]}" bash "$SKIFF_ROOT/scripts/node/join.sh" --node "$name" --netns "$name" --node-ip "$(worker_ip "$index")" \
    --server "$join_server" --token "$join_token" --ca-hash "$join_ca_hash" \
    --registry-mirror "https://$HOST_IP:$REGISTRY_PORT" --ingress-kubeconfig "$(node_base "$name")/ingress.kubeconfig"
}

# The bridge address when the serving certificate names it, else the first host address it
# names (reachable from the namespaces through their default route as well).
server_address() {
  if [[ "$MODE" == ha ]]; then cp_ip 1; return; fi
  local sans; sans=$(openssl x509 -in "$PKI_DIR/apiserver.crt" -noout -ext subjectAltName 2>/dev/null || true)
  if grep -q "IP Address:$HOST_IP\b" <<<"$sans"; then printf '%s' "$HOST_IP"; return; fi
  local ip
  for ip in $(grep -o 'IP Address:[0-9.]*' <<<"$sans" | cut -d: -f2); do
    [[ "$ip" == 127.* || "$ip" == 10.96.* ]] && continue
    printf '%s' "$ip"; return
  done
  die "the apiserver certificate names no address reachable from the lab (SANs: $sans)"
}

all_ready() {
  local want=$1 ready
  ready=$(k get nodes -o jsonpath='{range .items[*]}{.metadata.name}={.status.conditions[?(@.type=="Ready")].status}{"\n"}{end}' 2>/dev/null \
    | grep -cE "^$PREFIX[0-9]+=True$" || true)
  [[ "$ready" -ge "$want" ]]
}

cmd_up() {
  local count=${1:-3} start=$SECONDS started_ms
  [[ "$count" =~ ^[1-9]$ ]] || die "NODES must be 1..9, got '$count'"
  started_ms=$(date +%s%3N)
  mkdir -p "$LAB_DIR" "$SKIFF_DIR/logs"
  step "lab: bridge $BRIDGE $HOST_IP/24"
  ensure_bridge
  start_control_plane
  start_lab_registry
  local i
  for (( i = 1; i <= count; i++ )); do
    step "worker $PREFIX$i: namespace, link $(worker_ip "$i"), join"
    join_worker "$PREFIX$i" "$i"
  done
  step "waiting until $count workers are Ready"
  wait_until "$READY_TIMEOUT" all_ready "$count" || { k get nodes -o wide >&2 || true; die "workers not Ready after ${READY_TIMEOUT}s"; }
  local elapsed_ms=$(( $(date +%s%3N) - started_ms ))
  k get nodes -o wide >&2
  printf 'lab: %d workers Ready %d.%03d s after start\n' "$count" $((elapsed_ms / 1000)) $((elapsed_ms % 1000))
}

kill_pid_file() {
  local file=$1 signal=${2:-KILL} pid
  [[ -f "$file" ]] || return 0
  pid=$(cat "$file")
  if [[ "$pid" =~ ^[0-9]+$ ]] && kill -0 "$pid" 2>/dev/null; then
    kill "-$signal" -- "-$pid" 2>/dev/null || kill "-$signal" "$pid" 2>/dev/null || true
    wait_pid_gone "$pid" 10 || true
  fi
  rm -f "$file"
}

cmd_kill() {
  local name=${1:-}
  [[ -n "$name" ]] || die "usage: lab.sh kill NODE"
  ip netns list | awk '{ print $1 }' | grep -qx "$name" || die "no lab worker '$name' (workers: $(workers | tr '\n' ' '))"
  local base; base=$(node_base "$name")
  step "$name: crash (SIGKILL kubelet, proxy, ingress, containerd; link down)"
  kill_pid_file "$base/run/kubelet.pid"
  kill_pid_file "$base/run/proxy.pid"
  kill_pid_file "$base/run/ingress.pid"
  kill_pid_file "$base/containerd/containerd.pid"
  ip link set "$(host_veth "$name")" down 2>/dev/null || true
  ip -n "$name" link set eth0 down 2>/dev/null || true
}

# Containers of one node: runc's state is shared by every containerd on the machine
# (/run/containerd/runc/k8s.io), so pick ours by their bundle path under this node's state dir.
kill_node_containers() {
  local name=$1 state socket
  state="$(node_base "$name")/containerd/state"
  socket="$(node_base "$name")/containerd/containerd.sock"
  local root=/run/containerd/runc/k8s.io
  if [[ -d "$root" ]]; then
    local id bundle
    while read -r id bundle; do
      [[ "$bundle" == "$state"/* ]] || continue
      runc --root "$root" kill "$id" KILL 2>/dev/null || true
      runc --root "$root" delete -f "$id" 2>/dev/null || true
    done < <(runc --root "$root" list -f json 2>/dev/null | node -e '
      let s = ""; process.stdin.on("data", (d) => (s += d)).on("end", () => {
        for (const c of JSON.parse(s || "null") ?? []) console.log(c.id, c.bundle);
      });' || true)
  fi
  # the shims name this node's socket on their command line
  local pid
  for pid in $(pgrep -f -- "containerd-shim-runc-v2 .*-address $socket( |$)" || true); do
    kill -KILL "$pid" 2>/dev/null || true
  done
}

unmount_under() {
  local dir=$1 mnt
  # deepest first
  for mnt in $(awk -v d="$dir/" 'index($2, d) == 1 { print $2 }' /proc/self/mounts | sort -r); do
    umount -l "$mnt" 2>/dev/null || true
  done
}

# The worker's join requests go with it: the controller-manager lets a node name join once an
# hour with a bootstrap token (controllers/certificates/join-once.ts), so `make lab-down && make
# lab` would otherwise be refused until then.
delete_join_csrs() { # NAME
  local csr request
  while read -r csr request; do
    [[ -n "$request" ]] || continue
    if base64 -d <<<"$request" 2>/dev/null | openssl req -noout -subject -nameopt compat 2>/dev/null | grep -qx "subject=.*CN=system:node:$1"; then
      k delete csr "$csr" --wait=false >/dev/null 2>&1 || true
    fi
  done < <(k get csr -o jsonpath='{range .items[*]}{.metadata.name} {.spec.request}{"\n"}{end}' 2>/dev/null)
}

remove_worker() {
  local name=$1 base
  base=$(node_base "$name")
  step "removing worker $name"
  if [[ -e "/var/run/netns/$name" ]]; then
    local -a proxy_entry
    mapfile -t proxy_entry < <(skiff_program proxy)
    kill_pid_file "$base/run/proxy.pid" TERM
    nsenter "--net=/var/run/netns/$name" node "${proxy_entry[@]}" --cleanup >/dev/null 2>&1 || info "$name: proxy --cleanup failed"
  fi
  kill_pid_file "$base/run/ingress.pid" TERM
  kill_pid_file "$base/run/kubelet.pid" TERM
  kill_node_containers "$name"
  kill_pid_file "$base/containerd/containerd.pid" TERM
  unmount_under "$base"
  ip link del "$(host_veth "$name")" 2>/dev/null || true
  ip netns del "$name" 2>/dev/null || true
  if [[ "$MODE" == make-up ]]; then
    k delete node "$name" --wait=false >/dev/null 2>&1 || true
    delete_join_csrs "$name"
  fi
  rm -rf "$base"
}

cmd_down() {
  local name
  for name in $(workers); do remove_worker "$name"; done
  # a worker whose namespace is already gone may still have files and mounts
  if [[ -d "$SKIFF_DIR/nodes" ]]; then
    for name in $(ls "$SKIFF_DIR/nodes" | grep -E "^$PREFIX[0-9]+$" || true); do remove_worker "$name"; done
  fi
  kill_pid_file "$LAB_DIR/registry.pid" TERM
  [[ "$MODE" == ha ]] && ha_down
  while iptables -D FORWARD -i "$BRIDGE" -m comment --comment "skiff lab $BRIDGE" -j ACCEPT 2>/dev/null; do :; done
  ip link del "$BRIDGE" 2>/dev/null || true
  if [[ "$MODE" == make-up && -d "$LAB_DIR" ]]; then
    restore_controller_manager
    k uncordon "$(host_node)" >/dev/null 2>&1 || true
  fi
  rm -rf "$LAB_DIR"
  step "lab is down"
}

cmd_join() {
  local index=${1:-}
  [[ "$index" =~ ^[1-9]$ ]] || die "usage: lab.sh join N (N 1..9)"
  ip link show "$BRIDGE" >/dev/null 2>&1 || die "no lab bridge $BRIDGE: run lab.sh up first"
  start_lab_registry
  step "worker $PREFIX$index: namespace, link $(worker_ip "$index"), join"
  join_worker "$PREFIX$index" "$index"
}

cmd_status() {
  local name base proc
  for name in $(workers); do
    base=$(node_base "$name")
    printf '%s:' "$name"
    for proc in run/kubelet run/proxy run/ingress containerd/containerd; do
      if [[ -f "$base/$proc.pid" ]] && kill -0 "$(cat "$base/$proc.pid")" 2>/dev/null; then printf ' %s=up' "${proc##*/}"
      else printf ' %s=down' "${proc##*/}"; fi
    done
    printf '\n'
  done
  [[ "$MODE" != ha ]] || ha_status
}

case "${1:-}" in
  up) cmd_up "${2:-3}" ;;
  join) cmd_join "${2:-}" ;;
  kill) cmd_kill "${2:-}" ;;
  remove) [[ -n "${2:-}" ]] || die "usage: lab.sh remove NODE"; remove_worker "$2" ;;
  down) cmd_down ;;
  status) cmd_status ;;
  control-plane)
    [[ "$MODE" == ha && "${2:-}" =~ ^[1-9]$ ]] || die "usage: SKIFF_LAB_CONTROL_PLANE=ha lab.sh control-plane N"
    ha_control_plane_node "$2" ;;
  # only the bridge: a control plane started afterwards can put its address in certificates
  bridge) mkdir -p "$LAB_DIR"; ensure_bridge ;;
  vm)
    [[ "${2:-}" =~ ^[a-z][-a-z0-9]{0,12}$ && "${3:-}" =~ ^$NET\.[0-9]{1,3}$ ]] || die "usage: lab.sh vm NAME IP (NAME a DNS label of up to 13 characters, IP on $NET.0/24)"
    ip link show "$BRIDGE" >/dev/null 2>&1 || die "no lab bridge $BRIDGE"
    make_netns "$2" "$3" ;;
  vm-remove)
    [[ "${2:-}" =~ ^[a-z][-a-z0-9]{0,12}$ ]] || die "usage: lab.sh vm-remove NAME"
    ip link del "$(host_veth "$2")" 2>/dev/null || true
    ip netns del "$2" 2>/dev/null || true ;;
  *) die "usage: lab.sh up [N] | join N | kill NODE | remove NODE | down | status | bridge" ;;
esac
