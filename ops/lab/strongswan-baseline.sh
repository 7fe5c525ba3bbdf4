#!/usr/bin/env bash
# strongSwan <-> strongSwan (kernel-libipsec, IKEv2, AES-128-GCM ESP in UDP) across the namespace lab:
# ping and iperf3 host-a -> host-b. The reference figure Palisade's dataplane is compared with.
#   ops/lab/strongswan-baseline.sh [SECONDS]    (as root)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
secs=${1:-10}
P=${LAB_PREFIX:-pal}
work=$(mktemp -d /tmp/palisade-sswan.XXXXXX)
trap '"$here/strongswan.sh" stop $P-gwa $work/a; "$here/strongswan.sh" stop $P-gwb $work/b; "$here/netns.sh" down $P >/dev/null' EXIT

"$here/netns.sh" up "$P" >/dev/null
"$here/strongswan.sh" conf "$work/a" 192.0.2.1 192.0.2.2 10.1.0.0/24 10.2.0.0/24 lab-secret-not-for-production
"$here/strongswan.sh" conf "$work/b" 192.0.2.2 192.0.2.1 10.2.0.0/24 10.1.0.0/24 lab-secret-not-for-production
"$here/strongswan.sh" start "$P-gwa" "$work/a"
"$here/strongswan.sh" start "$P-gwb" "$work/b"
"$here/strongswan.sh" swanctl "$P-gwa" "$work/a" --initiate --child net --timeout 20 > "$work/initiate.out"
ip netns exec "$P-ha" ping -c 3 -i 0.2 -W 2 10.2.0.10 | tail -2

# wait_listen NS PORT: until a TCP listener is there
wait_listen() { for _ in $(seq 1 50); do ip netns exec "$1" ss -Hltn "sport = :$2" | grep -q . && return 0; sleep 0.1; done; return 1; }
mbps() { /usr/bin/python3 -c 'import json,sys; print(round(json.load(sys.stdin)["end"]["sum_received"]["bits_per_second"]/1e6))'; }

ip netns exec "$P-gwb" iperf3 -s -1 -D -p 5201 >/dev/null
wait_listen "$P-gwb" 5201
bare=$(ip netns exec "$P-gwa" iperf3 -c 192.0.2.2 -p 5201 -t "$secs" -J | mbps)
ip netns exec "$P-hb" iperf3 -s -1 -D -p 5202 >/dev/null
wait_listen "$P-hb" 5202
tun=$(ip netns exec "$P-ha" iperf3 -c 10.2.0.10 -p 5202 -t "$secs" -J | mbps)
echo "strongswan-baseline: iperf3 ${secs}s TCP gw-a -> gw-b on the bare underlay: ${bare} Mbit/s"
echo "strongswan-baseline: iperf3 ${secs}s TCP host-a -> host-b through strongSwan<->strongSwan (IKEv2, ESP AES-128-GCM in UDP): ${tun} Mbit/s"
