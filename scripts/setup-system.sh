#!/usr/bin/env bash
# Installs the Debian packages the test suite needs, only when missing (CI and fresh machines run as root).
set -euo pipefail
need=()
command -v pg_ctlcluster >/dev/null 2>&1 && ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1 || need+=(postgresql)
command -v openssl >/dev/null 2>&1 || need+=(openssl)
command -v unzip >/dev/null 2>&1 || need+=(unzip)
# SoftHSM2: the PKCS#11 token the HSM tests (and development) use.
command -v softhsm2-util >/dev/null 2>&1 || need+=(softhsm2)
# The signature-protocol PDF is read back with pdftotext/pdftoppm and its QR code with zbarimg.
command -v pdftotext >/dev/null 2>&1 || need+=(poppler-utils)
command -v zbarimg >/dev/null 2>&1 || need+=(zbar-tools)
# The console suite drives Debian's Chromium headless through playwright-core.
command -v chromium >/dev/null 2>&1 || need+=(chromium)
# Several nodes: nginx in front, libfaketime to set their clocks apart, and OpenStack Swift with
# s3api (and the memcached its auth needs) as the real S3 object store.
[ -x /usr/sbin/nginx ] || need+=(nginx-light)
[ -f /usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1 ] || need+=(faketime)
/usr/bin/python3 -c 'import swift.common.middleware.s3api' >/dev/null 2>&1 && [ -x /usr/bin/swift-object-server ] ||
  need+=(swift-proxy swift-object swift-container swift-account)
command -v memcached >/dev/null 2>&1 || need+=(memcached)
# PgBouncer in transaction mode between the nodes and PostgreSQL, as the reference deployment runs.
[ -x /usr/sbin/pgbouncer ] || need+=(pgbouncer)
if [ ${#need[@]} -gt 0 ]; then
  echo "installing: ${need[*]}"
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need[@]}"
fi
