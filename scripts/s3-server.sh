#!/usr/bin/env bash
# A real S3-compatible object store for the tests, benches and `make cluster`: Debian's OpenStack
# Swift (account, container and object servers with one replica on a directory) behind its proxy
# with the s3api and tempauth middleware. Not a fake: the same server software sites run.
#
#   scripts/s3-server.sh start DIR [PORT]   start (or find running) under DIR; prints the endpoint
#   scripts/s3-server.sh stop DIR
#
# Credentials: access key "qujat:qujat", secret "qujat-secret" (tempauth); path-style addressing.
set -euo pipefail
cmd=${1:?start|stop}; dir=$(mkdir -p "${2:?DIR}" && cd "$2" && pwd); port=${3:-8380}
etc=$dir/etc; node=$dir/srv; run=$dir/run; log=$dir/log
py=/usr/bin/python3

if [ "$cmd" = stop ]; then
  for f in "$run"/*.pid; do [ -f "$f" ] && kill "$(cat "$f")" 2>/dev/null || true; done
  rm -f "$run"/*.pid
  # Swift's servers fork workers: whatever still runs on this directory's configuration goes too.
  pkill -f -- "$etc/" 2>/dev/null || true
  exit 0
fi

if [ ! -x /usr/bin/swift-proxy-server ] || ! $py -c 'import swift.common.middleware.s3api' 2>/dev/null; then
  echo "installing OpenStack Swift (Debian) for the S3 tests"
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq swift-proxy swift-object swift-container swift-account memcached >/dev/null
fi
command -v memcached >/dev/null || { SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"; DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq memcached >/dev/null; }

endpoint="http://127.0.0.1:$port"
if curl -fsS "$endpoint/healthcheck" >/dev/null 2>&1; then echo "$endpoint"; exit 0; fi

mkdir -p "$etc" "$node/d1" "$run" "$log"
aport=$((port + 1)); cport=$((port + 2)); oport=$((port + 3)); mport=$((port + 4))
user=$(id -un)
common="[DEFAULT]
devices = $node
mount_check = false
bind_ip = 127.0.0.1
swift_dir = $etc
user = $user
log_facility = LOG_LOCAL0
log_level = WARNING
workers = 1
"
printf '%s\nbind_port = %s\n[pipeline:main]\npipeline = account-server\n[app:account-server]\nuse = egg:swift#account\n' "$common" "$aport" >"$etc/account-server.conf"
printf '%s\nbind_port = %s\n[pipeline:main]\npipeline = container-server\n[app:container-server]\nuse = egg:swift#container\n' "$common" "$cport" >"$etc/container-server.conf"
printf '%s\nbind_port = %s\n[pipeline:main]\npipeline = object-server\n[app:object-server]\nuse = egg:swift#object\n' "$common" "$oport" >"$etc/object-server.conf"
cat >"$etc/proxy-server.conf" <<CONF
[DEFAULT]
bind_ip = 127.0.0.1
bind_port = $port
swift_dir = $etc
user = $user
workers = 2
log_level = WARNING
[pipeline:main]
pipeline = catch_errors gatekeeper healthcheck proxy-logging cache listing_formats s3api tempauth copy proxy-logging proxy-server
[app:proxy-server]
use = egg:swift#proxy
allow_account_management = true
account_autocreate = true
[filter:catch_errors]
use = egg:swift#catch_errors
[filter:gatekeeper]
use = egg:swift#gatekeeper
[filter:healthcheck]
use = egg:swift#healthcheck
[filter:proxy-logging]
use = egg:swift#proxy_logging
[filter:listing_formats]
use = egg:swift#listing_formats
[filter:cache]
use = egg:swift#memcache
memcache_servers = 127.0.0.1:$mport
[filter:copy]
use = egg:swift#copy
[filter:s3api]
use = egg:swift#s3api
location = us-east-1
[filter:tempauth]
use = egg:swift#tempauth
user_qujat_qujat = qujat-secret .admin
CONF
if [ ! -f "$etc/object.ring.gz" ]; then
  (cd "$etc"
   for r in account:$aport container:$cport object:$oport; do
     name=${r%%:*}; p=${r##*:}
     swift-ring-builder $name.builder create 10 1 1 >/dev/null
     swift-ring-builder $name.builder add r1z1-127.0.0.1:$p/d1 100 >/dev/null
     swift-ring-builder $name.builder rebalance >/dev/null
   done)
fi
# tempauth keeps its tokens (and s3api its checks) in memcached: a private one on the next port.
nohup memcached -l 127.0.0.1 -p "$mport" -U 0 -m 64 -u "$user" >"$log/memcached.log" 2>&1 &
echo $! >"$run/memcached.pid"
for s in account container object proxy; do
  nohup $py /usr/bin/swift-$s-server "$etc/$s-server.conf" >"$log/$s.log" 2>&1 &
  echo $! >"$run/$s.pid"
done
for _ in $(seq 1 100); do
  if curl -fsS "$endpoint/healthcheck" >/dev/null 2>&1; then echo "$endpoint"; exit 0; fi
  sleep 0.2
done
echo "Swift did not come up; its logs:" >&2
tail -n 20 "$log"/*.log >&2
exit 1
