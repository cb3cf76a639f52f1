# The services `make up` starts, in start order (stopped in reverse). Sourced by cluster.sh.
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

# Ports can be moved (the lifecycle test runs a second cluster beside a real one).
ETCD_CLIENT_PORT=${SKIFF_ETCD_CLIENT_PORT:-2379}
ETCD_PEER_PORT=${SKIFF_ETCD_PEER_PORT:-2380}
APISERVER_PORT=${SKIFF_APISERVER_PORT:-6443}

PKI="$SKIFF_DIR/pki"
ETCD_CLIENT_URL="http://127.0.0.1:$ETCD_CLIENT_PORT"
ETCD_PEER_URL="http://127.0.0.1:$ETCD_PEER_PORT"
APISERVER_URL="https://127.0.0.1:$APISERVER_PORT"

advertise_address() {
  local ip
  ip=$(ip -4 -o addr show scope global 2>/dev/null | awk '{ split($4, a, "/"); print a[1]; exit }')
  printf '%s' "${ip:-127.0.0.1}"
}

etcd_healthy() { ETCDCTL_API=3 etcdctl --endpoints="$ETCD_CLIENT_URL" --command-timeout=2s endpoint health; }
apiserver_ready() { curl -fsS --max-time 2 --cacert "$PKI/ca.crt" "$APISERVER_URL/readyz"; }
CONTROLLER_MANAGER_PORT=${SKIFF_CONTROLLER_MANAGER_PORT:-10257}
controller_manager_healthy() { curl -fsS --max-time 2 "http://127.0.0.1:$CONTROLLER_MANAGER_PORT/healthz"; }

define_services() {
  service etcd etcd_healthy etcd --name skiff --data-dir "$SKIFF_DIR/etcd" \
    --listen-client-urls "$ETCD_CLIENT_URL" --advertise-client-urls "$ETCD_CLIENT_URL" \
    --listen-peer-urls "$ETCD_PEER_URL" --initial-advertise-peer-urls "$ETCD_PEER_URL" \
    --initial-cluster "skiff=$ETCD_PEER_URL" --initial-cluster-state new
  component apiserver apiserver_ready --etcd-servers="$ETCD_CLIENT_URL" --etcd-prefix=/registry \
    --bind-address=0.0.0.0 --secure-port="$APISERVER_PORT" \
    --tls-cert-file="$PKI/apiserver.crt" --tls-private-key-file="$PKI/apiserver.key" \
    --client-ca-file="$PKI/ca.crt" --service-cluster-ip-range=10.96.0.0/12 \
    --service-node-port-range=30000-32767 --advertise-address="$(advertise_address)"
  component controller-manager controller_manager_healthy --kubeconfig="$SKIFF_DIR/controller-manager.kubeconfig" \
    --port="$CONTROLLER_MANAGER_PORT"
}
