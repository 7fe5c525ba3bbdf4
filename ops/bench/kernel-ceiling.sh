#!/usr/bin/env bash
# The kernel's own ceiling for plain ESP and ESP in UDP in the namespace lab (issue 14 goal 1; docs/benchmarks.md,
# "The kernel's ceiling for each encapsulation"): ESP-sized packets from gw-a to gw-b through the lab's bridge over a
# raw protocol-50 socket (sendmmsg/recvmmsg, as the gateways' plain ESP) and over UDP 4500 with GSO/GRO (as their
# ESP in UDP), through Palisade's own socket classes but with no encryption, no TUN and no TCP
# (net.palisade.dataplane.KernelCeiling). Each round runs both modes with the sender on CPU 0 and the receiver on
# CPU 1, then both on CPU 0 (the placement two gateways' workers have on one machine by default).
#
# Usage: ops/bench/kernel-ceiling.sh [SECONDS=10] [ROUNDS=2] [SIZE=1438]   (as root; under the lab lock)
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
export JAVA_HOME=${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}
secs=${1:-10} rounds=${2:-2} size=${3:-1438}
OUT=$ROOT/dataplane/target/bench-kernel-ceiling
mkdir -p "$OUT"
[ "$(id -u)" -eq 0 ] || { echo "kernel-ceiling.sh: run as root (network namespaces)" >&2; exit 2; }
mvn_run() { ./mvnw -B -q -o "$@" 2>/dev/null || ./mvnw -B -q "$@"; }
# one reactor run: shared-model resolves to its target/classes (it is never installed in ~/.m2)
mvn_run -pl dataplane -am test-compile dependency:build-classpath -Dmdep.includeScope=test \
  -Dmdep.outputFile="$OUT/classpath.txt"
CP="$ROOT/dataplane/target/test-classes:$ROOT/dataplane/target/classes:$(cat "$OUT/classpath.txt")"
echo "kernel-ceiling: $(date -u '+%F %H:%M UTC'), $(nproc) vCPU $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), kernel $(uname -r), load average $(cut -d' ' -f1-3 /proc/loadavg)"
# BRIDGE_NF=0 or 1 sets the lab bridge's br_netfilter hooks for the runs (default: as the lab leaves them)
for round in $(seq "$rounds"); do
  for cpus in 0,1 0,0; do
    "$JAVA_HOME/bin/java" --enable-native-access=ALL-UNNAMED -cp "$CP" net.palisade.dataplane.KernelCeiling \
      --modes raw,udp-gso --cpus "$cpus" --seconds "$secs" --size "$size" ${BRIDGE_NF:+--bridge-nf "$BRIDGE_NF"} \
      | grep '^kernel-ceiling:' | sed "s/^/round $round: /"
  done
done
