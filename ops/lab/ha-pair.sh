#!/usr/bin/env bash
# A Palisade gateway pair taking over a live IPsec tunnel from strongSwan, in network namespaces: one command to see
# what `kill -9` of the active node costs the traffic, and the fail-back.
#
#   ops/lab/ha-pair.sh [--keep] [--iperf MBITS]
#   ops/lab/ha-pair.sh [--keep] --rekey lost|answered     a takeover inside strongSwan's Child SA rekey (ha-pair-scenarios.sh)
#   ops/lab/ha-pair.sh [--keep] --rekey ours|ours-ike     a takeover inside our own Child SA or IKE SA rekey
#   ops/lab/ha-pair.sh [--keep] --rekey ours-delete       ... after our Child SA rekey, before our Delete of the old
#   ops/lab/ha-pair.sh [--keep] --cut-active              the active node cut from PostgreSQL and the other node
#   ops/lab/ha-pair.sh [--keep] --tunnels N               the takeover with N (1..511) more tunnels
#   ops/lab/ha-pair.sh [--keep] --sites N                 the usual steps, the takeover and fail-back also with N (2..8)
#                                                         strongSwan sites on one any-peer tunnel of the pair (below)
#   ops/lab/ha-pair.sh [--keep] --layout a|b|c            the VRRP layouts of docs/ha.md under link cuts (ha-pair-layouts.sh)
#   ops/lab/ha-pair.sh [--keep] --ikev1                   the tunnel IKEv1 (aggressive mode, strongSwan initiating, DPD):
#                                                         the first takeover only (ha-pair-ikev1.sh)
#
#   host-a 10.1.0.10 --[lan-a bridge]-- gw1 10.1.0.2 / gw2 10.1.0.3     (LAN virtual address 10.1.0.1)
#                                       gw1 192.0.2.1 / gw2 192.0.2.2  --[inet bridge]-- 192.0.2.3 strongSwan 10.2.0.1 -- 10.2.0.10 host-b
#                                       (outside virtual address 192.0.2.10)
#
# gw1 and gw2 each run `palisade run --seed ... --journal-url jdbc:postgresql://...` on one PostgreSQL database
# (its own, palisade_ha_lab, recreated each run, in a PostgreSQL cluster of the lab's own, palisade_ha_lab, created
# once and left running) with the same pair key (`palisade ha init` on gw1, the file copied to gw2), and keepalived
# configured as ops/ha/keepalived.conf.example with ops/ha/palisade-ha-check and palisade-ha-notify: both virtual
# addresses follow the node holding the active lease. strongSwan 5.9 (user-space ESP in UDP) initiates the IKE SA
# to 192.0.2.10 and announces RFC 6311 support; Palisade's tunnel is passive. The script prints lines
# "ha-pair: ..." and one "ha-pair-result k=v ..." line for scripts, in four steps:
# 1. Takeover: a commit with `-time 45` on gw1 (a second tunnel), `ping -i 0.01` host-a -> host-b, `kill -9` of
#    gw1's node; the gap (longest time without a reply, ms), the pings lost, whether strongSwan's IKE SA SPIs
#    (`swanctl --list-sas`) are the same before and after; the pending commit confirmed through gw2's API. Then the
#    replay check (~3 s): strongSwan's ESP to the virtual address recorded on the bridge before the kill is sent
#    again from its namespace (scapy); gw2's replay drops (`palisade_drops_total{reason="replay"}`) must count every
#    packet sent more than 2 s before the kill (below the mark gw1 sampled into replay_mark); of the last 2 s, those
#    accepted once (above the mark) are reported: replayed_* and replay_* in the result line.
# 2. Fail-back: gw1 started again (must come back as standby), a commit with `-time 20` on gw2, `kill -9` of gw2's
#    node under ping; the second gap, strongSwan's IKE SA (rekeyed: a second message ID sync is not possible, see
#    docs/ha.md) and Child SA (the same); the unconfirmed commit must roll back by itself on gw1 (running revision,
#    config and tunnels checked).
# 3. PostgreSQL restarted (`pg_ctlcluster restart`) under ping and commits through gw1's API every 0.2 s: the gap,
#    whether gw1 stood down, the commits acknowledged and whether each is in the journal afterwards.
# 4. The wire: IKE_SA_INITs after the first kill, and repeated (SPI, sequence number) pairs among the ESP packets
#    the pair sent (from the virtual address) that tcpdump saw on the inet bridge (tshark dissects); the peers'
#    repeated pairs apart (repeated_peers: copies a gateway forwarded, see below).
# --sites N adds the documentation's hub to steps 1 and 2: one more tunnel, `ike passive from 10.1.0.0/24 to
# 10.5.0.0/16 srcid 192.0.2.10 psk ... label hub` (no peer: any site that authenticates), and N strongSwan sites on
# the inet bridge (site K: namespace PREFIX-sK at 192.0.2.(31+K), its ID siteK.lab.example, its network
# 10.5.K.0/24 with a host PREFIX-hK at 10.5.K.10), each initiating its own IKE SA to the virtual address. Each
# site's host pings host-a (-i 0.02) across both kills: every site's gap, whether every site's ping came back,
# every site's IKE SA SPIs before and after the first takeover (swanctl, the same), its Child SA SPIs before the
# first kill and after the fail-back (the same; the IKE SA is rekeyed there, as for to-b); IKE_SA_INIT and repeated
# (SPI, sequence) pairs of step 4 cover the sites' traffic too. In the result line: sites_* and failback_sites_*.

# Two lab necessities a real pair shares (docs/ha.md "See it"): the gateways send from the virtual address only
# because keepalived installs a route to the peer with `src 192.0.2.10` (Palisade's sockets are bound to the
# wildcard address and the kernel picks the source); and PostgreSQL listens on the root namespace's loopback, so a
# small forwarder (python3, below) gives each gateway namespace 127.0.0.1:15432 leading to it.
#
# Run as root on Debian with the programs of ops/test-programs.txt (ops/bin/test --programs installs them).
# PALISADE_CMD overrides the palisade command (default ops/bin/palisade; the lab test passes its class path).
# HA_PAIR_JFR=1 records the nodes with Java Flight Recorder (profile settings); --tunnels N then dumps gw2's
# recording of the takeover to the logs (gw2-takeover.jfr); so does --rekey lost|answered, once the ping is back.
# --iperf MBITS also runs iperf3 (TCP, host-a -> host-b, capped at MBITS Mbit/s so the capture stays small) across
# the kill and prints what it moved before and after the gap. Under load the repeated-pair count is weaker: the
# bridge sees the gateways' UDP GSO batches as one frame, and tshark reads the first ESP header of each. LAB_PREFIX (default hap) names the namespaces. --keep leaves everything running (stop: kill the listed pids and
# `ip netns del` the namespaces PREFIX-*).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
read -r -a palisade <<< "${PALISADE_CMD:-$root/ops/bin/palisade}"

keep=0 iperf=0 scenario= sites=0 layout=
while [ $# -gt 0 ]; do
  case "$1" in
    --keep) keep=1; shift ;;
    --iperf) iperf=$2; shift 2 ;;
    --rekey) case "${2:-}" in lost|answered|ours|ours-ike|ours-delete) scenario="rekey-$2" ;; *) echo "ha-pair: --rekey lost|answered|ours|ours-ike|ours-delete" >&2; exit 2 ;; esac; shift 2 ;;
    --cut-active) scenario=cut-active; shift ;;
    --ikev1) scenario=ikev1; shift ;;
    --tunnels) [[ "${2:-}" =~ ^[1-9][0-9]{0,2}$ ]] && [ "$2" -le 511 ] || { echo "ha-pair: --tunnels 1..511" >&2; exit 2; }
      scenario="tunnels-$2"; shift 2 ;;
    --sites) [[ "${2:-}" =~ ^[2-8]$ ]] || { echo "ha-pair: --sites 2..8" >&2; exit 2; }
      sites=$2; shift 2 ;;
    --layout) case "${2:-}" in a|b|c) layout=$2; scenario="layout-$2" ;; *) echo "ha-pair: --layout a|b|c" >&2; exit 2 ;; esac; shift 2 ;;
    *) echo "usage: $0 [--keep] [--iperf MBITS | --rekey lost|answered|ours|ours-ike|ours-delete | --cut-active | --ikev1 | --tunnels N | --sites N | --layout a|b|c]" >&2; exit 2 ;;
  esac
done
[ "$sites" = 0 ] || [ -z "$scenario" ] || { echo "ha-pair: --sites goes with the usual steps only" >&2; exit 2; }
[ "$(id -u)" -eq 0 ] || { echo "ha-pair: run as root (namespaces, TUN devices, keepalived)" >&2; exit 2; }
for p in ip keepalived swanctl /usr/lib/ipsec/charon tcpdump tshark ping curl nft /usr/bin/python3 pg_lsclusters; do
  command -v "$p" >/dev/null || { echo "ha-pair: $p is missing (see ops/test-programs.txt; ops/bin/test --programs)" >&2; exit 2; }
done

P=${LAB_PREFIX:-hap}
NS="$P-inet $P-lana $P-gw1 $P-gw2 $P-ss $P-ha $P-hb"
# with --layout a cluster link of its own (PREFIX-clu), and with b a management link (PREFIX-mgt); with --sites the
# sites and their hosts (listed in full so that a leftover of an earlier run with other options goes too)
NS_ALL="$NS $P-clu $P-mgt $(for k in 1 2 3 4 5 6 7 8; do printf '%s ' "$P-s$k" "$P-h$k"; done)"
[ -z "$layout" ] || NS+=" $P-clu"
[ "$layout" != b ] || NS+=" $P-mgt"
for k in $(seq 1 "$sites"); do NS+=" $P-s$k $P-h$k"; done
VIP=192.0.2.10
PSK="ha-pair-lab-psk-not-for-production"
work=$(mktemp -d /tmp/palisade-ha-pair.XXXXXX)
chmod 700 "$work"
say() { echo "ha-pair: $*"; }
since() { awk -v a="$(date +%s.%N)" -v b="$1" 'BEGIN { printf "%.1f", a - b }'; } # seconds since EPOCH

down() {
  [ -f "$work/fwd.pid" ] && kill "$(cat "$work/fwd.pid")" 2>/dev/null || true
  for ns in $NS_ALL; do
    if ip netns list | awk '{print $1}' | grep -qx "$ns"; then
      for pid in $(ip netns pids "$ns" 2>/dev/null); do kill -9 "$pid" 2>/dev/null || true; done
      ip netns del "$ns"
    fi
  done
}
# The work directory holds keys (pair.key, node.key): removed when the run ends, unless --keep. A run that failed
# (the script gave up, or its result line misses what every takeover must do: see result) leaves its logs — both
# nodes' (with a thread dump of each node still running at the end, and their GC logs), keepalived's, strongSwan's
# charon.log and SAs, the pings, the capture; no keys — in a directory of their own, printed as the last line
# "ha-pair: ... logs in DIR". HA_PAIR_LOGS=DIR copies them there after every run, failed or not.
verdict= # what a finished run's result line lacks (empty: nothing)
result() { # LINE: prints the result line (with the standby restarts: ensure_standby) and checks on it what every
  # takeover must do
  echo "$1 standby_restarts=${standby_restarts:-0}"
  local kv
  for kv in $1; do
    case "$kv" in
      resumed_ping=*|failback_resumed_ping=*) [ "${kv#*=}" = yes ] || verdict+=" $kv" ;;
      active_after=*) [ "${kv#*=}" = active ] || verdict+=" $kv" ;;
      repeated=*|ike_sa_init_after=*) [ "${kv#*=}" = 0 ] || verdict+=" $kv" ;;
    esac
  done
}
snapshot() { # the state of a run that failed, before the teardown: thread dumps into the nodes' logs, roles, SAs
  local n pid
  {
    echo "snapshot at $(date +%s.%N) ($(date -u +%FT%T.%NZ))"
    for n in 1 2; do
      pid=$(node_pid "$n" 2>/dev/null || true)
      echo "gw$n: node pid ${pid:-none}, role '$(role "$n" 2>/dev/null || true)'"
      echo "gw$n addresses: $(ip -n "$P-gw$n" -4 -o addr show 2>/dev/null | awk '{print $2, $4}' | tr '\n' ' ')"
      # SIGQUIT: the JVM prints every thread's stack to its stdout, the node's log, and goes on
      [ -n "$pid" ] && kill -QUIT "$pid" 2>/dev/null || true
    done
    echo "--- strongSwan's SAs"
    timeout 10 "$here/strongswan.sh" swanctl "$P-ss" "$work/ss" --list-sas 2>&1 || true
    for k in $(seq 1 "$sites"); do
      echo "--- site $k's SAs"
      timeout 10 "$here/strongswan.sh" swanctl "$P-s$k" "$work/s$k" --list-sas 2>&1 || true
    done
  } > "$work/snapshot.txt" 2>&1
  sleep 1
}
keep_logs() { # [DIR]: copies the run's logs to DIR (default HA_PAIR_LOGS) and prints where they are
  local to=${1:-${HA_PAIR_LOGS:-}} f
  [ -n "$to" ] || return 0
  mkdir -p "$to"
  for f in gw1.log gw2.log snapshot.txt ping-rekey.txt ping-rekey-ours.txt ping-cut-active.txt \
      roles-cut-active.txt ping-takeover.txt ping-failback.txt ping-pg.txt pg-commits.txt ping-cut.txt roles-cut.txt \
      rekey-1.out rekey-2.out rekey-3.out gw2-takeover.jfr cpu-tunnels.txt commit-tunnels.out keepalived-1/log keepalived-2/log \
      keepalived-1/state keepalived-2/state ss/charon.log ss/load-tunnels.out wire.pcap replay.txt resend.err ping-replay.txt; do
    [ -f "$work/$f" ] && cp "$work/$f" "$to/$(tr / - <<< "$f")"
  done
  for f in "$work"/gw[12]-gc-*.log; do [ -f "$f" ] && cp "$f" "$to/"; done
  for f in "$work"/ping-*-s[1-8].txt "$work"/samples-*.txt "$work"/ping-split.txt "$work"/ping-mgmt.txt \
      "$work"/keepalived-[12]/keepalived.conf; do
    [ -f "$f" ] && cp "$f" "$to/$(sed "s#^$work/##" <<< "$f" | tr / -)"
  done
  for f in "$work"/s[1-8]/charon.log; do [ -f "$f" ] && cp "$f" "$to/$(sed "s#^$work/##" <<< "$f" | tr / -)"; done
  echo "ha-pair: logs of this run (both nodes, keepalived, strongSwan, pings, capture; no keys) in $to"
  return 0
}
finish() { # the EXIT trap
  local rc=$1 logs=
  trap - EXIT
  set +e
  if [ "$rc" -ne 0 ] || [ -n "$verdict" ]; then
    echo "ha-pair: FAILED (exit $rc${verdict:+; result:$verdict})"
    snapshot
    [ -n "${HA_PAIR_LOGS:-}" ] || logs=$(mktemp -d /tmp/palisade-ha-pair-logs.XXXXXX)
  fi
  keep_logs "$logs"
  if [ "$keep" -eq 0 ]; then down; rm -rf "$work"; fi
  [ "$rc" -ne 0 ] || [ -z "$verdict" ] || rc=1
  exit "$rc"
}
trap 'finish $?' EXIT
fail() { echo "ha-pair: $*" >&2; for f in gw1 gw2; do [ -f "$work/$f.log" ] && { echo "--- $f.log (tail)" >&2; tail -25 "$work/$f.log" >&2; }; done; exit 1; }

# ---- namespaces: two bridges, two gateways, strongSwan, a host on each side ----------------------------------
link() { # NS_A IF_A NS_B IF_B
  ip link add "$2" netns "$1" type veth peer name "$4" netns "$3"
  ip -n "$1" link set "$2" up
  ip -n "$3" link set "$4" up
}
down
for ns in $NS; do ip netns add "$ns"; ip -n "$ns" link set lo up; done
bridges="inet lana"
[ -z "$layout" ] || bridges+=" clu"
[ "$layout" != b ] || bridges+=" mgt"
for br in $bridges; do ip -n "$P-$br" link add br0 type bridge; ip -n "$P-$br" link set br0 up; done
# the cluster's addresses: on the outside segment (the lab's first layout), or with --layout on a link of their own
clnet=192.0.2
[ -z "$layout" ] || clnet=10.9.1
for n in 1 2; do
  if [ -n "$layout" ]; then
    link "$P-gw$n" clu "$P-clu" "clu-$n"; ip -n "$P-clu" link set "clu-$n" master br0
    ip -n "$P-gw$n" addr add "10.9.1.$n/24" dev clu
  fi
  if [ "$layout" = b ]; then
    link "$P-gw$n" mgt "$P-mgt" "mgt-$n"; ip -n "$P-mgt" link set "mgt-$n" master br0
    ip -n "$P-gw$n" addr add "10.9.0.$n/24" dev mgt
  fi
  link "$P-gw$n" wan "$P-inet" "wan-$n"; ip -n "$P-inet" link set "wan-$n" master br0
  link "$P-gw$n" lan "$P-lana" "lan-$n"; ip -n "$P-lana" link set "lan-$n" master br0
  ip -n "$P-gw$n" addr add "192.0.2.$n/24" dev wan
  ip -n "$P-gw$n" addr add "10.1.0.$((n + 1))/24" dev lan
  ip netns exec "$P-gw$n" sysctl -qw net.ipv4.ip_forward=1
  # as on a real pair (docs/ha.md): traffic for the remote site is dropped, not routed in the clear, while this
  # gateway has no tunnel route (its node standby, or a tunnel down); Palisade's route through its TUN device wins
  ip -n "$P-gw$n" route add blackhole 10.2.0.0/24 metric 1000
  [ "$sites" = 0 ] || ip -n "$P-gw$n" route add blackhole 10.5.0.0/16 metric 1000
done
link "$P-ss" wan "$P-inet" wan-s; ip -n "$P-inet" link set wan-s master br0
ip -n "$P-ss" addr add 192.0.2.3/24 dev wan
link "$P-ha" eth0 "$P-lana" lan-h; ip -n "$P-lana" link set lan-h master br0
ip -n "$P-ha" addr add 10.1.0.10/24 dev eth0
ip -n "$P-ha" route add default via 10.1.0.1
link "$P-ss" lan "$P-hb" eth0
ip -n "$P-ss" addr add 10.2.0.1/24 dev lan
ip -n "$P-hb" addr add 10.2.0.10/24 dev eth0
ip -n "$P-hb" route add default via 10.2.0.1
ip netns exec "$P-ss" sysctl -qw net.ipv4.ip_forward=1
for k in $(seq 1 "$sites"); do # site K: 192.0.2.(31+K) on the inet bridge, 10.5.K.0/24 inside, its host at .10
  link "$P-s$k" wan "$P-inet" "wan-s$k"; ip -n "$P-inet" link set "wan-s$k" master br0
  ip -n "$P-s$k" addr add "192.0.2.$((31 + k))/24" dev wan
  link "$P-s$k" lan "$P-h$k" eth0
  ip -n "$P-s$k" addr add "10.5.$k.1/24" dev lan
  ip -n "$P-h$k" addr add "10.5.$k.10/24" dev eth0
  ip -n "$P-h$k" route add default via "10.5.$k.1"
  ip netns exec "$P-s$k" sysctl -qw net.ipv4.ip_forward=1
done
ip netns exec "$P-gw1" ping -c1 -W2 192.0.2.3 >/dev/null || fail "underlay ping gw1 -> strongSwan failed"

# The gateways' own processes (both nodes, keepalived, the forwarder standing in for their path to the database) run
# at nice -5 (HA_PAIR_NICE): in the test suite six other lab classes share the machine's two CPUs with them, most at
# once when the ops module starts, and a takeover measured then was the suite's contention's as much as the node's
# (HaTakeoverEdgesLabTest, the first run of this script in the suite: entity recovery 0.6 s where it takes 0.1-0.2 s
# alone). A gateway does not share its CPUs with test JVMs. HA_PAIR_NICE=0 measures without it.
nice_gw=(nice -n "${HA_PAIR_NICE:--5}")

# ---- PostgreSQL: a cluster of the lab's own (restarted under load below), reachable from the gateway namespaces --
ver=$(ls /usr/lib/postgresql | sort -n | tail -1)
pgc=palisade_ha_lab # not "main": other tests share that one, and this script restarts its server
pg_lab() { # pg_ctlcluster ACTION for the lab's cluster, without our descriptors: run under flock(1), the server
  # would inherit the lab lock's and hold it while it runs
  ( for fd in /proc/$BASHPID/fd/*; do fd=${fd##*/}; [ "$fd" -le 2 ] || eval "exec $fd>&-" || true; done
    exec pg_ctlcluster "$ver" "$pgc" "$@" ) >&2
}
pg_lsclusters -h | awk '{print $2}' | grep -qx "$pgc" || pg_createcluster "$ver" "$pgc" >&2
pg_lsclusters -h | awk -v c="$pgc" '$2 == c {print $4}' | grep -q online || pg_lab start
pgport=$(pg_lsclusters -h | awk -v c="$pgc" '$2 == c {print $3}')
for _ in $(seq 1 100); do su postgres -c "psql -p $pgport -Atqc 'select 1'" >/dev/null 2>&1 && break; sleep 0.1; done
dbpw=$(head -c 18 /dev/urandom | base64 | tr -d '/+=')
su postgres -c "psql -p $pgport -v ON_ERROR_STOP=1 -q" >/dev/null <<SQL
DROP DATABASE IF EXISTS palisade_ha_lab;
DROP ROLE IF EXISTS palisade_ha_lab;
CREATE ROLE palisade_ha_lab LOGIN PASSWORD '$dbpw';
CREATE DATABASE palisade_ha_lab OWNER palisade_ha_lab;
SQL
printf '%s' "$dbpw" > "$work/db-password"; chmod 600 "$work/db-password"
# One process in the root namespace: a listening socket made inside each gateway namespace (setns, then back), each
# connection forwarded to PostgreSQL on the root namespace's loopback.
cat > "$work/pgfwd.py" <<'PY'
import ctypes, os, socket, sys, threading, time
CLONE_NEWNET = 0x40000000
libc = ctypes.CDLL(None, use_errno=True)
def setns(path):
    fd = os.open(path, os.O_RDONLY)
    if libc.setns(fd, CLONE_NEWNET) != 0:
        raise OSError(ctypes.get_errno(), "setns " + path)
    os.close(fd)
target, port, namespaces = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3:]
home = "/proc/self/ns/net"
home_fd = os.open(home, os.O_RDONLY)
listeners = []
for ns in namespaces:
    setns(ns)
    s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("127.0.0.1", port)); s.listen(64); listeners.append(s)
    libc.setns(home_fd, CLONE_NEWNET)
# a file DELAY_DIR/pgdelay-N holding milliseconds slows what gateway N sends to the database by that much per
# chunk (the --rekey ours scenarios: a journal as slow as on a loaded machine); removed, full speed again
delay_dir = os.environ.get("PGFWD_DELAY_DIR", "")
def pump(a, b, gw=0):
    try:
        while True:
            d = a.recv(65536)
            if not d: break
            f = os.path.join(delay_dir, "pgdelay-%d" % gw)
            if gw and delay_dir and os.path.exists(f):
                try: time.sleep(int(open(f).read().strip() or 0) / 1000)
                except (OSError, ValueError): pass
            b.sendall(d)
    except OSError:
        pass
    for x in (a, b):
        try: x.shutdown(socket.SHUT_RDWR)
        except OSError: pass
def serve(l, gw):
    while True:
        c, _ = l.accept()
        try: u = socket.create_connection(("127.0.0.1", target))
        except OSError: c.close(); continue
        threading.Thread(target=pump, args=(c, u, gw), daemon=True).start()
        threading.Thread(target=pump, args=(u, c), daemon=True).start()
for i, l in enumerate(listeners):
    threading.Thread(target=serve, args=(l, i + 1), daemon=True).start()
print("ready", flush=True)
threading.Event().wait()
PY
PGFWD_DELAY_DIR="$work" "${nice_gw[@]}" /usr/bin/python3 "$work/pgfwd.py" "$pgport" 15432 "/run/netns/$P-gw1" "/run/netns/$P-gw2" > "$work/fwd.out" 2>&1 &
echo $! > "$work/fwd.pid"
for _ in $(seq 1 50); do grep -q ready "$work/fwd.out" && break; sleep 0.1; done
grep -q ready "$work/fwd.out" || fail "PostgreSQL forwarder did not start: $(cat "$work/fwd.out")"

# ---- the two nodes ---------------------------------------------------------------------------------------------
# --rekey ours|ours-ike: the shortest lifetime (60 s) on the SA we are to rekey, so that we start its rekey 48-54 s
# after it was made (docs/config.md: at 80-90 % of the lifetime)
lifetime=
case "$scenario" in rekey-ours|rekey-ours-delete) lifetime=" childsa lifetime 60s" ;; rekey-ours-ike) lifetime=" ikesa lifetime 60s" ;; esac
cat > "$work/palisade.conf" <<CONF
ike passive from 10.1.0.0/24 to 10.2.0.0/24 peer 192.0.2.3$lifetime srcid $VIP psk "$PSK" label to-b
CONF
# --ikev1: the documentation's IKEv1 line (docs/config.md: passive, aggressive mode, any peer that authenticates), with
# the virtual address as our ID (strongSwan expects it: remote_addrs)
[ "$scenario" != ikev1 ] || cat > "$work/palisade.conf" <<CONF
ike passive from 10.1.0.0/24 to 10.2.0.0/24 aggressive quick srcid $VIP psk "$PSK" dpd 10 label to-b
CONF
# --sites: the documentation's hub, any site that authenticates with the tunnel's PSK (one IKE SA each)
[ "$sites" = 0 ] || echo "ike passive from 10.1.0.0/24 to 10.5.0.0/16 srcid $VIP psk \"$PSK-hub\" label hub" >> "$work/palisade.conf"
chmod 600 "$work/palisade.conf"
mkdir -m 700 "$work/gw1" "$work/gw2"
"${palisade[@]}" ha init --data "$work/gw1" > "$work/ha-init.out" || fail "palisade ha init: $(cat "$work/ha-init.out")"

sed -e 's#<logger name="org.apache.pekko" level="WARN"/>#<logger name="org.apache.pekko" level="INFO"/>#' \
  "$root/ops/src/main/resources/logback.xml" > "$work/logback.xml"
start_node() { # N: palisade run in gw N's namespace, appending to its log
  local n=$1 conf=()
  [ "$n" = 1 ] && conf=(--config "$work/palisade.conf") # the config lives in the shared journal; gw2 reads it there
  # its GC log beside its log (a pause is the first suspect when a node's API stops answering), and Pekko's cluster
  # and remoting at INFO with the verbose cluster log (joins, heartbeats, reachability): what the node's log lacks to
  # say why a member became unreachable
  ip netns exec "$P-gw$n" "${nice_gw[@]}" env JAVA_TOOL_OPTIONS="${JAVA_TOOL_OPTIONS:+$JAVA_TOOL_OPTIONS }-Xlog:gc*,safepoint:file=$work/gw$n-gc-%p.log:time,uptime,level,tags:filecount=0 -Dlogback.configurationFile=$work/logback.xml -Dpekko.cluster.log-info-verbose=on${HA_PAIR_JFR:+ -XX:StartFlightRecording=settings=profile}" \
      "${palisade[@]}" run "${conf[@]}" --data "$work/gw$n" --tun halab0 --workers 1 \
      --api 127.0.0.1:8470 --cluster "$clnet.$n:25520" --seed "$clnet.1:25520" --seed "$clnet.2:25520" \
      --journal-url jdbc:postgresql://127.0.0.1:15432/palisade_ha_lab --journal-user palisade_ha_lab \
      --journal-password-file "$work/db-password" >> "$work/gw$n.log" 2>&1 &
  disown $! # its kill -9 is the point, not news
}
node_pid() { # the process listening on gw N's cluster port (the JVM, whatever launcher started it)
  ip netns exec "$P-gw$1" ss -Hltnp "sport = :25520" | grep -o 'pid=[0-9]*' | head -1 | cut -d= -f2
}
role() { # gw N's role from its API (active, standby, or nothing)
  local t; t=$(cat "$work/gw$1/api-token" 2>/dev/null) || return 0
  printf 'Authorization: Bearer %s\n' "$t" | ip netns exec "$P-gw$1" curl -sf -m 2 -H @- http://127.0.0.1:8470/v1/cluster \
    | grep -o '"role" *: *"[a-z]*"' | head -1 | sed 's/.*"\([a-z]*\)"$/\1/' || true
}
wait_role() { # N ROLE SECONDS
  local i
  for i in $(seq 1 $(($3 * 4))); do
    [ "$(role "$1")" = "$2" ] && return 0
    sleep 0.25
  done
  fail "gw$1 is not $2 after $3 s (role: '$(role "$1")')"
}
standby_restarts=0
ensure_standby() { # N: before a kill, gw N must be the standby that takes over. A standby the split-brain resolver
  # downed (seen: marked unreachable within seconds of joining, on a loaded machine) ends its membership and exits;
  # as its service manager would (Restart=on-failure), it is started again here, and the run says so
  local i why
  for i in 1 2 3 4; do [ "$(role "$1")" = standby ] && return 0; sleep 0.5; done
  if ! grep -q 'this member has been downed' "$work/gw$1.log" && [ -n "$(node_pid "$1")" ]; then
    fail "gw$1 is not standby before the kill (role '$(role "$1")'), and the resolver did not down it"
  fi
  why=$(grep -h 'this member has been downed\|Marking node as UNREACHABLE' "$work/gw$1.log" | tail -2 | cut -c1-160 \
    | tr '\n' ' ' || true)
  say "gw$1 is not standby before the kill (role '$(role "$1")'; its log: ${why:-nothing}): started again, as systemd would"
  standby_restarts=$((standby_restarts + 1))
  for _ in $(seq 1 160); do [ -z "$(node_pid "$1")" ] && break; sleep 0.25; done
  [ -z "$(node_pid "$1")" ] || fail "gw$1's downed node did not exit within 40 s"
  start_node "$1"
  wait_role "$1" standby 120
  for _ in $(seq 1 40); do [ "$(tail -1 "$work/keepalived-$1/state" 2>/dev/null | awk '{print $4}')" = BACKUP ] && break; sleep 0.25; done
}
start_node 1
wait_role 1 active 120
for f in node.key cluster.p12 pair.key; do cp -p "$work/gw1/$f" "$work/gw2/$f"; done
start_node 2
wait_role 2 standby 120
say "gw1 active, gw2 standby (same pair key: $(grep -o 'pair key [^ ]*' "$work/gw2.log" | head -1)); work dir $work"

# ---- keepalived on both gateways, as ops/ha/keepalived.conf.example ---------------------------------------------
for n in 1 2; do
  mkdir -p "$work/keepalived-$n"
  # the example, with this lab's interfaces, the LAN address too, the route that makes the virtual address the
  # source of what the gateway sends to strongSwan, and the scripts from this tree (not root-owned paths:
  # enable_script_security would refuse them)
  sed -e "s/router_id gw1/router_id gw$n/" -e '/enable_script_security/d' -e 's/interface eth0/interface wan/' \
      -e "s#$VIP/24 dev eth0#$VIP/24 dev wan\n        10.1.0.1/24 dev lan#" \
      -e "s#\"/usr/lib/palisade/palisade-ha-check#\"/usr/bin/env PALISADE_API=127.0.0.1:8470 PALISADE_TOKEN_FILE=$work/gw$n/api-token $root/ops/ha/palisade-ha-check#" \
      -e "s#\"/usr/lib/palisade/palisade-ha-notify /run/palisade/vrrp-state\"#\"$root/ops/ha/palisade-ha-notify $work/keepalived-$n/state\"#" \
      "$root/ops/ha/keepalived.conf.example" > "$work/keepalived-$n/keepalived.conf"
  routes="        src $VIP 192.0.2.3/32 dev wan"
  [ "$sites" = 0 ] || routes+="\n        src $VIP 192.0.2.32/29 dev wan" # the sites, 192.0.2.32-39
  sed -i "s#^    track_script {#    virtual_routes {\n$routes\n    }\n    track_script {#" \
      "$work/keepalived-$n/keepalived.conf"
  # --layout c: (a) with the inside address in a VRRP instance of its own, advertising on the inside segment
  if [ "$layout" = c ]; then
    sed -i '/^        10.1.0.1\/24 dev lan$/d' "$work/keepalived-$n/keepalived.conf"
    cat >> "$work/keepalived-$n/keepalived.conf" <<KA

vrrp_instance palisade_lan {
    state BACKUP
    interface lan
    virtual_router_id 52
    priority 100
    vrrp_version 3
    advert_int 0.5
    virtual_ipaddress {
        10.1.0.1/24 dev lan
    }
    track_script {
        palisade_alive
        palisade_active
    }
    notify "$root/ops/ha/palisade-ha-notify $work/keepalived-$n/state"
}
KA
  fi
  # --layout b: the adverts go to the other gateway over the management link (unicast), the addresses stay where
  # they are; each gateway goes to FAULT if its outside or inside link is down
  [ "$layout" != b ] || sed -i -e 's/^    interface wan /    interface mgt /' \
      -e "s#^    track_script {#    unicast_src_ip 10.9.0.$n\n    unicast_peer {\n        10.9.0.$((3 - n))\n    }\n    track_interface {\n        wan\n        lan\n    }\n    track_script {#" \
      "$work/keepalived-$n/keepalived.conf"
  ip netns exec "$P-gw$n" "${nice_gw[@]}" keepalived --dont-fork --log-console --log-detail --vrrp \
      -f "$work/keepalived-$n/keepalived.conf" -p "$work/keepalived-$n/keepalived.pid" \
      -r "$work/keepalived-$n/vrrp.pid" > "$work/keepalived-$n/log" 2>&1 &
  disown $!
done
for _ in $(seq 1 80); do ip -n "$P-gw1" -4 -o addr show dev wan | grep -q " $VIP/" && break; sleep 0.25; done
ip -n "$P-gw1" -4 -o addr show dev wan | grep -q " $VIP/" || fail "keepalived did not put $VIP on gw1: $(tail -5 "$work/keepalived-1/log")"

# ---- strongSwan initiates; traffic crosses ------------------------------------------------------------------------
if [ "$scenario" = ikev1 ]; then # IKEv1 aggressive mode with DPD every 3 s, as RunResumeIkev1StrongSwanTest
  "$here/strongswan.sh" conf-v1 "$work/ss" 192.0.2.3 "$VIP" 10.2.0.0/24 10.1.0.0/24 "$PSK" aggressive=yes \
    local_id=gw-b.example dpd_delay=3s dpd_timeout=30s dpd_action=clear
else
  "$here/strongswan.sh" conf "$work/ss" 192.0.2.3 "$VIP" 10.2.0.0/24 10.1.0.0/24 "$PSK"
fi
# strongSwan's log line by line and with its Child SAs' story: what it did at a takeover must survive the teardown
sed -i 's/^      ike = 2$/      ike = 2\n      chd = 2\n      flush_line = yes/' "$work/ss/strongswan.conf"
"$here/strongswan.sh" start "$P-ss" "$work/ss"
# with --layout also the VRRP adverts and ARP on the outside segment (who holds the address)
# (and always the VRRP adverts: when the other gateway became MASTER, in a takeover's timeline)
capture="udp or ip proto 112"; [ -z "$layout" ] || capture="udp or ip proto 112 or arp"
ip netns exec "$P-inet" tcpdump -i br0 -s 256 -U -w "$work/wire.pcap" "$capture" > "$work/tcpdump.out" 2>&1 &
for _ in $(seq 1 50); do grep -q listening "$work/tcpdump.out" && break; sleep 0.1; done
"$here/strongswan.sh" swanctl "$P-ss" "$work/ss" --initiate --child net > "$work/initiate.out" 2>&1 \
  || fail "strongSwan could not bring the tunnel up: $(tail -5 "$work/initiate.out")"
ok=0
for _ in $(seq 1 30); do
  ip netns exec "$P-ha" ping -c 2 -i 0.2 -W 1 10.2.0.10 >/dev/null 2>&1 && { ok=1; break; }
done
[ "$ok" = 1 ] || fail "no ping through the tunnel host-a -> host-b"
spis() { "$here/strongswan.sh" swanctl "$P-ss" "$work/ss" --list-sas | grep -o '[0-9a-f]\{16\}_i\*\? [0-9a-f]\{16\}_r' | head -1 | tr -d '*'; }
child_spis() { "$here/strongswan.sh" swanctl "$P-ss" "$work/ss" --list-sas | grep -o ' \(in\|out\) \+[0-9a-f]\{8\}' | awk '{print $2}' | tr '\n' , ; }
before=$(spis)
child_before=$(child_spis || true)
# the journal must hold the sealed IKE SA and Child SA before the kill
ok=0
for _ in $(seq 1 60); do
  ev=$(ip netns exec "$P-gw1" "${palisade[@]}" events to-b --type takeover-state --token-file "$work/gw1/api-token" 2>&1 || true)
  # (IKEv1: the ESP SA pairs are in the ISAKMP SA's state, scope ike-sa)
  if grep -q 'scope=ike-sa' <<< "$ev" && { [ "$scenario" = ikev1 ] || grep -q 'scope=child-sa' <<< "$ev"; }; then ok=1; break; fi
  sleep 1
done
[ "$ok" = 1 ] || fail "no takeover state journaled for to-b: $ev"
say "tunnel up (strongSwan IKE SA $before), takeover state journaled"

# ---- --sites N: N strongSwan sites on the hub tunnel, each its own ID and IKE SA --------------------------------
site_swan() { local k=$1; shift; "$here/strongswan.sh" swanctl "$P-s$k" "$work/s$k" "$@"; }
site_spis() { # K: site K's IKE SA SPIs (swanctl)
  site_swan "$1" --list-sas | grep -o '[0-9a-f]\{16\}_i\*\? [0-9a-f]\{16\}_r' | head -1 | tr -d '*'
}
site_child() { site_swan "$1" --list-sas | grep -o ' \(in\|out\) \+[0-9a-f]\{8\}' | awk '{print $2}' | tr '\n' , ; }
site_before=() site_child_before=()
if [ "$sites" != 0 ]; then
  t0=$(date +%s.%N)
  for k in $(seq 1 "$sites"); do
    a=192.0.2.$((31 + k))
    "$here/strongswan.sh" conf "$work/s$k" "$a" "$VIP" "10.5.$k.0/24" 10.1.0.0/24 "$PSK-hub"
    sed -i -e "s/^      id = $a$/      id = site$k.lab.example/" -e "s/^    id-1 = $a$/    id-1 = site$k.lab.example/" \
      "$work/s$k/swanctl.conf"
    sed -i 's/^      ike = 2$/      ike = 2\n      chd = 2\n      flush_line = yes/' "$work/s$k/strongswan.conf"
    "$here/strongswan.sh" start "$P-s$k" "$work/s$k" || fail "strongSwan of site $k did not start"
    site_swan "$k" --initiate --child net > "$work/s$k/initiate.out" 2>&1 \
      || fail "site $k could not bring its IKE SA up: $(tail -5 "$work/s$k/initiate.out")"
  done
  for k in $(seq 1 "$sites"); do
    ok=0
    for _ in $(seq 1 30); do
      ip netns exec "$P-h$k" ping -c 2 -i 0.2 -W 1 10.1.0.10 >/dev/null 2>&1 && { ok=1; break; }
    done
    [ "$ok" = 1 ] || fail "no ping from site $k's host to host-a"
    site_before[k]=$(site_spis "$k")
    site_child_before[k]=$(site_child "$k" || true)
  done
  ok=0
  for _ in $(seq 1 60); do
    ev=$(ip netns exec "$P-gw1" "${palisade[@]}" events hub --type takeover-state --token-file "$work/gw1/api-token" 2>&1 || true)
    if [ "$(grep -c 'scope=ike-sa' <<< "$ev")" -ge "$sites" ] && [ "$(grep -c 'scope=child-sa' <<< "$ev")" -ge "$sites" ]; then
      ok=1; break
    fi
    sleep 1
  done
  [ "$ok" = 1 ] || fail "the hub's takeover state is not journaled for $sites sites: $ev"
  say "$sites sites up on the hub tunnel ($(since "$t0") s), each pinging host-a, takeover state journaled"
fi

# ---- helpers for the two takeovers -----------------------------------------------------------------------------------
cat > "$work/ping.py" <<'PY'
import re, sys, time
# ping -D lines: "[EPOCH] 64 bytes from ...: icmp_seq=N ..."; the result over the whole run
text = open(sys.argv[1]).read()
killed = float(sys.argv[2])
replies = sorted({(float(t), int(s)) for t, s in re.findall(r"\[(\d+\.\d+)\] \d+ bytes from .*?icmp_seq=(\d+)", text)})
if len(sys.argv) > 3:  # only the replies from that instant on (the gaps after a later step)
    replies = [r for r in replies if r[0] >= float(sys.argv[3])]
if not replies:
    print("none"); sys.exit()
seqs = {s for _, s in replies}
sent = max(seqs)  # sequence numbers start at 1; the ones after the last reply are still in flight
first = min(seqs) if len(sys.argv) > 3 else 1
lost = sent - first + 1 - len(seqs)
sent = sent - first + 1
run = best = 0
for s in range(first, first + sent):
    run = run + 1 if s not in seqs else 0
    best = max(best, run)
# the longest silence from the kill on: gaps that end after it (an earlier one, up to a minute before the kill in
# the --rekey ours scenarios, is not the takeover's); with no reply after the kill, the silence runs until now
gaps = [(b[0] - a[0], a[0], b[0]) for a, b in zip(replies, replies[1:]) if b[0] > killed]
after = [t for t, _ in replies if t > killed]
if not after:
    last = max(t for t, _ in replies)
    gaps.append((time.time() - last, last, time.time()))
gap, at, upto = max(gaps) if gaps else (0, 0, 0)
resumed = "yes" if after and (upto > killed and after[-1] - upto > 1.0 or after[-1] - killed > 20) else "no"
print(f"gap_ms={round(gap * 1000)} gap_from={at - killed:.3f} lost={lost} sent={sent} lost_run={best} resumed={resumed}")
PY
cut_gateways() { # drops the frames between the two gateways' ports on both bridges (cluster, VRRP)
  local br
  for br in inet:wan lana:lan; do
    ip netns exec "$P-${br%%:*}" nft -f - <<NFT
table bridge ha_cut {
  chain forward {
    type filter hook forward priority 0; policy accept;
    iifname "${br##*:}-1" oifname "${br##*:}-2" drop
    iifname "${br##*:}-2" oifname "${br##*:}-1" drop
  }
}
NFT
  done
}
heal_gateways() { local br; for br in inet lana; do ip netns exec "$P-$br" nft delete table bridge ha_cut 2>/dev/null || true; done; }
val() { sed -n "s/.*\b$1=\([^ ]*\).*/\1/p" <<< "$2"; } # KEY "k=v k=v ...": the value of KEY
cfg() { # N SCRIPT...: palisade configure against gw N's node
  local n=$1; shift
  ip netns exec "$P-gw$n" "${palisade[@]}" configure --token-file "$work/gw$n/api-token" -- "$@"
}
commit_status() { # N ID: the status of revision ID (pending, confirmed, rolled-back ...) as gw N's API shows it
  { cfg "$1" show commits 2>/dev/null || true; } | awk -v id="$2" '$1 == id {print $2; exit}'
}
sites_res() { # TAG KILLED: the sites' pings of TAG: "sites_resumed=K sites_gap_ms=G1,G2,... sites_gap_max_ms=M"
  local k r resumed=0 gaps= max=0 g
  for k in $(seq 1 "$sites"); do
    r=$(/usr/bin/python3 "$work/ping.py" "$work/ping-$1-s$k.txt" "$2")
    [ "$(val resumed "$r")" = yes ] && resumed=$((resumed + 1))
    g=$(val gap_ms "$r"); gaps+="${g:-none},"
    [ -n "$g" ] && [ "$g" -gt "$max" ] && max=$g
  done
  echo "sites_resumed=$resumed sites_gap_ms=${gaps%,} sites_gap_max_ms=$max"
}
ping_kill() { # N TAG: ping -i 0.01 host-a -> host-b (and from every site's host to host-a with --sites), kill -9 of
  # gw N's node; sets killed_at, res (ping.py's line) and sres (sites_res's)
  local n=$1 tag=$2 victim pingpid k spids=()
  ip netns exec "$P-ha" ping -D -i 0.01 -W 1 10.2.0.10 > "$work/ping-$tag.txt" 2>&1 &
  pingpid=$!
  for k in $(seq 1 "$sites"); do
    ip netns exec "$P-h$k" ping -D -i 0.02 -W 1 10.1.0.10 > "$work/ping-$tag-s$k.txt" 2>&1 &
    spids+=($!)
  done
  sleep 3
  ensure_standby $((3 - n))
  victim=$(node_pid "$n")
  [ -n "$victim" ] || fail "no process listens on gw$n's cluster port"
  killed_at=$(date +%s.%N)
  kill -9 "$victim"
  say "kill -9 of gw$n's node (pid $victim) at $killed_at"
  for _ in $(seq 1 240); do
    res=$(/usr/bin/python3 "$work/ping.py" "$work/ping-$tag.txt" "$killed_at")
    if grep -q 'resumed=yes' <<< "$res"; then
      [ "$sites" = 0 ] && break
      [ "$(val sites_resumed "$(sites_res "$tag" "$killed_at")")" = "$sites" ] && break
    fi
    sleep 0.25
  done
  sleep 2
  kill -INT "$pingpid" "${spids[@]}" 2>/dev/null || true
  wait "$pingpid" "${spids[@]}" 2>/dev/null || true
  res=$(/usr/bin/python3 "$work/ping.py" "$work/ping-$tag.txt" "$killed_at")
  sres=; [ "$sites" = 0 ] || sres=$(sites_res "$tag" "$killed_at")
}

if [ -n "$scenario" ]; then
  # one scenario instead of the steps below (its own result line), then the EXIT trap tears the lab down
  # shellcheck source=ops/lab/ha-pair-scenarios.sh
  . "$here/ha-pair-scenarios.sh"
  exit 0
fi

# ---- a commit awaiting confirmation, ping -i 0.01 across, kill -9 the active node -------------------------------------
if [ "$iperf" != 0 ]; then
  command -v iperf3 >/dev/null || fail "--iperf needs iperf3"
  ip netns exec "$P-hb" iperf3 -s -1 -D -p 5201 >/dev/null
  for _ in $(seq 1 50); do ip netns exec "$P-hb" ss -Hltn "sport = :5201" | grep -q . && break; sleep 0.1; done
  ip netns exec "$P-ha" iperf3 -c 10.2.0.10 -p 5201 -t 30 -b "${iperf}M" -J > "$work/iperf.json" 2>&1 &
  iperfpid=$!
  sleep 2
fi
# A second tunnel (passive, to a peer that never calls: it changes nothing on the wire), committed with -time 45 on
# the active node: the commit is pending when the node dies, and is confirmed through the new active node's API.
# The config store moves with membership (~7.5 s after the kill): until then the confirm cannot reach it; retried.
cp "$work/palisade.conf" "$work/conf-2"
echo "ike passive from 10.1.0.0/24 to 10.3.0.0/24 peer 192.0.2.77 srcid $VIP psk \"$PSK-c\" label to-c" >> "$work/conf-2"
rev2=$(cfg 1 load "$work/conf-2" -time 45 "to-c, confirmed after the takeover" 2>"$work/commit-2.err") \
  || fail "commit -time 45 on gw1: $(cat "$work/commit-2.err")"
[ "$(commit_status 1 "$rev2")" = pending ] || fail "$rev2 is not pending on gw1: $(cfg 1 show commits 2>&1)"
say "$rev2 committed on gw1 with -time 45 (adds tunnel to-c), pending"
ping_kill 1 takeover
res1=$res killed=$killed_at sres1=$sres
confirmed=no confirm_s=
for _ in $(seq 1 40); do
  if cfg 2 commit-confirm "$rev2" > "$work/confirm.out" 2>&1; then
    confirmed=yes; confirm_s=$(since "$killed"); break
  fi
  sleep 1
done
status2=$(commit_status 2 "$rev2")
say "$rev2 confirmed through gw2's API: $confirmed (${confirm_s:-?} s after the kill; status now ${status2:-?})"
after=$(spis || true)
gw2role=$(role 2)
resumed_ike=no; grep -q 'resuming IKE SA' "$work/gw2.log" && resumed_ike=yes
say "gw2 is now ${gw2role:-?}; it resumed the journaled IKE SA: $resumed_ike"
say "gap: $(val gap_ms "$res1") ms without a reply (from $(val gap_from "$res1") s after the kill); lost $(val lost "$res1") of $(val sent "$res1") pings (longest run $(val lost_run "$res1")); ping resumed: $(val resumed "$res1")"
say "strongSwan IKE SA before: ${before:-none}, after: ${after:-none}"
sites_same=0
if [ "$sites" != 0 ]; then
  for k in $(seq 1 "$sites"); do
    s_after=$(site_spis "$k" || true)
    [ -n "${site_before[k]}" ] && [ "${site_before[k]}" = "$s_after" ] && sites_same=$((sites_same + 1))
    say "site $k: IKE SA before ${site_before[k]:-none}, after ${s_after:-none}"
  done
  say "sites: $(val sites_resumed "$sres1") of $sites pinging again; gaps (ms) $(val sites_gap_ms "$sres1"); $sites_same of $sites kept their IKE SA SPIs"
fi
if [ "$iperf" != 0 ]; then
  wait "$iperfpid" 2>/dev/null || true
  # per-second intervals of the TCP stream: Mbit/s before the kill, seconds with nothing, Mbit/s at the end
  /usr/bin/python3 - "$work/iperf.json" <<'PY' | sed 's/^/ha-pair: /' || true
import json, sys
try:
    d = json.load(open(sys.argv[1]))
except Exception as e:
    print(f"iperf3: no result ({e})"); sys.exit()
iv = [i["sum"]["bits_per_second"] / 1e6 for i in d.get("intervals", [])]
dead = sum(1 for x in iv if x < 0.1)
print(f"iperf3 TCP across the kill: {round(iv[0]) if iv else 0} Mbit/s in its first second, {dead} s of {len(iv)} with nothing,"
      f" {round(iv[-1]) if iv else 0} Mbit/s in its last; {round(d['end']['sum_received']['bytes'] / 1e6)} MB received")
PY
fi

# ---- replay: ESP strongSwan sent before the kill, sent again to the new active node ----------------------------------
# An attacker on the outside segment who recorded the peer's ESP before the kill sends it again to the virtual address
# (now gw2's): the Child SA gw2 resumed starts its inbound window at the high-water mark gw1 sampled into replay_mark
# (docs/ha.md "Inbound replay windows"), so what the mark covers is dropped as a replay. Packets recorded more than
# 2 s before the kill (the mark is sampled every second) must all be dropped; those of the last 2 s are sent after them
# and counted apart: the ones above the mark are accepted once (the residual exposure the documentation states).
# Sent from strongSwan's namespace (scapy, at layer 3: the kernel resolves the address to gw2's MAC) with the outer
# checksums computed again (the capture saw them before the veth's checksum offload), the ESP as recorded.
metric() { # N KEY: the value of KEY (a whole metric with its labels) in gw N's /metrics
  printf 'Authorization: Bearer %s\n' "$(cat "$work/gw$1/api-token")" \
    | ip netns exec "$P-gw$1" curl -sf -m 2 -H @- http://127.0.0.1:8470/metrics | awk -v k="$2" '$1 == k {v = $2} END {print v + 0}'
}
cat > "$work/resend.py" <<'PY'
import sys
from scapy.all import IP, UDP, rdpcap, send
packets = rdpcap(sys.argv[1])
chosen = [packets[int(n) - 1][IP] for n in sys.argv[2].split(',') if n]
for p in chosen:
    if UDP in p:
        del p[UDP].chksum
    del p[IP].chksum
send(chosen, verbose=False)
print(len(chosen))
PY
replay_step() { # sets rp_* (the result line's replay keys)
  local mark_line spi mark frames_old frames_new drops0 in0 d i
  rp_sent=0 rp_dropped=0 rp_res_sent=0 rp_res_dropped=0 rp_res_accepted=0 rp_mark= rp_mark_age= rp_ping=no
  mark_line=$(grep 'tunnel to-b: inbound replay windows start at their recorded marks' "$work/gw2.log" | tail -1 || true)
  spi=$(sed -n 's/.*spi 0x\([0-9a-f]*\) at [0-9]*.*/\1/p' <<< "$mark_line")
  rp_mark=$(sed -n 's/.*spi 0x[0-9a-f]* at \([0-9]*\).*/\1/p' <<< "$mark_line")
  # strongSwan's ESP to the virtual address on the Child SA (any of its SPIs to us), whole frames, before the kill
  tshark -r "$work/wire.pcap" -Y "esp && ip.src == 192.0.2.3 && ip.dst == $VIP && frame.time_epoch < $killed && frame.cap_len == frame.len" \
    -T fields -e frame.number -e frame.time_epoch -e esp.spi -e esp.sequence 2>/dev/null > "$work/replay.txt" || true
  # at most the 300 nearest the kill of each (ping alone: ~80 and ~150; with --iperf, the ACKs: thousands)
  frames_old=$(awk -v k="$killed" '$2 < k - 2.0 {print $1}' "$work/replay.txt" | tail -300 | paste -sd,)
  frames_new=$(awk -v k="$killed" '$2 >= k - 2.0 {print $1}' "$work/replay.txt" | tail -300 | paste -sd,)
  # how long before the kill the last packet at or below the mark arrived: the window the mark left open
  [ -n "$rp_mark" ] && rp_mark_age=$(awk -v k="$killed" -v m="$rp_mark" -v s="$spi" '
    { v = $3; sub(/^0x0*/, "", v) } v == s && $4 <= m && $2 > t { t = $2 } END { if (t) printf "%.2f", k - t }' "$work/replay.txt")
  drops0=$(metric 2 'palisade_drops_total{reason="replay"}') in0=$(metric 2 'palisade_sa_packets_total{label="to-b",direction="in"}')
  rp_sent=$(ip netns exec "$P-ss" /usr/bin/python3 "$work/resend.py" "$work/wire.pcap" "$frames_old" 2>"$work/resend.err" || echo 0)
  # each packet is dropped as a replay or taken (the tunnel's inbound count): wait until all are one or the other
  for _ in $(seq 1 20); do
    d=$(( $(metric 2 'palisade_drops_total{reason="replay"}') - drops0 )) i=$(( $(metric 2 'palisade_sa_packets_total{label="to-b",direction="in"}') - in0 ))
    [ $((d + i)) -ge "$rp_sent" ] && break
    sleep 0.25
  done
  rp_dropped=$d
  drops0=$(metric 2 'palisade_drops_total{reason="replay"}') in0=$(metric 2 'palisade_sa_packets_total{label="to-b",direction="in"}')
  rp_res_sent=$(ip netns exec "$P-ss" /usr/bin/python3 "$work/resend.py" "$work/wire.pcap" "$frames_new" 2>>"$work/resend.err" || echo 0)
  for _ in $(seq 1 20); do
    d=$(( $(metric 2 'palisade_drops_total{reason="replay"}') - drops0 )) i=$(( $(metric 2 'palisade_sa_packets_total{label="to-b",direction="in"}') - in0 ))
    [ $((d + i)) -ge "$rp_res_sent" ] && break
    sleep 0.25
  done
  rp_res_dropped=$d rp_res_accepted=$i
  ip netns exec "$P-ha" ping -c 5 -i 0.1 -W 1 10.2.0.10 > "$work/ping-replay.txt" 2>&1 || true
  [ "$(sed -n 's/.* \([0-9]*\) received.*/\1/p' "$work/ping-replay.txt")" = 5 ] && rp_ping=yes
  return 0
}
replay_t0=$(date +%s.%N)
replay_step
say "replay: gw2 started to-b's inbound window at mark ${rp_mark:-none} (the last packet at or below it ${rp_mark_age:-?} s before the kill); of the ESP strongSwan sent more than 2 s before the kill, $rp_dropped of $rp_sent sent again dropped as replays; of its last 2 s, $rp_res_dropped of $rp_res_sent dropped, $rp_res_accepted accepted once; ping after: $rp_ping ($(since "$replay_t0") s)"
[ "$rp_sent" -gt 0 ] && [ "$rp_dropped" = "$rp_sent" ] || verdict+=" replayed_dropped=$rp_dropped/$rp_sent"
[ "$rp_ping" = yes ] || verdict+=" replay_ping_after=$rp_ping"

# ---- fail-back: the killed node comes back as standby, then the new active one dies with a commit pending -------------
start_node 1
wait_role 1 standby 120
restarted=$(role 1)
# its gateway must be back in VRRP (BACKUP, its node alive) before the address can follow the lease to it
for _ in $(seq 1 40); do [ "$(tail -1 "$work/keepalived-1/state" 2>/dev/null | awk '{print $4}')" = BACKUP ] && break; sleep 0.25; done
say "gw1 started again: $(role 1); gw2: $(role 2)"
cp "$work/conf-2" "$work/conf-3"
echo "ike passive from 10.1.0.0/24 to 10.4.0.0/24 peer 192.0.2.78 srcid $VIP psk \"$PSK-d\" label to-d" >> "$work/conf-3"
rev3=$(cfg 2 load "$work/conf-3" -time 20 "to-d, left to roll back" 2>"$work/commit-3.err") \
  || fail "commit -time 20 on gw2: $(cat "$work/commit-3.err")"
committed3=$(date +%s.%N)
say "$rev3 committed on gw2 with -time 20 (adds tunnel to-d), pending; nobody confirms it"
ping_kill 2 failback
res2=$res sres2=$sres
gw1role=$(role 1)
sites_child_same=0
for k in $(seq 1 "$sites"); do
  c=$(site_child "$k" || true)
  [ -n "${site_child_before[k]}" ] && [ "${site_child_before[k]}" = "$c" ] && sites_child_same=$((sites_child_same + 1))
done
[ "$sites" = 0 ] || say "fail-back, sites: $(val sites_resumed "$sres2") of $sites pinging again; gaps (ms) $(val sites_gap_ms "$sres2"); $sites_child_same of $sites kept their Child SA"
after2=$(spis || true)
child_after2=$(child_spis || true)
resumed_back=no; [ "$(grep -c 'resuming IKE SA' "$work/gw1.log")" -ge 1 ] && resumed_back=yes
say "gw1 is now ${gw1role:-?}; it resumed the journaled IKE SA: $resumed_back"
say "fail-back gap: $(val gap_ms "$res2") ms without a reply (from $(val gap_from "$res2") s after the kill); lost $(val lost "$res2") of $(val sent "$res2") pings (longest run $(val lost_run "$res2")); ping resumed: $(val resumed "$res2")"
say "strongSwan IKE SA after the fail-back: ${after2:-none}; its Child SA's SPIs before the first kill: ${child_before%,}, now: ${child_after2%,}"
status3=
for _ in $(seq 1 90); do
  status3=$(commit_status 1 "$rev3")
  [ "$status3" = rolled-back ] && break
  sleep 1
done
# when gw1 rolled it back, from its log (the API's view is polled with a client process each time: slower)
rolled_at=$(grep "revision $rev3 was not confirmed in time" "$work/gw1.log" | tail -1 | cut -d' ' -f1 || true)
rolled_s=$([ -n "$rolled_at" ] && awk -v a="$(date -d "$rolled_at" +%s.%N)" -v b="$committed3" 'BEGIN { printf "%.1f", a - b }')
running=$({ cfg 1 show 2>/dev/null || true; } | sed -n 's/^# running revision //p')
labels=$({ cfg 1 show 2>/dev/null || true; } | grep -o 'label [a-z0-9-]*' | awk '{print $2}' | sort | tr '\n' , || true)
tunnels=$(ip netns exec "$P-gw1" "${palisade[@]}" status --token-file "$work/gw1/api-token" 2>/dev/null \
  | awk 'NR > 1 && $1 ~ /^to-/ {print $1}' | sort | tr '\n' , || true)
status2_end=$(commit_status 1 "$rev2")
say "$rev3 on gw1: ${status3:-?} (${rolled_s} s after it was committed); $rev2: ${status2_end:-?}; running: ${running:-?} (tunnels in the config: ${labels%,}; in status: ${tunnels%,})"
config_ok=no
want_labels=to-b,to-c,; [ "$sites" = 0 ] || want_labels=hub,to-b,to-c,
[ "$running" = "$rev2" ] && [ "$labels" = "$want_labels" ] && [ "$tunnels" = "to-b,to-c," ] && config_ok=yes

# ---- PostgreSQL restarted under load: ping across, commits through the API around the restart ----------------------
api1() { # METHOD PATH [curl args...]: gw1's API, the token in a header read from stdin
  local m=$1 path=$2; shift 2
  printf 'Authorization: Bearer %s\n' "$(cat "$work/gw1/api-token")" \
    | ip netns exec "$P-gw1" curl -s -m 5 -H @- -X "$m" "$@" "http://127.0.0.1:8470$path"
}
standby_before=$(grep -c 'lost the active lease\|while active: standby' "$work/gw1.log" || true)
ip netns exec "$P-ha" ping -D -i 0.01 -W 1 10.2.0.10 > "$work/ping-pg.txt" 2>&1 &
pgping=$!
# each commit the same config (nothing to reconcile): a journal write the API acknowledges (201/200 and an id) or not
( for i in $(seq 1 40); do
    out=$(api1 POST "/v1/config/commits?message=pg-$i" -H 'Content-Type: text/plain' --data-binary @"$work/conf-2" \
          -w ' %{http_code}' 2>/dev/null || true)
    code=${out##* }; id=$(grep -o '"id" *: *"c-[0-9]*"' <<< "$out" | grep -o 'c-[0-9]*' | head -1 || true)
    echo "$(date +%s.%N) $code ${id:--}"
    sleep 0.2
  done ) > "$work/pg-commits.txt" &
committer=$!
sleep 2
restart_at=$(date +%s.%N)
pg_lab restart
restart_s=$(since "$restart_at")
say "PostgreSQL restarted (pg_ctlcluster restart: $restart_s s) under ping and commits through gw1's API"
wait "$committer" || true
sleep 2
kill -INT "$pgping" 2>/dev/null || true
wait "$pgping" 2>/dev/null || true
res3=$(/usr/bin/python3 "$work/ping.py" "$work/ping-pg.txt" "$restart_at")
acked=$(awk '$2 ~ /^20[01]$/ && $3 != "-" {print $3}' "$work/pg-commits.txt" | sort -u)
refused=$(awk '$2 !~ /^20[01]$/' "$work/pg-commits.txt" | wc -l)
last_ok=$(tail -1 "$work/pg-commits.txt" | awk '{print $2}')
journal=$(api1 GET /v1/config/commits | grep -o '"id" *: *"c-[0-9]*"' | grep -o 'c-[0-9]*' | sort -u || true)
missing=$(comm -23 <(echo "$acked") <(echo "$journal") | grep -c . || true)
standby_after=$(grep -c 'lost the active lease\|while active: standby' "$work/gw1.log" || true)
stood_down=no; [ "$standby_after" -gt "$standby_before" ] && stood_down=yes
pgrole=$(role 1)
say "across the restart: $(val gap_ms "$res3") ms longest without a reply; lost $(val lost "$res3") of $(val sent "$res3") pings; gw1 stood down: $stood_down, now ${pgrole:-?}"
say "commits acknowledged: $(grep -c . <<< "$acked"), refused or unanswered: $refused, the last one: ${last_ok:-?}; acknowledged but not in the journal: $missing"

# ---- partition: the link between the two gateways cut, both still reach PostgreSQL and strongSwan ------------------
start_node 2
wait_role 2 standby 120
for _ in $(seq 1 40); do [ "$(tail -1 "$work/keepalived-2/state" 2>/dev/null | awk '{print $4}')" = BACKUP ] && break; sleep 0.25; done
ip netns exec "$P-ha" ping -D -i 0.01 -W 1 10.2.0.10 > "$work/ping-cut.txt" 2>&1 &
cutping=$!
sleep 2
# frames between the two gateways' ports are dropped on both bridges (cluster, VRRP); PostgreSQL is reached through
# the root namespace, strongSwan and the hosts through the other ports
cut_gateways
cut_at=$(date +%s.%N)
say "link between gw1 and gw2 cut (both bridges) at $cut_at"
: > "$work/roles-cut.txt"
for _ in $(seq 1 60); do
  echo "$(date +%s.%N) $(role 1 || true) $(role 2 || true)" >> "$work/roles-cut.txt"
  sleep 0.25
done
kill -INT "$cutping" 2>/dev/null || true
wait "$cutping" 2>/dev/null || true
res4=$(/usr/bin/python3 "$work/ping.py" "$work/ping-cut.txt" "$cut_at")
cut_roles="gw1=$(role 1) gw2=$(role 2)"
# who stood down when, from the nodes' logs (database time is not needed: both logs use this machine's clock)
cut_down=
for n in 1 2; do
  t=$(grep 'lost the active lease\|while active: standby' "$work/gw$n.log" | tail -1 | cut -d' ' -f1 || true)
  if [ -n "$t" ] && [ "$(date -d "$t" +%s)" -ge "${cut_at%.*}" ]; then
    cut_down="gw$n $(awk -v a="$(date -d "$t" +%s.%N)" -v b="$cut_at" 'BEGIN { printf "%.2f", a - b }') s"
  fi
done
# a member the resolver downs (itself included) leaves the cluster and stops: when, after the cut
for n in 1 2; do
  t=$(grep 'including myself' "$work/gw$n.log" | tail -1 | cut -d' ' -f1 || true)
  if [ -n "$t" ] && [ "$(date -d "$t" +%s)" -ge "${cut_at%.*}" ]; then
    cut_down="${cut_down:+$cut_down, }gw$n downed itself $(awk -v a="$(date -d "$t" +%s.%N)" -v b="$cut_at" 'BEGIN { printf "%.2f", a - b }') s"
  fi
done
both_active=$(awk '$2 == "active" && $3 == "active"' "$work/roles-cut.txt" | wc -l)
say "after the cut: $cut_roles; stood down: ${cut_down:-nobody}; samples with both nodes active: $both_active of 60"
say "across the cut: $(val gap_ms "$res4") ms longest without a reply; lost $(val lost "$res4") of $(val sent "$res4") pings"
heal_gateways

sleep 1
kill -INT "$(ip netns pids "$P-inet" | head -1)" 2>/dev/null || true
for _ in $(seq 1 50); do [ -z "$(ip netns pids "$P-inet")" ] && break; sleep 0.1; done

# ---- what the wire says ----------------------------------------------------------------------------------------
inits_after=$(tshark -r "$work/wire.pcap" -Y "isakmp.exchangetype == 34 && frame.time_epoch > $killed" -T fields -e frame.number 2>/dev/null | wc -l)
tshark -r "$work/wire.pcap" -Y esp -T fields -e ip.src -e esp.spi -e esp.sequence 2>/dev/null > "$work/esp.txt"
esp=$(wc -l < "$work/esp.txt")
# ours: what the pair sent (from the virtual address). The peers' ESP can be on the bridge twice without any peer
# sending it twice: with --sites, a site's packet that reached the dead node's gateway while no gateway held the
# virtual address is forwarded by that gateway (ip_forward) to the new holder once its gratuitous ARP is out — the
# same frame again with the gateway's MAC (seen: ~25 per site at each kill, ping -i 0.02). Counted apart.
repeated=$(awk -v v="$VIP" '$1 == v {print $2, $3}' "$work/esp.txt" | sort | uniq -d | wc -l)
repeated_peers=$(awk -v v="$VIP" '$1 != v {print $2, $3}' "$work/esp.txt" | sort | uniq -d | wc -l)
# ESP the gateways sent after the cut, by source MAC in capture order: a handover is one switch; two senders at
# once would interleave (more switches)
read -r esp_cut_macs esp_cut_switches < <(tshark -r "$work/wire.pcap" \
  -Y "esp && ip.src == $VIP && frame.time_epoch > $cut_at" -T fields -e eth.src 2>/dev/null \
  | awk 'NR == 1 || $1 != last { if (NR > 1) sw++; last = $1 } { seen[$1] = 1 } END { n = 0; for (m in seen) n++; print n + 0, sw + 0 }')
say "ESP from the gateways after the cut: from $esp_cut_macs MAC(s), $esp_cut_switches switch(es) between them"
same=no; [ -n "$before" ] && [ "$before" = "$after" ] && same=yes
# a second takeover of one IKE SA rekeys it (docs/ha.md: strongSwan cannot answer a second message ID sync under
# AES-GCM), so its SPIs change there; the Child SA must stay
same2=none; [ -n "$after2" ] && same2=rekeyed; [ -n "$before" ] && [ "$before" = "$after2" ] && same2=same
child_same=no; [ -n "$child_before" ] && [ "$child_before" = "$child_after2" ] && child_same=yes
say "IKE_SA_INIT on the wire after the first kill: $inits_after"
say "repeated (SPI, sequence) pairs on the bridge: $repeated among the pair's $(awk -v v="$VIP" '$1 == v' "$work/esp.txt" | wc -l) ESP packets (both takeovers); among the peers' (forwarded copies, above): $repeated_peers"
sites_kv=
if [ "$sites" != 0 ]; then
  sites_kv=" sites=$sites $sres1 sites_spis_same=$sites_same $(sed 's/sites_/failback_sites_/g' <<< "$sres2") failback_sites_child_same=$sites_child_same"
  [ "$(val sites_resumed "$sres1")" = "$sites" ] || verdict+=" sites_resumed=$(val sites_resumed "$sres1")"
  [ "$(val sites_resumed "$sres2")" = "$sites" ] || verdict+=" failback_sites_resumed=$(val sites_resumed "$sres2")"
  [ "$sites_same" = "$sites" ] || verdict+=" sites_spis_same=$sites_same"
fi
result "ha-pair-result gap_ms=$(val gap_ms "$res1") lost=$(val lost "$res1") sent=$(val sent "$res1") resumed_ping=$(val resumed "$res1") active_after=$gw2role spis_same=$same ike_sa_init_after=$inits_after repeated=$repeated repeated_peers=$repeated_peers esp=$esp resumed_ike=$resumed_ike restarted=$restarted commit_confirmed=$confirmed confirm_status=${status2:-} confirm_s=${confirm_s:-} failback_gap_ms=$(val gap_ms "$res2") failback_resumed_ping=$(val resumed "$res2") active_back=$gw1role failback_ike_sa=$same2 failback_child_same=$child_same failback_resumed_ike=$resumed_back rollback_status=${status3:-} rollback_s=$rolled_s confirmed_end=${status2_end:-} config_ok=$config_ok pg_restart_s=$restart_s pg_gap_ms=$(val gap_ms "$res3") pg_lost=$(val lost "$res3") pg_stood_down=$stood_down pg_role=$pgrole pg_acked=$(grep -c . <<< "$acked") pg_refused=$refused pg_last=$last_ok pg_missing=$missing cut_gap_ms=$(val gap_ms "$res4") cut_both_active=$both_active cut_esp_macs=$esp_cut_macs cut_esp_switches=$esp_cut_switches cut_down=$(tr ' ' : <<< "${cut_down:-none}") cut_gw1=$(role 1) cut_gw2=$(role 2) replayed_sent=$rp_sent replayed_dropped=$rp_dropped replay_residual_sent=$rp_res_sent replay_residual_dropped=$rp_res_dropped replay_residual_accepted=$rp_res_accepted replay_mark=${rp_mark:-none} replay_mark_age_s=${rp_mark_age:-none} replay_ping_after=$rp_ping${sites_kv:-}"
