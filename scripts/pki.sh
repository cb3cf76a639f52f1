#!/usr/bin/env bash
# The one certificate recipe of Skiff, used by `make up` and by the test harness.
#
#   scripts/pki.sh DIR                      CA, apiserver serving cert, admin and component
#                                           client certs, service-account key pair, and the
#                                           front-proxy CA with the aggregator's client cert
#   scripts/pki.sh DIR client NAME CN [O]   one more client cert NAME.crt/NAME.key
#   scripts/pki.sh DIR server NAME CN IP... one more serving cert (SANs DNS:CN and the IPs)
#   scripts/pki.sh DIR etcd [IP...]         etcd's own CA and certificates, laid out as kubeadm
#                                           does: etcd/{ca,server,peer,healthcheck-client} and
#                                           apiserver-etcd-client (server/peer SANs: localhost,
#                                           the host name, 127.0.0.1 and the IPs)
#   scripts/pki.sh DIR etcd-member NAME IP...  one member of a several-member etcd (the HA lab):
#                                           etcd/NAME-server and etcd/NAME-peer, SANs DNS:NAME,
#                                           localhost, 127.0.0.1 and the member's IPs
#   scripts/pki.sh DIR apiserver NAME IP... the serving certificate of one of several apiservers
#                                           (the HA lab): NAME.crt with apiserver.crt's DNS
#                                           names, 127.0.0.1, 10.96.0.1 and that apiserver's IPs
#
# Files that already exist are kept, so running it again changes nothing; only a
# missing CA forces a fresh set (everything else was signed by the lost CA).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

usage() { die "usage: pki.sh DIR | pki.sh DIR client NAME CN [ORG] | pki.sh DIR server NAME CN IP... | pki.sh DIR etcd [IP...] | pki.sh DIR etcd-member NAME IP... | pki.sh DIR apiserver NAME IP..."; }
[[ $# -ge 1 ]] || usage
DIR=$1; shift
command -v openssl >/dev/null || die "openssl not found (apt-get install openssl)"
# The cluster CA and its leaves: RSA-2048 by default, or ECDSA P-256 with
# SKIFF_PKI_KEY_ALGORITHM=ECDSA-P256 (kubeadm's ClusterConfiguration encryptionAlgorithm, same
# names). make test sets ECDSA-P256: an EC key takes milliseconds to make where an RSA key takes
# a tenth of a second or more, and the tests make about a thousand certificates per run. The etcd
# set is always ECDSA P-256, so that the test harness can give each test process a TLS etcd
# without noticing.
KEY_ALGORITHM=${SKIFF_PKI_KEY_ALGORITHM:-RSA-2048}
case "$KEY_ALGORITHM" in
  RSA-2048 | ECDSA-P256) ;;
  *) die "SKIFF_PKI_KEY_ALGORITHM=$KEY_ALGORITHM is not supported (RSA-2048 or ECDSA-P256)" ;;
esac
mkdir -p "$DIR"
umask 077
TMP=$(mktemp -d "$DIR/.tmp.XXXXXX")
trap 'rm -rf "$TMP"' EXIT

DAYS_CA=3650
DAYS_LEAF=825

serial() { printf '0x%s' "$(openssl rand -hex 16)"; }

new_key() {
  if [[ "$KEY_ALGORITHM" == ECDSA-P256 ]]; then openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1" 2>/dev/null
  else openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$1" 2>/dev/null; fi
}
# the CA that sign() uses; the etcd set switches to its own
CA_CRT="$DIR/ca.crt"
CA_KEY="$DIR/ca.key"

make_ca() {
  new_key "$TMP/ca.key"
  openssl req -x509 -new -key "$TMP/ca.key" -days "$DAYS_CA" -subj "/CN=skiff-ca" \
    -addext "basicConstraints=critical,CA:TRUE" \
    -addext "keyUsage=critical,keyCertSign,cRLSign,digitalSignature" \
    -out "$TMP/ca.crt"
  mv "$TMP/ca.key" "$DIR/ca.key"; mv "$TMP/ca.crt" "$DIR/ca.crt"
  info "pki: created CA $DIR/ca.crt"
}

# sign NAME SUBJECT EXTENSIONS: key + cert signed by the CA, moved into place together.
sign() {
  local name=$1 subject=$2 extensions=$3
  mkdir -p "$(dirname "$TMP/$name")" "$(dirname "$DIR/$name")"
  new_key "$TMP/$name.key"
  openssl req -new -key "$TMP/$name.key" -subj "$subject" -out "$TMP/$name.csr"
  printf '%s\n' "$extensions" >"$TMP/$name.ext"
  openssl x509 -req -in "$TMP/$name.csr" -CA "$CA_CRT" -CAkey "$CA_KEY" \
    -set_serial "$(serial)" -days "$DAYS_LEAF" -sha256 -extfile "$TMP/$name.ext" \
    -out "$TMP/$name.crt" 2>/dev/null
  mv "$TMP/$name.key" "$DIR/$name.key"; mv "$TMP/$name.crt" "$DIR/$name.crt"
  info "pki: created $DIR/$name.crt ($subject)"
}

client_cert() {
  local name=$1 cn=$2 org=${3:-}
  local subject="/CN=$cn"
  [[ -n "$org" ]] && subject="/O=$org$subject"
  # kept unless the identity changed (the apiserver's kubelet client was once system:masters);
  # NAME.subject remembers the subject read from NAME.crt, so that a set-up machine's `make up`
  # does not run openssl once a certificate to learn what it already knew
  local seen="$DIR/$name.subject"
  if [[ -s "$DIR/$name.crt" && -s "$DIR/$name.key" ]]; then
    [[ -f "$seen" && "$seen" -nt "$DIR/$name.crt" && "$(<"$seen")" == "subject=$subject" ]] && return 0
    if [[ "$(openssl x509 -in "$DIR/$name.crt" -noout -subject -nameopt compat)" == "subject=$subject" ]]; then
      printf 'subject=%s\n' "$subject" >"$seen"
      return 0
    fi
    info "pki: $name.crt names another identity, re-issuing it as $subject"
  fi
  sign "$name" "$subject" "basicConstraints=critical,CA:FALSE
keyUsage=critical,digitalSignature,keyEncipherment
extendedKeyUsage=clientAuth"
  printf 'subject=%s\n' "$subject" >"$seen"
}

machine_ipv4s() {
  if command -v ip >/dev/null; then
    ip -4 -o addr show 2>/dev/null | awk '{ split($4, a, "/"); print a[1] }'
  else
    hostname -I 2>/dev/null | tr ' ' '\n' | grep -E '^[0-9]+(\.[0-9]+){3}$' || true
  fi
}

# apiserver_cert [NAME IP...]: without arguments apiserver.crt for this machine's addresses;
# with them NAME.crt for an apiserver on another (lab) node, named by its IPs
apiserver_cert() {
  local name=${1:-apiserver}
  [[ -s "$DIR/$name.crt" && -s "$DIR/$name.key" ]] && return 0
  local -a dns=(localhost kubernetes kubernetes.default kubernetes.default.svc
    kubernetes.default.svc.cluster.local)
  local -a ips=(127.0.0.1 10.96.0.1)
  local ip host
  if [[ $# -eq 0 ]]; then
    host=$(hostname 2>/dev/null || true)
    [[ -n "$host" ]] && dns+=("$host")
    while read -r ip; do [[ -n "$ip" ]] && ips+=("$ip"); done < <(machine_ipv4s)
  else
    shift
    ips+=("$@")
  fi
  local san="" entry
  for entry in $(printf '%s\n' "${dns[@]}" | awk '!seen[$0]++'); do san+="DNS:$entry,"; done
  for entry in $(printf '%s\n' "${ips[@]}" | awk '!seen[$0]++'); do san+="IP:$entry,"; done
  sign "$name" "/CN=kube-apiserver" "basicConstraints=critical,CA:FALSE
keyUsage=critical,digitalSignature,keyEncipherment
extendedKeyUsage=serverAuth
subjectAltName=${san%,}"
}

# The kubelet's serving certificate on this machine (the apiserver verifies it when it
# proxies logs, exec and port-forward); workers that join get theirs through a kubelet-serving CSR.
kubelet_serving_cert() {
  [[ -s "$DIR/kubelet-serving.crt" && -s "$DIR/kubelet-serving.key" ]] && return 0
  local host; host=$(hostname 2>/dev/null || echo localhost)
  local san="DNS:$host,DNS:localhost,IP:127.0.0.1" ip
  while read -r ip; do [[ -n "$ip" ]] && san+=",IP:$ip"; done < <(machine_ipv4s)
  sign kubelet-serving "/O=system:nodes/CN=system:node:$host" "basicConstraints=critical,CA:FALSE
keyUsage=critical,digitalSignature,keyEncipherment
extendedKeyUsage=serverAuth
subjectAltName=$san"
}

service_account_keys() {
  [[ -s "$DIR/sa.key" && -s "$DIR/sa.pub" ]] && return 0
  new_key "$TMP/sa.key"
  openssl pkey -in "$TMP/sa.key" -pubout -out "$TMP/sa.pub"
  mv "$TMP/sa.key" "$DIR/sa.key"; mv "$TMP/sa.pub" "$DIR/sa.pub"
  info "pki: created service-account key pair $DIR/sa.key"
}

# etcd trusts only its own CA (as kubeadm sets it up): a client certificate of the cluster CA,
# a node's or a user's, does not open etcd. Missing etcd CA: a fresh etcd set.
etcd_certs() {
  mkdir -p "$DIR/etcd"
  KEY_ALGORITHM=ECDSA-P256
  if ! [[ -s "$DIR/etcd/ca.crt" && -s "$DIR/etcd/ca.key" ]]; then
    rm -f "$DIR"/etcd/*.crt "$DIR"/etcd/*.key "$DIR/apiserver-etcd-client.crt" "$DIR/apiserver-etcd-client.key"
    new_key "$TMP/etcd-ca.key"
    openssl req -x509 -new -key "$TMP/etcd-ca.key" -days "$DAYS_CA" -subj "/CN=etcd-ca" \
      -addext "basicConstraints=critical,CA:TRUE" \
      -addext "keyUsage=critical,keyCertSign,cRLSign,digitalSignature" \
      -out "$TMP/etcd-ca.crt"
    mv "$TMP/etcd-ca.key" "$DIR/etcd/ca.key"; mv "$TMP/etcd-ca.crt" "$DIR/etcd/ca.crt"
    info "pki: created etcd CA $DIR/etcd/ca.crt"
  fi
  CA_CRT="$DIR/etcd/ca.crt"
  CA_KEY="$DIR/etcd/ca.key"
  local host; host=$(hostname 2>/dev/null || echo localhost)
  local san="DNS:localhost,DNS:$host,IP:127.0.0.1,IP:0:0:0:0:0:0:0:1" ip
  for ip in "$@"; do san+=",IP:$ip"; done
  # server and peer certificates serve and also dial (peers dial each other), as kubeadm's
  local both="basicConstraints=critical,CA:FALSE
keyUsage=critical,digitalSignature,keyEncipherment
extendedKeyUsage=serverAuth,clientAuth
subjectAltName=$san"
  [[ -s "$DIR/etcd/server.crt" && -s "$DIR/etcd/server.key" ]] || sign etcd/server "/CN=$host" "$both"
  [[ -s "$DIR/etcd/peer.crt" && -s "$DIR/etcd/peer.key" ]] || sign etcd/peer "/CN=$host" "$both"
  client_cert etcd/healthcheck-client kube-etcd-healthcheck-client
  client_cert apiserver-etcd-client kube-apiserver-etcd-client
}

# etcd_member_certs NAME IP...: serving and peer certificates of one member among several, each
# naming only its own addresses (a member added later gets its own; none is re-issued)
etcd_member_certs() {
  local name=$1; shift
  etcd_certs
  local san="DNS:$name,DNS:localhost,IP:127.0.0.1" ip
  for ip in "$@"; do san+=",IP:$ip"; done
  local both="basicConstraints=critical,CA:FALSE
keyUsage=critical,digitalSignature,keyEncipherment
extendedKeyUsage=serverAuth,clientAuth
subjectAltName=$san"
  [[ -s "$DIR/etcd/$name-server.crt" && -s "$DIR/etcd/$name-server.key" ]] || sign "etcd/$name-server" "/CN=$name" "$both"
  [[ -s "$DIR/etcd/$name-peer.crt" && -s "$DIR/etcd/$name-peer.key" ]] || sign "etcd/$name-peer" "/CN=$name" "$both"
}

# API aggregation, kubeadm's layout: a CA of its own (front-proxy-ca), so that its client
# certificate (front-proxy-client) is trusted only for --requestheader-* authentication,
# never as a user of --client-ca-file. Missing front-proxy CA: a fresh client certificate.
front_proxy_certs() {
  if ! [[ -s "$DIR/front-proxy-ca.crt" && -s "$DIR/front-proxy-ca.key" ]]; then
    rm -f "$DIR/front-proxy-client.crt" "$DIR/front-proxy-client.key"
    new_key "$TMP/front-proxy-ca.key"
    openssl req -x509 -new -key "$TMP/front-proxy-ca.key" -days "$DAYS_CA" -subj "/CN=front-proxy-ca" \
      -addext "basicConstraints=critical,CA:TRUE" \
      -addext "keyUsage=critical,keyCertSign,cRLSign,digitalSignature" \
      -out "$TMP/front-proxy-ca.crt"
    mv "$TMP/front-proxy-ca.key" "$DIR/front-proxy-ca.key"; mv "$TMP/front-proxy-ca.crt" "$DIR/front-proxy-ca.crt"
    info "pki: created front-proxy CA $DIR/front-proxy-ca.crt"
  fi
  local ca_crt=$CA_CRT ca_key=$CA_KEY
  CA_CRT="$DIR/front-proxy-ca.crt"
  CA_KEY="$DIR/front-proxy-ca.key"
  client_cert front-proxy-client front-proxy-client
  CA_CRT=$ca_crt
  CA_KEY=$ca_key
}

ensure_ca() {
  if [[ -s "$DIR/ca.crt" && -s "$DIR/ca.key" ]]; then return 0; fi
  # Whatever is left was signed by a CA we no longer have.
  rm -f "$DIR"/*.crt "$DIR"/*.key "$DIR"/*.pub
  make_ca
}

ensure_ca
case "${1:-}" in
  "")
    apiserver_cert
    client_cert admin kubernetes-admin system:masters
    client_cert controller-manager system:kube-controller-manager
    client_cert scheduler system:kube-scheduler
    client_cert kubelet "system:node:$(hostname 2>/dev/null || echo localhost)" system:nodes
    # kubeadm's name and group; Skiff binds the user to system:kubelet-api-admin only
    client_cert apiserver-kubelet-client kube-apiserver-kubelet-client kubeadm:cluster-admins
    client_cert kube-proxy system:kube-proxy
    client_cert dns system:skiff-dns
    client_cert metrics-server system:skiff-metrics-server
    client_cert ingress system:skiff-ingress
    kubelet_serving_cert
    service_account_keys
    front_proxy_certs
    ;;
  client)
    [[ $# -ge 3 ]] || usage
    client_cert "$2" "$3" "${4:-}"
    ;;
  server)
    # server NAME CN IP...: a serving certificate for another service of the cluster (the lab's
    # registry listener); DNS:CN and the IPs are its names
    [[ $# -ge 4 ]] || usage
    name=$2; cn=$3; shift 3
    if [[ ! -s "$DIR/$name.crt" ]]; then
      san="DNS:$cn"; for ip in "$@"; do san+=",IP:$ip"; done
      sign "$name" "/CN=$cn" "basicConstraints=critical,CA:FALSE
keyUsage=critical,digitalSignature,keyEncipherment
extendedKeyUsage=serverAuth
subjectAltName=$san"
    fi
    ;;
  etcd)
    shift
    etcd_certs "$@"
    ;;
  etcd-member)
    [[ $# -ge 3 && "$2" =~ ^[a-z0-9][-a-z0-9]*$ ]] || usage
    shift
    etcd_member_certs "$@"
    ;;
  apiserver)
    [[ $# -ge 3 && "$2" =~ ^[a-z0-9][-a-z0-9]*$ && "$2" != apiserver ]] || usage
    shift
    apiserver_cert "$@"
    ;;
  *) usage ;;
esac
