#!/bin/sh
# Writes the pod's name into the page at start, so clients of a Service can tell which
# replica answered, then runs httpd in the foreground; -vv logs each request URL to stderr,
# which becomes the container log.
set -e
host="$(hostname)"
cat > /www/index.html <<HTML
<!doctype html>
<html><head><title>skiff web</title></head>
<body><h1>Hello from Skiff</h1><p>pod: ${host}</p></body></html>
HTML
echo ok > /www/healthz
echo "skiff web: pod ${host} serving /www on port ${PORT:-8080}"
# This shell stays PID 1 to handle SIGTERM: PID 1 ignores a signal it has no handler for, so an
# httpd exec'd in its place made every delete wait out the grace period (30 s). On SIGTERM it
# keeps serving a few seconds more while the Service's endpoints drop the pod (what a preStop
# sleep does for real servers), then stops; a rolling update loses no request.
httpd -f -vv -p "${PORT:-8080}" -h /www &
httpd_pid=$!
trap 'echo "skiff web: SIGTERM, stopping in ${DRAIN_SECONDS:-5} s"; sleep "${DRAIN_SECONDS:-5}"; kill "$httpd_pid" 2>/dev/null; exit 0' TERM INT
wait "$httpd_pid"
