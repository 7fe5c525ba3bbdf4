#!/usr/bin/env bash
# How the IKEv1 strongSwan captures in this folder were made (run once, as root, at development time).
#
#   shared-model/src/test/resources/wire/ikev1/capture.sh OUTDIR
#
# The namespace lab (prefix "wcap1"), Debian's strongSwan 5.9.8 on gw-a (initiator) and gw-b (responder), tcpdump on
# gw-a's wan interface:
#   main        Main Mode with a PSK, two IKE proposals, NAT-T (NAT-D payloads, vendor IDs), Quick Mode with PFS,
#               DPD (R-U-THERE), then delete of the IPsec SA and the ISAKMP SA
#   aggressive  Aggressive Mode with a PSK (the responder needs i_dont_care_about_security_and_use_aggressive_mode_psk)
# charon logs at "ike = 4"; gen-expected.py (ikev2 folder's sibling here) takes the encryption keys from the log so
# that TShark can decrypt the protected messages. Those keys protected nothing but these captures.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
lab=$(cd "$here/../../../../../../ops/lab" && pwd)
out=${1:?usage: capture.sh OUTDIR}
P=wcap1
mkdir -p "$out"
work=$(mktemp -d /tmp/palisade-wirecap1.XXXXXX)
cleanup() {
  "$lab/strongswan.sh" stop $P-gwa "$work/a" 2>/dev/null || true
  "$lab/strongswan.sh" stop $P-gwb "$work/b" 2>/dev/null || true
  [ -f "$work/tcpdump.pid" ] && kill "$(cat "$work/tcpdump.pid")" 2>/dev/null || true
  "$lab/netns.sh" down $P >/dev/null
}
trap cleanup EXIT
"$lab/netns.sh" up $P >/dev/null

strongswan_conf() {
  mkdir -p "$1"
  cat > "$1/strongswan.conf" <<CONF
charon {
  port = 500
  port_nat_t = 4500
  install_routes = no
  i_dont_care_about_security_and_use_aggressive_mode_psk = yes
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

# v1_conf DIR LOCAL REMOTE LOCAL_TS REMOTE_TS AGGRESSIVE
v1_conf() {
  cat > "$1/swanctl.conf" <<CONF
connections {
  lab {
    version = 1
    aggressive = $6
    local_addrs = $2
    remote_addrs = $3
    encap = yes
    dpd_delay = 1s
    proposals = aes128-sha256-modp2048,aes256-sha1-modp3072
    local {
      auth = psk
      id = $2
    }
    remote {
      auth = psk
      id = $3
    }
    children {
      net {
        local_ts = $4
        remote_ts = $5
        esp_proposals = aes128-sha256-modp2048,aes256gcm16-modp2048
        start_action = none
        policies = no
      }
    }
  }
}
secrets {
  ike-lab {
    id-1 = $2
    id-2 = $3
    secret = "capture-secret-not-for-production"
  }
}
CONF
}

start_capture() {
  ip netns exec $P-gwa tcpdump -i wan --immediate-mode -U -s 0 -w "$out/$1.pcap" udp port 500 or udp port 4500 >"$work/tcpdump.err" 2>&1 &
  echo $! > "$work/tcpdump.pid"
  for _ in $(seq 1 50); do [ -s "$out/$1.pcap" ] && break; sleep 0.1; done
  sleep 1
}
stop_capture() {
  sleep 1.5
  kill "$(cat "$work/tcpdump.pid")"; rm -f "$work/tcpdump.pid"
  sleep 0.3
}
swan_a() { "$lab/strongswan.sh" swanctl $P-gwa "$work/a" "$@"; }
restart() {
  "$lab/strongswan.sh" start $P-gwa "$work/a"
  "$lab/strongswan.sh" start $P-gwb "$work/b"
}
keep_logs() { cp "$work/a/charon.log" "$out/$1.gwa.log"; cp "$work/b/charon.log" "$out/$1.gwb.log"; }

strongswan_conf "$work/a"; strongswan_conf "$work/b"
for mode in main aggressive; do
  aggr=no; [ $mode = aggressive ] && aggr=yes
  v1_conf "$work/a" 192.0.2.1 192.0.2.2 10.1.0.0/24 10.2.0.0/24 $aggr
  v1_conf "$work/b" 192.0.2.2 192.0.2.1 10.2.0.0/24 10.1.0.0/24 $aggr
  restart
  start_capture $mode
  swan_a --initiate --child net --timeout 20 >/dev/null
  [ $mode = main ] && sleep 2.5
  swan_a --terminate --child net --timeout 10 >/dev/null || true
  swan_a --terminate --ike lab --timeout 10 >/dev/null || true
  stop_capture; keep_logs $mode
done
echo "captures in $out"
