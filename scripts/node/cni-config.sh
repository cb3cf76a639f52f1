#!/usr/bin/env bash
# Writes the node's CNI network: a bridge with host-local IPAM for the node's pod CIDR and
# portmap for hostPort. (containerd's CRI plugin brings up each pod's loopback itself, so the
# chain has no loopback plugin.) Idempotent.
#
# usage: scripts/node/cni-config.sh (--node NAME | --conf-dir DIR) --subnet CIDR
#          [--bridge NAME] [--network NAME] [--ip-masq true|false] [--ipam-dir DIR]
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

node="" conf_dir="" subnet="" ipam_dir=""
bridge="cni0" network="skiff" ip_masq="true"
while [[ $# -gt 0 ]]; do
  case "$1" in
    --node) node="$2"; shift 2 ;;
    --conf-dir) conf_dir="$2"; shift 2 ;;
    --subnet) subnet="$2"; shift 2 ;;
    --bridge) bridge="$2"; shift 2 ;;
    --network) network="$2"; shift 2 ;;
    --ip-masq) ip_masq="$2"; shift 2 ;;
    --ipam-dir) ipam_dir="$2"; shift 2 ;;
    *) die "unknown argument $1" ;;
  esac
done
[[ -n "$node" ]] && conf_dir="${conf_dir:-$(node_dir "$node")/cni/net.d}"
[[ -n "$conf_dir" ]] || die "--conf-dir or --node is required"
[[ "$subnet" =~ ^([0-9]{1,3}\.){3}[0-9]{1,3}/[0-9]{1,2}$ ]] || die "--subnet must be an IPv4 CIDR, got '$subnet'"
[[ "$ip_masq" == true || "$ip_masq" == false ]] || die "--ip-masq must be true or false"
(( ${#bridge} <= 15 )) || die "bridge name '$bridge' is longer than 15 characters"
# host-local keeps its leases per network name; a per-node directory keeps nodes apart.
ipam_dir="${ipam_dir:-$(dirname "$conf_dir")/ipam}"
mkdir -p "$conf_dir" "$ipam_dir"

file="$conf_dir/10-$network.conflist"
tmp="$file.tmp.$$"
cat > "$tmp" <<JSON
{
  "cniVersion": "1.0.0",
  "name": "$network",
  "plugins": [
    {
      "type": "bridge",
      "bridge": "$bridge",
      "isGateway": true,
      "ipMasq": $ip_masq,
      "hairpinMode": true,
      "ipam": {
        "type": "host-local",
        "dataDir": "$ipam_dir",
        "ranges": [[{ "subnet": "$subnet" }]],
        "routes": [{ "dst": "0.0.0.0/0" }]
      }
    },
    { "type": "portmap", "capabilities": { "portMappings": true } }
  ]
}
JSON
mv "$tmp" "$file"
echo "$file"
