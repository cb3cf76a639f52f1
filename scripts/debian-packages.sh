# The Debian packages a Skiff machine runs with, and how they are installed: missing ones only,
# checked with dpkg-query. Sourced (after lib.sh) by scripts/install.sh (a clone: make up,
# make join, make test) and by the release installer (install.sh of make dist's tarball).

# An agent (worker): containerd, runc, CNI plugins, iptables for the node proxy, openssl and
# curl for the join, util-linux for nsenter/setsid.
SKIFF_AGENT_PACKAGES=(
  containerd runc containernetworking-plugins openssl iptables iproute2 conntrack curl
  ca-certificates util-linux bsdutils ipset
)
# A server (make up's services): etcd (etcdctl probes it), the image registry, skopeo and
# busybox-static for the local images, and everything an agent has (it is also a node).
SKIFF_SERVER_PACKAGES=(etcd-server etcd-client docker-registry skopeo busybox-static "${SKIFF_AGENT_PACKAGES[@]}")

install_debian_packages() {
  command -v dpkg-query >/dev/null || die "not a Debian system (dpkg-query missing); install by hand: $*"
  local -a missing=()
  local pkg
  # one dpkg-query for all of them (one each took half a second of every `make up`)
  local installed
  installed=" $(dpkg-query -W -f='${Package}=${Status}\n' "$@" 2>/dev/null | sed -n 's/=install ok installed$//p' | tr '\n' ' ')"
  for pkg in "$@"; do [[ "$installed" == *" $pkg "* ]] || missing+=("$pkg"); done
  if [[ ${#missing[@]} -eq 0 ]]; then
    info "debian packages: all present"
    return 0
  fi
  step "installing Debian packages: ${missing[*]}"
  as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq </dev/null \
    || die "apt-get update failed"
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
    "${missing[@]}" </dev/null || die "apt-get install failed for: ${missing[*]}"
}
