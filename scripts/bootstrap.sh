# Cluster objects `make up` creates once the apiserver answers, as a kubeadm cluster's addons:
# scripts/bootstrap/<group>-<version>-<resource>-<name>.json (group "core" for the core API).
# An object that exists already is left as it is (a user may have changed it). Sourced by
# cluster.sh, with PKI and APISERVER_URL set.
create_bootstrap_objects() {
  local file base group version resource prefix code
  for file in "$SKIFF_ROOT"/scripts/bootstrap/*.json; do
    [[ -e "$file" ]] || continue
    base=$(basename "$file" .json)
    IFS=- read -r group version resource _ <<<"$base"
    if [[ "$group" == core ]]; then prefix="/api/$version"; else prefix="/apis/$group/$version"; fi
    code=$(curl -sS -o /dev/null -w '%{http_code}' --max-time 10 --cacert "$PKI/ca.crt" \
      --cert "$PKI/admin.crt" --key "$PKI/admin.key" -H 'Content-Type: application/json' \
      -X POST --data-binary "@$file" "$APISERVER_URL$prefix/$resource") || code=000
    case "$code" in
      201 | 409) ;;
      *) info "bootstrap object ${file#$SKIFF_ROOT/}: HTTP $code" ;;
    esac
  done
}
