#!/usr/bin/env bash
# IKEv1 key-derivation vectors from strongSwan: two charon daemons (Debian strongSwan 5.9.8) in the namespace lab
# negotiate IKEv1 with PSK at debug level ike = 4, chd = 4, where keymat_v1.c and iv_manager.c print g^xy, SKEYID,
# SKEYID_d/a/e, Ka, the IVs and the quick mode keys; tcpdump captures the exchange; ikev1-vectors.py takes the wire
# values from the capture (tshark, which decrypts with strongSwan's Ka) and the derived ones from the log, checks
# they agree, and writes one JSON fixture per case. The fixtures judge Palisade's RFC 2409 key derivation: these
# values come from strongSwan, not from Palisade.
#
#   ops/lab/ikev1-vectors.sh [OUT_DIR]     (as root; default OUT_DIR is control-plane's test resources)
#     OUT_DIR/CASE.json   the fixture        OUT_DIR/CASE.pcap   the capture (inet bridge, UDP)
#     the charon logs stay in a temporary folder, printed at the end (they hold the keys: test keys only)
#   LAB_PREFIX (default v1vec) names the lab's namespaces; CASES="a b" runs only some cases.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
out=${1:-$repo/control-plane/src/test/resources/net/palisade/controlplane/ikev1/vectors}
P=${LAB_PREFIX:-v1vec}
cases=${CASES:-"a b c"}
work=$(mktemp -d /tmp/palisade-ikev1-vectors.XXXXXX)
mkdir -p "$out"

for p in tcpdump tshark swanctl /usr/lib/ipsec/charon /usr/bin/python3; do
  command -v "$p" >/dev/null || { echo "ikev1-vectors.sh: needs $p (ops/test-programs.txt)" >&2; exit 2; }
done
version=$(dpkg-query -W -f='${Version}' strongswan-charon 2>/dev/null || echo unknown)
case "$version" in 5.9.8*) ;; *) echo "ikev1-vectors.sh: strongSwan 5.9.8 expected, found $version" >&2; exit 2 ;; esac

tcpdump_pid=
cleanup() {
  [ -z "$tcpdump_pid" ] || kill "$tcpdump_pid" 2>/dev/null || true
  "$here/strongswan.sh" stop "$P-gwa" "$work/a" 2>/dev/null || true
  "$here/strongswan.sh" stop "$P-gwb" "$work/b" 2>/dev/null || true
  "$here/netns.sh" down "$P" >/dev/null 2>&1 || true
}
trap cleanup EXIT

"$here/netns.sh" up "$P" >/dev/null

# run_case NAME EXCHANGE IKE P1_ENC P1_HASH P1_GROUP ESP P2_ENC P2_INTEG PFS LOCAL_ID REMOTE_ID DESCRIPTION
run_case() {
  local name=$1 exchange=$2 ike=$3 p1_enc=$4 p1_hash=$5 p1_group=$6 esp=$7 p2_enc=$8 p2_integ=$9 pfs=${10}
  local id_a=${11} id_b=${12} description=${13}
  local psk="ikev1-vector-$name-not-secret" dir=$work/$name
  local aggr=no
  [ "$exchange" = aggressive ] && aggr=yes
  local opts_a=(ike="$ike" esp="$esp" aggressive=$aggr local_id="$id_a" remote_id="$id_b" log=4)
  local opts_b=(ike="$ike" esp="$esp" aggressive=$aggr local_id="$id_b" remote_id="$id_a" log=4
    aggressive_psk_responder=$aggr)
  if [ -n "$pfs" ]; then opts_a+=(pfs="$pfs"); opts_b+=(pfs="$pfs"); fi
  mkdir -p "$dir"
  "$here/strongswan.sh" conf-v1 "$dir/a" 192.0.2.1 192.0.2.2 10.1.0.0/24 10.2.0.0/24 "$psk" "${opts_a[@]}"
  "$here/strongswan.sh" conf-v1 "$dir/b" 192.0.2.2 192.0.2.1 10.2.0.0/24 10.1.0.0/24 "$psk" "${opts_b[@]}"

  rm -f "$out/$name.pcap"
  ip netns exec "$P-inet" tcpdump -i br0 -n -U --immediate-mode -w "$dir/capture.pcap" udp > "$dir/tcpdump.log" 2>&1 &
  tcpdump_pid=$!
  local i
  for i in $(seq 1 100); do grep -q "listening on br0" "$dir/tcpdump.log" && break; sleep 0.1; done

  "$here/strongswan.sh" start "$P-gwb" "$dir/b"
  "$here/strongswan.sh" start "$P-gwa" "$dir/a"
  if ! "$here/strongswan.sh" swanctl "$P-gwa" "$dir/a" --initiate --child net --timeout 20 > "$dir/initiate.out" 2>&1; then
    echo "ikev1-vectors.sh: case $name did not come up:" >&2
    tail -20 "$dir/initiate.out" >&2
    exit 1
  fi
  "$here/strongswan.sh" swanctl "$P-gwa" "$dir/a" --list-sas > "$dir/list-sas.out"
  # quick mode's third message is the last one of the exchange; wait until the responder has installed it
  for i in $(seq 1 50); do
    "$here/strongswan.sh" swanctl "$P-gwb" "$dir/b" --list-sas | grep -q INSTALLED && break
    sleep 0.1
  done
  "$here/strongswan.sh" stop "$P-gwa" "$dir/a"
  "$here/strongswan.sh" stop "$P-gwb" "$dir/b"
  sleep 0.5 # the delete notifies of the stopping daemons, for a complete capture
  kill "$tcpdump_pid"; wait "$tcpdump_pid" 2>/dev/null || true
  tcpdump_pid=

  /usr/bin/python3 - "$dir/case.json" <<PY
import json, sys
json.dump({"name": "$name", "exchange": "$exchange", "ike": "$ike", "p1_encryption": "$p1_enc",
           "p1_hash": "$p1_hash", "p1_group": "$p1_group", "esp": "$esp${pfs:+-$pfs}", "p2_encryption": "$p2_enc",
           "p2_integrity": "$p2_integ" or None, "pfs": "$pfs", "psk": "$psk", "description": "$description",
           "command": "ops/lab/ikev1-vectors.sh (case $name)", "strongswan": "$version",
           "date": "$(date -u +%Y-%m-%d)"}, open(sys.argv[1], "w"), indent=2)
PY
  /usr/bin/python3 "$here/ikev1-vectors.py" "$dir/case.json" "$dir/a/charon.log" "$dir/b/charon.log" \
    "$dir/capture.pcap" "$out/$name.json"
  /usr/bin/python3 "$here/ikev1-vectors.py" check "$dir/a/charon.log" "$dir/capture.pcap" | sed 's/^/  tshark: /'
  cp "$dir/capture.pcap" "$out/$name.pcap"
  echo "ikev1-vectors.sh: case $name -> $out/$name.json ($(stat -c %s "$out/$name.pcap") bytes of capture)"
}

for c in $cases; do
  case "$c" in
    a) run_case main-aes128-sha256-modp2048 main aes128-sha256-modp2048 AES-CBC-128 SHA2-256 MODP-2048 \
         aes128gcm16 AES-GCM-16-128 "" modp2048 192.0.2.1 192.0.2.2 \
         "main mode PSK, IPv4 address IDs; quick mode ESP AES-GCM-16 128 with PFS MODP-2048" ;;
    b) run_case main-aes256-sha1-modp1536 main aes256-sha1-modp1536 AES-CBC-256 SHA1 MODP-1536 \
         aes256-sha1 AES-CBC-256 HMAC-SHA1-96 "" 192.0.2.1 192.0.2.2 \
         "main mode PSK, IPv4 address IDs, Ka longer than SKEYID_e (RFC 2409 appendix B); quick mode ESP AES-CBC-256 HMAC-SHA1-96, no PFS" ;;
    c) run_case aggressive-aes256-sha512-ecp256 aggressive aes256-sha512-ecp256 AES-CBC-256 SHA2-512 ECP-256 \
         aes128-sha256 AES-CBC-128 HMAC-SHA2-256-128 ecp256 gw-a.example gw-b.example \
         "aggressive mode PSK, FQDN IDs; quick mode ESP AES-CBC-128 HMAC-SHA2-256-128 with PFS ECP-256" ;;
    *) echo "ikev1-vectors.sh: no case '$c' (a, b, c)" >&2; exit 2 ;;
  esac
done
echo "ikev1-vectors.sh: logs and configs in $work"
