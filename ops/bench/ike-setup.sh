#!/usr/bin/env bash
# IKE figures in the namespace lab, Palisade beside strongSwan in one run (docs/benchmarks.md, "IKE setups and commit
# to first packet"):
#   1. setup rate: the load generator on gw-a (net.palisade.controlplane.bench.IkeLoadGenerator: C concurrent
#      initiators, one source address each, IKE_SA_INIT + IKE_AUTH with the first Child SA, then Delete, again) for
#      SECONDS against (a) strongSwan 5.9.8 on gw-b accepting any peer, (b) a `palisade run` node on gw-b with C passive
#      tunnels, dataplane on (each Child SA installed) and journal on (embedded H2). Same algorithms on both:
#      IKE AES-128-GCM / PRF HMAC-SHA2-256 / Curve25519, ESP AES-128-GCM. The generator makes its initiators' X25519
#      key pairs for the measured run during the warm-up (IkeLoadGenerator --ready-keys: one per setup, none reused;
#      since 2026-12-07 10:00 UTC, about 20 us less of its CPU per setup than the figures before).
#   2. commit to first packet: `palisade run` on gw-a with an empty configuration, a ping stream host-a -> host-b
#      (every 5 ms) running before the commit; the time from the API commit call to the first echo reply through
#      the new tunnel, with strongSwan passive on gw-b, then with a passive Palisade node on gw-b (median of RUNS).
#
#   ops/bench/ike-setup.sh [SECONDS=20] [CONCURRENCY=8] [RUNS=5]     (as root)
#
# IKE_BENCH_JFR=1 also records the Palisade responder with JFR during its measured run only (after the warm-up, for
# SECONDS: not the journal's catch-up afterwards, nor this script's own API queries) and prints where its CPU samples,
# allocation, GC pauses and lock waits go (ops/bench/jfr-breakdown.py).
# WARMUP=S changes the warm-up (default 45 s) that precedes each responder's measured run. 15 s (the default until
# 2026-12-06) measured a JVM still compiling: its JIT threads took 25-30 % of the responder's CPU in the window and
# the rate was half the steady one; after 45 s they take 5-12 % (18-65 us per setup), after 60 s about 4 %, after
# 150 s 1 % (docs/benchmarks.md, "the JIT's share": nothing recompiles in a loop, there is just much code to compile).
# The responder's per-thread CPU in us per setup is printed after its run (ops/bench/thread-cpu.py).
# IKE_BENCH_JFC=FILE gives JFR another settings file (e.g. 1 ms method sampling from `jfr configure`).
# IKE_VERSION=1 measures IKEv1 instead (docs/benchmarks.md, "IKEv1 main mode"): the generator runs the product's IKEv1
# engine (main mode PSK, one quick mode, then ISAKMP Delete), strongSwan answers with an IKEv1 any-peer config
# (strongswan.sh conf-v1-any), the Palisade node's C passive tunnels are `ike passive ... main ...` lines, and the
# commit-to-first-packet tunnel is main mode too. Same algorithms on both: phase 1 AES-128-CBC / HMAC-SHA2-256 /
# ECP-256 (IKEv1 has no AEAD in phase 1 and Palisade has no Curve25519 in IKEv1), quick mode ESP AES-128-GCM
# without PFS (as IKEv2's first Child SA: one Diffie-Hellman per setup). Each initiator keeps a new SA up for
# SETTLE_MS (default 10) before its Delete: quick mode's message 3 is not answered, and strongSwan's thread pool
# otherwise often handles the Delete first and never installs that CHILD_SA (seen: 799 of 1,803 setups at C=4).
# RESPONDER_ROOT=DIR runs the Palisade nodes from another checkout (its own ops/bin/palisade, built there) while the load
# generator stays this tree's: two versions of the responder measured with one initiator (issue 9's before/after).
# RESPONDERS=palisade skips strongSwan's setup rate (RESPONDERS=strongswan Palisade's), RUNS=0 the commit-to-first-
# packet runs, JOURNAL_CHECK=0 the wait for the journal and its counts after the load (quick experiments; the
# figures in docs/benchmarks.md are always from a full run). PALISADE_JAVA_OPTS reaches the Palisade nodes' JVMs.
# SPLIT_CPUS=1 gives the responder a CPU of its own for the setup-rate runs: the load generator runs on CPU 1 only
# (taskset), and each responder, once started (charon; the Palisade node's JVM), has every thread moved to CPU 0
# (taskset -a; threads made later inherit it). Without it (the default, and every figure before 2026-12-07 12:30 UTC)
# generator and responder share both CPUs as the scheduler places them, so the generator's own CPU per setup pulls
# the two responders' rates toward each other. With it each responder's rate is what one CPU gives it, the
# generator's CPU aside (it must then keep up on one CPU: its CPU share is printed). Needs 2 or more CPUs.
# Lab namespace prefix: ikbn (LAB_PREFIX overrides). Work files in a temporary directory, removed unless KEEP=1.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
lab="$root/ops/lab"
responder_root=${RESPONDER_ROOT:-$root}
palisade="$responder_root/ops/bin/palisade"
secs=${1:-20} conc=${2:-8} runs=${3:-5}
responders=${RESPONDERS:-strongswan palisade}
ike_version=${IKE_VERSION:-2}
warmup=${WARMUP:-45}   # seconds of the same load first, not counted: the JVM's JIT needs them (strongSwan gets them too)
P=${LAB_PREFIX:-ikbn}
export JAVA_HOME=${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}
[ "$(id -u)" -eq 0 ] || { echo "ike-setup: run as root (namespaces, TUN devices)" >&2; exit 2; }
[ "$conc" -ge 1 ] && [ "$conc" -le 150 ] || { echo "ike-setup: CONCURRENCY must be 1..150" >&2; exit 2; }
case "$ike_version" in 1|2) ;; *) echo "ike-setup: IKE_VERSION must be 1 or 2" >&2; exit 2 ;; esac
split_cpus=${SPLIT_CPUS:-0}
case "$split_cpus" in 0) gen_cpus=() ;; 1) [ "$(nproc)" -ge 2 ] || { echo "ike-setup: SPLIT_CPUS=1 needs 2 CPUs" >&2; exit 2; }
  gen_cpus=(taskset -c 1) ;; *) echo "ike-setup: SPLIT_CPUS must be 0 or 1" >&2; exit 2 ;; esac
pin_responder() { # PID: with SPLIT_CPUS=1 every thread of the responder on CPU 0
  [ "$split_cpus" = 1 ] || return 0
  taskset -a -cp 0 "$1" >/dev/null
  echo "ike-setup: responder pid $1 on CPU 0 ($(ls /proc/"$1"/task | wc -l) threads), load generator on CPU 1" >&2
}

W=$(mktemp -d /tmp/ike-setup.XXXXXX)
node_pids=()
cleanup() {
  for pid in "${node_pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  "$lab/strongswan.sh" stop "$P-gwb" "$W/ss-any" 2>/dev/null || true
  "$lab/strongswan.sh" stop "$P-gwb" "$W/ss-passive" 2>/dev/null || true
  for pid in "${node_pids[@]}"; do
    for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
  done
  "$lab/netns.sh" down "$P" >/dev/null 2>&1 || true
  [ "${KEEP:-0}" = 1 ] && echo "ike-setup: work files kept in $W" >&2 || rm -rf "$W"
}
trap cleanup EXIT

# ------------------------------------------------------------------------------------------------ build, lab
# package (never install: ~/.m2 is shared), then mark the distribution current so the launcher does not rebuild
(cd "$root" && ./mvnw -B -o -q -DskipTests package >&2)
touch "$root/ops/target/palisade/.built"
if [ "$responder_root" != "$root" ]; then
  (cd "$responder_root" && ./mvnw -B -o -q -DskipTests package >&2) && touch "$responder_root/ops/target/palisade/.built"
  echo "ike-setup: Palisade nodes from $responder_root ($(git -C "$responder_root" rev-parse --short HEAD))" >&2
fi
cp_gen="$root/control-plane/target/test-classes:$(ls "$root"/ops/target/palisade/lib/*.jar | tr '\n' ':')"

"$lab/netns.sh" up "$P" >/dev/null
for i in $(seq 0 $((conc - 1))); do ip -n "$P-gwa" addr add "192.0.2.$((100 + i))/24" dev wan; done
head -c 24 /dev/urandom | base64 | tr -d '/+=' > "$W/psk"   # never printed
chmod 600 "$W/psk"
psk=$(cat "$W/psk")
ike_words="enc aes-128-gcm prf hmac-sha2-256 group curve25519"
ss_ike=aes128gcm16-prfsha256-x25519
ss_esp=aes128gcm16-x25519   # Palisade proposes PFS for Child SAs; IKE_AUTH's first Child SA has no KE either way
setups_what="IKE SA + Child SA" run_prefix="" gen_extra=()
if [ "$ike_version" = 1 ]; then
  ike_words="main enc aes-128 auth hmac-sha2-256 group ecp256 quick enc aes-128-gcm group none"
  ss_ike=aes128-sha256-ecp256
  ss_esp=aes128gcm16
  setups_what="IKEv1 main mode + quick mode" run_prefix="IKE_VERSION=1 "
  gen_extra=(--settle-ms "${SETTLE_MS:-10}")
fi

field() { sed -n "s/.*[ :]$1=\([^ ]*\).*/\1/p" <<<"$2"; }
api() { # NS PATH [curl args...]: the node's API in namespace NS
  local ns=$1 path=$2; shift 2
  ip netns exec "$ns" curl -sf -H "Authorization: Bearer $(cat "$W/data-${ns##*-}/api-token")" "$@" \
    "http://127.0.0.1:8470$path"
}
start_node() { # NS CONFIG-or-empty TUN LOG: palisade run in NS, output in $W/LOG; waits for readyz; prints the pid
  local ns=$1 conf=$2 tun=$3 log=$W/$4 side=${1##*-}
  local args=(run --data "$W/data-$side" --api 127.0.0.1:8470 --tun "$tun" --workers 1)
  [ -n "$conf" ] && args+=(--config "$conf")
  ip netns exec "$ns" "$palisade" "${args[@]}" > "$log" 2>&1 &
  local pid=$!
  for _ in $(seq 1 240); do
    ip netns exec "$ns" curl -sf http://127.0.0.1:8470/readyz >/dev/null 2>&1 && { echo "$pid"; return 0; }
    kill -0 "$pid" 2>/dev/null || { echo "ike-setup: node in $ns exited:" >&2; tail -20 "$log" >&2; return 1; }
    sleep 0.25
  done
  echo "ike-setup: node in $ns not ready after 60 s" >&2; return 1
}
stop_node() {
  kill "$1" 2>/dev/null || true
  for _ in $(seq 1 100); do kill -0 "$1" 2>/dev/null || return 0; sleep 0.2; done
}
generate() { # NAME PID: runs the load generator on gw-a against 192.0.2.2 (process PID); prints its result line
  ip netns exec "$P-gwa" "${gen_cpus[@]}" "$JAVA_HOME/bin/java" -Xmx512m -cp "$cp_gen" \
    net.palisade.controlplane.bench.IkeLoadGenerator --name "$1" --responder-pid "$2" \
    --responder 192.0.2.2 --source 192.0.2.100 \
    --concurrency "$conc" --seconds "$secs" --warmup "$warmup" --proposal "$ike_words" --psk-file "$W/psk" \
    "${gen_extra[@]}" \
    2> "$W/gen-$1.err" | tail -1
}

# the count of Child SAs the responder holds, sampled 5 times (1 s apart) in the last seconds of the warm-up (in the
# measured run if the warm-up is under 8 s): "max of 5: n,n,n,n,n". Not in the measured run: each sample asks every
# tunnel entity of the Palisade node for its state through the API, code the IKE load never runs, and the JIT
# compiled it (and deoptimized the entities' command handlers for the new message type) inside the measured window:
# ~630 compilations and ~230 deoptimizations in its first 6 s after 45 s of warm-up, against ~35 compilations and
# ~5 deoptimizations a second without (docs/benchmarks.md, "the JIT's share")
ss_installed() { "$lab/strongswan.sh" swanctl "$P-gwb" "$W/ss-any" --list-sas 2>&1 | tee "$W/ss-sample.raw" | grep -c 'INSTALLED' || true; }
pal_installed() { api "$P-gwb" /v1/tunnels | tee "$W/pal-sample.raw" \
  | /usr/bin/python3 -c 'import json,sys; print(sum(1 for t in json.load(sys.stdin) if t.get("sas")))' || echo "?"; }
sample_loop() { # FILE FUNCTION
  if [ "$warmup" -ge 8 ]; then sleep $((warmup - 7)); else sleep $((warmup + 2)); fi
  local all=() i
  for i in 1 2 3 4 5; do all+=("$($2)"); sleep 1; done
  echo "max of 5: $(printf '%s\n' "${all[@]}" | sort -n | tail -1) ($(IFS=,; echo "${all[*]}"))" > "$1"
}

# ------------------------------------------------------------------------------- 1a. setup rate: strongSwan
echo "ike-setup: $(date -u '+%F %H:%M UTC'), $(nproc) vCPU, load average $(cut -d' ' -f1-3 /proc/loadavg);" \
  "${secs} s per responder after ${warmup} s warm-up, $conc concurrent initiators$([ "$split_cpus" = 1 ] && echo ', responder on CPU 0, generator on CPU 1')" >&2
ss_line="" ss_children=-
if [[ " $responders " == *" strongswan "* ]]; then
  if [ "$ike_version" = 1 ]; then
    "$lab/strongswan.sh" conf-v1-any "$W/ss-any" 192.0.2.2 10.2.0.0/16 10.100.0.0/16 "$psk" "ike=$ss_ike" "esp=$ss_esp"
  else
    "$lab/strongswan.sh" conf-any "$W/ss-any" 192.0.2.2 10.2.0.0/16 10.100.0.0/16 "$psk" "$ss_ike" "$ss_esp"
  fi
  "$lab/strongswan.sh" start "$P-gwb" "$W/ss-any"
  charon=$(cat "$W/ss-any/charon.pid")
  [ "$(cat "/proc/$charon/comm")" = charon ] || { echo "ike-setup: pid $charon is not charon" >&2; exit 1; }
  pin_responder "$charon"
  sample_loop "$W/ss-sample" ss_installed &
  ss_line=$(generate strongswan "$charon")
  wait
  "$lab/strongswan.sh" stop "$P-gwb" "$W/ss-any"
  sleep 1
  ss_children=$(grep -c 'CHILD_SA net{[0-9]*} established' "$W/ss-any/charon.log" || true)
  echo "$ss_line" >&2
fi

# ------------------------------------------------------------------------------- 1b. setup rate: Palisade
pal_line="" installed_log=- journaled=- events_all=- recorded_lag=- journal_lag=-
if [[ " $responders " == *" palisade "* ]]; then   # (body not indented: it holds Python source)
for i in $(seq 0 $((conc - 1))); do
  echo "ike passive from 10.2.0.0/24 to 10.100.$i.0/24 peer 192.0.2.$((100 + i)) $ike_words psk \"$psk\" label bench-$i"
done > "$W/b-bench.conf"
chmod 600 "$W/b-bench.conf"
bpid=$(start_node "$P-gwb" "$W/b-bench.conf" ikbn0 gwb-bench.log)
node_pids+=("$bpid")
pin_responder "$bpid"
sample_loop "$W/pal-sample" pal_installed &
thread_snap() { for t in /proc/"$bpid"/task/*; do cat "$t/stat" 2>/dev/null || true; done > "$1"; date +%s.%N > "$1.t"; }
# /proc keeps 15 characters of a thread's name: the full names come from the JVM, after the window
( sleep $((warmup + 2)); thread_snap "$W/threads-0"; sleep 10; thread_snap "$W/threads-1"
  "$JAVA_HOME/bin/jcmd" "$bpid" Thread.print > "$W/threads-names" 2>/dev/null || true ) &
if [ "${IKE_BENCH_JFR:-0}" = 1 ]; then
  "$JAVA_HOME/bin/jcmd" "$bpid" JFR.start name=ike-bench settings=${IKE_BENCH_JFC:-profile} delay="${warmup}s" duration="${secs}s" \
    filename="$W/responder.jfr" >/dev/null
fi
pal_line=$(generate palisade "$bpid")
t_load_end=$(date +%s.%N)
echo "$pal_line" >&2   # now: a failed query below must not lose it
wait
# the journal trails the handshakes: wait until its count of child-sa-installed stops growing (all runs, warm-up too)
# (counted by the node on its journal's indexes: GET /v1/events/count, not the events fetched)
count_events() { api "$P-gwb" "/v1/events/count?type=$1" | /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["count"])'; }
t_journal=$(date +%s.%N); prev=-1; journaled=0
for _ in $(seq 1 $([ "${JOURNAL_CHECK:-1}" = 0 ] && echo 0 || echo 120)); do
  journaled=$(count_events child-sa-installed || echo -1)
  [ "$journaled" = "$prev" ] && break
  prev=$journaled; sleep 1
done
journal_lag=$(awk -v a="$t_journal" -v b="$(date +%s.%N)" 'BEGIN{printf "%.0f", b - a - 1}')
# how many events, and how long after the load stopped the tunnels recorded the last one journaled (its "time": when
# the entity took the report, i.e. what the write path still owed when the load stopped; the read side's own delay is
# not in it): the count and the last offset from /v1/events/count, then that one event, instead of every event fetched
events_all="? (JOURNAL_CHECK=0)" recorded_lag="?"
[ "${JOURNAL_CHECK:-1}" = 0 ] || read -r events_all recorded_lag < <(
  last_offset=$(api "$P-gwb" "/v1/events/count" | /usr/bin/python3 -c 'import json,sys; c=json.load(sys.stdin); print(c["count"], c["lastOffset"])')
  api "$P-gwb" "/v1/events?after=$(( ${last_offset#* } - 1 ))&limit=1" | /usr/bin/python3 -c '
import datetime, json, re, sys
def ts(t):
    if isinstance(t, (int, float)):
        return float(t)
    t = re.sub(r"(\.\d{6})\d+", r"\1", t.replace("Z", "+00:00"))
    return datetime.datetime.fromisoformat(t).timestamp()
last = ts(json.load(sys.stdin)[0]["time"])
print(sys.argv[2], "%.1f" % max(0.0, last - float(sys.argv[1])))' "$t_load_end" "${last_offset% *}") \
  || { events_all="? (GET /v1/events/count failed)"; recorded_lag="?"; }
installed_log=$(grep -c 'Child SA installed' "$W/gwb-bench.log" || true)
# what the responder dropped or answered with a cookie, by cause (a timeout above usually has its reason here)
ike_counters=$(api "$P-gwb" /metrics | awk -F'[{}"]' '/^palisade_ike_total/ && $NF + 0 > 0 { printf "%s%s=%d", sep, $3, $NF; sep=" " }')
echo "ike-setup: Palisade responder IKE counters: ${ike_counters:-none}" >&2
if [ "${IKE_BENCH_JFR:-0}" = 1 ]; then
  "$JAVA_HOME/bin/jcmd" "$bpid" JFR.stop name=ike-bench >/dev/null 2>&1 || true   # ended by its duration already
  echo "--- JFR, Palisade responder during the measured ${secs} s:" >&2
  "$here/jfr-breakdown.py" "$W/responder.jfr" "$JAVA_HOME" "$(field setups "$pal_line")" >&2 || true
  cp "$W/responder.jfr" /tmp/ike-setup-responder.jfr && echo "(recording kept in /tmp/ike-setup-responder.jfr)" >&2
fi
if [ -s "$W/threads-1" ]; then
  window=$(awk -v a="$(cat "$W/threads-0.t")" -v b="$(cat "$W/threads-1.t")" 'BEGIN{printf "%.2f", b - a}')
  echo "--- Palisade responder's threads, ${window} s from $((warmup + 2)) s into the load (setups there: the measured rate):" >&2
  "$here/thread-cpu.py" "$W/threads-0" "$W/threads-1" "$W/threads-names" \
    "$(awk -v r="$(field rate "$pal_line")" -v w="$window" 'BEGIN{print r * w}')" >&2 || true
fi
stop_node "$bpid"
fi

# ------------------------------------------------------------------------------- 2. commit to first packet
median() { tr ' ' '\n' | grep -v '^-*$' | sort -n | awk '{v[NR]=$1} END{if (NR==0) print "-"; else if (NR%2) print v[(NR+1)/2]; else print (v[NR/2]+v[NR/2+1])/2}'; }
ss_fp=() ss_commit=() pal_fp=() pal_commit=()
if [ "$runs" -gt 0 ]; then
for i in $(seq 0 $((conc - 1))); do ip -n "$P-gwa" addr del "192.0.2.$((100 + i))/24" dev wan; done
apid=$(start_node "$P-gwa" "" ikbn1 gwa.log)
node_pids+=("$apid")
a_tunnel="ike from 10.1.0.0/24 to 10.2.0.0/24 peer 192.0.2.2 $ike_words psk \"$psk\" label to-b"

# one measurement: ping stream, commit, first reply; then delete the tunnel and wait until the peer has no SA
first_packet() { # PEER-CHECK-COMMAND...: prints "commit_ms first_reply_ms"
  local out="$W/ping.out"
  ip netns exec "$P-ha" ping -D -n -i 0.005 -W 1 10.2.0.10 > "$out" 2>&1 &
  local ping=$!
  sleep 0.5
  local t0 t1 first=""
  t0=$(date +%s.%N)
  api "$P-gwa" /v1/config/commits -X POST -H 'Content-Type: text/plain' --data-binary "$a_tunnel" >/dev/null
  t1=$(date +%s.%N)
  for _ in $(seq 1 600); do
    first=$(awk -v t0="$t0" '/bytes from/ { ts = substr($1, 2, length($1) - 2); if (ts + 0 > t0 + 0) { print ts; exit } }' "$out")
    [ -n "$first" ] && break
    sleep 0.05
  done
  kill "$ping" 2>/dev/null || true; wait "$ping" 2>/dev/null || true
  api "$P-gwa" /v1/tunnels/to-b -X DELETE >/dev/null
  for _ in $(seq 1 100); do "$@" && break; sleep 0.2; done
  if [ -z "$first" ]; then echo "- -"; return; fi
  awk -v a="$t0" -v b="$t1" -v f="$first" 'BEGIN{printf "%.0f %.0f\n", (b - a) * 1000, (f - a) * 1000}'
}
no_ss_sa() { ! "$lab/strongswan.sh" swanctl "$P-gwb" "$W/ss-passive" --list-sas 2>/dev/null | grep -q ESTABLISHED; }
no_pal_sa() { [ "$(api "$P-gwb" /v1/tunnels | /usr/bin/python3 -c 'import json,sys; print(sum(1 for t in json.load(sys.stdin) if t.get("sas")))')" = 0 ]; }

if [ "$ike_version" = 1 ]; then
  "$lab/strongswan.sh" conf-v1 "$W/ss-passive" 192.0.2.2 192.0.2.1 10.2.0.0/16 10.1.0.0/16 "$psk" "ike=$ss_ike" "esp=$ss_esp"
else
  "$lab/strongswan.sh" conf "$W/ss-passive" 192.0.2.2 192.0.2.1 10.2.0.0/16 10.1.0.0/16 "$psk" "$ss_ike" "$ss_esp"
fi
"$lab/strongswan.sh" start "$P-gwb" "$W/ss-passive"
ss_fp=() ss_commit=()
for r in $(seq 1 "$runs"); do
  read -r cm fp < <(first_packet no_ss_sa)
  echo "ike-setup: commit -> first reply, strongSwan responder, run $r: commit call ${cm} ms, first reply ${fp} ms" >&2
  ss_fp+=("$fp") ss_commit+=("$cm")
done
"$lab/strongswan.sh" stop "$P-gwb" "$W/ss-passive"

echo "ike passive from 10.2.0.0/24 to 10.1.0.0/24 peer 192.0.2.1 $ike_words psk \"$psk\" label to-a" > "$W/b-passive.conf"
chmod 600 "$W/b-passive.conf"
rm -rf "$W/data-gwb"
bpid=$(start_node "$P-gwb" "$W/b-passive.conf" ikbn0 gwb-passive.log)
node_pids+=("$bpid")
pal_fp=() pal_commit=()
for r in $(seq 1 "$runs"); do
  read -r cm fp < <(first_packet no_pal_sa)
  echo "ike-setup: commit -> first reply, Palisade responder, run $r: commit call ${cm} ms, first reply ${fp} ms" >&2
  pal_fp+=("$fp") pal_commit+=("$cm")
done
fi

# ------------------------------------------------------------------------------------------------ the table
ss_rate=$(field rate "$ss_line") pal_rate=$(field rate "$pal_line")
ss_n=$(field setups "$ss_line") pal_n=$(field setups "$pal_line")
per_setup() { awk -v c="$1" -v n="$2" 'BEGIN{ if (n > 0) printf "%.2f", c * 1000 / n; else print "-" }'; }
ss_cpu=$(field responder_cpu_s "$ss_line") pal_cpu=$(field responder_cpu_s "$pal_line")
echo
echo "| $(date -u '+%F %H:%M UTC'), \`${run_prefix}ops/bench/ike-setup.sh $secs $conc $runs\` | strongSwan 5.9.8 responder | Palisade responder |"
echo "|---|---:|---:|"
echo "| $setups_what setups/s ($conc initiators, ${secs} s) | $ss_rate | $pal_rate |"
echo "| setup latency p50 / p99 | $(field p50_ms "$ss_line") / $(field p99_ms "$ss_line") ms | $(field p50_ms "$pal_line") / $(field p99_ms "$pal_line") ms |"
echo "| failures | $(field failures "$ss_line") | $(field failures "$pal_line") |"
echo "| responder CPU per setup (measured run) | $(per_setup "$ss_cpu" "$ss_n") ms | $(per_setup "$pal_cpu" "$pal_n") ms |"
echo "| CPU in the measured ${secs} s: responder / load generator (2 vCPUs = $((2 * secs)) s) | $ss_cpu / $(field generator_cpu_s "$ss_line") s | $pal_cpu / $(field generator_cpu_s "$pal_line") s |"
echo "| of which the responder's JIT compiler threads (large: the JVM was still compiling) | - | $(field responder_jit_cpu_s "$pal_line" | grep . || echo -) s |"
echo "| setups in the ${warmup} s warm-up (not counted) | $(field warmup_setups "$ss_line") | $(field warmup_setups "$pal_line") |"
echo "| check: Child SAs held by the responder, sampled at the end of the warm-up | $(cat "$W/ss-sample" 2>/dev/null || echo -) (swanctl --list-sas) | $(cat "$W/pal-sample" 2>/dev/null || echo -) (API /v1/tunnels with SAs) |"
echo "| check: Child SAs established, warm-up included (generator: $(( ${ss_n:-0} + $(field warmup_setups "$ss_line" | grep . || echo 0) )) / $(( ${pal_n:-0} + $(field warmup_setups "$pal_line" | grep . || echo 0) ))) | $ss_children (charon log) | $installed_log installed in the dataplane, $journaled child-sa-installed journaled |"
echo "| journal | — | $events_all events persisted; the last one recorded ${recorded_lag} s after the load stopped, all readable (API) after ${journal_lag} s |"
echo "| commit → first echo reply through the tunnel (median of $runs) | $(printf '%s ' "${ss_fp[@]}" | median) ms | $(printf '%s ' "${pal_fp[@]}" | median) ms |"
echo "| commit API call itself (median) | $(printf '%s ' "${ss_commit[@]}" | median) ms | $(printf '%s ' "${pal_commit[@]}" | median) ms |"
echo "ike-setup: strongswan: $ss_line"
echo "ike-setup: palisade:   $pal_line"
