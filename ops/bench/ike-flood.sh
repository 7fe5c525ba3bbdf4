#!/usr/bin/env bash
# A flood of spoofed IKE_SA_INITs against a Palisade node in the namespace lab, while it carries an established
# tunnel and a second peer brings up a new one (issue 11, docs/security.md "Flood"):
#
#   flood ns 192.0.2.66 --+
#   (spoofs from          |
#    198.18.0.0/15)       |
#   host-a -- gw-a (Palisade, 192.0.2.1) --[inet bridge]-- gw-b (strongSwan 192.0.2.2) -- host-b 10.2.0.10
#                                                      '-- gw-c (strongSwan 192.0.2.3)
#
#   - tunnel "est": Palisade (active) <-> strongSwan on gw-b, up before the flood; host-a pings host-b every 50 ms
#     through it for the whole flood (losses counted);
#   - tunnel "new": `ike passive` without a peer on Palisade (any peer that authenticates: the spoofs are candidates
#     for it too, so each one could cost a Diffie-Hellman); strongSwan on gw-c initiates it once before the flood and
#     once 5 s into it (`swanctl --initiate`, timed: it must come through the cookie exchange);
#   - the generator (net.palisade.ops.bench.IkeFloodGenerator: real IKE_SA_INITs written by the product's initiator,
#     random source address from 198.18.0.0/15, source port and SPI per datagram, raw socket + sendmmsg through FFM)
#     sends RATE per second for SECONDS to 192.0.2.1:500; gw-a routes its answers to those sources into the flood
#     namespace, which drops them;
#   - the node's live heap (jcmd GC.class_histogram, after its full GC) before, twice during and after the flood; its
#     IKE counters (/metrics: cookies sent, dispatcher drops) and gw-a's UDP counters (/proc/net/snmp) before/after.
#
#   ops/bench/ike-flood.sh [SECONDS=60] [RATE=50000]     (as root; RATE 0 = as fast as the generator can)
#
# Takes /tmp/palisade-lab.lock itself (waits for another lab test to finish; PALISADE_LAB_LOCKED=1 if the caller
# holds it already). Lab prefix ikfl (LAB_PREFIX overrides); work files in a temporary directory, removed unless
# KEEP=1. PALISADE_JAVA_OPTS reaches the node's JVM. HISTO=1 also prints the classes of the node's live objects
# mid-flood (what the heap after GC holds then).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
lab="$root/ops/lab"
palisade="$root/ops/bin/palisade"
secs=${1:-60} rate=${2:-50000}
P=${LAB_PREFIX:-ikfl}
export JAVA_HOME=${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}
[ "$(id -u)" -eq 0 ] || { echo "ike-flood: run as root (namespaces, TUN devices, raw sockets)" >&2; exit 2; }
[ "$secs" -ge 15 ] || { echo "ike-flood: SECONDS must be at least 15" >&2; exit 2; }
if [ "${PALISADE_LAB_LOCKED:-0}" != 1 ]; then
  exec 9>/tmp/palisade-lab.lock
  echo "ike-flood: waiting for /tmp/palisade-lab.lock" >&2
  flock -w 3600 9 || { echo "ike-flood: the lab lock stayed taken for an hour" >&2; exit 1; }
fi

W=$(mktemp -d /tmp/ike-flood.XXXXXX)
pids=()
node_pid=""
cleanup() {
  for pid in "${pids[@]}" $node_pid; do kill "$pid" 2>/dev/null || true; done
  "$lab/strongswan.sh" stop "$P-gwb" "$W/ss-b" 2>/dev/null || true
  "$lab/strongswan.sh" stop "$P-gwc" "$W/ss-c" 2>/dev/null || true
  if [ -n "$node_pid" ]; then
    for _ in $(seq 1 100); do kill -0 "$node_pid" 2>/dev/null || break; sleep 0.2; done
  fi
  ip netns del "$P-fl" 2>/dev/null || true
  "$lab/netns.sh" down "$P" >/dev/null 2>&1 || true
  [ "${KEEP:-0}" = 1 ] && echo "ike-flood: work files kept in $W" >&2 || rm -rf "$W"
}
trap cleanup EXIT

# ------------------------------------------------------------------------------------------------ build, lab
(cd "$root" && ./mvnw -B -o -q -DskipTests package >&2)
touch "$root/ops/target/palisade/.built"
cp_gen="$root/ops/target/test-classes:$(ls "$root"/ops/target/palisade/lib/*.jar | tr '\n' ':')"

"$lab/netns.sh" up "$P" >/dev/null
ip netns add "$P-fl"
ip -n "$P-fl" link set lo up
ip link add eth0 netns "$P-fl" type veth peer name wan-f netns "$P-inet"
ip -n "$P-fl" link set eth0 up
ip -n "$P-inet" link set wan-f up
ip -n "$P-inet" link set wan-f master br0
ip -n "$P-fl" addr add 192.0.2.66/24 dev eth0
# the answers to spoofed sources leave gw-a towards the flood namespace, which does not forward them
ip -n "$P-gwa" route add 198.18.0.0/15 via 192.0.2.66
# gw-c's site for tunnel "new": strongSwan installs its route with a source address inside the local selector
ip -n "$P-gwc" addr add 10.3.0.1/32 dev lo

head -c 24 /dev/urandom | base64 | tr -d '/+=' > "$W/psk-b"   # never printed
head -c 24 /dev/urandom | base64 | tr -d '/+=' > "$W/psk-c"
chmod 600 "$W/psk-b" "$W/psk-c"
ike_words="enc aes-128-gcm prf hmac-sha2-256 group curve25519"
ss_ike=aes128gcm16-prfsha256-x25519
ss_esp=aes128gcm16
{
  echo "ike from 10.1.0.0/24 to 10.2.0.0/24 peer 192.0.2.2 $ike_words psk \"$(cat "$W/psk-b")\" label est"
  echo "ike passive from 10.1.0.0/24 to 10.3.0.0/24 $ike_words psk \"$(cat "$W/psk-c")\" label new"
} > "$W/gwa.conf"
chmod 600 "$W/gwa.conf"
"$lab/strongswan.sh" conf "$W/ss-b" 192.0.2.2 192.0.2.1 10.2.0.0/24 10.1.0.0/24 "$(cat "$W/psk-b")" "$ss_ike" "$ss_esp"
"$lab/strongswan.sh" conf "$W/ss-c" 192.0.2.3 192.0.2.1 10.3.0.0/24 10.1.0.0/24 "$(cat "$W/psk-c")" "$ss_ike" "$ss_esp"
"$lab/strongswan.sh" start "$P-gwb" "$W/ss-b"
"$lab/strongswan.sh" start "$P-gwc" "$W/ss-c"

api() { # PATH [curl args...]: the node's API on gw-a
  local path=$1; shift
  ip netns exec "$P-gwa" curl -sf -m 10 -H "Authorization: Bearer $(cat "$W/data/api-token")" "$@" \
    "http://127.0.0.1:8470$path"
}
ip netns exec "$P-gwa" "$palisade" run --data "$W/data" --api 127.0.0.1:8470 --tun ikfl0 --workers 1 \
  --config "$W/gwa.conf" > "$W/gwa.log" 2>&1 &
node_pid=$!
for i in $(seq 1 240); do
  ip netns exec "$P-gwa" curl -sf http://127.0.0.1:8470/readyz >/dev/null 2>&1 && break
  kill -0 "$node_pid" 2>/dev/null || { echo "ike-flood: node exited:" >&2; tail -20 "$W/gwa.log" >&2; exit 1; }
  [ "$i" = 240 ] && { echo "ike-flood: node not ready after 60 s" >&2; exit 1; }
  sleep 0.25
done
for i in $(seq 1 120); do
  ip netns exec "$P-ha" ping -c1 -W1 10.2.0.10 >/dev/null 2>&1 && break
  [ "$i" = 120 ] && { echo "ike-flood: tunnel est not carrying ping after 120 tries" >&2; tail -20 "$W/gwa.log" >&2; exit 1; }
done

heap_kb() { # live heap in KB: the total of a class histogram, which a full GC precedes. (GC.run then GC.heap_info
  # would not do under a flood: the node allocates ~100 MB/s, so "used" read a moment after the GC is mostly new
  # garbage.) The histogram goes to $W/histo-N.txt.
  local f="$W/histo-$((++histos)).txt"
  "$JAVA_HOME/bin/jcmd" "$node_pid" GC.class_histogram > "$f"
  awk '$1 == "Total" { printf "%d", $3 / 1024 }' "$f"
}
histos=0
ike_counter() { # NAME: a palisade_ike_total counter from /metrics (0 if absent)
  api /metrics | awk -v c="$1" -F'[{}"]' '$1 == "palisade_ike_total" && $3 == c { v = $NF + 0 } END { print v + 0 }'
}
ike_counters() { # every nonzero IKE counter, name=value
  api /metrics | awk -F'[{}"]' '/^palisade_ike_total/ && $NF + 0 > 0 { printf "%s%s=%d", sep, $3, $NF; sep=" " }'
}
udp_field() { # NAME: gw-a's /proc/net/snmp Udp field (InDatagrams, RcvbufErrors, ...)
  ip netns exec "$P-gwa" awk -v f="$1" '/^Udp:/ { if (!n++) { for (i = 1; i <= NF; i++) k[i] = $i } else { for (i = 1; i <= NF; i++) if (k[i] == f) print $i } }' /proc/net/snmp
}
new_up() { # seconds for gw-c's strongSwan to bring up tunnel "new" (swanctl --initiate, which waits), or "failed"
  local t0 t1
  t0=$(date +%s.%N)
  if "$lab/strongswan.sh" swanctl "$P-gwc" "$W/ss-c" --initiate --ike lab --child net --timeout 90 > "$W/initiate-$1.out" 2>&1; then
    t1=$(date +%s.%N)
    awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f s", b - a }'
  else
    echo "failed ($(tail -1 "$W/initiate-$1.out"))"
  fi
}
new_down() {
  "$lab/strongswan.sh" swanctl "$P-gwc" "$W/ss-c" --terminate --ike lab --timeout 20 >/dev/null 2>&1 || true
  for _ in $(seq 1 100); do
    api /v1/tunnels/new | /usr/bin/python3 -c 'import json,sys; sys.exit(1 if json.load(sys.stdin).get("sas") else 0)' \
      && return 0
    sleep 0.2
  done
}

# ------------------------------------------------------------------------------------------------ before
echo "ike-flood: $(date -u '+%F %H:%M UTC'), $(nproc) vCPU, load average $(cut -d' ' -f1-3 /proc/loadavg);" \
  "$secs s of spoofed IKE_SA_INIT at $rate/s asked" >&2
new_quiet=$(new_up quiet)
new_down
heap_kb > "$W/heap-before"; heap_before=$(cat "$W/heap-before")
cookies_before=$(ike_counter ikev2.cookie.sent)
udp_in_before=$(udp_field InDatagrams) udp_err_before=$(udp_field RcvbufErrors)
t_start=$(date -u +%FT%T.%NZ)

# ------------------------------------------------------------------------------------------------ flood
ip netns exec "$P-ha" ping -n -i 0.05 -W 1 -c $((secs * 20)) 10.2.0.10 > "$W/ping.out" 2>&1 &
ping_pid=$!
pids+=("$ping_pid")
ip netns exec "$P-fl" "$JAVA_HOME/bin/java" --enable-native-access=ALL-UNNAMED -Xmx256m -cp "$cp_gen" \
  net.palisade.ops.bench.IkeFloodGenerator --target 192.0.2.1 --port 500 --seconds "$secs" --rate "$rate" \
  --sources 198.18.0.0/15 --proposal "$ike_words" > "$W/gen.out" 2> "$W/gen.err" &
gen_pid=$!
pids+=("$gen_pid")
t0=$(date +%s)
sleep 5
new_flood=$(new_up flood)
new_seen=$(api /v1/tunnels/new | /usr/bin/python3 -c 'import json,sys; print(len(json.load(sys.stdin).get("sas") or []))' || echo "?")
sleep $(( t0 + secs / 2 - $(date +%s) > 0 ? t0 + secs / 2 - $(date +%s) : 0 ))
heap_kb > "$W/heap-mid"
heap_mid=$(cat "$W/heap-mid")
if [ "${HISTO:-0}" = 1 ]; then
  echo "ike-flood: live objects mid-flood (jcmd GC.class_histogram, top 12):" >&2
  sed -n '2,15p' "$W/histo-$histos.txt" >&2
fi
sleep $(( t0 + secs * 4 / 5 - $(date +%s) > 0 ? t0 + secs * 4 / 5 - $(date +%s) : 0 ))
heap_kb > "$W/heap-late"; heap_late=$(cat "$W/heap-late")
wait "$gen_pid" || { echo "ike-flood: generator failed:" >&2; cat "$W/gen.err" >&2; exit 1; }
wait "$ping_pid" || true
gen_line=$(tail -1 "$W/gen.out")

# ------------------------------------------------------------------------------------------------ after
sleep 5
heap_kb > "$W/heap-after"; heap_after=$(cat "$W/heap-after")
cookies_after=$(ike_counter ikev2.cookie.sent)
udp_in_after=$(udp_field InDatagrams) udp_err_after=$(udp_field RcvbufErrors)
counters=$(ike_counters)
read -r ping_sent ping_got < <(sed -n 's/^\([0-9]*\) packets transmitted, \([0-9]*\) received.*/\1 \2/p' "$W/ping.out")
est_events=$(api "/v1/tunnels/est/events?since=$t_start" | /usr/bin/python3 -c '
import json, sys
ev = json.load(sys.stdin)
print(len(ev), ",".join(sorted({e["type"] for e in ev})) or "-")')
ss_est=$("$lab/strongswan.sh" swanctl "$P-gwb" "$W/ss-b" --list-sas 2>/dev/null | grep -c ESTABLISHED || true)
field() { sed -n "s/.*[ :]$1=\([^ ]*\).*/\1/p" <<<"$2"; }
mb() { awk -v k="$1" 'BEGIN { printf "%.1f MB", k / 1024 }'; }

echo
echo "| $(date -u '+%F %H:%M UTC'), \`ops/bench/ike-flood.sh $secs $rate\` | |"
echo "|---|---|"
echo "| spoofed IKE_SA_INIT sent (generator, $(field datagram "$gen_line")-octet IP datagrams, random sources in 198.18.0.0/15) | $(field sent "$gen_line") in $(field seconds "$gen_line") s = $(field rate "$gen_line")/s (asked $rate/s; generator CPU $(field cpu_s "$gen_line") s; send errors $(field errors "$gen_line")) |"
echo "| UDP datagrams gw-a's kernel delivered / dropped for a full socket buffer | $((udp_in_after - udp_in_before)) / $((udp_err_after - udp_err_before)) |"
echo "| cookies demanded (ikev2.cookie.sent) | $((cookies_after - cookies_before)) |"
echo "| new tunnel from a second strongSwan (swanctl --initiate) | quiet: $new_quiet; 5 s into the flood: $new_flood (Palisade holds $new_seen Child SA for it) |"
echo "| established tunnel: ping every 50 ms through it during the flood | $ping_got of $ping_sent answered |"
echo "| established tunnel: events journaled during the flood / strongSwan's IKE SAs | ${est_events} / $ss_est ESTABLISHED |"
echo "| live heap (class histogram after a full GC): before / mid-flood / at 80 % / 5 s after | $(mb "$heap_before") / $(mb "$heap_mid") / $(mb "$heap_late") / $(mb "$heap_after") |"
echo "| node's IKE counters (since start) | ${counters:-none} |"
echo "ike-flood: generator: $gen_line"
