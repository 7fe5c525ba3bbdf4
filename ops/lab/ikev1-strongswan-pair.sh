#!/usr/bin/env bash
# strongSwan <-> strongSwan IKEv1 in the shape of the documentation's dynamic-address recipe, the reference the
# IKEv1 engine is measured against:
#
#   ike dynamic from 10.1.0.0/16 to 10.2.0.0/16 peer 192.0.2.2 aggressive quick psk "badpassword" ping   # gw-a
#   ike passive from 10.2.0.0/16 to 10.1.0.0/16 aggressive quick psk "badpassword" ping                  # gw-b
#
# gw-a initiates aggressive mode with an FQDN identity (Palisade's "dynamic" uses the host name; here gw-a.lab),
# gw-b answers anyone with any identity (remote_addrs = %any, no remote id, one PSK, charon's
# i_dont_care_about_security_and_use_aggressive_mode_psk), quick mode with strongSwan's defaults of conf-v1
# (aes128-sha256-modp2048, ESP aes128gcm16). Prints both sides' swanctl --list-sas, pings host-a -> host-b
# through the tunnel, and has tshark dissect every ISAKMP message of the capture, decrypted with gw-a's Ka
# (ikev1-vectors.py check): any malformed or undecryptable message fails the script.
#
#   ops/lab/ikev1-strongswan-pair.sh     (as root; LAB_PREFIX, default v1pair, names the namespaces)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
P=${LAB_PREFIX:-v1pair}
work=$(mktemp -d /tmp/palisade-ikev1-pair.XXXXXX)
psk=badpassword
tcpdump_pid=
cleanup() {
  [ -z "$tcpdump_pid" ] || kill "$tcpdump_pid" 2>/dev/null || true
  "$here/strongswan.sh" stop "$P-gwa" "$work/a" 2>/dev/null || true
  "$here/strongswan.sh" stop "$P-gwb" "$work/b" 2>/dev/null || true
  "$here/netns.sh" down "$P" >/dev/null 2>&1 || true
}
trap cleanup EXIT

"$here/netns.sh" up "$P" >/dev/null
# log=4 on gw-a only: its Ka lets tshark decrypt the capture
"$here/strongswan.sh" conf-v1 "$work/a" 192.0.2.1 192.0.2.2 10.1.0.0/16 10.2.0.0/16 "$psk" \
  aggressive=yes local_id=gw-a.lab dpd_delay=10s dpd_timeout=30s dpd_action=restart log=4
"$here/strongswan.sh" conf-v1 "$work/b" 192.0.2.2 %any 10.2.0.0/16 10.1.0.0/16 "$psk" \
  aggressive=yes aggressive_psk_responder=yes dpd_delay=10s dpd_timeout=30s dpd_action=clear

ip netns exec "$P-inet" tcpdump -i br0 -n -U --immediate-mode -w "$work/capture.pcap" udp > "$work/tcpdump.log" 2>&1 &
tcpdump_pid=$!
for _ in $(seq 1 100); do grep -q "listening on br0" "$work/tcpdump.log" && break; sleep 0.1; done

"$here/strongswan.sh" start "$P-gwb" "$work/b"
"$here/strongswan.sh" start "$P-gwa" "$work/a"
"$here/strongswan.sh" swanctl "$P-gwa" "$work/a" --initiate --child net --timeout 20 > "$work/initiate.out" 2>&1 \
  || { echo "ikev1-strongswan-pair.sh: IKEv1 did not come up:" >&2; tail -20 "$work/initiate.out" >&2; exit 1; }
echo "== gw-a (dynamic, aggressive initiator) swanctl --list-sas"
"$here/strongswan.sh" swanctl "$P-gwa" "$work/a" --list-sas
echo "== gw-b (passive, any peer, any ID) swanctl --list-sas"
"$here/strongswan.sh" swanctl "$P-gwb" "$work/b" --list-sas
echo "== ping host-a -> host-b through the tunnel"
ip netns exec "$P-ha" ping -c 3 -i 0.2 -W 2 10.2.0.10 | tail -2

"$here/strongswan.sh" stop "$P-gwa" "$work/a"
"$here/strongswan.sh" stop "$P-gwb" "$work/b"
sleep 0.5 # the stopping daemons' delete notifies, for a complete capture
kill "$tcpdump_pid"; wait "$tcpdump_pid" 2>/dev/null || true
tcpdump_pid=
echo "== tshark: every ISAKMP message of $work/capture.pcap"
/usr/bin/python3 "$here/ikev1-vectors.py" check "$work/a/charon.log" "$work/capture.pcap"
echo "ikev1-strongswan-pair.sh: configs, logs and capture in $work"
