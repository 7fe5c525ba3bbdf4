#!/usr/bin/env bash
# Run strongSwan 5.9 (Debian, kernel-libipsec = user-space ESP in UDP) as a real peer inside a lab namespace.
#
#   ops/lab/strongswan.sh start NS DIR     start charon in namespace NS with DIR/strongswan.conf + DIR/swanctl.conf
#   ops/lab/strongswan.sh stop NS DIR      stop it
#   ops/lab/strongswan.sh conf DIR LOCAL REMOTE LOCAL_TS REMOTE_TS PSK [IKE_PROPOSAL] [ESP_PROPOSAL]
#                                          write a minimal IKEv2 PSK site-to-site config into DIR
#   ops/lab/strongswan.sh conf-cert DIR LOCAL REMOTE LOCAL_TS REMOTE_TS LOCAL_ID REMOTE_ID [IKE_PROPOSAL] [ESP_PROPOSAL]
#                                          the same with certificates (auth = pubkey): expects DIR/x509/gw.pem,
#                                          DIR/private/gw.key and DIR/x509ca/ca.pem (swanctl's folder layout)
#   ops/lab/strongswan.sh conf-any DIR LOCAL LOCAL_TS REMOTE_TS PSK [IKE_PROPOSAL] [ESP_PROPOSAL]
#                                          a responder for any peer (remote_addrs = %any, any ID, unique = never,
#                                          one PSK for all, log level 0 so logging costs little): the IKE benchmark's
#   ops/lab/strongswan.sh conf-v1 DIR LOCAL REMOTE LOCAL_TS REMOTE_TS PSK [KEY=VALUE...]
#                                          an IKEv1 PSK site-to-site config (version = 1); REMOTE %any makes a
#                                          responder for any peer and any ID (one PSK for all, unique = never).
#                                          KEY=VALUE, each at most once:
#                                            ike=PROPOSAL (default aes128-sha256-modp2048)  esp=PROPOSAL (aes128gcm16)
#                                            pfs=GROUP        appended to the ESP proposal (quick mode PFS)
#                                            aggressive=yes   aggressive mode instead of main mode
#                                            aggressive_psk_responder=yes   charon's
#                                                             i_dont_care_about_security_and_use_aggressive_mode_psk
#                                                             (without it charon refuses aggressive PSK as responder)
#                                            local_id=ID remote_id=ID       (defaults: the addresses; none for %any)
#                                            dpd_delay=S dpd_timeout=S dpd_action=clear|trap|restart
#                                            rekey_time=S     phase 1: IKEv1 re-authenticates (it cannot rekey)
#                                            over_time=S      how long phase 1 may outlive rekey_time while the new
#                                                             one is negotiated (strongSwan: a tenth of rekey_time)
#                                            child_rekey_time=S  phase 2 (quick mode) replacement
#                                            log=N            level of ike and chd in charon.log (4 prints keys)
#   ops/lab/strongswan.sh conf-v1-any DIR LOCAL LOCAL_TS REMOTE_TS PSK [KEY=VALUE...]
#                                          conf-v1 with REMOTE %any and logging as conf-any's (level 0, no flush per
#                                          line, so logging costs little): the IKEv1 benchmark's responder. KEY=VALUE
#                                          as for conf-v1, except log
#   ops/lab/strongswan.sh swanctl NS DIR ARGS...   run swanctl against that daemon
# Facts behind this (see shared notes): kernel-libipsec only speaks UDP-encapsulated ESP, so every connection needs
# encap = yes; one key = value per line; each daemon gets a private /run for its pid file.
set -euo pipefail

charon_bin=/usr/lib/ipsec/charon

strongswan_conf() {
  local dir=$1
  mkdir -p "$dir"
  cat > "$dir/strongswan.conf" <<CONF
charon {
  port = 500
  port_nat_t = 4500
  install_routes = yes
  plugins {
    kernel-libipsec {
      load = yes
    }
    vici {
      socket = unix://$dir/charon.vici
    }
    # with kernel-libipsec its "bypass" policies become routes into ipsec0 that swallow IKE itself
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
      path = $dir/charon.log
      default = 1
      ike = 2
      time_format = %H:%M:%S
    }
  }
}
CONF
}

conf() {
  local dir=$1 local_addr=$2 remote_addr=$3 local_ts=$4 remote_ts=$5 psk=$6
  local ike=${7:-aes128gcm16-prfsha256-x25519} esp=${8:-aes128gcm16}
  strongswan_conf "$dir"
  cat > "$dir/swanctl.conf" <<CONF
connections {
  lab {
    version = 2
    local_addrs = $local_addr
    remote_addrs = $remote_addr
    encap = yes
    proposals = $ike
    local {
      auth = psk
      id = $local_addr
    }
    remote {
      auth = psk
      id = $remote_addr
    }
    children {
      net {
        local_ts = $local_ts
        remote_ts = $remote_ts
        esp_proposals = $esp
        start_action = none
      }
    }
  }
}
secrets {
  ike-lab {
    id-1 = $local_addr
    id-2 = $remote_addr
    secret = "$psk"
  }
}
CONF
}

# Certificates: the files sit in swanctl's folders next to swanctl.conf and are named by absolute path, so the
# config does not depend on which directory swanctl resolves relative names against. IKE fragmentation is off here
# (a test that wants it turns it on in swanctl.conf): the kernel's IP fragmentation carries a large IKE_AUTH.
conf_cert() {
  local dir=$1 local_addr=$2 remote_addr=$3 local_ts=$4 remote_ts=$5 local_id=$6 remote_id=$7
  local ike=${8:-aes128gcm16-prfsha256-x25519} esp=${9:-aes128gcm16}
  local f
  for f in x509/gw.pem private/gw.key x509ca/ca.pem; do
    [ -f "$dir/$f" ] || { echo "strongswan.sh: conf-cert needs $dir/$f" >&2; return 1; }
  done
  strongswan_conf "$dir"
  cat > "$dir/swanctl.conf" <<CONF
connections {
  lab {
    version = 2
    local_addrs = $local_addr
    remote_addrs = $remote_addr
    encap = yes
    fragmentation = no
    proposals = $ike
    send_cert = always
    local {
      auth = pubkey
      certs = $dir/x509/gw.pem
      id = "$local_id"
    }
    remote {
      auth = pubkey
      id = "$remote_id"
      cacerts = $dir/x509ca/ca.pem
    }
    children {
      net {
        local_ts = $local_ts
        remote_ts = $remote_ts
        esp_proposals = $esp
        start_action = none
      }
    }
  }
}
secrets {
  private-gw {
    file = $dir/private/gw.key
  }
}
CONF
}

conf_any() {
  local dir=$1 local_addr=$2 local_ts=$3 remote_ts=$4 psk=$5
  local ike=${6:-aes128gcm16-prfsha256-x25519} esp=${7:-aes128gcm16}
  conf "$dir" "$local_addr" 0.0.0.0 "$local_ts" "$remote_ts" "$psk" "$ike" "$esp"
  sed -i 's/^      ike = 2$/      ike = 0/; s/^      default = 1$/      default = 0/' "$dir/strongswan.conf"
  cat > "$dir/swanctl.conf" <<CONF
connections {
  any {
    version = 2
    local_addrs = $local_addr
    remote_addrs = %any
    encap = yes
    unique = never
    proposals = $ike
    local {
      auth = psk
      id = $local_addr
    }
    remote {
      auth = psk
    }
    children {
      net {
        local_ts = $local_ts
        remote_ts = $remote_ts
        esp_proposals = $esp
        start_action = none
      }
    }
  }
}
secrets {
  ike-any {
    secret = "$psk"
  }
}
CONF
}

# IKEv1. Options come as KEY=VALUE words so callers name what they change; an unknown or repeated key is an error,
# never ignored.
conf_v1() {
  local dir=$1 local_addr=$2 remote_addr=$3 local_ts=$4 remote_ts=$5 psk=$6
  shift 6
  local ike=aes128-sha256-modp2048 esp=aes128gcm16 pfs= aggressive=no aggr_psk=no local_id=$local_addr
  local remote_id=$remote_addr dpd_delay= dpd_timeout= dpd_action= rekey_time= over_time= child_rekey_time= log=2
  [ "$remote_addr" != %any ] || remote_id=
  local opt key value seen=" "
  for opt in "$@"; do
    case "$opt" in *=*) ;; *) echo "strongswan.sh: conf-v1 option '$opt' is not KEY=VALUE" >&2; return 2 ;; esac
    key=${opt%%=*} value=${opt#*=}
    case "$seen" in *" $key "*) echo "strongswan.sh: conf-v1 option $key given twice" >&2; return 2 ;; esac
    seen="$seen$key "
    case "$key" in
      ike) ike=$value ;;
      esp) esp=$value ;;
      pfs) pfs=$value ;;
      aggressive) aggressive=$value ;;
      aggressive_psk_responder) aggr_psk=$value ;;
      local_id) local_id=$value ;;
      remote_id) remote_id=$value ;;
      dpd_delay) dpd_delay=$value ;;
      dpd_timeout) dpd_timeout=$value ;;
      dpd_action) dpd_action=$value ;;
      rekey_time) rekey_time=$value ;;
      over_time) over_time=$value ;;
      child_rekey_time) child_rekey_time=$value ;;
      log) log=$value ;;
      *) echo "strongswan.sh: conf-v1 has no option '$key'" >&2; return 2 ;;
    esac
  done
  case "$aggressive$aggr_psk" in yesyes|yesno|noyes|nono) ;;
    *) echo "strongswan.sh: conf-v1 aggressive and aggressive_psk_responder take yes or no" >&2; return 2 ;; esac
  [ -z "$pfs" ] || esp="$esp-$pfs"
  strongswan_conf "$dir"
  # flush_line: tests read the log while charon runs
  sed -i "s/^      ike = 2\$/      ike = $log\n      chd = $log\n      flush_line = yes/" "$dir/strongswan.conf"
  if [ "$aggr_psk" = yes ]; then
    sed -i 's/^  port = 500$/  port = 500\n  i_dont_care_about_security_and_use_aggressive_mode_psk = yes/' "$dir/strongswan.conf"
  fi
  local remote_addrs=$remote_addr unique=
  if [ "$remote_addr" = %any ]; then
    unique="    unique = never"
  fi
  {
    echo "connections {"
    echo "  lab {"
    echo "    version = 1"
    echo "    local_addrs = $local_addr"
    echo "    remote_addrs = $remote_addrs"
    echo "    encap = yes"
    [ -z "$unique" ] || echo "$unique"
    echo "    aggressive = $aggressive"
    echo "    proposals = $ike"
    [ -z "$dpd_delay" ] || echo "    dpd_delay = $dpd_delay"
    [ -z "$dpd_timeout" ] || echo "    dpd_timeout = $dpd_timeout"
    [ -z "$rekey_time" ] || echo "    rekey_time = $rekey_time"
    [ -z "$over_time" ] || echo "    over_time = $over_time"
    echo "    local {"
    echo "      auth = psk"
    echo "      id = $local_id"
    echo "    }"
    echo "    remote {"
    echo "      auth = psk"
    [ -z "$remote_id" ] || echo "      id = $remote_id"
    echo "    }"
    echo "    children {"
    echo "      net {"
    echo "        local_ts = $local_ts"
    echo "        remote_ts = $remote_ts"
    echo "        esp_proposals = $esp"
    [ -z "$dpd_action" ] || echo "        dpd_action = $dpd_action"
    [ -z "$child_rekey_time" ] || echo "        rekey_time = $child_rekey_time"
    echo "        start_action = none"
    echo "      }"
    echo "    }"
    echo "  }"
    echo "}"
    echo "secrets {"
    echo "  ike-lab {"
    if [ -n "$remote_id" ]; then
      echo "    id-1 = $local_id"
      echo "    id-2 = $remote_id"
    fi
    echo "    secret = \"$psk\""
    echo "  }"
    echo "}"
  } > "$dir/swanctl.conf"
}

conf_v1_any() {
  local dir=$1 local_addr=$2 local_ts=$3 remote_ts=$4 psk=$5
  shift 5
  local opt
  for opt in "$@"; do
    case "$opt" in log=*) echo "strongswan.sh: conf-v1-any logs at level 0; it takes no log option" >&2; return 2 ;; esac
  done
  conf_v1 "$dir" "$local_addr" %any "$local_ts" "$remote_ts" "$psk" log=0 "$@"
  sed -i 's/^      default = 1$/      default = 0/; /^      flush_line = yes$/d' "$dir/strongswan.conf"
}

swanctl_in() {
  local ns=$1 dir=$2; shift 2
  ip netns exec "$ns" swanctl "$@" --uri "unix://$dir/charon.vici"
}

start() {
  local ns=$1 dir=$2
  stop "$ns" "$dir" 2>/dev/null || true
  rm -f "$dir/charon.vici" "$dir/charon.log"
  ip netns exec "$ns" unshare -m sh -c "mount -t tmpfs tmpfs /run; STRONGSWAN_CONF=$dir/strongswan.conf exec $charon_bin" \
    > "$dir/charon.out" 2>&1 &
  echo $! > "$dir/charon.pid"
  local i
  for i in $(seq 1 100); do
    if [ -S "$dir/charon.vici" ] && swanctl_in "$ns" "$dir" --load-all --file "$dir/swanctl.conf" > "$dir/load.out" 2>&1; then
      return 0
    fi
    kill -0 "$(cat "$dir/charon.pid")" 2>/dev/null || { echo "strongswan.sh: charon in $ns died:" >&2; cat "$dir/charon.out" >&2; return 1; }
    sleep 0.1
  done
  echo "strongswan.sh: charon in $ns did not answer on $dir/charon.vici" >&2
  cat "$dir/load.out" >&2 || true
  return 1
}

stop() {
  local ns=$1 dir=$2
  if [ -f "$dir/charon.pid" ]; then
    kill "$(cat "$dir/charon.pid")" 2>/dev/null || true
    rm -f "$dir/charon.pid"
  fi
  for pid in $(ip netns pids "$ns" 2>/dev/null); do
    if [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = charon ]; then kill "$pid" 2>/dev/null || true; fi
  done
}

case "${1:-}" in
  conf) shift; conf "$@" ;;
  conf-cert) shift; conf_cert "$@" ;;
  conf-any) shift; conf_any "$@" ;;
  conf-v1) shift; conf_v1 "$@" ;;
  conf-v1-any) shift; conf_v1_any "$@" ;;
  start) shift; start "$@" ;;
  stop) shift; stop "$@" ;;
  swanctl) shift; swanctl_in "$@" ;;
  *) echo "usage: $0 conf|conf-cert|conf-any|conf-v1|conf-v1-any|start|stop|swanctl ..." >&2; exit 2 ;;
esac
