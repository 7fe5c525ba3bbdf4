#!/usr/bin/env bash
# What the journal fence (control-plane postgres.sql, trigger palisade_journal_fence; docs/ha.md "Fencing") costs a
# tunnel event's insert, and whether it delays the active lease's renewals: pgbench inserts Tunnel| events into
# event_journal from N clients for S seconds, each way, while a renewal (LeaseTable's statement) runs every 150 ms
# on a connection of its own and its latency is recorded.
#
#   ops/lab/journal-fence-bench.sh [CLIENTS] [SECONDS] [ROWS]     (default 8 clients, 15 s, 1 event a transaction)
#
# ROWS > 1 puts that many events in each transaction, as pekko-persistence-jdbc batches the events that arrive while
# a write is under way.
#
# Ways: "none" (no trigger: before the fence), "fence" (the trigger as shipped: shared advisory lock, one read of the
# lease row), "row-lock" (the design not taken: the lease row read FOR SHARE until the commit). Prints one line per
# way: transactions/s, mean insert latency, renewal latency (median, max). Needs root (su postgres) and PostgreSQL
# (Debian's); uses a database of its own, palisade_fence_bench, dropped at the end.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
clients=${1:-8} seconds=${2:-15} rows=${3:-1}
cd /
ver=$(ls /usr/lib/postgresql | sort -n | tail -1)
port=$(pg_lsclusters -h | awk '$2 == "main" && $4 == "online" {print $3}')
[ -n "$port" ] || { echo "journal-fence-bench: PostgreSQL cluster main is not online" >&2; exit 2; }
pgbench=/usr/lib/postgresql/$ver/bin/pgbench
db=palisade_fence_bench
work=$(mktemp -d /tmp/palisade-fence-bench.XXXXXX)
chmod 755 "$work"
trap 'su postgres -c "psql -p $port -qc \"DROP DATABASE IF EXISTS $db\"" >/dev/null 2>&1 || true; rm -rf "$work"' EXIT
psqlp() { su postgres -c "psql -p $port -v ON_ERROR_STOP=1 -qAt $*"; }
psqlp "-c 'DROP DATABASE IF EXISTS $db'" >/dev/null
psqlp "-c 'CREATE DATABASE $db'" >/dev/null
cp "$root/control-plane/src/main/resources/palisade/db/postgres.sql" "$work/schema.sql"
chmod 644 "$work/schema.sql"
psqlp "-d $db -f $work/schema.sql" >/dev/null
psqlp "-d $db" >/dev/null <<'SQL'
CREATE TABLE palisade_lease (name VARCHAR(255) PRIMARY KEY, owner VARCHAR(255) NOT NULL, epoch BIGINT NOT NULL,
  renewed TIMESTAMPTZ NOT NULL, expires TIMESTAMPTZ NOT NULL, released BOOLEAN NOT NULL DEFAULT FALSE,
  previous_owner VARCHAR(255), previous_renewed TIMESTAMPTZ, previous_released BOOLEAN);
INSERT INTO palisade_lease VALUES ('palisade-active', 'bench:1', 1, now(), now() + interval '1 day');
CREATE SEQUENCE bench_seq;
-- the row-lock design, for comparison
CREATE FUNCTION fence_row_lock() RETURNS trigger LANGUAGE plpgsql AS $f$
DECLARE holder TEXT; valid BOOLEAN;
BEGIN
  IF NEW.persistence_id NOT LIKE 'Tunnel|%' THEN RETURN NEW; END IF;
  SELECT owner, NOT released AND expires >= clock_timestamp() INTO holder, valid
    FROM palisade_lease WHERE name = 'palisade-active' FOR SHARE;
  IF holder IS DISTINCT FROM current_setting('palisade.node', true) OR NOT valid THEN
    RAISE EXCEPTION 'fenced';
  END IF;
  RETURN NEW;
END $f$;
SQL
{
  [ "$rows" -gt 1 ] && echo "BEGIN;"
  for _ in $(seq 1 "$rows"); do
    echo "INSERT INTO event_journal (persistence_id, sequence_number, writer, write_timestamp, event_ser_id, event_ser_manifest, event_payload) VALUES ('Tunnel|bench-' || :client_id, nextval('bench_seq'), 'bench', 0, 1, 'x', '\\x01');"
  done
  [ "$rows" -gt 1 ] && echo "COMMIT;"
} > "$work/insert.sql"
# the holder's renewal, as LeaseTable.acquire runs it (ON CONFLICT ... DO UPDATE with the owner's condition)
cat > "$work/renew.sql" <<'SQL'
\timing on
SQL
for _ in $(seq 1 $((seconds * 1000 / 150))); do
  cat >> "$work/renew.sql" <<'SQL'
\echo renew
INSERT INTO palisade_lease AS l (name, owner, epoch, renewed, expires) VALUES ('palisade-active', 'bench:1', 1, statement_timestamp(), statement_timestamp() + interval '1 day') ON CONFLICT (name) DO UPDATE SET renewed = statement_timestamp(), expires = EXCLUDED.expires WHERE l.owner = EXCLUDED.owner;
SELECT pg_sleep(0.15);
SQL
done
chmod 644 "$work"/*.sql
for way in none fence row-lock; do
  psqlp "-d $db" >/dev/null <<SQL
DROP TRIGGER IF EXISTS palisade_journal_fence ON event_journal;
DROP TRIGGER IF EXISTS fence_row_lock ON event_journal;
TRUNCATE event_journal CASCADE;
SQL
  case "$way" in
    fence) psqlp "-d $db -c 'CREATE TRIGGER palisade_journal_fence BEFORE INSERT ON event_journal FOR EACH ROW EXECUTE FUNCTION palisade_journal_fence()'" >/dev/null ;;
    row-lock) psqlp "-d $db -c 'CREATE TRIGGER fence_row_lock BEFORE INSERT ON event_journal FOR EACH ROW EXECUTE FUNCTION fence_row_lock()'" >/dev/null ;;
  esac
  su postgres -c "psql -p $port -d $db -qAt -f $work/renew.sql" > "$work/renew-$way.out" 2>&1 &
  renew=$!
  su postgres -c "PGOPTIONS='-c palisade.node=bench:1' $pgbench -p $port -n -M prepared -c $clients -j 2 -T $seconds -f $work/insert.sql $db" > "$work/bench-$way.out" 2>&1
  kill "$renew" 2>/dev/null || true; wait "$renew" 2>/dev/null || true
  tps=$(sed -n 's/^tps = \([0-9.]*\).*/\1/p' "$work/bench-$way.out")
  lat=$(sed -n 's/^latency average = \([0-9.]*\) ms/\1/p' "$work/bench-$way.out")
  written=$(psqlp "-d $db -c 'SELECT count(*) FROM event_journal'")
  # renewal latencies: the first "Time: X ms" after each "renew" (the next one is pg_sleep's)
  ren=$(awk '/^renew$/ {r = 1; next} r && /^Time: / {print $2; r = 0}' "$work/renew-$way.out" | sort -n \
    | awk '{a[NR] = $1} END {if (NR) printf "median %.2f ms, max %.2f ms, n %d", a[int((NR + 1) / 2)], a[NR], NR; else print "none"}')
  echo "journal-fence-bench way=$way clients=$clients rows_per_tx=$rows tps=$tps latency_ms=$lat events=$written renewal: $ren"
done
