#!/usr/bin/env bash
# Event reads against a large journal (issue 14, item 5): EVENTS tunnel events of TUNNELS tunnels in an embedded H2
# journal with the node's schema and serialization, one tunnel with a tenth of them; each API read timed RUNS times
# through EventQueries and StateCheckpoints (p50/p99, state?at= at a random instant each time), beside the old ways
# (decode every event, then filter; replay the tunnel's whole journal) timed once.
#   ops/bench/event-reads.sh [EVENTS=1000000] [TUNNELS=1000] [RUNS=50]
# Live events: journal writes/s of one node with and without STALLED SSE clients that never read, in alternating
# rounds, and one reading client that must get every event in order.
#   ops/bench/event-reads.sh live [WRITERS=50] [SECONDS=10] [STALLED=20] [ROUNDS=4]
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
if [ "${1:-}" = live ]; then
  shift
  main=net.palisade.api.bench.LiveEventsBench
fi
exec "$JAVA_HOME/bin/java" -Xmx2g -Dlogback.configurationFile="$root/api/src/test/resources/logback-test.xml" \
  -cp "$cp" "$main" "$@"
