#!/usr/bin/env bash
# Event reads against a large journal (issue 14, item 5): EVENTS tunnel events of TUNNELS tunnels in an embedded H2
# journal with the node's schema and serialization, one tunnel with a tenth of them; each API read timed RUNS times
# through EventQueries and StateCheckpoints (p50/p99, state?at= at a random instant each time), beside the old ways
# (decode every event, then filter; replay the tunnel's whole journal) timed once.
#   ops/bench/event-reads.sh [EVENTS=1000000] [TUNNELS=1000] [RUNS=50]
# Live events: journal writes/s of one node with and without STALLED SSE clients that never read, in alternating
# rounds, and one reading client that must get every event in order.
#   ops/bench/event-reads.sh live [WRITERS=50] [SECONDS=10] [STALLED=20] [ROUNDS=4]
# The audit log read over HTTP: EVENTS events in the mix of an IKE responder's setups in one node's journal, then
# GET /v1/events whole, by type, a page (of 1,000 and of 10), a time window's first page (every tunnel, a type, one
# tunnel), a tunnel's events and state?at=, and /v1/events/count, each RUNS times (first byte, total, the node's heap).
# PALISADE_BENCH_PG_URL/_USER/_PASSWORD: on that PostgreSQL instead of embedded H2 (its journal tables emptied first).
#   ops/bench/event-reads.sh api [EVENTS=1000000] [TUNNELS=100] [RUNS=5]
# Prints the tables quoted in docs/benchmarks.md.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
export JAVA_HOME=${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}
cd "$root"
# package (never install: ~/.m2 is shared), then mark the distribution current so the launcher does not rebuild
./mvnw -B -o -q -DskipTests package >&2
touch "$root/ops/target/palisade/.built"
cp="$root/control-plane/target/test-classes:$root/api/target/test-classes:$(ls "$root"/ops/target/palisade/lib/*.jar | tr '\n' ':')"
echo "event-reads: $(date -u '+%F %H:%M UTC'), $(nproc) vCPU, load average $(cut -d' ' -f1-3 /proc/loadavg)" >&2
main=net.palisade.controlplane.bench.EventReadBench
heap=-Xmx2g
if [ "${1:-}" = live ]; then
  shift
  main=net.palisade.api.bench.LiveEventsBench
elif [ "${1:-}" = api ]; then
  shift
  main=net.palisade.api.bench.EventReadApiBench
  heap=-Xmx${EVENT_READS_HEAP:-512m}   # node and client in one JVM: a streamed answer must fit
fi
exec "$JAVA_HOME/bin/java" $heap -Dlogback.configurationFile="$root/api/src/test/resources/logback-test.xml" \
  -cp "$cp" "$main" "$@"
