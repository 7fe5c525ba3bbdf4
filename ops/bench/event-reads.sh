#!/usr/bin/env bash
# Event reads against a large journal (issue 14, item 5): EVENTS tunnel events of TUNNELS tunnels in an embedded H2
# journal with the node's schema, each API read timed RUNS times through EventQueries (p50/p99), beside the old way
# (decode every event, then filter) timed once. Prints the table quoted in docs/benchmarks.md.
#   ops/bench/event-reads.sh [EVENTS=1000000] [TUNNELS=1000] [RUNS=50]
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
export JAVA_HOME=${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}
cd "$root"
# package (never install: ~/.m2 is shared), then mark the distribution current so the launcher does not rebuild
./mvnw -B -o -q -DskipTests package >&2
touch "$root/ops/target/palisade/.built"
cp="$root/control-plane/target/test-classes:$(ls "$root"/ops/target/palisade/lib/*.jar | tr '\n' ':')"
echo "event-reads: $(date -u '+%F %H:%M UTC'), $(nproc) vCPU, load average $(cut -d' ' -f1-3 /proc/loadavg)" >&2
exec "$JAVA_HOME/bin/java" -Xmx2g -cp "$cp" net.palisade.controlplane.bench.EventReadBench "$@"
