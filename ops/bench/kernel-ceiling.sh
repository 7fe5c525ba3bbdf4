#!/usr/bin/env bash
# The kernel's own ceiling for plain ESP and ESP in UDP in the namespace lab (issue 14 goal 1; docs/benchmarks.md,
# "The kernel's ceiling for each encapsulation"): ESP-sized packets from gw-a to gw-b through the lab's bridge over a
# raw protocol-50 socket (sendmmsg/recvmmsg, as the gateways' plain ESP) and over UDP 4500 with GSO/GRO (as their
# ESP in UDP), through Palisade's own socket classes but with no encryption, no TUN and no TCP
# (net.palisade.dataplane.KernelCeiling), and plain ESP through AF_XDP sockets on both gateways' wan (copy mode; an
# XDP program loaded through bpf(2) by the probe itself, no library: native veth XDP, generic XDP, and native with
# gw-b's NAPI in a kernel thread on the receiving CPU). Each round runs the modes with the sender on CPU 0 and the
# receiver on CPU 1, then both on CPU 0 (the placement two gateways' workers have on one machine by default), then
# the AF_XDP modes on CPUs 0,1 with the receiver spinning XSK_SPIN_US (default 100; 0 skips) before it sleeps.
#
# Usage: [MODES=raw,udp-gso,afxdp-native,afxdp-generic,afxdp-native-threaded] [XSK_SPIN_US=100] [BRIDGE_NF=0|1]
#        ops/bench/kernel-ceiling.sh [SECONDS=10] [ROUNDS=2] [SIZE=1438]   (as root; under the lab lock)
# Needs nothing beyond the lab's packages: iproute2, ping, taskset (util-linux) for the NAPI thread.
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
export JAVA_HOME=${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}
secs=${1:-10} rounds=${2:-2} size=${3:-1438}
modes=${MODES:-raw,udp-gso,afxdp-native,afxdp-generic,afxdp-native-threaded}
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
    m=$modes
    [ "$cpus" = 0,0 ] && m=$(echo "$modes" | tr , '\n' | grep -v -- -threaded | paste -sd,) # its NAPI thread needs a CPU of its own
    "$JAVA_HOME/bin/java" --enable-native-access=ALL-UNNAMED -cp "$CP" net.palisade.dataplane.KernelCeiling \
      --modes "$m" --cpus "$cpus" --seconds "$secs" --size "$size" ${BRIDGE_NF:+--bridge-nf "$BRIDGE_NF"} \
      | grep '^kernel-ceiling:' | sed "s/^/round $round: /"
  done
  # AF_XDP's receiver spinning up to XSK_SPIN_US before it sleeps in poll(2) (raw and UDP always sleep in recvmmsg)
  xm=$(echo "$modes" | tr , '\n' | grep '^afxdp' | grep -v -- -threaded | paste -sd,)
  if [ "${XSK_SPIN_US:-100}" != 0 ] && [ -n "$xm" ]; then
    "$JAVA_HOME/bin/java" --enable-native-access=ALL-UNNAMED -cp "$CP" net.palisade.dataplane.KernelCeiling \
      --modes "$xm" --cpus 0,1 --seconds "$secs" --size "$size" --xsk-spin-us "${XSK_SPIN_US:-100}" \
      ${BRIDGE_NF:+--bridge-nf "$BRIDGE_NF"} | grep '^kernel-ceiling:' | sed "s/^/round $round: /"
  fi
done
