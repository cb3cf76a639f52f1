#!/usr/bin/env bash
# The apiserver's --encryption-provider-config for `make up`: Secrets encrypted with AES-CBC
# under a random 32-byte key, as https://kubernetes.io/docs/tasks/administer-cluster/encrypt-data/
# writes it. identity comes last so that Secrets written before encryption was on stay readable.
#
#   scripts/encryption-config.sh FILE    writes FILE (mode 600) unless it exists
#
# An existing file is never changed: it holds the only copy of the key, and losing it makes
# every Secret in etcd unreadable. Rotating the key is a manual procedure (apiserver/README.md).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

[[ $# -eq 1 ]] || die "usage: encryption-config.sh FILE"
FILE=$1
[[ -s "$FILE" ]] && exit 0
command -v openssl >/dev/null || die "openssl not found (apt-get install openssl)"
mkdir -p "$(dirname "$FILE")"
umask 077
key=$(openssl rand -base64 32)
tmp=$(mktemp "$FILE.XXXXXX")
cat >"$tmp" <<YAML
apiVersion: apiserver.config.k8s.io/v1
kind: EncryptionConfiguration
resources:
  - resources:
      - secrets
    providers:
      - aescbc:
          keys:
            - name: key1
              secret: $key
      - identity: {}
YAML
mv "$tmp" "$FILE"
info "encryption: created $FILE (Secrets: aescbc, key key1)"
