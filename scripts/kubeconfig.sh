#!/usr/bin/env bash
# Writes a self-contained kubeconfig (CA and client cert/key embedded).
#   scripts/kubeconfig.sh OUT SERVER CA_CRT CLIENT_CRT CLIENT_KEY [CONTEXT] [USER]
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

[[ $# -ge 5 ]] || die "usage: kubeconfig.sh OUT SERVER CA_CRT CLIENT_CRT CLIENT_KEY [CONTEXT] [USER]"
out=$1 server=$2 ca=$3 cert=$4 key=$5 context=${6:-skiff} user=${7:-admin}
for f in "$ca" "$cert" "$key"; do [[ -r "$f" ]] || die "kubeconfig: cannot read $f"; done

b64() { base64 -w0 <"$1"; }

umask 077
tmp="$out.tmp.$$"
cat >"$tmp" <<YAML
apiVersion: v1
kind: Config
clusters:
- name: $context
  cluster:
    server: $server
    certificate-authority-data: $(b64 "$ca")
users:
- name: $user
  user:
    client-certificate-data: $(b64 "$cert")
    client-key-data: $(b64 "$key")
contexts:
- name: $context
  context:
    cluster: $context
    user: $user
    namespace: default
current-context: $context
preferences: {}
YAML
mv "$tmp" "$out"
