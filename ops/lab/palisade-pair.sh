#!/usr/bin/env bash
# Two Palisade gateways in the namespace lab, joined by a manual-keyed tunnel, and traffic across it.
#
#   ops/lab/palisade-pair.sh [--workers N] [--enc ALG] [--auth ALG] [--raw] [--seconds S] [--streams N[,N...]] [--keep]
#
# Builds the lab (ops/lab/netns.sh), writes a config for each side with fresh keys (palisade key generate),
# starts `palisade run` in gw-a and gw-b, pings host-a -> host-b, runs iperf3 for S seconds (default 10, 0 = skip)
# once per stream count (iperf3 -P N; default 1), and prints each gateway's tunnel counters from its API. --raw:
# plain ESP (IP protocol 50) instead of ESP in UDP. --keep leaves everything running (stop with
# ops/lab/netns.sh down). Run as root. Prints one line "palisade-pair: ... Mbit/s" per stream count for scripts to
# pick up. PALISADE_BIN=path/to/ops/bin/palisade runs another tree's build (before/after comparisons).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
palisade=${PALISADE_BIN:-$root/ops/bin/palisade}

workers=1 enc=aes-128-gcm auth="" raw=0 secs=10 streams=1 keep=0
while [ $# -gt 0 ]; do
  case "$1" in
    --workers) workers=$2; shift 2 ;;
    --enc) enc=$2; shift 2 ;;
    --auth) auth=$2; shift 2 ;;
    --raw) raw=1; shift ;;
    --seconds) secs=$2; shift 2 ;;
    --streams) streams=$2; shift 2 ;;
    --keep) keep=1; shift ;;
    *) echo "usage: $0 [--workers N] [--enc ALG] [--auth ALG] [--raw] [--seconds S] [--streams N[,N...]] [--keep]" >&2; exit 2 ;;
  esac
done
case "$streams" in ''|*[!0-9,]*|,*|*,|*,,*) echo "palisade-pair: --streams takes counts like 1 or 1,4: '$streams'" >&2; exit 2 ;; esac
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
cat > "$work/a.conf" <<CONF
ipsec {
  manual from 10.1.0.0/24 to 10.2.0.0/24 local 192.0.2.1 peer 192.0.2.2 spi 0x2001:0x2002 enc $enc enckey $k_ba:$k_ab $authline_a $encap label site-b
}
CONF
cat > "$work/b.conf" <<CONF
ipsec {
  manual from 10.2.0.0/24 to 10.1.0.0/24 local 192.0.2.2 peer 192.0.2.1 spi 0x2002:0x2001 enc $enc enckey $k_ab:$k_ba $authline_b $encap label site-a
}
CONF
chmod 600 "$work"/*.conf

for side in a b; do
  ip netns exec "$P-gw$side" "$palisade" run --config "$work/$side.conf" --data "$work/data-$side" \
      --workers "$workers" --api 127.0.0.1:8470 > "$work/$side.log" 2>&1 &
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
if [ "$secs" -gt 0 ]; then
  for n in ${streams//,/ }; do
    # the one-shot server of the previous count may still be closing its listener
    for _ in $(seq 1 50); do ip netns exec "$P-hb" ss -Hltn "sport = :5201" | grep -q . || break; sleep 0.1; done
    ip netns exec "$P-hb" iperf3 -s -1 -D -p 5201 >/dev/null
    for _ in $(seq 1 50); do ip netns exec "$P-hb" ss -Hltn "sport = :5201" | grep -q . && break; sleep 0.1; done
    tput=$(ip netns exec "$P-ha" iperf3 -c 10.2.0.10 -p 5201 -t "$secs" -P "$n" -J | mbps)
    echo "palisade-pair: iperf3 ${secs}s TCP host-a -> host-b through Palisade<->Palisade ($enc${auth:+/$auth}, ${encap:-raw ESP}, $workers worker(s), $n stream(s)): ${tput} Mbit/s"
  done
fi

for side in a b; do
  token=$(cat "$work/data-$side/api-token")
  echo "gw-$side counters:"
  ip netns exec "$P-gw$side" curl -s -H "Authorization: Bearer $token" http://127.0.0.1:8470/metrics \
    | grep -E '^palisade_(sa_|drops_total|dataplane_total)' | grep -v ' 0$' | sed 's/^/  /' || true
done
