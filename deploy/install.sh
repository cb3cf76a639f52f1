#!/usr/bin/env bash
# Skiff's installer, from the release tarball (`make dist`): a server or an agent on a Debian 12
# machine, as root, with no git, npm or build. It sits at the tarball's top as install.sh, and
# beside it in make dist's output (the control plane serves that copy to joining nodes).
#
#   install.sh server [--advertise-address IP] [common options]
#       the control plane as `make up` runs it (etcd, apiserver, controller-manager, scheduler,
#       registry, containerd, kubelet, proxy, dns, metrics-server, ingress); prints the command
#       that joins an agent
#   install.sh agent --server https://HOST:PORT --token ID.SECRET --ca-hash sha256:HEX
#                    [--node NAME] [--node-ip IP] [--registry-mirror URL|none] [common options]
#       a worker that joins by Kubernetes' TLS bootstrap (scripts/node/join.sh)
#   install.sh uninstall [--prefix DIR] [--purge]
#       stops and removes what an install made (scripts/uninstall.sh); --purge also the state
# common options:
#   --prefix DIR      where the release is unpacked (default /opt/skiff)
#   --state-dir DIR   certificates, data, logs, pid files (default /var/lib/skiff)
#   --init systemd|supervise   who keeps the services running: systemd units (default when
#                     systemd is PID 1), or scripts/supervise.sh (containers, the netns lab)
#   --tarball FILE    the release; default: skiff-*-linux-ARCH.tar.gz beside this script, else
#                     (agent) downloaded from --server: the CA from the public cluster-info is
#                     accepted only if its public key matches --ca-hash (as kubeadm), then
#                     SHA256SUMS and the tarball come over TLS verified with it, the token as
#                     bearer, and the tarball must match its line in SHA256SUMS.
set -euo pipefail

# ---- output: one line and a non-zero exit for bad input ----
die() { printf 'install.sh: %s\n' "$*" >&2; exit 2; }
fail() { printf 'install.sh: %s\n' "$*" >&2; exit 1; }
step() { printf '==> %s\n' "$*" >&2; }
info() { printf '    %s\n' "$*" >&2; }
as_root() { "$@"; }

role=${1:-}
case "$role" in
  server | agent | uninstall) shift ;;
  -h | --help) sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
  "") die "usage: install.sh server|agent|uninstall [options] (--help for the options)" ;;
  *) die "the first argument must be server, agent or uninstall, got '$role'" ;;
esac

prefix=/opt/skiff state_dir=/var/lib/skiff init=auto tarball="" purge=0
server="" token="" ca_hash="" node="" node_ip="" mirror="" advertise=""
declare -A given=()
while [[ $# -gt 0 ]]; do
  opt=$1
  case "$opt" in
    --purge) purge=1; given[$opt]=1; shift; continue ;;
    --prefix | --state-dir | --init | --tarball | --server | --token | --ca-hash | --node | --node-ip | --registry-mirror | --advertise-address) ;;
    *) die "unknown argument '$opt'" ;;
  esac
  [[ $# -ge 2 && -n "$2" && "$2" != --* ]] || die "$opt needs a value"
  [[ -z "${given[$opt]:-}" ]] || die "$opt given twice"
  given[$opt]=1
  case "$opt" in
    --prefix) prefix=$2 ;;
    --state-dir) state_dir=$2 ;;
    --init) init=$2 ;;
    --tarball) tarball=$2 ;;
    --server) server=$2 ;;
    --token) token=$2 ;;
    --ca-hash) ca_hash=$2 ;;
    --node) node=$2 ;;
    --node-ip) node_ip=$2 ;;
    --registry-mirror) mirror=$2 ;;
    --advertise-address) advertise=$2 ;;
  esac
  shift 2
done

# ---- validation at the edge, before anything touches the machine ----
allowed() { # ROLE: the options ROLE takes
  case "$1" in
    server) echo "--prefix --state-dir --init --tarball --advertise-address" ;;
    agent) echo "--prefix --state-dir --init --tarball --server --token --ca-hash --node --node-ip --registry-mirror" ;;
    uninstall) echo "--prefix --purge" ;;
  esac
}
for opt in "${!given[@]}"; do
  [[ " $(allowed "$role") " == *" $opt "* ]] || die "$opt is not an option of '$role' (it takes: $(allowed "$role"))"
done
valid_dir() { [[ "$1" =~ ^/[A-Za-z0-9._/-]*[A-Za-z0-9._-]$ && "/$1/" != *"/../"* && "/$1/" != *"/./"* ]]; }
valid_ipv4() {
  [[ "$1" =~ ^([0-9]{1,3})\.([0-9]{1,3})\.([0-9]{1,3})\.([0-9]{1,3})$ ]] || return 1
  local o; for o in "${BASH_REMATCH[@]:1}"; do ((10#$o <= 255)) || return 1; done
}
valid_dir "$prefix" || die "--prefix must be an absolute path other than / (letters, digits, ._-/), got '$prefix'"
valid_dir "$state_dir" || die "--state-dir must be an absolute path other than / (letters, digits, ._-/), got '$state_dir'"
prefix=${prefix%/} state_dir=${state_dir%/}
[[ "$prefix/" != "$state_dir/"* && "$state_dir/" != "$prefix/"* ]] || die "--prefix and --state-dir must not contain each other ('$prefix', '$state_dir')"
case "$init" in
  systemd | supervise) ;;
  auto) if [[ "$(cat /proc/1/comm 2>/dev/null)" == systemd ]]; then init=systemd; else init=supervise; fi ;;
  *) die "--init must be systemd or supervise, got '$init'" ;;
esac
if [[ "$init" == systemd && "$role" != uninstall ]]; then
  [[ "$(cat /proc/1/comm 2>/dev/null)" == systemd ]] || die "--init systemd: systemd is not PID 1 here (use --init supervise)"
fi
[[ -z "$tarball" || ("$tarball" == *.tar.gz && -f "$tarball" && -r "$tarball") ]] || die "--tarball must be a readable .tar.gz file, got '$tarball'"
[[ -z "$advertise" ]] || valid_ipv4 "$advertise" || die "--advertise-address must be an IPv4 address, got '$advertise'"
if [[ "$role" == agent ]]; then
  [[ -n "$server" && -n "$token" && -n "$ca_hash" ]] || die "agent needs --server, --token and --ca-hash (make token on the server prints them)"
  [[ "$server" =~ ^https://([A-Za-z0-9.-]+|\[[0-9a-fA-F:]+\])(:[0-9]{1,5})?/?$ ]] || die "--server must be https://HOST[:PORT], got '$server'"
  server=${server%/}
  [[ "$token" =~ ^[a-z0-9]{6}\.[a-z0-9]{16}$ ]] || die "--token must look like abcdef.0123456789abcdef (from make token), got '$token'"
  [[ "$ca_hash" =~ ^sha256:[0-9a-f]{64}$ ]] || die "--ca-hash must look like sha256:<64 hex digits> (from make token), got '$ca_hash'"
  [[ -n "$node" ]] || node=$(hostname | tr 'A-Z_' 'a-z-')
  [[ "$node" =~ ^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$ ]] || die "--node must be a DNS label (a-z, 0-9, -), got '$node'"
  [[ -z "$node_ip" ]] || valid_ipv4 "$node_ip" || die "--node-ip must be an IPv4 address, got '$node_ip'"
  [[ -z "$mirror" || "$mirror" == none || "$mirror" =~ ^https?://[A-Za-z0-9.:-]+/?$ ]] || die "--registry-mirror must be http(s)://HOST[:PORT] or none, got '$mirror'"
fi
[[ $EUID -eq 0 ]] || die "run as root (it installs packages, runs containers and programs iptables)"

export SKIFF_DIR="$state_dir" NODE_COMPILE_CACHE="$state_dir/cache/node-compile"
export PATH="$prefix/node_modules/.bin:$PATH"

# ---- uninstall ----
if [[ "$role" == uninstall ]]; then
  [[ -f "$prefix/scripts/uninstall.sh" ]] || fail "no Skiff install at $prefix (no $prefix/scripts/uninstall.sh)"
  args=(--prefix "$prefix")
  ((purge)) && args+=(--purge)
  exec bash "$prefix/scripts/uninstall.sh" "${args[@]}"
fi

[[ ! -e "$prefix/install.conf" ]] || fail "Skiff is already installed in $prefix ($(grep '^ROLE=' "$prefix/install.conf")): run install.sh uninstall first"

case "$(uname -m)" in
  x86_64) arch=amd64 ;;
  aarch64 | arm64) arch=arm64 ;;
  *) fail "unsupported machine $(uname -m)" ;;
esac
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
work=$(mktemp -d /tmp/skiff-install.XXXXXX)
trap 'rm -rf "$work"' EXIT
need() { local c; for c in "$@"; do command -v "$c" >/dev/null || fail "$c is missing (apt-get install curl openssl ca-certificates)"; done; }

# download_release: the CA pinned by --ca-hash, then SHA256SUMS and the tarball over TLS verified
# with it (the same pin as common/src/bootstrap/discovery.ts, which join.sh runs after unpacking;
# here nothing of the release exists yet, so it is curl and openssl)
download_release() {
  need curl openssl sha256sum
  step "release: from $server"
  curl -fsSk --max-time 20 "$server/api/v1/namespaces/kube-public/configmaps/cluster-info" -o "$work/cluster-info.json" \
    || fail "could not read the public cluster-info from $server"
  local ca_b64 got name
  # the kubeconfig in the ConfigMap's JSON: `certificate-authority-data: B64`, or (a long value
  # in YAML's folded style) `certificate-authority-data: >-` and B64 on the next line
  ca_b64=$(grep -oE 'certificate-authority-data: *(>-?)?(\\n *)?[A-Za-z0-9+/=]+' "$work/cluster-info.json" | head -n 1 \
    | sed -E 's/^certificate-authority-data: *(>-?)?(\\n *)?//')
  [[ -n "$ca_b64" ]] || fail "cluster-info from $server names no CA"
  base64 -d <<<"$ca_b64" >"$work/ca.crt" 2>/dev/null || fail "cluster-info's CA is not base64"
  got=$(openssl x509 -in "$work/ca.crt" -pubkey -noout 2>/dev/null | openssl pkey -pubin -outform der 2>/dev/null | sha256sum | cut -d' ' -f1)
  [[ "sha256:$got" == "$ca_hash" ]] || fail "the cluster CA does not match the pinned hash: got sha256:$got, want $ca_hash"
  info "cluster CA matches $ca_hash"
  local -a get=(curl -fsS --max-time 600 --cacert "$work/ca.crt" -H "Authorization: Bearer $token")
  "${get[@]}" "$server/skiff/dist/SHA256SUMS" -o "$work/SHA256SUMS" \
    || fail "could not read $server/skiff/dist/SHA256SUMS (a refused token, or no make dist on the server)"
  name=$(awk '{ print $2 }' "$work/SHA256SUMS" | grep -E "^skiff-[A-Za-z0-9.+-]+-linux-$arch\.tar\.gz$" | head -n 1) \
    || fail "the server serves no release for linux-$arch"
  "${get[@]}" "$server/skiff/dist/$name" -o "$work/$name" || fail "could not download $server/skiff/dist/$name"
  (cd "$work" && grep -E "^[0-9a-f]{64}  $name\$" SHA256SUMS | sha256sum -c --quiet) || fail "$name does not match its sha256 in SHA256SUMS"
  info "$name: sha256 checked"
  tarball="$work/$name"
}

# ---- the release ----
if [[ -z "$tarball" ]]; then
  shopt -s nullglob
  beside=("$here"/skiff-*-linux-"$arch".tar.gz)
  shopt -u nullglob
  if ((${#beside[@]} == 1)); then
    tarball=${beside[0]}
    if [[ -f "$here/SHA256SUMS" ]]; then
      (cd "$here" && grep -E "  $(basename "$tarball")\$" SHA256SUMS | sha256sum -c --quiet) || fail "$tarball does not match $here/SHA256SUMS"
    fi
  elif ((${#beside[@]} > 1)); then
    fail "several releases beside install.sh: choose one with --tarball FILE"
  elif [[ "$role" == agent ]]; then
    download_release
  else
    fail "no release: give --tarball FILE or put skiff-*-linux-$arch.tar.gz beside install.sh"
  fi
fi
step "unpacking $(basename "$tarball") into $prefix"
mkdir -p "$prefix" "$state_dir"
chmod 700 "$state_dir"
tar -xzf "$tarball" -C "$prefix" --strip-components=1 --no-same-owner || fail "could not unpack $tarball"
[[ -x "$prefix/node_modules/.bin/node" && -f "$prefix/scripts/node/join.sh" ]] || fail "$tarball is not a Skiff release"
version=$(cat "$prefix/VERSION")
{
  printf '# written by install.sh %s; read by scripts/uninstall.sh\n' "$role"
  printf 'ROLE=%s\nINIT=%s\nSTATE_DIR=%s\nNODE=%s\nVERSION=%s\n' "$role" "$init" "$state_dir" "$node" "$version"
} >"$prefix/install.conf"

# ---- Debian packages: missing ones only (the list and the check are the release's) ----
source "$prefix/scripts/debian-packages.sh"
if [[ "$role" == server ]]; then install_debian_packages "${SKIFF_SERVER_PACKAGES[@]}"
else install_debian_packages "${SKIFF_AGENT_PACKAGES[@]}"; fi

started_ms=$(date +%s%3N)
if [[ "$role" == agent ]]; then
  step "agent $node: joining $server ($init)"
  join=(--server "$server" --token "$token" --ca-hash "$ca_hash" --node "$node")
  [[ -n "$node_ip" ]] && join+=(--node-ip "$node_ip")
  [[ -n "$mirror" ]] && join+=(--registry-mirror "$mirror")
  if [[ "$init" == supervise ]]; then
    SKIFF_NODE_SUPERVISE=1 bash "$prefix/scripts/node/join.sh" "${join[@]}" || fail "the join failed (logs in $state_dir/logs)"
  else
    # join.sh makes the credentials and starts the components once; the units take them over
    bash "$prefix/scripts/node/join.sh" "${join[@]}" || fail "the join failed (logs in $state_dir/logs)"
    bash "$prefix/scripts/systemd-units.sh" agent --node "$node" --install
  fi
else
  step "server ($init)"
  export SKIFF_REGISTRY_PUBLIC=1
  [[ -z "$advertise" ]] || export SKIFF_ADVERTISE_ADDRESS="$advertise"
  bash "$prefix/scripts/cluster.sh" up || fail "the control plane did not come up (logs in $state_dir/logs)"
  # the release this server hands to joining agents (apiserver --dist-dir=$state_dir/dist)
  mkdir -p "$state_dir/dist"
  cp "$tarball" "$state_dir/dist/"
  cp "$prefix/install.sh" "$state_dir/dist/install.sh"
  (cd "$state_dir/dist" && sha256sum "$(basename "$tarball")" install.sh >SHA256SUMS)
  if [[ "$init" == systemd ]]; then
    bash "$prefix/scripts/systemd-units.sh" server --install
    # the units start at once; the join token below needs the apiserver answering again
    for _ in $(seq 1 90); do
      curl -fsS --max-time 2 -o /dev/null --cacert "$state_dir/pki/ca.crt" https://127.0.0.1:6443/readyz && break
      sleep 1
    done
  fi
  {
    printf '#!/bin/sh\n# kubectl-lite of this install, with its admin kubeconfig\n'
    printf 'KUBECONFIG=${KUBECONFIG:-%s} exec %s "$@"\n' "$state_dir/kubeconfig" "$prefix/bin/kubectl-lite"
  } >"$prefix/bin/skiff-kubectl"
  chmod 755 "$prefix/bin/skiff-kubectl"
fi
elapsed_ms=$(($(date +%s%3N) - started_ms))
step "Skiff $version $role installed in $prefix (state $state_dir, $init) in $((elapsed_ms / 1000)).$((elapsed_ms % 1000 / 100)) s"
if [[ "$role" == server ]]; then
  info "admin kubeconfig: $state_dir/kubeconfig"
  info "join an agent with the command below (a new one: node $prefix/apiserver/dist/src/auth/token-cli.js --kubeconfig $state_dir/kubeconfig)"
  node "$prefix/apiserver/dist/src/auth/token-cli.js" --kubeconfig "$state_dir/kubeconfig" || info "could not make a join token"
fi
