#!/usr/bin/env bash
# Control-plane figures: N tunnels committed on one node (commit time, heap, recovery after restart) and API
# latency at a steady rate. Prints the lines quoted in docs/benchmarks.md.
#   ops/bench/control-plane.sh [TUNNELS=10000] [RATE=200] [SECONDS=10]
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
export JAVA_HOME=${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}
cd "$root"
# one reactor build (no install into ~/.m2): the sibling modules resolve to their target/classes
./mvnw -B -q -DskipTests -pl api -am test-compile dependency:build-classpath \
  -Dmdep.outputFile=target/bench-cp.txt -Dmdep.includeScope=test >&2
cd api
exec "$JAVA_HOME/bin/java" -Xmx2g --enable-native-access=ALL-UNNAMED --sun-misc-unsafe-memory-access=allow \
  -Dlogback.configurationFile="$root/api/src/test/resources/logback-test.xml" \
  -cp "target/classes:target/test-classes:$(cat target/bench-cp.txt)" net.palisade.api.bench.ControlPlaneBench "$@"
