#!/usr/bin/env bash
# A throwaway PostgreSQL for the journal tests: starts Debian's cluster if it is down, (re)creates database and
# user "palisade_test", and prints the settings as shell assignments:
#   eval "$(ops/lab/postgres.sh)"   ->  PALISADE_TEST_PG_URL, PALISADE_TEST_PG_USER, PALISADE_TEST_PG_PASSWORD
# Run as root on Debian with the postgresql package installed (ops/bin/test installs it).
set -euo pipefail
cd /   # su postgres runs psql here: the caller's folder (root's home) is not the postgres user's to enter
ver=$(ls /usr/lib/postgresql | sort -n | tail -1)
[ -n "$ver" ] || { echo "postgres.sh: PostgreSQL is not installed (apt-get install postgresql)" >&2; exit 2; }
# the "main" cluster, always: ops/lab/ha-pair.sh keeps a cluster of its own (palisade_ha_lab) that it restarts
# under load, and taking "the first one online" could pick that one
pg_lsclusters -h | awk '{print $2}' | grep -qx main || pg_createcluster "$ver" main >&2
if ! pg_lsclusters -h | awk '$2 == "main" {print $4}' | grep -q online; then
  # without our descriptors: run under flock(1), the server would inherit the lab lock's and hold it while it runs
  ( for fd in /proc/$BASHPID/fd/*; do fd=${fd##*/}; [ "$fd" -le 2 ] || eval "exec $fd>&-" || true; done
    exec pg_ctlcluster "$(pg_lsclusters -h | awk '$2 == "main" {print $1}')" main start ) >&2
fi
port=$(pg_lsclusters -h | awk '$2 == "main" {print $3; exit}')
for _ in $(seq 1 100); do su postgres -c "psql -p $port -Atqc 'select 1'" >/dev/null 2>&1 && break; sleep 0.1; done
password=$(head -c 18 /dev/urandom | base64 | tr -d '/+=')
su postgres -c "psql -p $port -v ON_ERROR_STOP=1 -q" >&2 <<SQL
DROP DATABASE IF EXISTS palisade_test;
DROP ROLE IF EXISTS palisade_test;
CREATE ROLE palisade_test LOGIN PASSWORD '$password';
CREATE DATABASE palisade_test OWNER palisade_test;
SQL
echo "export PALISADE_TEST_PG_URL=jdbc:postgresql://127.0.0.1:$port/palisade_test"
echo "export PALISADE_TEST_PG_USER=palisade_test"
echo "export PALISADE_TEST_PG_PASSWORD=$password"
