# The services `make up` starts (stopped in the reverse of the order below). Sourced by cluster.sh.
#
#   service   NAME PROBE COMMAND...   any program
#   component NAME PROBE ARGS...      a Skiff workspace: node NAME/dist/src/main.js ARGS
#                                     (SKIFF_FROM_SOURCE=1 runs src/main.ts instead;
#                                      SKIFF_ENTRY_<NAME>=file overrides the entry file)
#
# PROBE is a command that succeeds once the service is usable; `alive` only checks
# that the process is still running a moment after start.
# A new service is one line here; controller-manager, scheduler and kubelet already have
# a client certificate (pki.sh) and $SKIFF_DIR/<name>.kubeconfig, e.g.
#   component scheduler alive --kubeconfig="$SKIFF_DIR/scheduler.kubeconfig"

# `make up` starts the services in waves: each wave's services start together once the wave
# before is ready (cluster.sh start_in_waves). The registry is up before containerd's images
# are pushed to it; a service in no wave starts after these, alone, in the order below.
START_WAVES=(
  "etcd registry registry-public"
  "apiserver containerd"
  "controller-manager scheduler kubelet proxy dns metrics-server ingress"
)

# Ports can be moved (the lifecycle test runs a second cluster beside a real one).
ETCD_CLIENT_PORT=${SKIFF_ETCD_CLIENT_PORT:-2379}
ETCD_PEER_PORT=${SKIFF_ETCD_PEER_PORT:-2380}
APISERVER_PORT=${SKIFF_APISERVER_PORT:-6443}

PKI="$SKIFF_DIR/pki"
# etcd speaks TLS only, to clients and peers, and asks each for a certificate of its own CA
# (pki.sh DIR etcd, kubeadm's layout): the apiserver is its one client.
ETCD_CLIENT_URL="https://127.0.0.1:$ETCD_CLIENT_PORT"
ETCD_PEER_URL="https://127.0.0.1:$ETCD_PEER_PORT"
ETCD_PKI="$PKI/etcd"
# Secrets are encrypted in etcd (aescbc) with a random key made once under .skiff/
ENCRYPTION_CONFIG="$SKIFF_DIR/encryption-config.yaml"
APISERVER_URL="https://127.0.0.1:$APISERVER_PORT"

advertise_address() {
  # SKIFF_ADVERTISE_ADDRESS: the address of a machine with several (install.sh server --advertise-address)
  [[ -z "${SKIFF_ADVERTISE_ADDRESS:-}" ]] || { printf '%s' "$SKIFF_ADVERTISE_ADDRESS"; return; }
  local ip
  ip=$(ip -4 -o addr show scope global 2>/dev/null | awk '{ split($4, a, "/"); print a[1]; exit }')
  printf '%s' "${ip:-127.0.0.1}"
}

etcd_healthy() {
  ETCDCTL_API=3 etcdctl --endpoints="$ETCD_CLIENT_URL" --cacert="$ETCD_PKI/ca.crt" \
    --cert="$ETCD_PKI/healthcheck-client.crt" --key="$ETCD_PKI/healthcheck-client.key" --command-timeout=2s endpoint health
}
prepare_etcd() { bash "$SKIFF_ROOT/scripts/pki.sh" "$PKI" etcd; }
apiserver_ready() { curl -fsS --max-time 2 --cacert "$PKI/ca.crt" "$APISERVER_URL/readyz"; }
CONTROLLER_MANAGER_PORT=${SKIFF_CONTROLLER_MANAGER_PORT:-10257}
controller_manager_healthy() { curl -fsS --max-time 2 "http://127.0.0.1:$CONTROLLER_MANAGER_PORT/healthz"; }
SCHEDULER_PORT=${SKIFF_SCHEDULER_PORT:-10259}
scheduler_healthy() { curl -fsS --max-time 2 "http://127.0.0.1:$SCHEDULER_PORT/healthz"; }

# This machine is also the first node: a registry for the local images, its containerd, its kubelet.
REGISTRY_ADDR=${SKIFF_REGISTRY_ADDR:-127.0.0.1:5000}
NODE_NAME=${SKIFF_NODE_NAME:-$(hostname | tr 'A-Z_' 'a-z-')}
NODE_DIR="$SKIFF_DIR/nodes/$NODE_NAME"
CONTAINERD_SOCKET="$NODE_DIR/containerd/containerd.sock"
KUBELET_PORT=${SKIFF_KUBELET_PORT:-10250}
registry_ready() { curl -fsS --max-time 2 -o /dev/null "http://$REGISTRY_ADDR/v2/"; }
# SKIFF_REGISTRY_PUBLIC=1: workers on other machines pull from a second listener on the same
# storage, HTTPS on this machine's address with a certificate from the cluster CA (join.sh
# mirrors 127.0.0.1:5000 to https://SERVER_HOST:5000 and verifies it with the CA it took).
REGISTRY_PUBLIC_ADDR="$(advertise_address):${SKIFF_REGISTRY_PUBLIC_PORT:-5000}"
registry_public_ready() { curl -fsS --max-time 2 -o /dev/null --cacert "$PKI/ca.crt" "https://$REGISTRY_PUBLIC_ADDR/v2/"; }
prepare_registry_public() {
  bash "$SKIFF_ROOT/scripts/pki.sh" "$PKI" server registry-public skiff-registry "${REGISTRY_PUBLIC_ADDR%:*}" 2>&1 | sed 's/^/    /' >&2
  bash "$SKIFF_ROOT/scripts/registry.sh" tls-config "$REGISTRY_PUBLIC_ADDR" "$PKI/registry-public.crt" "$PKI/registry-public.key" \
    "$SKIFF_DIR/registry/public.yml" >/dev/null
}
containerd_ready() { [[ -S "$CONTAINERD_SOCKET" ]] && ctr --address "$CONTAINERD_SOCKET" version >/dev/null 2>&1; }
kubelet_healthy() { curl -fsS --max-time 2 --cacert "$PKI/ca.crt" --cert "$PKI/admin.crt" --key "$PKI/admin.key" "https://127.0.0.1:$KUBELET_PORT/healthz"; }
PROXY_PORT=${SKIFF_PROXY_PORT:-10256}
proxy_healthy() { curl -fsS --max-time 2 "http://127.0.0.1:$PROXY_PORT/healthz"; }
DNS_PORT=${SKIFF_DNS_PORT:-5353}
DNS_METRICS_PORT=${SKIFF_DNS_METRICS_PORT:-9153}
dns_healthy() { curl -fsS --max-time 2 "http://127.0.0.1:$DNS_METRICS_PORT/healthz"; }
METRICS_SERVER_PORT=${SKIFF_METRICS_SERVER_PORT:-4443}
METRICS_SERVER_METRICS_PORT=${SKIFF_METRICS_SERVER_METRICS_PORT:-10262}
metrics_server_healthy() { curl -fsS --max-time 2 "http://127.0.0.1:$METRICS_SERVER_METRICS_PORT/healthz"; }
# the ingress controller's listeners (80/443 unless taken: SKIFF_INGRESS_HTTP_PORT, ..._HTTPS_PORT)
INGRESS_HTTP_PORT=${SKIFF_INGRESS_HTTP_PORT:-80}
INGRESS_HTTPS_PORT=${SKIFF_INGRESS_HTTPS_PORT:-443}
INGRESS_METRICS_PORT=${SKIFF_INGRESS_METRICS_PORT:-10254}
ingress_healthy() { curl -fsS --max-time 2 "http://127.0.0.1:$INGRESS_METRICS_PORT/readyz"; }
# `make down` stops the pods too: containerd's shims (and the containers under them) outlive
# containerd, so they are found by the socket they serve and ended by PID. SOCKET: another
# containerd's (a joined node's, cluster.sh clean).
before_stop_containerd() {
  local socket=${1:-$CONTAINERD_SOCKET} pid cmd stopped=0
  for pid in $(ls /proc | grep -E '^[0-9]+$'); do
    cmd=$( { tr '\0' ' ' <"/proc/$pid/cmdline"; } 2>/dev/null) || continue
    [[ "$cmd" == *containerd-shim* && "$cmd" == *"-address $socket "* ]] || continue
    pkill -TERM -P "$pid" 2>/dev/null || true
    stopped=$((stopped + 1))
    ( sleep 3; pkill -KILL -P "$pid" 2>/dev/null; kill -KILL "$pid" 2>/dev/null ) &
  done
  (( stopped == 0 )) || { info "containerd: stopping the containers of $stopped pod(s)"; wait; }
}
prepare_registry() { SKIFF_REGISTRY_ADDR="$REGISTRY_ADDR" bash "$SKIFF_ROOT/scripts/registry.sh" config >/dev/null; }
prepare_containerd() {
  step "images: building and pushing the local images to $REGISTRY_ADDR"
  SKIFF_REGISTRY_ADDR="$REGISTRY_ADDR" bash "$SKIFF_ROOT/scripts/images.sh" | sed 's/^/    /'
  bash "$SKIFF_ROOT/scripts/node/containerd-config.sh" --node "$NODE_NAME" >/dev/null
}

# The audit log's policy (scripts/audit-policy.yaml, or SKIFF_AUDIT_POLICY=FILE): Metadata for
# every request but probes, Event reads and heartbeats.
AUDIT_POLICY="$SKIFF_DIR/audit-policy.yaml"
# The Secrets' encryption key is made once (scripts/encryption-config.sh) and kept.
prepare_apiserver() {
  bash "$SKIFF_ROOT/scripts/encryption-config.sh" "$ENCRYPTION_CONFIG"
  install -m 0644 "${SKIFF_AUDIT_POLICY:-$SKIFF_ROOT/scripts/audit-policy.yaml}" "$AUDIT_POLICY"
}

# The one member elects itself after an election timeout on every start: 500 ms rather than
# etcd's 1 s default (there is no peer whose heartbeats a short timeout could miss).
# A snapshot every 10,000 entries (etcd 3.6's default; 3.4's is 100,000): etcd holds the raft
# log since its last snapshot in memory, and a cluster's Lease renewals and status updates
# fill 100,000 entries in a few hours, which it also replays on each start.
define_services() {
  service etcd etcd_healthy etcd --name skiff --data-dir "$SKIFF_DIR/etcd" \
    --listen-client-urls "$ETCD_CLIENT_URL" --advertise-client-urls "$ETCD_CLIENT_URL" \
    --listen-peer-urls "$ETCD_PEER_URL" --initial-advertise-peer-urls "$ETCD_PEER_URL" \
    --initial-cluster "skiff=$ETCD_PEER_URL" --initial-cluster-state new \
    --heartbeat-interval=100 --election-timeout=500 --snapshot-count=10000 \
    --cert-file="$ETCD_PKI/server.crt" --key-file="$ETCD_PKI/server.key" \
    --client-cert-auth --trusted-ca-file="$ETCD_PKI/ca.crt" \
    --peer-cert-file="$ETCD_PKI/peer.crt" --peer-key-file="$ETCD_PKI/peer.key" \
    --peer-client-cert-auth --peer-trusted-ca-file="$ETCD_PKI/ca.crt"
  component apiserver apiserver_ready --etcd-servers="$ETCD_CLIENT_URL" --etcd-prefix=/registry \
    --etcd-cafile="$ETCD_PKI/ca.crt" --etcd-certfile="$PKI/apiserver-etcd-client.crt" --etcd-keyfile="$PKI/apiserver-etcd-client.key" \
    --encryption-provider-config="$ENCRYPTION_CONFIG" \
    --bind-address=0.0.0.0 --secure-port="$APISERVER_PORT" \
    --tls-cert-file="$PKI/apiserver.crt" --tls-private-key-file="$PKI/apiserver.key" \
    --client-ca-file="$PKI/ca.crt" --service-cluster-ip-range=10.96.0.0/12 \
    --service-node-port-range=30000-32767 --advertise-address="$(advertise_address)" \
    --service-account-key-file="$PKI/sa.pub" --service-account-signing-key-file="$PKI/sa.key" \
    --kubelet-client-certificate="$PKI/apiserver-kubelet-client.crt" --kubelet-client-key="$PKI/apiserver-kubelet-client.key" \
    --kubelet-certificate-authority="$PKI/ca.crt" \
    --requestheader-client-ca-file="$PKI/front-proxy-ca.crt" --requestheader-allowed-names=front-proxy-client \
    --requestheader-username-headers=X-Remote-User --requestheader-group-headers=X-Remote-Group \
    --requestheader-extra-headers-prefix=X-Remote-Extra- \
    --proxy-client-cert-file="$PKI/front-proxy-client.crt" --proxy-client-key-file="$PKI/front-proxy-client.key" \
    --audit-policy-file="$AUDIT_POLICY" --audit-log-path="$SKIFF_DIR/logs/audit.log" \
    --audit-log-maxsize=100 --audit-log-maxbackup=3 --dist-dir="$SKIFF_DIR/dist"
  component controller-manager controller_manager_healthy --kubeconfig="$SKIFF_DIR/controller-manager.kubeconfig" \
    --port="$CONTROLLER_MANAGER_PORT" --cluster-signing-cert-file="$PKI/ca.crt" --cluster-signing-key-file="$PKI/ca.key" \
    --root-ca-file="$PKI/ca.crt" --local-path-root="$SKIFF_DIR/storage"
  component scheduler scheduler_healthy --kubeconfig="$SKIFF_DIR/scheduler.kubeconfig" --port="$SCHEDULER_PORT"
  service registry registry_ready docker-registry serve "$SKIFF_DIR/registry/config.yml"
  # also defined while one runs, so that a `make down` without the variable stops it
  if [[ "${SKIFF_REGISTRY_PUBLIC:-0}" == 1 || -f "$SKIFF_DIR/run/registry-public.pid" ]]; then
    service registry-public registry_public_ready docker-registry serve "$SKIFF_DIR/registry/public.yml"
  fi
  service containerd containerd_ready containerd --config "$NODE_DIR/containerd/config.toml"
  component kubelet kubelet_healthy --kubeconfig="$SKIFF_DIR/kubelet.kubeconfig" --node-name="$NODE_NAME" \
    --container-runtime-endpoint="unix://$CONTAINERD_SOCKET" --root-dir="$NODE_DIR/kubelet" \
    --cni-conf-dir="$NODE_DIR/cni/net.d" --port="$KUBELET_PORT" \
    --tls-cert-file="$PKI/kubelet-serving.crt" --tls-private-key-file="$PKI/kubelet-serving.key" --client-ca-file="$PKI/ca.crt"
  # the node proxy programs this machine's iptables (its plain-HTTP health port stays on
  # loopback); the DNS server answers behind 10.96.0.10
  component proxy proxy_healthy --kubeconfig="$SKIFF_DIR/kube-proxy.kubeconfig" --node-name="$NODE_NAME" \
    --node-ip="$(advertise_address)" --cluster-cidr=10.244.0.0/16 --port="$PROXY_PORT" --bind-address=127.0.0.1
  component dns dns_healthy --kubeconfig="$SKIFF_DIR/dns.kubeconfig" --bind-address="$(advertise_address)" \
    --port="$DNS_PORT" --advertise-address="$(advertise_address)" --node-name="$NODE_NAME" \
    --metrics-port="$DNS_METRICS_PORT"
  # resource metrics for kubectl top: scrapes every kubelet, registers v1beta1.metrics.k8s.io;
  # a small young generation keeps its RSS low (scripts/node-flags.conf, metrics-server/README.md)
  component metrics-server metrics_server_healthy --kubeconfig="$SKIFF_DIR/metrics-server.kubeconfig" \
    --secure-port="$METRICS_SERVER_PORT" --advertise-address="$(advertise_address)" \
    --cert-dir="$SKIFF_DIR/metrics-server" --metrics-port="$METRICS_SERVER_METRICS_PORT"
  # Ingresses of the IngressClasses whose controller is skiff.io/ingress (ingress/README.md)
  component ingress ingress_healthy --kubeconfig="$SKIFF_DIR/ingress.kubeconfig" --http-port="$INGRESS_HTTP_PORT" --https-port="$INGRESS_HTTPS_PORT" --metrics-port="$INGRESS_METRICS_PORT"
}
