# The dashboard's one-time login link, printed by `make up` (local mode). Sourced by
# cluster.sh, with PKI and APISERVER_URL set.
#
# ServiceAccount kube-system/skiff-dashboard-admin is bound to cluster-admin (the local user
# already holds the admin kubeconfig; this is the same power, for the browser). Each `make up`
# creates a Secret kube-system/skiff-dashboard-login-<random> and a 10-minute token bound to
# it: the link carries that token in its fragment (never sent to a server). The page trades it
# for a session token of its own (TokenRequest, 8 h) and deletes the Secret, which revokes the
# link's token: the link works once.
dashboard_api() { # METHOD PATH [BODY] -> body on stdout, fails on HTTP >= 400 but 409
  local out code
  out=$(curl -sS --max-time 10 --cacert "$PKI/ca.crt" --cert "$PKI/admin.crt" --key "$PKI/admin.key" \
    -H 'Content-Type: application/json' -X "$1" ${3:+--data-binary "$3"} -w '\n%{http_code}' "$APISERVER_URL$2") || return 1
  code=${out##*$'\n'}
  [[ "$code" -lt 400 || "$code" == 409 ]] || { info "dashboard login: $1 $2: HTTP $code"; return 1; }
  printf '%s' "${out%$'\n'*}"
}

print_dashboard_login_link() {
  local sa=skiff-dashboard-admin secret token
  [[ -f "$SKIFF_ROOT/dashboard/dist/ui/index.html" ]] || { info "dashboard: not built (node dashboard/build.mjs)"; return 0; }
  secret="skiff-dashboard-login-$(head -c 6 /dev/urandom | od -An -tx1 | tr -d ' \n')"
  dashboard_api POST /api/v1/namespaces/kube-system/serviceaccounts \
    "{\"apiVersion\":\"v1\",\"kind\":\"ServiceAccount\",\"metadata\":{\"name\":\"$sa\"}}" >/dev/null || return 0
  dashboard_api POST /apis/rbac.authorization.k8s.io/v1/clusterrolebindings \
    "{\"apiVersion\":\"rbac.authorization.k8s.io/v1\",\"kind\":\"ClusterRoleBinding\",\"metadata\":{\"name\":\"$sa\"},\"roleRef\":{\"apiGroup\":\"rbac.authorization.k8s.io\",\"kind\":\"ClusterRole\",\"name\":\"cluster-admin\"},\"subjects\":[{\"kind\":\"ServiceAccount\",\"name\":\"$sa\",\"namespace\":\"kube-system\"}]}" >/dev/null || return 0
  dashboard_api POST /api/v1/namespaces/kube-system/secrets \
    "{\"apiVersion\":\"v1\",\"kind\":\"Secret\",\"metadata\":{\"name\":\"$secret\",\"labels\":{\"skiff.io/dashboard-login\":\"true\"}},\"type\":\"Opaque\"}" >/dev/null || return 0
  token=$(dashboard_api POST "/api/v1/namespaces/kube-system/serviceaccounts/$sa/token" \
    "{\"apiVersion\":\"authentication.k8s.io/v1\",\"kind\":\"TokenRequest\",\"spec\":{\"expirationSeconds\":600,\"boundObjectRef\":{\"kind\":\"Secret\",\"apiVersion\":\"v1\",\"name\":\"$secret\"}}}" |
    sed -n 's/.*"token":"\([^"]*\)".*/\1/p') || return 0
  [[ -n "$token" ]] || { info "dashboard login: no token in the TokenRequest's answer"; return 0; }
  step "dashboard (one-time login link, valid 10 min): $APISERVER_URL/ui/#login=$token&secret=$secret"
}
