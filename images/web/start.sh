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
exec httpd -f -vv -p "${PORT:-8080}" -h /www
