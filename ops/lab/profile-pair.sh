#!/usr/bin/env bash
# Profiles the two gateways of palisade-pair.sh under one iperf3 stream: JFR's CPU-time sampler in each `palisade
# run` (stacks name inlined methods and lines; a critical downcall's native time lands on the Java line that made it)
# and `perf record -a -g` of the whole machine, JIT frames named by `jcmd PID Compiler.perfmap`.
#
#   ops/lab/profile-pair.sh OUTDIR [palisade-pair.sh options, e.g. --raw]     (as root, under the lab lock)
#
# Starts the pair (--workers 1 unless given, --seconds 0 --keep, -XX:+PreserveFramePointer), runs iperf3 -t 16
# host-a -> host-b, and 4 s into it records 6 s: OUTDIR/a.jfr, b.jfr (gw-a, gw-b), perf.data, iperf.json, info
# (times, load average, Mbit/s). Then stops the pair and the lab. Read with e.g.
#   perf report -i OUTDIR/perf.data --no-children --sort comm,dso -g none
#   jfr print --events jdk.CPUTimeSample --stack-depth 4 OUTDIR/a.jfr
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
[ $# -ge 1 ] || { echo "usage: $0 OUTDIR [palisade-pair.sh options]" >&2; exit 2; }
out=$1; shift
[ "$(id -u)" -eq 0 ] || { echo "profile-pair: run as root" >&2; exit 2; }
java_home=${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}
P=${LAB_PREFIX:-pal}
mkdir -p "$out"
sed -e '/name="jdk.CPUTimeSample"/,/<\/event>/ s|<setting name="enabled">false</setting>|<setting name="enabled">true</setting>|' \
    -e '/name="jdk.CPUTimeSample"/,/<\/event>/ s|<setting name="throttle">[^<]*</setting>|<setting name="throttle">1ms</setting>|' \
    "$java_home/lib/jfr/profile.jfc" > "$out/cpu.jfc"
echo "start $(date -u +%T) load $(cut -d' ' -f1-3 /proc/loadavg)" > "$out/info"
workers=(--workers 1); case " $* " in *" --workers "*) workers=() ;; esac
PALISADE_JAVA_OPTS="${PALISADE_JAVA_OPTS:-} -XX:+PreserveFramePointer" \
  "$here/palisade-pair.sh" "${workers[@]}" --seconds 0 --keep "$@" > "$out/pair.log" 2>&1
work=$(sed -n 's/.*logs in \(.*\)$/\1/p' "$out/pair.log")
pa=$(cat "$work/a.pid"); pb=$(cat "$work/b.pid")
stop() {
  kill "$pa" "$pb" 2>/dev/null || true
  while kill -0 "$pa" 2>/dev/null || kill -0 "$pb" 2>/dev/null; do sleep 0.2; done
  "$here/netns.sh" down "$P" > /dev/null
}
trap stop EXIT
ip netns exec "$P-hb" iperf3 -s -1 -D
sleep 0.5
ip netns exec "$P-ha" iperf3 -c 10.2.0.10 -t 16 -J > "$out/iperf.json" &
client=$!
sleep 4
"$java_home/bin/jcmd" "$pa" JFR.start name=p settings="$out/cpu.jfc" filename="$out/a.jfr" > /dev/null
"$java_home/bin/jcmd" "$pb" JFR.start name=p settings="$out/cpu.jfc" filename="$out/b.jfr" > /dev/null
perf record -a -g -F 999 -o "$out/perf.data" -- sleep 6 2> "$out/perf.err"
"$java_home/bin/jcmd" "$pa" JFR.stop name=p > /dev/null
"$java_home/bin/jcmd" "$pb" JFR.stop name=p > /dev/null
"$java_home/bin/jcmd" "$pa" Compiler.perfmap > /dev/null
"$java_home/bin/jcmd" "$pb" Compiler.perfmap > /dev/null
wait "$client"
mbps=$(/usr/bin/python3 -c 'import json,sys; print(round(json.load(open(sys.argv[1]))["end"]["sum_received"]["bits_per_second"]/1e6))' "$out/iperf.json")
echo "iperf3 $mbps Mbit/s; gw-a pid $pa, gw-b pid $pb (perf maps /tmp/perf-PID.map)" >> "$out/info"
echo "end $(date -u +%T) load $(cut -d' ' -f1-3 /proc/loadavg)" >> "$out/info"
cat "$out/info"
