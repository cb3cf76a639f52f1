#!/usr/bin/env bash
# `make test`: install what is missing, build, run every workspace's compiled tests.
#   scripts/test.sh [MOCHA_ARGS...]   e.g. scripts/test.sh --grep watch
#   SKIFF_TEST_SPEC='common/dist/test/*.test.js' scripts/test.sh   only those files
# Ends with the line `N passed, N failed`; exits non-zero when anything failed.
# Needs no running cluster: the tests start their own etcd/apiserver through the harness.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

bash "$SKIFF_ROOT/scripts/install.sh"
use_project_node
cd "$SKIFF_ROOT"
# The Go programs the tests run (kubectl thousands of times, etcd, containerd, runc) collect
# garbage four times less often: make test is CPU-bound on two cores, and these processes are
# short-lived or small, so the memory this trades is a few MB each.
export GOGC="${GOGC:-400}"
# The tests' certificates (about a thousand a run: each test process's PKI, the single-node
# cluster's, the lab's) get ECDSA P-256 keys, as kubeadm makes with encryptionAlgorithm
# ECDSA-P256; make up keeps RSA-2048. openssl took about 3% of the run's CPU with RSA keys.
export SKIFF_PKI_KEY_ALGORITHM="${SKIFF_PKI_KEY_ALGORITHM:-ECDSA-P256}"

step "running tests"
# The local image registry on 127.0.0.1:5000 (the kubelet suites push and pull through it) is
# shared by the lanes: started once here, so that no suite of one lane stops it under another's
# (each suite stops only a registry it started itself), and stopped after the run.
registry_started=0
if ! bash "$SKIFF_ROOT/scripts/registry.sh" status >/dev/null 2>&1; then
  bash "$SKIFF_ROOT/scripts/registry.sh" start >/dev/null && registry_started=1
fi
stop_registry() { if (( registry_started )); then bash "$SKIFF_ROOT/scripts/registry.sh" stop >/dev/null 2>&1 || true; fi; }
output=$(mktemp)
node_output=$(mktemp)
trap 'rm -f "$output" "$node_output"; stop_registry' EXIT

# The e2e lanes (whole clusters, the lab, containerd, network namespaces) mostly wait for pods
# and timers; each runs in a mocha process of its own beside the other suites, so `make test`
# takes the longest lane's time, not the sum. The lab (worker "VMs" on a bridge of its own) and
# the single-node cluster (in a network namespace of its own, see e2e/src/single-node/cluster.ts)
# share nothing, so they run side by side; SKIFF_TEST_LAB_LANE=0 puts the lab back into the node
# lane. Arguments or SKIFF_TEST_SPEC (a narrowed run), or SKIFF_TEST_SERIAL=1, give one process.
# The kubelet's and the proxy's suites (containerd, network namespaces of their own) are shared
# out so that the lanes end together: the two longest kubelet files follow the single-node files,
# the rest follow the lab (all of them after the single-node files made that lane the longest;
# all after the lab, the lab lane).
NODE_KUBELET='kubelet/dist/test/kubelet-lifecycle.test.js kubelet/dist/test/kubelet-hollow.test.js'
LAB_LANE='e2e/dist/test/lab*.test.js kubelet/dist/test/**/*.test.js proxy/dist/test/**/*.test.js'
LAB_IGNORE=$NODE_KUBELET
NODE_LANE="e2e/dist/test/single-node/**/*.test.js $NODE_KUBELET"
if [[ "${SKIFF_TEST_LAB_LANE:-1}" == 0 ]]; then NODE_LANE="$LAB_LANE e2e/dist/test/single-node/**/*.test.js"; LAB_LANE=''; LAB_IGNORE=''; fi
# The apiserver's own suites (a third of the files, each with its own apiserver on the harness's
# etcd) run in a lane of their own beside the other workspaces' units: one units lane had become
# the longest of all. SKIFF_TEST_API_LANE=0 puts them back with the other units.
# One of them, which mostly waits (etcd stopped for 25 s, restarted), runs in the units lane,
# which ended 95 s before the apiserver lane (costliest and slowest files: the reporter's lists).
API_LANE='apiserver/dist/test/**/*.test.js'
API_TO_UNITS='apiserver/dist/test/etcd-restart.test.js'
API_LANE_BUT_MOVED='apiserver/dist/test/**/!(etcd-restart).test.js'
if [[ "${SKIFF_TEST_API_LANE:-1}" == 0 ]]; then API_LANE=''; API_TO_UNITS=''; API_LANE_BUT_MOVED=''; fi
# Files that measure the apiserver's own latency under attack (the fuzz test holds /readyz to
# 100 ms) run first, alone: beside the e2e lanes they would measure the machine, not Skiff.
ALONE='apiserver/dist/test/fuzz.test.js'
lanes=0
if (( $# == 0 )) && [[ -z "${SKIFF_TEST_SPEC:-}" && "${SKIFF_TEST_SERIAL:-}" != 1 ]]; then lanes=1; fi

# Mocha dies before the reporter's closing line when a test file fails to load; the
# closing line must still be there, and must not claim success.
lane_result() { # OUTPUT STATUS -> "passed failed"
  local line
  line=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$1" | tail -1)
  if [[ -z "$line" ]]; then
    echo "mocha exited with status $2 before reporting results" >&2
    echo "0 1"
  else
    awk '{ print $1, $3 }' <<<"$line"
  fi
}

# Each lane says what CPU it and the processes it waited for used: on a 2-core machine the lanes
# compete for the cores, so a lane's CPU seconds, not its wall time, show what to make cheaper.
mocha_lane() { # SPEC IGNORE -> runs mocha with those globs
  SKIFF_TEST_SPEC="$1" SKIFF_TEST_IGNORE="$2" /usr/bin/time -f 'lane cpu: %U s user, %S s system' \
    node node_modules/mocha/bin/mocha.js --config scripts/mocha/mocharc.cjs 2>&1 </dev/null
}

cpu_ticks() { # -> "busy total" jiffies of all cores since boot, from /proc/stat
  awk '/^cpu / { busy = $2 + $3 + $4 + $7 + $8; total = busy + $5 + $6; print busy, total }' /proc/stat
}

set +e
if (( lanes )); then
  total_passed=0
  total_failed=0
  all_ok=1
  count() { # OUTPUT STATUS NAME SECONDS
    local p f
    read -r p f < <(lane_result "$1" "$2")
    total_passed=$((total_passed + p))
    total_failed=$((total_failed + f))
    (( $2 == 0 )) || all_ok=0
    local cpu
    cpu=$(grep -E '^lane cpu:' "$1" | tail -1 | sed 's/^lane cpu: //')
    echo "lane $3: $p passed, $f failed in $4 s${cpu:+ (cpu $cpu)}" >>"$timings"
  }
  timings=$(mktemp)
  alone_output=$(mktemp)
  lab_output=$(mktemp)
  api_output=$(mktemp)
  trap 'rm -f "$output" "$node_output" "$alone_output" "$lab_output" "$api_output" "$timings"; stop_registry' EXIT
  read -r busy0 total0 < <(cpu_ticks)
  t0=$SECONDS
  mocha_lane "$ALONE" '' | tee "$alone_output"
  count "$alone_output" "${PIPESTATUS[0]}" alone $((SECONDS - t0))
  t0=$SECONDS
  ( mocha_lane "$NODE_LANE" "$ALONE" >"$node_output"; echo "$? $((SECONDS - t0))" >"$node_output.rc" ) &
  node_pid=$!
  if [[ -n "$LAB_LANE" ]]; then
    ( mocha_lane "$LAB_LANE" "$ALONE $LAB_IGNORE" >"$lab_output"; echo "$? $((SECONDS - t0))" >"$lab_output.rc" ) &
    lab_pid=$!
  fi
  if [[ -n "$API_LANE" ]]; then
    ( mocha_lane "$API_LANE" "$ALONE $API_TO_UNITS" >"$api_output"; echo "$? $((SECONDS - t0))" >"$api_output.rc" ) &
    api_pid=$!
  fi
  mocha_lane '' "$LAB_LANE $NODE_LANE ${API_LANE_BUT_MOVED:-$API_LANE} $ALONE" | tee "$output"
  count "$output" "${PIPESTATUS[0]}" units $((SECONDS - t0))
  wait "$node_pid"
  read -r rc secs <"$node_output.rc"
  echo
  echo "---- node lane (single-node e2e, two kubelet files) ----"
  cat "$node_output"
  count "$node_output" "$rc" node "$secs"
  rm -f "$node_output.rc"
  if [[ -n "$API_LANE" ]]; then
    wait "$api_pid"
    read -r rc secs <"$api_output.rc"
    echo
    echo "---- apiserver lane ----"
    cat "$api_output"
    count "$api_output" "$rc" apiserver "$secs"
    rm -f "$api_output.rc"
  fi
  if [[ -n "$LAB_LANE" ]]; then
    wait "$lab_pid"
    read -r rc secs <"$lab_output.rc"
    echo
    echo "---- lab lane (the lab, kubelet, proxy) ----"
    cat "$lab_output"
    count "$lab_output" "$rc" lab "$secs"
    rm -f "$lab_output.rc"
  fi
  read -r busy1 total1 < <(cpu_ticks)
  echo "machine: cores $((100 * (busy1 - busy0) / (total1 - total0 + 1)))% busy over the run" >>"$timings"
  echo
  # CI prints only the tail of the run: the failed tests of every lane are named here again.
  cat "$alone_output" "$output" "$node_output" "$api_output" "$lab_output" | grep -E '^failed test: ' | head -20 || true
  cat "$timings"
  (( all_ok && total_failed == 0 )) && status=0 || status=1
  echo
  echo "$total_passed passed, $total_failed failed"
else
  node node_modules/mocha/bin/mocha.js --config scripts/mocha/mocharc.cjs "$@" 2>&1 </dev/null | tee "$output"
  status=${PIPESTATUS[0]}
  read -r p1 f1 < <(lane_result "$output" "$status")
  if ! grep -qE '^[0-9]+ passed, [0-9]+ failed' "$output"; then
    echo "0 passed, 1 failed"
    (( status != 0 )) || status=1
  fi
fi
set -e
exit "$status"
