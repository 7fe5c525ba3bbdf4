#!/usr/bin/env bash
# UDP transports on loopback: the project's FFM path (UdpEndpoint/DatagramBatch: sendmmsg + UDP GSO, recvmmsg + UDP
# GRO) against Netty 4.2 epoll (EpollDatagramChannel with SegmentedDatagramPacket and UDP_GRO; and without GRO,
# recvmmsg of 1400-byte entries) for 1400-byte datagrams; and IKE-size (500-byte) request/echo round trips on port
# 500 for the JDK DatagramChannel (what IkeManager uses), FFM and Netty. The figures decided that Netty is not a
# dependency (docs/architecture.md, "Netty: measured and dropped"; docs/benchmarks.md).
#
# Usage: ops/bench/udp-transport.sh [SECONDS [ROUNDS]]   (default 5 seconds, 3 rounds, interleaved; root for port 500)
# Prints one line per run: mode, transport, rate, CPU time of the whole process (sender and receiver) per unit.
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
export JAVA_HOME=${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}
SECONDS_EACH=${1:-5}
ROUNDS=${2:-3}
OUT=$ROOT/dataplane/target/bench-udp-transport
mkdir -p "$OUT"
[ "$(id -u)" -eq 0 ] || { echo "udp-transport.sh: run as root (the IKE round trips use port 500)" >&2; exit 2; }

echo "== building dataplane test classes"
mvn_run() { ./mvnw -B -q -o "$@" 2>/dev/null || ./mvnw -B -q "$@"; }
mvn_run -pl dataplane -am test-compile
mvn_run -pl dataplane dependency:build-classpath -Dmdep.includeScope=test -Dmdep.outputFile="$OUT/classpath.txt"
CP="$ROOT/dataplane/target/test-classes:$ROOT/dataplane/target/classes:$ROOT/shared-model/target/classes:$(cat "$OUT/classpath.txt")"
run() { "$JAVA_HOME/bin/java" --enable-native-access=ALL-UNNAMED --sun-misc-unsafe-memory-access=allow -cp "$CP" \
  net.palisade.dataplane.bench.UdpTransportBenchmark "$@"; }

echo "== host: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), kernel $(uname -r), $("$JAVA_HOME/bin/java" -version 2>&1 | head -1)"
echo "== $ROUNDS rounds of $SECONDS_EACH s each (after 1 s of warm-up), transports interleaved"
: > "$OUT/results.txt"
for round in $(seq "$ROUNDS"); do
  for t in ffm netty netty-nogro; do run bulk "$t" "$SECONDS_EACH" | tee -a "$OUT/results.txt"; done
  for t in jdk ffm netty; do run pingpong "$t" "$SECONDS_EACH" | tee -a "$OUT/results.txt"; done
done

echo "== median over rounds"
/usr/bin/python3 - "$OUT/results.txt" <<'PY' | tee "$OUT/median.txt"
import statistics, sys
runs = {}
for line in open(sys.argv[1]):
    mode, transport, rate, unit, cpu, cpu_unit = line.split()
    runs.setdefault((mode, transport), []).append((float(rate), float(cpu), unit, cpu_unit))
for (mode, transport), rs in sorted(runs.items()):
    rate = statistics.median(r[0] for r in rs)
    cpu = statistics.median(r[1] for r in rs)
    print(f"{mode:8} {transport:6} {rate:12.0f} {rs[0][2]:14} {cpu:10.0f} {rs[0][3]}  ({len(rs)} runs)")
PY
