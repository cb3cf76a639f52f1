#!/usr/bin/env bash
# Starts and stops the local Skiff cluster under .skiff/ (see services.sh for what runs).
#   scripts/cluster.sh up | down | status
# `up` leaves already-running services alone and never regenerates certificates;
# `down` stops only what `up` started, by the PID files in .skiff/run/.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
use_project_node

RUN_DIR="$SKIFF_DIR/run"
LOG_DIR="$SKIFF_DIR/logs"
START_TIMEOUT=${SKIFF_START_TIMEOUT:-90}
STOP_TIMEOUT=${SKIFF_STOP_TIMEOUT:-10}

SERVICE_NAMES=()
declare -A SERVICE_PROBE=() SERVICE_CMD=()

service() {
  local name=$1 probe=$2; shift 2
  # SKIFF_SERVICES="etcd apiserver" runs only those (tests, a control-plane-only machine)
  if [[ -n "${SKIFF_SERVICES:-}" && " $SKIFF_SERVICES " != *" $name "* ]]; then return 0; fi
  SERVICE_NAMES+=("$name")
  SERVICE_PROBE[$name]=$probe
  SERVICE_CMD[$name]=$(printf '%q ' "$@")
}

bundle_is_current() {
  local bundle="$SKIFF_ROOT/$1/dist/bundle/main.mjs"
  [[ "${SKIFF_BUNDLES:-1}" != 0 && -f "$bundle" ]] || return 1
  [[ -z "$(find "$SKIFF_ROOT/$1/dist/src" "$SKIFF_ROOT/common/dist/src" -name '*.js' -newer "$bundle" -print -quit 2>/dev/null)" ]]
}

component() {
  local name=$1 probe=$2; shift 2
  if [[ -n "${SKIFF_SERVICES:-}" && " $SKIFF_SERVICES " != *" $name "* ]]; then return 0; fi
  local override="SKIFF_ENTRY_${name//-/_}"
  local -a node_args
  if [[ -n "${!override:-}" ]]; then node_args=("${!override}")
  elif [[ "${SKIFF_FROM_SOURCE:-0}" == 1 ]]; then node_args=(--conditions=source "$SKIFF_ROOT/$name/src/main.ts")
  # the one-file bundle of the build (scripts/bundle-components.mjs), which starts in half the
  # CPU, unless a file compiled after it (tsc -b without the bundling) makes it stale
  # (client-node's URL parser loads Node's punycode, which warns when the caller is not in
  # node_modules, as a bundle's code is not)
  elif bundle_is_current "$name"; then node_args=(--disable-warning=DEP0040 "$SKIFF_ROOT/$name/dist/bundle/main.mjs")
  else node_args=("$SKIFF_ROOT/$name/dist/src/main.js")
  fi
  local entry=${node_args[-1]}
  [[ -f "$entry" ]] || die "$name: $entry not found (run the build: make up builds it)"
  local -a node_flags=()
  read -r -a node_flags <<<"$(node_flags_of "$name")"
  service "$name" "$probe" node "${node_flags[@]}" "${node_args[@]}" "$@"
}

source "$(dirname "${BASH_SOURCE[0]}")/services.sh"
source "$(dirname "${BASH_SOURCE[0]}")/bootstrap.sh"
source "$(dirname "${BASH_SOURCE[0]}")/dashboard-login.sh"

# Probe for services without a health endpoint: still running a second after start
# (start_service checks that the process is alive after every probe).
alive() { sleep 1; }

# Alive and not a zombie waiting to be reaped.
pid_alive() {
  [[ "$1" =~ ^[0-9]+$ ]] && kill -0 "$1" 2>/dev/null || return 1
  local state
  state=$(sed 's/.*) //; s/ .*//' "/proc/$1/stat" 2>/dev/null) || return 1
  [[ "$state" != Z ]]
}

pid_of() { [[ -f "$RUN_DIR/$1.pid" ]] && cat "$RUN_DIR/$1.pid"; }

# A PID file only counts when its process is alive and still runs the same program,
# so a PID recycled by the OS after a reboot is not mistaken for our service.
is_running() {
  local name=$1 pid program
  pid=$(pid_of "$name" 2>/dev/null) || return 1
  pid_alive "$pid" || return 1
  program=$(eval "set -- ${SERVICE_CMD[$name]:-x}"; basename "$1")
  tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q -- "$program"
}

# Starting is two halves, so that services of one wave (services.sh START_WAVES) start
# together: launch_service forks the service (or finds it running), await_service waits
# for its probe. READY[name]=1 once it has been seen ready.
declare -A READY=()

launch_service() {
  local name=$1 log="$LOG_DIR/$1.log"
  [[ -z "${SERVICE_LAUNCHED[$name]:-}" ]] || return 0 # launched early (launch_first_wave)
  check_ports_free "$name"
  if is_running "$name"; then
    if "${SERVICE_PROBE[$name]}" >/dev/null 2>&1; then
      info "$name: already running and ready (pid $(pid_of "$name"))"
      READY[$name]=1
      return 0
    fi
    info "$name: already running (pid $(pid_of "$name")), waiting until ready"
  else
    # a service may need files made first (configs, images): services.sh defines prepare_<name>
    if declare -F "prepare_${name//-/_}" >/dev/null; then "prepare_${name//-/_}"; fi
    step "starting $name (log: ${log#$SKIFF_ROOT/})"
    printf '\n=== %s starting %s\n' "$(date -Is)" "$name" >>"$log"
    # setsid: own session and process group, so the service outlives this shell and
    # `down` can signal the whole group. Non-interactive bash does not make background
    # jobs group leaders, so setsid execs in place and $! is the service itself.
    # Every service runs under scripts/supervise.sh (SKIFF_SUPERVISE=0: bare), which restarts
    # it with back-off when it exits and records its restarts in $RUN_DIR/NAME.state; the PID
    # file names the supervisor, the leader of the group `down` signals.
    local supervisor=""
    if [[ "${SKIFF_SUPERVISE:-1}" != 0 ]]; then
      rm -f "$RUN_DIR/$name.state"
      supervisor="bash $(printf '%q' "$SKIFF_ROOT/scripts/supervise.sh") $(printf '%q' "$RUN_DIR/$name.state")"
    fi
    (cd "$SKIFF_ROOT" && eval "exec setsid $supervisor ${SERVICE_CMD[$name]}") >>"$log" 2>&1 </dev/null &
    echo $! >"$RUN_DIR/$name.pid"
  fi
  SERVICE_LAUNCHED[$name]=$SECONDS
}

declare -A SERVICE_LAUNCHED=()

await_service() {
  local name=$1 log="$LOG_DIR/$1.log"
  [[ -n "${READY[$name]:-}" ]] && return 0
  local deadline=$((SECONDS + START_TIMEOUT))
  # Liveness by PID alone here: right after the fork the process may not yet have
  # exec'd the service, so is_running's program check could misfire.
  local pid; pid=$(pid_of "$name")
  for (( ; ; )); do
    if ! pid_alive "$pid"; then
      printf -- '--- last lines of %s:\n' "$log" >&2; tail -n 25 "$log" >&2
      rm -f "$RUN_DIR/$name.pid"
      die "$name exited during startup (see $log)"
    fi
    "${SERVICE_PROBE[$name]}" >/dev/null 2>&1 && pid_alive "$pid" && break
    if (( SECONDS >= deadline )); then
      printf -- '--- last lines of %s:\n' "$log" >&2; tail -n 25 "$log" >&2
      die "$name not ready after ${START_TIMEOUT}s (probe: ${SERVICE_PROBE[$name]}; left running, 'make down' stops it)"
    fi
    sleep 0.1
  done
  READY[$name]=1
  info "$name: ready (pid $(pid_of "$name"), $((SECONDS - ${SERVICE_LAUNCHED[$name]:-$SECONDS})) s)"
}

start_service() { launch_service "$1" && await_service "$1"; }

# Launches the first wave's services (no Node component among them) before the build, from
# the quiet definitions (a component's own looks for its built entry file). start_in_waves
# then awaits them with the rest.
launch_first_wave() {
  local name
  define_services_quietly
  for name in ${START_WAVES[0]}; do
    [[ " ${SERVICE_NAMES[*]} " == *" $name "* ]] && launch_service "$name"
  done
  SERVICE_NAMES=()
}

# The waves of START_WAVES in order: every service of a wave is launched, then all of them
# are awaited; a service named in no wave starts alone after them, in services.sh's order.
start_in_waves() {
  local wave name
  declare -A in_wave=()
  local -a waves=("${START_WAVES[@]}")
  local defined=" ${SERVICE_NAMES[*]} "
  for wave in "${waves[@]}"; do for name in $wave; do in_wave[$name]=1; done; done
  for name in "${SERVICE_NAMES[@]}"; do [[ -n "${in_wave[$name]:-}" ]] || waves+=("$name"); done
  for wave in "${waves[@]}"; do
    local -a members=()
    for name in $wave; do [[ "$defined" == *" $name "* ]] && members+=("$name"); done
    for name in "${members[@]}"; do launch_service "$name"; done
    for name in "${members[@]}"; do await_service "$name"; done
  done
}

stop_pid_file() {
  local file=$1 name pid
  name=$(basename "$file" .pid)
  pid=$(cat "$file" 2>/dev/null || true)
  if ! [[ "$pid" =~ ^[0-9]+$ ]] || ! kill -0 "$pid" 2>/dev/null; then
    info "$name: not running"
    rm -f "$file"
    return 0
  fi
  step "stopping $name (pid $pid)"
  # The service leads its own process group (setsid), so signal the group to take any
  # children along; fall back to the single PID if the group is gone.
  kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
  # pid_alive, not kill -0: the service's parent is init, which may take a while to reap it,
  # and a zombie has stopped (waiting for the reaping made `make down` 2 s a service)
  local deadline=$((SECONDS + STOP_TIMEOUT))
  while pid_alive "$pid" && (( SECONDS < deadline )); do sleep 0.05; done
  if pid_alive "$pid"; then
    info "$name: still running after ${STOP_TIMEOUT}s, sending SIGKILL"
    kill -KILL -- "-$pid" 2>/dev/null || kill -KILL "$pid" 2>/dev/null || true
    while pid_alive "$pid"; do sleep 0.05; done
  fi
  rm -f "$file" "$RUN_DIR/$name.state"
}

check_ports_free() {
  # A Debian etcd started by systemd would silently answer in place of ours.
  local name=$1 port
  is_running "$name" && return 0
  case "$name" in
    etcd) for port in "$ETCD_CLIENT_PORT" "$ETCD_PEER_PORT"; do port_in_use "$port" && die "port $port is in use by another process (a system etcd? try: systemctl stop etcd)"; done ;;
    apiserver) port_in_use "$APISERVER_PORT" && die "port $APISERVER_PORT is in use by another process" ;;
  esac
  return 0
}

port_in_use() { ss -Htln "sport = :$1" 2>/dev/null | grep -q .; }

# The admin kubeconfig, and one per component identity for the services that follow
# the apiserver (controller-manager, scheduler, kubelet, proxy, dns, metrics-server, ingress).
write_kubeconfigs() {
  write_kubeconfig "$SKIFF_DIR/kubeconfig" admin admin
  local who
  for who in controller-manager scheduler kubelet kube-proxy dns metrics-server ingress; do
    write_kubeconfig "$SKIFF_DIR/$who.kubeconfig" "$who" "$who"
  done
}

# write_kubeconfig OUT CERT USER: only when OUT is missing, names another server, or is older
# than the CA, the certificate or the key it embeds (`make up` on a set-up machine skips them all)
write_kubeconfig() {
  local out=$1 cert=$PKI/$2.crt key=$PKI/$2.key
  if [[ -f "$out" && "$out" -nt "$PKI/ca.crt" && "$out" -nt "$cert" && "$out" -nt "$key" ]] && grep -qF "server: $APISERVER_URL" "$out"; then
    return 0
  fi
  bash "$SKIFF_ROOT/scripts/kubeconfig.sh" "$out" "$APISERVER_URL" "$PKI/ca.crt" "$cert" "$key" skiff "$3"
}

# up --build: builds (scripts/build.sh) while the first wave (etcd, the registry), which needs
# no build, starts: etcd's start is mostly its election timeout, and the build's checks on a
# built tree take about a second, so make up no longer waits for one and then the other.
cmd_up() {
  local build=0
  case "${1:-}" in
    "") ;;
    --build) build=1 ;;
    *) die "usage: cluster.sh up [--build]" ;;
  esac
  mkdir -p "$SKIFF_DIR" "$RUN_DIR" "$LOG_DIR" "$SKIFF_DIR/etcd"
  chmod 700 "$SKIFF_DIR/etcd"
  step "certificates in ${PKI#$SKIFF_ROOT/}"
  bash "$SKIFF_ROOT/scripts/pki.sh" "$PKI"
  write_kubeconfigs
  if ((build)); then
    launch_first_wave
    bash "$SKIFF_ROOT/scripts/build.sh"
  fi
  define_services
  start_in_waves
  create_bootstrap_objects
  print_dashboard_login_link
  step "cluster is up: export KUBECONFIG=$SKIFF_DIR/kubeconfig"
}

cmd_down() {
  [[ -d "$RUN_DIR" ]] || { info "nothing to stop"; return 0; }
  define_services_quietly
  local i
  for (( i=${#SERVICE_NAMES[@]}-1; i>=0; i-- )); do
    # a service may leave work behind that its own stop does not end: services.sh defines
    # before_stop_<name> (containerd's containers outlive containerd)
    if declare -F "before_stop_${SERVICE_NAMES[i]//-/_}" >/dev/null; then "before_stop_${SERVICE_NAMES[i]//-/_}"; fi
    [[ -f "$RUN_DIR/${SERVICE_NAMES[i]}.pid" ]] && stop_pid_file "$RUN_DIR/${SERVICE_NAMES[i]}.pid"
  done
  # PID files of services no longer in the list.
  local file
  for file in "$RUN_DIR"/*.pid; do [[ -e "$file" ]] && stop_pid_file "$file"; done
  step "cluster is down"
}

# Stops only the named services (etcd-backup.sh restore stops the control plane and the
# node's components, leaving containerd, the containers and the registry running).
cmd_stop() {
  local name
  for name in "$@"; do
    [[ -f "$RUN_DIR/$name.pid" ]] && stop_pid_file "$RUN_DIR/$name.pid"
  done
  return 0
}

# What the supervisor recorded: ", restarts N, last exit CODE at TIME" (nothing without restarts).
supervision() {
  local file="$RUN_DIR/$1.state" pid="" restarts=0 last_exit="" last_exit_at="" key value
  [[ -f "$file" ]] || return 0
  while IFS='=' read -r key value; do
    case "$key" in
      pid) pid=$value ;; restarts) restarts=$value ;; last_exit) last_exit=$value ;; last_exit_at) last_exit_at=$value ;;
    esac
  done <"$file"
  printf ', restarts %s' "$restarts"
  [[ -n "$pid" ]] || printf ', restarting'
  [[ -z "$last_exit" ]] || printf ', last exit %s at %s' "$last_exit" "$last_exit_at"
}

cmd_status() {
  define_services_quietly
  local name
  for name in "${SERVICE_NAMES[@]}"; do
    if is_running "$name"; then
      if "${SERVICE_PROBE[$name]}" >/dev/null 2>&1; then echo "$name: ready (pid $(pid_of "$name")$(supervision "$name"))"
      else echo "$name: running, not ready (pid $(pid_of "$name")$(supervision "$name"))"; fi
    else
      echo "$name: stopped"
    fi
  done
}

# `make clean`: down, then the components of a node this state dir joined (scripts/node/join.sh:
# pid files under nodes/NAME/, and their containers), then what the node left in the kernel
# (sandbox mounts under .skiff, the proxy's iptables rules and routes, the CNI bridge), then the
# state itself (kept with --keep-state: scripts/uninstall.sh without --purge).
cmd_clean() {
  local keep_state=0
  [[ "${1:-}" == --keep-state ]] && keep_state=1
  cmd_down
  stop_joined_nodes
  local m
  awk -v d="$SKIFF_DIR/" 'index($2, d) == 1 { print $2 }' /proc/mounts | sort -r | while read -r m; do
    umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null || true
  done
  if [[ -z "${SKIFF_SERVICES:-}" || " $SKIFF_SERVICES " == *" proxy "* ]]; then
    local -a proxy_entry
    mapfile -t proxy_entry < <(skiff_program proxy)
    node "${proxy_entry[@]}" --cleanup >/dev/null 2>&1 || info "proxy --cleanup failed"
    ip link del "${SKIFF_CNI_BRIDGE:-cni0}" 2>/dev/null || true
  fi
  remove_cni_nat_rules
  if ((keep_state)); then
    step "node cleaned; state kept in $SKIFF_DIR"
    return 0
  fi
  rm -rf "$SKIFF_DIR"
  step "removed $SKIFF_DIR"
}

# The CNI bridge plugin's masquerade rules (nat POSTROUTING, chains CNI-<hash>, commented
# name: "skiff" id: "<container>") of pods whose containers were killed above: the plugin's DEL,
# which removes them, never ran for those.
remove_cni_nat_rules() {
  local rule chain
  while read -r rule; do
    chain=$(grep -o -- '-j CNI-[0-9a-f]*' <<<"$rule" | cut -d' ' -f2)
    eval "iptables -t nat -D ${rule#-A }" 2>/dev/null || true
    [[ -n "$chain" ]] && { iptables -t nat -F "$chain" 2>/dev/null; iptables -t nat -X "$chain" 2>/dev/null; } || true
  done < <(iptables-save -t nat 2>/dev/null | grep -E '^-A POSTROUTING .*name: \\"skiff\\" id: ' || true)
}

# A node joined from this state dir (make join, install.sh agent): its kubelet, proxy and ingress
# controller first, then the containers of its containerd, then containerd.
stop_joined_nodes() {
  local base file
  for base in "$SKIFF_DIR"/nodes/*/; do
    base=${base%/}
    for file in "$base"/run/*.pid; do [[ -e "$file" ]] && stop_pid_file "$file"; done
    # the shims outlive containerd (also one that systemd stopped): found by the node's socket
    [[ -d "$base/containerd" ]] && before_stop_containerd "$base/containerd/containerd.sock"
    [[ -f "$base/containerd/containerd.pid" ]] && stop_pid_file "$base/containerd/containerd.pid"
  done
  return 0
}

# down/status must work even when an entry file is gone (e.g. after make clean-build), and
# up --build starts the first wave before there is one: the Node components are defined
# without looking for their entry files (component() is itself again afterwards).
define_services_quietly() {
  local saved_component
  saved_component=$(declare -f component)
  component() { local name=$1 probe=$2; shift 2; service "$name" "$probe" node "$name"; }
  define_services
  eval "$saved_component"
}

case "${1:-}" in
  up) shift; cmd_up "$@" ;;
  down) cmd_down ;;
  clean) shift; cmd_clean "$@" ;;
  status) cmd_status ;;
  stop) shift; cmd_stop "$@" ;;
  dashboard-link) print_dashboard_login_link ;;
  *) die "usage: cluster.sh up|down|clean [--keep-state]|status|stop NAME...|dashboard-link" ;;
esac
