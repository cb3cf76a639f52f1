# The lab's HA control plane (SKIFF_LAB_CONTROL_PLANE=ha), sourced by scripts/lab.sh.
#
# SKIFF_LAB_CONTROL_PLANES (3) control-plane "VMs", each a network namespace PREFIXcpN on the
# lab bridge at NET.2N, each running
#   etcd                one member of a TLS cluster (clients and peers show certificates of the
#                       etcd CA; each member's serving and peer certificates name its address),
#                       --initial-cluster of all members;
#   apiserver           on NET.2N:6443, --etcd-servers listing every member, sharing the CA, the
#                       service-account keys and the encryption config (files of one PKI dir, as
#                       an operator copies them to each VM); --advertise-address NET.2N, so the
#                       lease endpoint reconciler keeps the kubernetes Endpoints to the live ones;
#   controller-manager  and scheduler, leader-elected through their Leases, reaching the
#                       apiservers through the fail-over client: the kubeconfig names this node's
#                       apiserver, SKIFF_APISERVER_ENDPOINTS all of them.
# Workers join through the first apiserver and run with SKIFF_APISERVER_ENDPOINTS listing all.
# Every component runs under scripts/supervise.sh, as `make up` runs its services: one that exits
# (a SIGKILL of its own PID) is started again with back-off; its pid file names the supervisor,
# run/COMPONENT.state the component's own PID. SKIFF_LAB_SUPERVISE=0 runs them bare: a
# component that dies stays dead until `lab.sh control-plane N` starts what is missing on node N
# (the HA e2e test kills and restarts them on purpose).
# Everything lives in $LAB_DIR (pki/, admin.kubeconfig, cp/NAME/{etcd,run}); logs in
# $SKIFF_DIR/logs/COMPONENT-NAME.log.

CONTROL_PLANES=${SKIFF_LAB_CONTROL_PLANES:-3}
[[ "$CONTROL_PLANES" =~ ^[1-9]$ ]] || die "SKIFF_LAB_CONTROL_PLANES must be 1..9, got '$CONTROL_PLANES'"
HA_APISERVER_PORT=6443
HA_CM_PORT=10257
HA_SCHEDULER_PORT=10259

cp_name() { printf '%scp%s' "$PREFIX" "$1"; }
cp_ip() { printf '%s.2%s' "$NET" "$1"; }
cp_dir() { printf '%s/cp/%s' "$LAB_DIR" "$(cp_name "$1")"; }
cp_indexes() { seq 1 "$CONTROL_PLANES"; }
# control-plane namespaces present on this machine (also those of a larger earlier run)
cp_namespaces() { ip netns list 2>/dev/null | awk '{ print $1 }' | grep -E "^${PREFIX}cp[0-9]+$" | sort || true; }
in_cp() { nsenter "--net=/var/run/netns/$(cp_name "$1")" "${@:2}"; }

etcd_initial_cluster() {
  local i out=""
  for i in $(cp_indexes); do out+="${out:+,}$(cp_name "$i")=https://$(cp_ip "$i"):2380"; done
  printf '%s' "$out"
}
etcd_client_urls() {
  local i out=""
  for i in $(cp_indexes); do out+="${out:+,}https://$(cp_ip "$i"):2379"; done
  printf '%s' "$out"
}
# what workers and components get as SKIFF_APISERVER_ENDPOINTS
ha_apiserver_endpoints() {
  local i out=""
  for i in $(cp_indexes); do out+="${out:+,}https://$(cp_ip "$i"):$HA_APISERVER_PORT"; done
  printf '%s' "$out"
}

# etcdctl with the lab's TLS flags (the healthcheck client of the etcd CA) against ENDPOINTS
ha_etcdctl() {
  local endpoints=$1; shift
  ETCDCTL_API=3 etcdctl --endpoints="$endpoints" --cacert="$PKI_DIR/etcd/ca.crt" \
    --cert="$PKI_DIR/etcd/healthcheck-client.crt" --key="$PKI_DIR/etcd/healthcheck-client.key" --command-timeout=3s "$@"
}
etcd_member_healthy() { ha_etcdctl "https://$(cp_ip "$1"):2379" endpoint health; }
apiserver_ready_at() { curl -fsS --max-time 2 --cacert "$PKI_DIR/ca.crt" "https://$(cp_ip "$1"):$HA_APISERVER_PORT/readyz"; }
cp_http_healthy() { in_cp "$1" curl -fsS --max-time 2 -o /dev/null "http://127.0.0.1:$2/healthz"; }

# The one PKI of the cluster: made on the lab host, as an operator makes it before copying the
# shared files (CA, service-account keys, encryption config, front-proxy CA) to each VM.
ha_prepare_pki() {
  local i
  bash "$SKIFF_ROOT/scripts/pki.sh" "$PKI_DIR" 2>&1 | sed 's/^/    /' >&2
  bash "$SKIFF_ROOT/scripts/pki.sh" "$PKI_DIR" etcd 2>&1 | sed 's/^/    /' >&2
  for i in $(cp_indexes); do cp_node_certs "$i"; done
  bash "$SKIFF_ROOT/scripts/encryption-config.sh" "$LAB_DIR/encryption-config.yaml"
  bash "$SKIFF_ROOT/scripts/kubeconfig.sh" "$KUBECONFIG_ADMIN" "https://$(cp_ip 1):$HA_APISERVER_PORT" \
    "$PKI_DIR/ca.crt" "$PKI_DIR/admin.crt" "$PKI_DIR/admin.key" skiff admin >/dev/null
}

# the serving certificates of node INDEX's etcd member and apiserver, naming its lab address
# (kept when they exist; a node added later gets its own)
cp_node_certs() {
  local i=$1
  bash "$SKIFF_ROOT/scripts/pki.sh" "$PKI_DIR" etcd-member "$(cp_name "$i")" "$(cp_ip "$i")" 2>&1 | sed 's/^/    /' >&2
  bash "$SKIFF_ROOT/scripts/pki.sh" "$PKI_DIR" apiserver "apiserver-$(cp_name "$i")" "$(cp_ip "$i")" 2>&1 | sed 's/^/    /' >&2
}

# cp_daemon INDEX COMPONENT CMD...: runs CMD in node INDEX's namespace unless its pid file names
# a live process; setsid so it leads its own group, the pid file holds its PID (nsenter execs),
# or its supervisor's (lab_supervisor).
cp_daemon() {
  local index=$1 component=$2; shift 2
  local name; name=$(cp_name "$index")
  local run="$(cp_dir "$index")/run" log="$SKIFF_DIR/logs/$component-$name.log"
  mkdir -p "$run"
  if [[ -f "$run/$component.pid" ]] && kill -0 "$(cat "$run/$component.pid")" 2>/dev/null; then return 0; fi
  printf '\n=== %s starting %s\n' "$(date -Is)" "$component" >>"$log"
  local -a supervisor; mapfile -t supervisor < <(lab_supervisor "$run/$component.state")
  (cd "$SKIFF_ROOT" && exec setsid "${supervisor[@]}" nsenter "--net=/var/run/netns/$name" "$@") >>"$log" 2>&1 </dev/null &
  echo $! >"$run/$component.pid"
  info "$name: $component started (pid $!, log $log)"
}

start_cp_etcd() {
  local i=$1 name ip etcd_pki="$PKI_DIR/etcd"
  name=$(cp_name "$i"); ip=$(cp_ip "$i")
  # --initial-cluster-state is read only for an empty data dir: a restarted member rejoins with its own
  cp_daemon "$i" etcd etcd --name "$name" --data-dir "$(cp_dir "$i")/etcd" \
    --listen-client-urls "https://$ip:2379,https://127.0.0.1:2379" --advertise-client-urls "https://$ip:2379" \
    --listen-peer-urls "https://$ip:2380" --initial-advertise-peer-urls "https://$ip:2380" \
    --initial-cluster "${SKIFF_LAB_ETCD_INITIAL_CLUSTER:-$(etcd_initial_cluster)}" \
    --initial-cluster-state "${SKIFF_LAB_ETCD_INITIAL_CLUSTER_STATE:-new}" --initial-cluster-token "skiff-lab-$BRIDGE" \
    --cert-file="$etcd_pki/$name-server.crt" --key-file="$etcd_pki/$name-server.key" \
    --client-cert-auth --trusted-ca-file="$etcd_pki/ca.crt" \
    --peer-cert-file="$etcd_pki/$name-peer.crt" --peer-key-file="$etcd_pki/$name-peer.key" \
    --peer-client-cert-auth --peer-trusted-ca-file="$etcd_pki/ca.crt" \
    --logger zap --log-level warn
}

start_cp_apiserver() {
  local i=$1 name ip
  name=$(cp_name "$i"); ip=$(cp_ip "$i")
  local -a entry; mapfile -t entry < <(skiff_program apiserver)
  cp_daemon "$i" apiserver node "${entry[@]}" --etcd-servers="$(etcd_client_urls)" --etcd-prefix=/registry \
    --etcd-cafile="$PKI_DIR/etcd/ca.crt" --etcd-certfile="$PKI_DIR/apiserver-etcd-client.crt" --etcd-keyfile="$PKI_DIR/apiserver-etcd-client.key" \
    --encryption-provider-config="$LAB_DIR/encryption-config.yaml" \
    --bind-address=0.0.0.0 --secure-port="$HA_APISERVER_PORT" --advertise-address="$ip" --endpoint-reconciler-type=lease \
    --tls-cert-file="$PKI_DIR/apiserver-$name.crt" --tls-private-key-file="$PKI_DIR/apiserver-$name.key" \
    --client-ca-file="$PKI_DIR/ca.crt" --service-cluster-ip-range=10.96.0.0/12 --service-node-port-range=30000-32767 \
    --service-account-key-file="$PKI_DIR/sa.pub" --service-account-signing-key-file="$PKI_DIR/sa.key" \
    --kubelet-client-certificate="$PKI_DIR/apiserver-kubelet-client.crt" --kubelet-client-key="$PKI_DIR/apiserver-kubelet-client.key" \
    --kubelet-certificate-authority="$PKI_DIR/ca.crt" \
    --requestheader-client-ca-file="$PKI_DIR/front-proxy-ca.crt" --requestheader-allowed-names=front-proxy-client \
    --requestheader-username-headers=X-Remote-User --requestheader-group-headers=X-Remote-Group \
    --requestheader-extra-headers-prefix=X-Remote-Extra- \
    --proxy-client-cert-file="$PKI_DIR/front-proxy-client.crt" --proxy-client-key-file="$PKI_DIR/front-proxy-client.key"
}

# a component's kubeconfig names its own node's apiserver first; the others come from the list
cp_kubeconfig() {
  local i=$1 user=$2 out
  out="$(cp_dir "$i")/$user.kubeconfig"
  [[ -s "$out" ]] || bash "$SKIFF_ROOT/scripts/kubeconfig.sh" "$out" "https://$(cp_ip "$i"):$HA_APISERVER_PORT" \
    "$PKI_DIR/ca.crt" "$PKI_DIR/$user.crt" "$PKI_DIR/$user.key" skiff "$user" >/dev/null
  printf '%s' "$out"
}

start_cp_controllers() {
  local i=$1 endpoints
  endpoints=$(ha_apiserver_endpoints)
  local -a cm scheduler
  mapfile -t cm < <(skiff_program controller-manager)
  mapfile -t scheduler < <(skiff_program scheduler)
  cp_daemon "$i" controller-manager env "SKIFF_APISERVER_ENDPOINTS=$endpoints" node "${cm[@]}" \
    --kubeconfig="$(cp_kubeconfig "$i" controller-manager)" --port="$HA_CM_PORT" \
    --cluster-signing-cert-file="$PKI_DIR/ca.crt" --cluster-signing-key-file="$PKI_DIR/ca.key" --root-ca-file="$PKI_DIR/ca.crt" \
    --local-path-root="$LAB_DIR/storage" --node-monitor-grace-period="$NODE_MONITOR_GRACE" \
    --default-toleration-seconds="$TOLERATION_SECONDS"
  cp_daemon "$i" scheduler env "SKIFF_APISERVER_ENDPOINTS=$endpoints" node "${scheduler[@]}" \
    --kubeconfig="$(cp_kubeconfig "$i" scheduler)" --port="$HA_SCHEDULER_PORT"
}

wait_cp() {
  local i=$1 what=$2 seconds=$3; shift 3
  wait_until "$seconds" "$@" || die "$(cp_name "$i"): $what not healthy after ${seconds}s (log $SKIFF_DIR/logs/$what-$(cp_name "$i").log)"
}

# `lab.sh control-plane N`: starts whatever of node N is not running (etcd, apiserver,
# controller-manager, scheduler) and waits for each
ha_control_plane_node() {
  local i=$1
  [[ -s "$PKI_DIR/ca.key" ]] || die "no HA lab in $LAB_DIR: run lab.sh up first"
  cp_node_certs "$i"
  make_netns "$(cp_name "$i")" "$(cp_ip "$i")"
  start_cp_etcd "$i"
  wait_cp "$i" etcd 60 etcd_member_healthy "$i"
  start_cp_apiserver "$i"
  wait_cp "$i" apiserver 90 apiserver_ready_at "$i"
  start_cp_controllers "$i"
  wait_cp "$i" controller-manager 60 cp_http_healthy "$i" "$HA_CM_PORT"
  wait_cp "$i" scheduler 60 cp_http_healthy "$i" "$HA_SCHEDULER_PORT"
}

ha_start_control_plane() {
  local i
  step "HA control plane: $CONTROL_PLANES nodes $(cp_name 1)..$(cp_name "$CONTROL_PLANES") at $(cp_ip 1)..$(cp_ip "$CONTROL_PLANES")"
  mkdir -p "$LAB_DIR/storage"
  ha_prepare_pki
  # every member first: a new cluster has no quorum until a majority runs
  for i in $(cp_indexes); do make_netns "$(cp_name "$i")" "$(cp_ip "$i")"; start_cp_etcd "$i"; done
  for i in $(cp_indexes); do wait_cp "$i" etcd 60 etcd_member_healthy "$i"; done
  for i in $(cp_indexes); do start_cp_apiserver "$i"; done
  for i in $(cp_indexes); do wait_cp "$i" apiserver 120 apiserver_ready_at "$i"; done
  # what `make up` creates once the apiserver answers (the default StorageClass)
  ( PKI="$PKI_DIR" APISERVER_URL="https://$(cp_ip 1):$HA_APISERVER_PORT"; source "$SKIFF_ROOT/scripts/bootstrap.sh"; create_bootstrap_objects )
  for i in $(cp_indexes); do start_cp_controllers "$i"; done
  for i in $(cp_indexes); do
    wait_cp "$i" controller-manager 60 cp_http_healthy "$i" "$HA_CM_PORT"
    wait_cp "$i" scheduler 60 cp_http_healthy "$i" "$HA_SCHEDULER_PORT"
  done
  info "etcd members: $(ha_etcdctl "$(etcd_client_urls)" member list | awk -F', ' '{ printf "%s(%s) ", $3, $2 }')"
}

ha_remove_control_plane_node() {
  local name=$1 dir="$LAB_DIR/cp/$1" component
  for component in scheduler controller-manager apiserver etcd; do kill_pid_file "$dir/run/$component.pid" TERM; done
  ip link del "$(host_veth "$name")" 2>/dev/null || true
  ip netns del "$name" 2>/dev/null || true
}

ha_down() {
  local name
  for name in $(cp_namespaces); do step "removing control-plane node $name"; ha_remove_control_plane_node "$name"; done
  if [[ -d "$LAB_DIR/cp" ]]; then
    for name in $(ls "$LAB_DIR/cp"); do ha_remove_control_plane_node "$name"; done
  fi
}

ha_status() {
  local name component dir
  for name in $(cp_namespaces); do
    dir="$LAB_DIR/cp/$name"
    printf '%s:' "$name"
    for component in etcd apiserver controller-manager scheduler; do
      if [[ -f "$dir/run/$component.pid" ]] && kill -0 "$(cat "$dir/run/$component.pid")" 2>/dev/null; then printf ' %s=up' "$component"
      else printf ' %s=down' "$component"; fi
    done
    printf '\n'
  done
}
