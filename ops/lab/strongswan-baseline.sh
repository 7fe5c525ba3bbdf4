#!/usr/bin/env bash
# strongSwan <-> strongSwan (kernel-libipsec, IKEv2, AES-128-GCM) across the namespace lab: ping and iperf3
# host-a -> host-b. The reference figure Palisade's dataplane is compared with.
#   ops/lab/strongswan-baseline.sh [--plain] [SECONDS] [STREAMS]    (as root)
# SECONDS per iperf3 run (default 10); STREAMS a comma list of iperf3 -P counts (default 1), one run each.
# ESP in UDP by default. --plain asks for plain ESP (IP protocol 50: encap = no, kernel-libipsec raw_esp = yes).
# strongSwan 5.9.8 (Debian 12) cannot: its kernel-libipsec requires UDP encapsulation, so charon fakes a NAT
# ("remote host is behind NAT" on both sides) and installs the SA in UDP all the same (raw ESP is an option from
# 5.9.11 on), and these kernels have no ESP of their own (CONFIG_INET_ESP unset). The script checks
# `swanctl --list-sas`: for an SA in UDP (or none) it prints "strongswan-baseline: plain ESP not available: ..."
# and exits 3 rather than report an ESP-in-UDP figure as plain ESP.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
plain=0
if [ "${1:-}" = --plain ]; then plain=1; shift; fi
secs=${1:-10}
streams=${2:-1}
case "$streams" in ''|*[!0-9,]*|,*|*,|*,,*) echo "strongswan-baseline: STREAMS takes counts like 1 or 1,4: '$streams'" >&2; exit 2 ;; esac
P=${LAB_PREFIX:-pal}
work=$(mktemp -d /tmp/palisade-sswan.XXXXXX)
trap '"$here/strongswan.sh" stop $P-gwa $work/a; "$here/strongswan.sh" stop $P-gwb $work/b; "$here/netns.sh" down $P >/dev/null' EXIT

encap="ESP AES-128-GCM in UDP"
"$here/netns.sh" up "$P" >/dev/null
"$here/strongswan.sh" conf "$work/a" 192.0.2.1 192.0.2.2 10.1.0.0/24 10.2.0.0/24 lab-secret-not-for-production
"$here/strongswan.sh" conf "$work/b" 192.0.2.2 192.0.2.1 10.2.0.0/24 10.1.0.0/24 lab-secret-not-for-production
if [ "$plain" -eq 1 ]; then
  encap="plain ESP AES-128-GCM"
  sed -i 's/^    encap = yes$/    encap = no/' "$work/a/swanctl.conf" "$work/b/swanctl.conf"
  # 5.9.11 and later can, with this option (older versions ignore it)
  sed -i 's/^      load = yes$/      load = yes\n      raw_esp = yes/' "$work/a/strongswan.conf" "$work/b/strongswan.conf"
fi
"$here/strongswan.sh" start "$P-gwa" "$work/a"
"$here/strongswan.sh" start "$P-gwb" "$work/b"
if ! "$here/strongswan.sh" swanctl "$P-gwa" "$work/a" --initiate --child net --timeout 20 > "$work/initiate.out" 2>&1; then
  if [ "$plain" -eq 1 ]; then
    why=$(grep -h -m1 -E 'only UDP encapsulation|unable to install' "$work/a/charon.log" "$work/b/charon.log" || true)
    echo "strongswan-baseline: plain ESP not available: ${why:-CHILD_SA not established (see charon.log)}"
    exit 3
  fi
  echo "strongswan-baseline: the CHILD_SA did not come up:" >&2
  tail -5 "$work/initiate.out" >&2
  exit 1
fi
if [ "$plain" -eq 1 ]; then
  # kernel-libipsec may still put the SA in UDP: swanctl then lists it as TUNNEL-in-UDP
  "$here/strongswan.sh" swanctl "$P-gwa" "$work/a" --list-sas > "$work/sas.out" 2>&1 || true
  if grep -q 'in-UDP' "$work/sas.out"; then
    why=$(grep -h -m1 -i -E 'faking NAT|behind NAT' "$work/a/charon.log" "$work/b/charon.log" | head -1 || true)
    echo "strongswan-baseline: plain ESP not available: the CHILD_SA was installed as $(grep -o -m1 'TUNNEL-in-UDP' "$work/sas.out") despite encap = no${why:+ (charon: ${why#*] })}"
    exit 3
  fi
fi
ip netns exec "$P-ha" ping -c 3 -i 0.2 -W 2 10.2.0.10 | tail -2

# wait_listen NS PORT: until a TCP listener is there; wait_gone NS PORT: until it is not
wait_listen() { for _ in $(seq 1 50); do ip netns exec "$1" ss -Hltn "sport = :$2" | grep -q . && return 0; sleep 0.1; done; return 1; }
wait_gone() { for _ in $(seq 1 50); do ip netns exec "$1" ss -Hltn "sport = :$2" | grep -q . || return 0; sleep 0.1; done; return 1; }
mbps() { /usr/bin/python3 -c 'import json,sys; print(round(json.load(sys.stdin)["end"]["sum_received"]["bits_per_second"]/1e6))'; }

ip netns exec "$P-gwb" iperf3 -s -1 -D -p 5201 >/dev/null
wait_listen "$P-gwb" 5201
bare=$(ip netns exec "$P-gwa" iperf3 -c 192.0.2.2 -p 5201 -t "$secs" -J | mbps)
echo "strongswan-baseline: iperf3 ${secs}s TCP gw-a -> gw-b on the bare underlay: ${bare} Mbit/s"
for n in ${streams//,/ }; do
  wait_gone "$P-hb" 5202
  ip netns exec "$P-hb" iperf3 -s -1 -D -p 5202 >/dev/null
  wait_listen "$P-hb" 5202
  tun=$(ip netns exec "$P-ha" iperf3 -c 10.2.0.10 -p 5202 -t "$secs" -P "$n" -J | mbps)
  echo "strongswan-baseline: iperf3 ${secs}s TCP host-a -> host-b through strongSwan<->strongSwan (IKEv2, $encap, $n stream(s)): ${tun} Mbit/s"
done
