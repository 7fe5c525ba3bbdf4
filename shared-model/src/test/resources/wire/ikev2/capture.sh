#!/usr/bin/env bash
# How the strongSwan captures in this folder were made (run once, as root, at development time; tests never run it).
#
#   shared-model/src/test/resources/wire/ikev2/capture.sh OUTDIR
#
# Brings up the namespace lab (ops/lab/netns.sh, prefix "wcap"), runs Debian's strongSwan 5.9.8 on gw-a (initiator)
# and gw-b (responder) with kernel-libipsec, and records gw-a's wan interface with tcpdump for each scenario:
#   psk         IKEv2 PSK; 3 IKE proposals, 3 ESP proposals (one with PFS and ESN), IPv4 + IPv6 + port-restricted
#               traffic selectors, FQDN and RFC822 IDs; then Child SA rekey, IKE SA rekey, Child SA delete, IKE delete
#   invalid-ke  the initiator's first KE (x25519) is refused with INVALID_KE_PAYLOAD(MODP 2048); it retries;
#               AES-CBC with HMAC-SHA-256-128, so the SK payloads exercise the CBC+HMAC layout
#   no-proposal the responder accepts none of the initiator's proposals: NO_PROPOSAL_CHOSEN
#   cert        X.509 (RSA CA, RSA and ECDSA gateway keys), DN IDs, RFC 7427 signature AUTH, CERT/CERTREQ, and a
#               576-octet fragment size so that IKE_AUTH goes out as SKF fragments (RFC 7383)
# charon logs at "ike = 4", which prints the derived SK_e keys; gen-expected.py reads them from the log so that the
# tests can decrypt the SK payloads of this one lab session. Those keys protected nothing but these captures.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
lab=$(cd "$here/../../../../../../ops/lab" && pwd)
out=${1:?usage: capture.sh OUTDIR}
P=wcap
mkdir -p "$out"
work=$(mktemp -d /tmp/palisade-wirecap.XXXXXX)
cleanup() {
  "$lab/strongswan.sh" stop $P-gwa "$work/a" 2>/dev/null || true
  "$lab/strongswan.sh" stop $P-gwb "$work/b" 2>/dev/null || true
  [ -f "$work/tcpdump.pid" ] && kill "$(cat "$work/tcpdump.pid")" 2>/dev/null || true
  "$lab/netns.sh" down $P >/dev/null
}
trap cleanup EXIT
"$lab/netns.sh" up $P >/dev/null

# strongswan_conf DIR [FRAGMENT_SIZE]
strongswan_conf() {
  mkdir -p "$1"
  cat > "$1/strongswan.conf" <<CONF
charon {
  port = 500
  port_nat_t = 4500
  install_routes = no
  fragment_size = ${2:-1280}
  plugins {
    kernel-libipsec {
      load = yes
    }
    vici {
      socket = unix://$1/charon.vici
    }
    bypass-lan {
      load = no
    }
    forecast {
      load = no
    }
    dhcp {
      load = no
    }
  }
  filelog {
    log {
      path = $1/charon.log
      flush_line = yes
      default = 1
      ike = 4
      time_format = %H:%M:%S
    }
  }
}
CONF
}

# psk_conf DIR LOCAL REMOTE LOCAL_ID REMOTE_ID LOCAL_TS REMOTE_TS IKE ESP
psk_conf() {
  cat > "$1/swanctl.conf" <<CONF
connections {
  lab {
    version = 2
    local_addrs = $2
    remote_addrs = $3
    encap = yes
    fragmentation = yes
    proposals = $8
    local {
      auth = psk
      id = $4
    }
    remote {
      auth = psk
      id = $5
    }
    children {
      net {
        local_ts = $6
        remote_ts = $7
        esp_proposals = $9
        start_action = none
        # kernel-libipsec cannot route the IPv6 selectors in the lab; the SAs are all these captures need
        policies = no
      }
    }
  }
}
secrets {
  ike-lab {
    id-1 = $4
    id-2 = $5
    secret = "capture-secret-not-for-production"
  }
}
CONF
}

# cert_conf DIR LOCAL REMOTE LOCAL_DN REMOTE_DN LOCAL_TS REMOTE_TS NAME
cert_conf() {
  mkdir -p "$1/x509" "$1/x509ca" "$1/private"
  cp "$work/pki/$8.pem" "$1/x509/"; cp "$work/pki/ca.pem" "$1/x509ca/"; cp "$work/pki/$8.key" "$1/private/"
  cat > "$1/swanctl.conf" <<CONF
connections {
  lab {
    version = 2
    local_addrs = $2
    remote_addrs = $3
    encap = yes
    fragmentation = yes
    proposals = aes256gcm16-prfsha384-ecp256
    send_certreq = yes
    send_cert = always
    local {
      auth = pubkey
      certs = $8.pem
      id = "$4"
    }
    remote {
      auth = pubkey
      id = "$5"
      cacerts = ca.pem
    }
    children {
      net {
        local_ts = $6
        remote_ts = $7
        esp_proposals = aes256gcm16
        start_action = none
      }
    }
  }
}
CONF
}

start_capture() {
  ip netns exec $P-gwa tcpdump -i wan --immediate-mode -U -s 0 -w "$out/$1.pcap" udp port 500 or udp port 4500 >"$work/tcpdump.$1.err" 2>&1 &
  echo $! > "$work/tcpdump.pid"
  for _ in $(seq 1 50); do [ -s "$out/$1.pcap" ] && break; sleep 0.1; done
  sleep 1
}
stop_capture() {
  sleep 1.5
  kill "$(cat "$work/tcpdump.pid")"; rm -f "$work/tcpdump.pid"
  sleep 0.3
  tail -3 "$work"/tcpdump.*.err; rm -f "$work"/tcpdump.*.err
}
swan_a() { "$lab/strongswan.sh" swanctl $P-gwa "$work/a" "$@"; }
restart() {
  "$lab/strongswan.sh" start $P-gwa "$work/a"
  "$lab/strongswan.sh" start $P-gwb "$work/b"
}
keep_logs() { cp "$work/a/charon.log" "$out/$1.gwa.log"; cp "$work/b/charon.log" "$out/$1.gwb.log"; }

# --- psk
strongswan_conf "$work/a"; strongswan_conf "$work/b"
psk_conf "$work/a" 192.0.2.1 192.0.2.2 gw-a.example.net ops@site-b.example.net \
  "10.1.0.0/24,fd00:a::/64,10.1.5.5/32[tcp/443]" "10.2.0.0/24,fd00:b::/64" \
  "aes128gcm16-prfsha256-x25519,aes256-sha384-prfsha384-ecp384-modp3072,aes128-sha256-prfsha256-modp2048" \
  "aes128gcm16-modp2048,aes256-sha256-modp2048-esn,aes128-sha1-noesn"
psk_conf "$work/b" 192.0.2.2 192.0.2.1 ops@site-b.example.net gw-a.example.net \
  "10.2.0.0/24,fd00:b::/64" "10.1.0.0/24,fd00:a::/64,10.1.5.5/32[tcp/443]" \
  "aes128gcm16-prfsha256-x25519,aes256-sha384-prfsha384-ecp384-modp3072,aes128-sha256-prfsha256-modp2048" \
  "aes128gcm16-modp2048,aes256-sha256-modp2048-esn,aes128-sha1-noesn"
restart
start_capture psk
swan_a --initiate --child net --timeout 20 >/dev/null
swan_a --rekey --child net >/dev/null; sleep 1
swan_a --rekey --ike lab >/dev/null; sleep 1
swan_a --terminate --child net --timeout 10 >/dev/null
swan_a --terminate --ike lab --timeout 10 >/dev/null
stop_capture; keep_logs psk

# --- invalid-ke
psk_conf "$work/a" 192.0.2.1 192.0.2.2 192.0.2.1 192.0.2.2 10.1.0.0/24 10.2.0.0/24 \
  "aes128-sha256-prfsha256-x25519-modp2048" "aes128-sha256"
psk_conf "$work/b" 192.0.2.2 192.0.2.1 192.0.2.2 192.0.2.1 10.2.0.0/24 10.1.0.0/24 \
  "aes128-sha256-prfsha256-modp2048" "aes128-sha256"
restart
start_capture invalid-ke
swan_a --initiate --child net --timeout 20 >/dev/null
swan_a --terminate --ike lab --timeout 10 >/dev/null
stop_capture; keep_logs invalid-ke

# --- no-proposal
psk_conf "$work/a" 192.0.2.1 192.0.2.2 192.0.2.1 192.0.2.2 10.1.0.0/24 10.2.0.0/24 \
  "aes128-sha256-modp2048" "aes128gcm16"
psk_conf "$work/b" 192.0.2.2 192.0.2.1 192.0.2.2 192.0.2.1 10.2.0.0/24 10.1.0.0/24 \
  "aes256gcm16-prfsha384-ecp384" "aes128gcm16"
restart
start_capture no-proposal
swan_a --initiate --child net --timeout 10 >/dev/null || true
stop_capture; keep_logs no-proposal

# --- cert
mkdir -p "$work/pki"; cd "$work/pki"
openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.pem -days 30 -subj "/C=SE/O=Palisade Lab/CN=Lab CA" \
  -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out gwa.key 2>/dev/null
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out gwb.key 2>/dev/null
for gw in gwa gwb; do
  cn=gw-${gw#gw}
  openssl req -new -key $gw.key -subj "/C=SE/O=Palisade Lab/CN=$cn" -out $gw.csr 2>/dev/null
  openssl x509 -req -in $gw.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 30 -out $gw.pem \
    -extfile <(printf 'subjectAltName=DNS:%s.example.net\nextendedKeyUsage=serverAuth,1.3.6.1.5.5.7.3.17\n' $cn) 2>/dev/null
done
cd - >/dev/null
strongswan_conf "$work/a" 576; strongswan_conf "$work/b" 576
cert_conf "$work/a" 192.0.2.1 192.0.2.2 "C=SE, O=Palisade Lab, CN=gw-a" "C=SE, O=Palisade Lab, CN=gw-b" \
  10.1.0.0/24 10.2.0.0/24 gwa
cert_conf "$work/b" 192.0.2.2 192.0.2.1 "C=SE, O=Palisade Lab, CN=gw-b" "C=SE, O=Palisade Lab, CN=gw-a" \
  10.2.0.0/24 10.1.0.0/24 gwb
restart
start_capture cert
swan_a --initiate --child net --timeout 20 >/dev/null
swan_a --terminate --ike lab --timeout 10 >/dev/null
stop_capture; keep_logs cert
echo "captures in $out"
