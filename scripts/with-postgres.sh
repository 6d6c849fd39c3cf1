#!/usr/bin/env bash
# Runs a command against Debian's PostgreSQL: starts the cluster if it is down, makes a test role
# that may create databases (each test suite creates and drops its own), and exports
# QUJAT_DATABASE_URL for the command.
set -euo pipefail
ver=$(ls /usr/lib/postgresql | sort -V | tail -n1)
if ! pg_lsclusters -h | awk -v v="$ver" '$1==v && $2=="main"' | grep -q .; then
  pg_createcluster "$ver" main >/dev/null
fi
pg_lsclusters -h | awk -v v="$ver" '$1==v && $2=="main" {print $4}' | grep -q online || pg_ctlcluster "$ver" main start
port=$(pg_lsclusters -h | awk -v v="$ver" '$1==v && $2=="main" {print $3}')
psql_admin() { (cd / && su postgres -c "psql -p $port -v ON_ERROR_STOP=1 -qAt $*"); }
for _ in $(seq 1 30); do psql_admin "-c 'select 1'" >/dev/null 2>&1 && break; sleep 0.5; done
psql_admin "-c \"do \\\$\\\$ begin if not exists (select from pg_roles where rolname='qujat_test') then create role qujat_test login createdb password 'qujat_test'; end if; end \\\$\\\$;\""
psql_admin "-c \"select 1 from pg_database where datname='qujat_test'\"" | grep -q 1 || psql_admin "-c 'create database qujat_test owner qujat_test'"
# Dropping a suite's database "with (force)" must be able to end an autovacuum worker that happens
# to be in it; without pg_signal_backend that fails now and then.
psql_admin "-c 'grant pg_signal_backend to qujat_test'"
export QUJAT_DATABASE_URL="postgres://qujat_test:qujat_test@127.0.0.1:${port}/qujat_test"
echo "PostgreSQL $ver on port $port: running the suite again with QUJAT_DATABASE_URL"
exec "$@"
