#!/usr/bin/env bash
# Two Palisade gateways in the namespace lab, joined by a manual-keyed tunnel, and traffic across it.
#
#   ops/lab/palisade-pair.sh [--workers N] [--enc ALG] [--auth ALG] [--raw] [--seconds S] [--streams N[,N...]]
#                            [--tunnels 1|2] [--cpus-a LIST] [--cpus-b LIST] [--keep]
#
# Builds the lab (ops/lab/netns.sh), writes a config for each side with fresh keys (palisade key generate),
# starts `palisade run` in gw-a and gw-b, pings host-a -> host-b, runs iperf3 for S seconds (default 10, 0 = skip)
# once per stream count (iperf3 -P N; default 1), and prints each gateway's tunnel counters from its API. --raw:
# plain ESP (IP protocol 50) instead of ESP in UDP. --tunnels 2: two tunnels (two SA pairs, to host-b's 10.2.0.10
# in 10.2.0.0/25 and a second address 10.2.0.200 in 10.2.0.128/25, SPIs that land on different workers of a
# two-worker gateway) with iperf3 -P N through each at once; the line gives the sum. --cpus-a/--cpus-b: the CPUs
# of each gateway's workers (palisade run --cpus; by default both gateways pin worker i to CPU i). --keep leaves everything running (stop with
# ops/lab/netns.sh down). Run as root. Prints one line "palisade-pair: ... Mbit/s" per stream count for scripts to
# pick up. PALISADE_BIN=path/to/ops/bin/palisade runs another tree's build (before/after comparisons).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
palisade=${PALISADE_BIN:-$root/ops/bin/palisade}

workers=1 enc=aes-128-gcm auth="" raw=0 secs=10 streams=1 keep=0 tunnels=1 cpus_a="" cpus_b=""
while [ $# -gt 0 ]; do
  case "$1" in
    --workers) workers=$2; shift 2 ;;
    --enc) enc=$2; shift 2 ;;
    --auth) auth=$2; shift 2 ;;
    --raw) raw=1; shift ;;
    --seconds) secs=$2; shift 2 ;;
    --streams) streams=$2; shift 2 ;;
    --tunnels) tunnels=$2; shift 2 ;;
    --cpus-a) cpus_a=$2; shift 2 ;;
    --cpus-b) cpus_b=$2; shift 2 ;;
    --keep) keep=1; shift ;;
    *) echo "usage: $0 [--workers N] [--enc ALG] [--auth ALG] [--raw] [--seconds S] [--streams N[,N...]] [--tunnels 1|2] [--cpus-a LIST] [--cpus-b LIST] [--keep]" >&2; exit 2 ;;
  esac
done
case "$streams" in ''|*[!0-9,]*|,*|*,|*,,*) echo "palisade-pair: --streams takes counts like 1 or 1,4: '$streams'" >&2; exit 2 ;; esac
case "$tunnels" in 1|2) ;; *) echo "palisade-pair: --tunnels takes 1 or 2: '$tunnels'" >&2; exit 2 ;; esac
[ "$(id -u)" -eq 0 ] || { echo "palisade-pair: run as root (namespaces, TUN devices)" >&2; exit 2; }

P=${LAB_PREFIX:-pal}
work=$(mktemp -d /tmp/palisade-pair.XXXXXX)
cleanup() {
  for side in a b; do
    [ -f "$work/$side.pid" ] && kill "$(cat "$work/$side.pid")" 2>/dev/null || true
  done
  for side in a b; do
    [ -f "$work/$side.pid" ] && while kill -0 "$(cat "$work/$side.pid")" 2>/dev/null; do sleep 0.2; done
  done
  "$here/netns.sh" down "$P" >/dev/null
}
[ "$keep" -eq 1 ] || trap cleanup EXIT

# Build once up front (the launcher rebuilds when sources changed), then make the lab.
"$palisade" --version >/dev/null
"$here/netns.sh" up "$P" >/dev/null

k_ab=$("$palisade" key generate "$enc")
k_ba=$("$palisade" key generate "$enc")
authline_a="" authline_b=""
if [ -n "$auth" ]; then
  a_ab=$("$palisade" key generate "$auth")
  a_ba=$("$palisade" key generate "$auth")
  authline_a="auth $auth authkey $a_ba:$a_ab"
  authline_b="auth $auth authkey $a_ab:$a_ba"
fi
encap="udpencap"; [ "$raw" -eq 1 ] && encap=""
# spi IN:OUT and enckey IN:OUT: what gw-a sends (SPI 0x2002, key k_ab) is what gw-b receives
# one tunnel to all of site b, or (--tunnels 2) one to each half; a second pair never reuses the first one's keys
nets_b1=10.2.0.0/24; [ "$tunnels" -eq 2 ] && nets_b1=10.2.0.0/25
second_a="" second_b=""
if [ "$tunnels" -eq 2 ]; then
  k2_ab=$("$palisade" key generate "$enc")
  k2_ba=$("$palisade" key generate "$enc")
  auth2_a="" auth2_b=""
  if [ -n "$auth" ]; then
    a2_ab=$("$palisade" key generate "$auth")
    a2_ba=$("$palisade" key generate "$auth")
    auth2_a="auth $auth authkey $a2_ba:$a2_ab"
    auth2_b="auth $auth authkey $a2_ab:$a2_ba"
  fi
  # SPIs 0x2003/0x2004 hash to the other worker of two than 0x2001/0x2002 (RawEspSocket.workerFor)
  second_a="manual from 10.1.0.0/24 to 10.2.0.128/25 local 192.0.2.1 peer 192.0.2.2 spi 0x2003:0x2004 enc $enc enckey $k2_ba:$k2_ab $auth2_a $encap label site-b2"
  second_b="manual from 10.2.0.128/25 to 10.1.0.0/24 local 192.0.2.2 peer 192.0.2.1 spi 0x2004:0x2003 enc $enc enckey $k2_ab:$k2_ba $auth2_b $encap label site-a2"
  ip netns exec "$P-hb" ip addr add 10.2.0.200/24 dev eth0
fi
cat > "$work/a.conf" <<CONF
ipsec {
  manual from 10.1.0.0/24 to $nets_b1 local 192.0.2.1 peer 192.0.2.2 spi 0x2001:0x2002 enc $enc enckey $k_ba:$k_ab $authline_a $encap label site-b
  $second_a
}
CONF
cat > "$work/b.conf" <<CONF
ipsec {
  manual from $nets_b1 to 10.1.0.0/24 local 192.0.2.2 peer 192.0.2.1 spi 0x2002:0x2001 enc $enc enckey $k_ab:$k_ba $authline_b $encap label site-a
  $second_b
}
CONF
chmod 600 "$work"/*.conf

for side in a b; do
  cpus=$cpus_a; [ "$side" = b ] && cpus=$cpus_b
  ip netns exec "$P-gw$side" "$palisade" run --config "$work/$side.conf" --data "$work/data-$side" \
      --workers "$workers" ${cpus:+--cpus "$cpus"} --api 127.0.0.1:8470 > "$work/$side.log" 2>&1 &
  echo $! > "$work/$side.pid"
done
for side in a b; do
  for _ in $(seq 1 240); do
    ip netns exec "$P-gw$side" curl -sf http://127.0.0.1:8470/readyz >/dev/null 2>&1 && break
    kill -0 "$(cat "$work/$side.pid")" 2>/dev/null || { echo "palisade-pair: gw-$side exited:" >&2; tail -20 "$work/$side.log" >&2; exit 1; }
    sleep 0.25
  done
done
echo "palisade-pair: gw-a and gw-b up ($enc${auth:+/$auth}, ${encap:-raw ESP}, $workers worker(s) each); logs in $work"

ip netns exec "$P-ha" ping -c 5 -i 0.2 -W 2 10.2.0.10 | tail -2

mbps() { /usr/bin/python3 -c 'import json,sys; print(round(json.load(sys.stdin)["end"]["sum_received"]["bits_per_second"]/1e6))'; }
targets="10.2.0.10:5201"; [ "$tunnels" -eq 2 ] && targets="10.2.0.10:5201 10.2.0.200:5202"
if [ "$secs" -gt 0 ]; then
  for n in ${streams//,/ }; do
    for t in $targets; do
      port=${t#*:}
      # the one-shot server of the previous count may still be closing its listener
      for _ in $(seq 1 50); do ip netns exec "$P-hb" ss -Hltn "sport = :$port" | grep -q . || break; sleep 0.1; done
      ip netns exec "$P-hb" iperf3 -s -1 -D -p "$port" >/dev/null
      for _ in $(seq 1 50); do ip netns exec "$P-hb" ss -Hltn "sport = :$port" | grep -q . && break; sleep 0.1; done
    done
    i=0 clients=""
    for t in $targets; do
      ip netns exec "$P-ha" iperf3 -c "${t%:*}" -p "${t#*:}" -t "$secs" -P "$n" -J > "$work/iperf-$i.json" &
      clients="$clients $!"
      i=$((i + 1))
    done
    for c in $clients; do wait "$c"; done
    tput=0
    for f in "$work"/iperf-*.json; do tput=$((tput + $(mbps < "$f"))); done
    rm -f "$work"/iperf-*.json
    per=""; [ "$tunnels" -eq 2 ] && per=" per tunnel, 2 tunnels"
    echo "palisade-pair: iperf3 ${secs}s TCP host-a -> host-b through Palisade<->Palisade ($enc${auth:+/$auth}, ${encap:-raw ESP}, $workers worker(s), $n stream(s)$per): ${tput} Mbit/s"
  done
fi

for side in a b; do
  token=$(cat "$work/data-$side/api-token")
  echo "gw-$side counters:"
  ip netns exec "$P-gw$side" curl -s -H "Authorization: Bearer $token" http://127.0.0.1:8470/metrics \
    | grep -E '^palisade_(sa_|drops_total|dataplane_total)' | grep -v ' 0$' | sed 's/^/  /' || true
done
