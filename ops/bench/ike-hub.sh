#!/usr/bin/env bash
# A hub with TUNNELS IKEv2 tunnels, Palisade beside strongSwan in one run (docs/benchmarks.md, "A hub: 10,000 IKE
# tunnels on one node"):
#   - gw-a holds a whole /16 of peer addresses, 10.200.0.1 and up (an AnyIP route: `ip route add local
#     10.200.0.0/16 dev lo`, so every address in it is bindable without 10,000 `ip addr` entries); gw-b routes the /16
#     through gw-a (one neighbour entry instead of 10,000: the kernel's ARP table holds 1,024 by default).
#   - the load generator on gw-a (net.palisade.controlplane.bench.IkeHubGenerator: the product's IkeSession as
#     initiator, one source address and two UDP sockets per peer, a few event-loop threads) brings TUNNELS long-lived
#     IKE SAs with their first Child SA up and keeps them: it answers the hub's liveness checks and sends its own
#     every PEER_DPD s, and negotiates again when its IKE SA goes.
#   - for each responder on gw-b, strongSwan 5.9.8 first, then a `palisade run` node:
#       cold start: the generator is already knocking when the responder starts; time from the responder's start
#                   until every peer holds its Child SA (generator), and for Palisade until the journal holds a
#                   child-sa-installed of every tunnel;
#       held:       HOLD seconds with everything up: IKE SAs lost meanwhile (should be 0), responder memory;
#       restart:    kill -9 of the responder, started again at once; time from the kill until every peer is up
#                   again. Neither keeps IKE SAs across the kill here (Palisade resumes journaled IKE SAs only with a
#                   pair key, docs/ha.md), so the peers notice through their own DPD (PEER_DPD s, then 1+2+4 s of
#                   retransmissions) and negotiate again.
#   Responders: strongSwan with one connection per peer (SS_CONF=each, the default: remote_addrs and remote_ts per
#   peer, as the hub's own config has) or one %any connection with unique = never (SS_CONF=any); Palisade with one
#   `passive` tunnel per peer (`peer 10.200.x.y`, its own `to` network), the dataplane on (every Child SA in the
#   workers, a route per site on the TUN device) and the journal on (embedded H2); PAL_CONF=any instead gives it
#   one `passive` tunnel without a peer for all of them (docs/config.md, "One passive tunnel for many sites"). Both: DPD every DPD s towards the
#   peers, IKE AES-128-GCM / PRF HMAC-SHA2-256 / Curve25519, ESP AES-128-GCM, one PSK, UDP encapsulation.
#
#   ops/bench/ike-hub.sh [TUNNELS=1000] [WINDOW=64]      (as root)
#   TRAFFIC=50 ops/bench/ike-hub.sh 1000                  (the same, with traffic through 50 of the tunnels)
#
# TRAFFIC=K: 5 s after all peers are first up, peers 0..K-1 send TRAFFIC_PPS (default 100) ICMP echoes a second
# each, TRAFFIC_PAYLOAD (default 1000) octets, for TRAFFIC_SECONDS (default 30), sealed into their Child SAs by the
# generator (the dataplane's own ESP transforms with the negotiated keys), from the first address of each peer's
# network to host-b (10.2.0.10) behind the responder; the replies come back through the same tunnels. The table
# then says how many came back, their round trip, and the responder's CPU over those seconds.
#
# WINDOW: setups the generator keeps in flight at most. Environment: RESPONDERS="strongswan palisade" (either alone
# for a quick run), SS_CONF=each|any, DPD=30 (hub side), PEER_DPD=10, HOLD=30, LIMIT=900 (seconds a phase may take),
# SS_TUNE=0 leaves charon's IKE_SA hash table at its default size (1 bucket; the script sets 8192 in 16 segments).
# PALISADE_JAVA_OPTS reaches the node's JVM, LAB_PREFIX (default ikhb), KEEP=1 keeps the work files.
# RESPONDER_ROOT=DIR runs the Palisade node from another checkout (its ops/bin/palisade, built there; a before/after
# comparison), the generator from this one.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
lab="$root/ops/lab"
palisade="${RESPONDER_ROOT:-$root}/ops/bin/palisade"
n=${1:-1000} window=${2:-64}
responders=${RESPONDERS:-strongswan palisade}
traffic=${TRAFFIC:-0} traffic_pps=${TRAFFIC_PPS:-100} traffic_payload=${TRAFFIC_PAYLOAD:-1000}
traffic_secs=${TRAFFIC_SECONDS:-30}
ss_conf=${SS_CONF:-each} pal_conf=${PAL_CONF:-each} dpd=${DPD:-30} peer_dpd=${PEER_DPD:-10} hold=${HOLD:-30} limit=${LIMIT:-900}
P=${LAB_PREFIX:-ikhb}
export JAVA_HOME=${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}
[ "$(id -u)" -eq 0 ] || { echo "ike-hub: run as root (namespaces, TUN devices)" >&2; exit 2; }
[ "$n" -ge 1 ] && [ "$n" -le 30000 ] || { echo "ike-hub: TUNNELS must be 1..30000" >&2; exit 2; }
case "$ss_conf$pal_conf" in eacheach|eachany|anyeach|anyany) ;; *) echo "ike-hub: SS_CONF and PAL_CONF take each or any" >&2; exit 2 ;; esac

W=$(mktemp -d /tmp/ike-hub.XXXXXX)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill -9 "$pid" 2>/dev/null || true; done
  "$lab/strongswan.sh" stop "$P-gwb" "$W/ss" 2>/dev/null || true
  "$lab/netns.sh" down "$P" >/dev/null 2>&1 || true
  [ "${KEEP:-0}" = 1 ] && echo "ike-hub: work files kept in $W" >&2 || rm -rf "$W"
}
trap cleanup EXIT
log() { echo "ike-hub: $(date -u +%T) $*" >&2; }
now_ms() { date +%s%3N; }
secs() { awk -v a="$1" -v b="$2" 'BEGIN{printf "%.1f", (b - a) / 1000}'; }

# ------------------------------------------------------------------------------------------------ build, lab
# BUILD=0 skips the package step (the distribution and test classes already built from this tree)
[ "${BUILD:-1}" = 0 ] || (cd "$root" && ./mvnw -B -o -q -DskipTests package >&2)
touch "$root/ops/target/palisade/.built"
cp_gen="$root/control-plane/target/test-classes:$(ls "$root"/ops/target/palisade/lib/*.jar | tr '\n' ':')"

"$lab/netns.sh" up "$P" >/dev/null
ip -n "$P-gwa" route add local 10.200.0.0/16 dev lo
ip -n "$P-gwb" route add 10.200.0.0/16 via 192.0.2.1
ip netns exec "$P-gwb" ping -c1 -W2 -q 10.200.0.1 >/dev/null || { echo "ike-hub: gw-b cannot reach 10.200.0.1" >&2; exit 1; }
head -c 24 /dev/urandom | base64 | tr -d '/+=' > "$W/psk"   # never printed
chmod 600 "$W/psk"
psk=$(cat "$W/psk")
ike_words="enc aes-128-gcm prf hmac-sha2-256 group curve25519"
ss_ike=aes128gcm16-prfsha256-x25519 ss_esp=aes128gcm16-x25519
ss_what=$([ "$ss_conf" = each ] && echo "$n connections" || echo "one %any connection")
pal_what=$([ "$pal_conf" = each ] && echo "$n passive tunnels" || echo "one passive tunnel without peer")
# peer i (from 0) is 10.200.0.1 + i with the network 10.(100 + i / 256).(i % 256).0/24 (IkeHubGenerator.site)

# Each generator process opens two sockets per peer; the open-file limit here may not be raised (it was not, as root,
# on the machines of docs/benchmarks.md), so the peers are shared among as many processes as that limit needs.
per_proc=$(( ($(ulimit -Hn) - 1000) / 2 ))
[ "$per_proc" -ge 100 ] || { echo "ike-hub: open-file limit $(ulimit -Hn) is too low" >&2; exit 2; }
ulimit -n "$(ulimit -Hn)"
procs=$(( (n + per_proc - 1) / per_proc ))
per_proc=$(( (n + procs - 1) / procs ))   # the same share for each
[ "$traffic" -le "$per_proc" ] || { echo "ike-hub: TRAFFIC must be at most $per_proc" >&2; exit 2; }
gen_out="" gen_outs=() gen_pids=()
start_generator() { # NAME: the generator processes on gw-a, output in $W/gen-NAME-J.out; sets gen_out (process 0's)
  gen_outs=() gen_pids=()
  rm -f "$W/mark"
  local j first count t
  for j in $(seq 0 $((procs - 1))); do
    first=$((j * per_proc)) count=$(( n - j * per_proc < per_proc ? n - j * per_proc : per_proc ))
    t=$([ "$j" = 0 ] && echo "$traffic" || echo 0)
    ip netns exec "$P-gwa" "$JAVA_HOME/bin/java" -Xmx1g --enable-native-access=ALL-UNNAMED -cp "$cp_gen" \
      net.palisade.controlplane.bench.IkeHubGenerator --name "$1" --responder 192.0.2.2 --source 10.200.0.1 \
      --first-index "$first" --peers "$count" --window "$((window / procs > 2 ? window / procs : 2))" \
      --dpd "$peer_dpd" --proposal "$ike_words" --psk-file "$W/psk" \
      --mark-file "$W/mark" --traffic "$t" --traffic-pps "$traffic_pps" --traffic-payload "$traffic_payload" \
      --traffic-seconds "$traffic_secs" --traffic-after 5 > "$W/gen-$1-$j.out" 2> "$W/gen-$1-$j.err" &
    pids+=($!) gen_pids+=($!) gen_outs+=("$W/gen-$1-$j.out")
  done
  gen_out=${gen_outs[0]}
  for j in $(seq 0 $((procs - 1))); do
    for _ in $(seq 1 600); do
      grep -q 'sockets open' "${gen_outs[$j]}" 2>/dev/null && break
      kill -0 "${gen_pids[$j]}" 2>/dev/null || { echo "ike-hub: generator exited:" >&2; tail -20 "$W/gen-$1-$j.err" >&2; exit 1; }
      sleep 0.2
    done
    grep -q 'sockets open' "${gen_outs[$j]}" || { echo "ike-hub: generator $j did not open its sockets" >&2; exit 1; }
  done
}
stop_generator() { local pid; for pid in "${gen_pids[@]}"; do kill -9 "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; done; }
mark() { echo "$1" > "$W/mark.tmp"; mv "$W/mark.tmp" "$W/mark"; }
all_up_lines() { local f; for f in "${gen_outs[@]}"; do grep -c 'all-up' "$f" || true; done | tr '\n' ' '; }
# waits until every generator process reports all its peers up since the current mark; prints "seconds" or "-"
wait_all_up() { # MARK_MS
  local seen now_seen f at=0 a j ok
  read -r -a seen <<<"$(all_up_lines)"
  for _ in $(seq 1 $((limit * 2))); do
    read -r -a now_seen <<<"$(all_up_lines)"
    ok=1
    for j in "${!seen[@]}"; do [ "${now_seen[$j]}" -gt "${seen[$j]}" ] || ok=0; done
    if [ "$ok" = 1 ]; then
      for f in "${gen_outs[@]}"; do
        a=$(grep 'all-up' "$f" | tail -1 | sed 's/.* at=\([0-9]*\).*/\1/')
        [ "$a" -gt "$at" ] && at=$a
      done
      secs "$1" "$at"; return 0
    fi
    sleep 0.5
  done
  echo "-"
}
# the earliest first_after_mark_s of the processes' last all-up lines
first_up() { local f; for f in "${gen_outs[@]}"; do grep 'all-up' "$f" | tail -1 | sed -n 's/.* first_after_mark_s=\([^ ]*\).*/\1/p'; done | sort -g | head -1 || true; }
# downs: summed over the processes; failures: each process's, joined
gen_field() {
  local f
  for f in "${gen_outs[@]}"; do grep '^ike-hub: at=' "$f" | tail -1 | sed -n "s/.* $1=\([^ ]*\).*/\1/p"; done \
    | if [ "$1" = downs ]; then awk '{s += $1} END {print s + 0}'; else paste -sd' '; fi || true
}
cpu_s() { awk -v hz="$(getconf CLK_TCK)" '{ sub(/^.*\) /, ""); split($0, f, " "); printf "%.2f", (f[12] + f[13]) / hz }' "/proc/$1/stat"; }
# with TRAFFIC: waits for the generator's traffic summary; prints "sent replies lost% p50 p99 responder_cpu_s"
traffic_run() { # PID of the responder
  [ "$traffic" -gt 0 ] || { echo "- - - - - -"; return; }
  local from="" line="" c0 c1
  for _ in $(seq 1 120); do
    from=$(sed -n 's/.*traffic through .* from at=\([0-9]*\).*/\1/p' "$gen_out")
    [ -n "$from" ] && break
    sleep 0.5
  done
  [ -n "$from" ] || { echo "- - - - - -"; return; }
  sleep "$(awk -v f="$from" -v n="$(now_ms)" 'BEGIN{d = (f - n) / 1000; print (d > 0 ? d : 0)}')"
  c0=$(cpu_s "$1")
  sleep "$traffic_secs"
  c1=$(cpu_s "$1")
  for _ in $(seq 1 60); do
    line=$(grep 'ike-hub: traffic sent=' "$gen_out" || true)
    [ -n "$line" ] && break
    sleep 0.5
  done
  f() { sed -n "s/.* $1=\([^ ]*\).*/\1/p" <<<"$line"; }
  echo "$(f sent) $(f replies) $(f lost_pct) $(f rtt_p50_ms) $(f rtt_p99_ms) $(awk -v a="$c0" -v b="$c1" 'BEGIN{printf "%.1f", b - a}')"
}
rss_mib() { awk '/VmRSS/ {printf "%.0f", $2 / 1024}' "/proc/$1/status"; }

# ------------------------------------------------------------------------------------------------ strongSwan
declare -A R
if [[ " $responders " == *" strongswan "* ]]; then
  "$lab/strongswan.sh" conf-any "$W/ss" 192.0.2.2 10.2.0.0/24 10.0.0.0/8 "$psk" "$ss_ike" "$ss_esp"
  # strongSwan's IKE_SA table has 1 bucket unless told (strongswan.conf(5)); a hub of thousands sizes it
  [ "${SS_TUNE:-1}" = 1 ] && sed -i 's/^  port_nat_t = 4500$/  port_nat_t = 4500\n  ikesa_table_size = 8192\n  ikesa_table_segments = 16/' "$W/ss/strongswan.conf"
  if [ "$ss_conf" = each ]; then
    /usr/bin/python3 - "$n" "$ss_ike" "$ss_esp" "$dpd" "$W/psk" > "$W/ss/swanctl.conf" <<'PY'
import sys
n, ike, esp, dpd, psk = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4], open(sys.argv[5]).read().strip()
out = ["connections {"]
for i in range(n):
    a = "10.200.%d.%d" % ((i + 1) // 256, (i + 1) % 256)
    site = "10.%d.%d.0/24" % (100 + i // 256, i % 256)
    out += ["  hub-%d {" % i, "    version = 2", "    local_addrs = 192.0.2.2", "    remote_addrs = " + a,
            "    encap = yes", "    proposals = " + ike, "    dpd_delay = " + dpd,
            "    local {", "      auth = psk", "      id = 192.0.2.2", "    }",
            "    remote {", "      auth = psk", "      id = " + a, "    }",
            "    children {", "      net {", "        local_ts = 10.2.0.0/24", "        remote_ts = " + site,
            "        esp_proposals = " + esp, "        start_action = none", "      }", "    }", "  }"]
out += ["}", "secrets {", "  ike-hub {", '    secret = "%s"' % psk, "  }", "}"]
print("\n".join(out))
PY
  else
    sed -i "s/^    unique = never\$/    unique = never\n    dpd_delay = $dpd/" "$W/ss/swanctl.conf"
  fi
  chmod 600 "$W/ss/swanctl.conf"
  start_generator strongswan
  t0=$(now_ms); mark "$t0"
  log "strongSwan: starting charon with $ss_what"
  "$lab/strongswan.sh" start "$P-gwb" "$W/ss"
  R[ss_ready]=$(secs "$t0" "$(now_ms)")
  charon=$(cat "$W/ss/charon.pid")
  R[ss_cold]=$(wait_all_up "$t0")
  log "strongSwan: all $n up after ${R[ss_cold]} s (started in ${R[ss_ready]} s)"
  read -r R[ss_t_sent] R[ss_t_rcvd] R[ss_t_lost] R[ss_t_p50] R[ss_t_p99] R[ss_t_cpu] < <(traffic_run "$charon")
  log "strongSwan: holding ${hold} s"
  downs0=$(gen_field downs)
  sleep "$hold"
  R[ss_lost]=$(( $(gen_field downs) - downs0 ))
  R[ss_ikesas]=$("$lab/strongswan.sh" swanctl "$P-gwb" "$W/ss" --stats | sed -n 's/.*IKE_SAs: \([0-9]*\) total.*/\1/p' || echo "?")
  R[ss_children]=$("$lab/strongswan.sh" swanctl "$P-gwb" "$W/ss" --list-sas 2>/dev/null | grep -c INSTALLED || true)
  R[ss_rss]=$(rss_mib "$charon" || echo "?")
  t1=$(now_ms); mark "$t1"
  log "strongSwan: kill -9 and start again"
  kill -9 "$charon"
  "$lab/strongswan.sh" start "$P-gwb" "$W/ss"
  R[ss_ready2]=$(secs "$t1" "$(now_ms)")
  R[ss_restart]=$(wait_all_up "$t1")
  R[ss_first2]=$(first_up)
  R[ss_rss2]=$(rss_mib "$(cat "$W/ss/charon.pid")" || echo "?")
  R[ss_fail]=$(gen_field failures)
  log "strongSwan: all $n up again ${R[ss_restart]} s after the kill"
  stop_generator
  "$lab/strongswan.sh" stop "$P-gwb" "$W/ss"
  # charon with thousands of IKE SAs takes seconds to exit, and holds port 4500 until it has: the node needs it
  for _ in $(seq 1 150); do
    ip netns exec "$P-gwb" ss -Hlun 'sport = :4500' | grep -q . || break
    sleep 0.2
  done
  for pid in $(ip netns pids "$P-gwb"); do
    [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = charon ] && kill -9 "$pid" 2>/dev/null || true
  done
  sleep 1
fi

# ------------------------------------------------------------------------------------------------ Palisade
api() { # PATH [curl args...]
  local path=$1; shift
  ip netns exec "$P-gwb" curl -sf -H "Authorization: Bearer $(cat "$W/data/api-token")" "$@" "http://127.0.0.1:8470$path"
}
start_node() { # LOG: palisade run on gw-b; prints the pid once /readyz answers
  ip netns exec "$P-gwb" "$palisade" run --data "$W/data" --api 127.0.0.1:8470 --tun ikhb0 --workers 1 \
    --config "$W/hub.conf" >> "$W/$1" 2>&1 &
  local pid=$!
  for _ in $(seq 1 $((limit * 4))); do
    ip netns exec "$P-gwb" curl -sf http://127.0.0.1:8470/readyz >/dev/null 2>&1 && { echo "$pid"; return 0; }
    kill -0 "$pid" 2>/dev/null || { echo "ike-hub: node exited:" >&2; tail -20 "$W/$1" >&2; return 1; }
    sleep 0.25
  done
  echo "ike-hub: node not ready" >&2; return 1
}
# the journal's view: tunnels with a child-sa-installed since MARK_MS, and when the last of them got its first
journal_up() { # MARK_MS: prints "tunnels seconds_after_mark"
  local since; since=$(date -u -d "@$(awk -v m="$1" 'BEGIN{printf "%.3f", m / 1000}')" +%Y-%m-%dT%H:%M:%S.%3NZ)
  api "/v1/events?type=child-sa-installed&since=$since" | /usr/bin/python3 -c '
import datetime, json, re, sys
def ts(t):
    if isinstance(t, (int, float)):
        return float(t)
    t = re.sub(r"(\.\d{6})\d+", r"\1", t.replace("Z", "+00:00"))
    return datetime.datetime.fromisoformat(t).timestamp()
first = {}
for e in json.load(sys.stdin):
    # one tunnel per peer: its label; one tunnel for all: each peer has its own IKE SA
    k = e.get("label") if sys.argv[2] == "each" else (e.get("label"), e.get("sa", {}).get("ikeSa"))
    first[k] = min(first.get(k, 1e18), ts(e["time"]))
print(len(first), "%.1f" % (max(first.values()) - float(sys.argv[1]) / 1000) if first else "-")' "$1" "$pal_conf" 2>/dev/null || echo "? -"
}
wait_journal() { # MARK_MS: waits until the journal holds every tunnel (or the limit); prints "tunnels seconds"
  local r=""
  for _ in $(seq 1 $((limit / 2))); do
    r=$(journal_up "$1")
    [ "${r%% *}" = "$n" ] && break
    sleep 2
  done
  echo "$r"
}
heap_mib() { # PID: heap used after a full GC
  "$JAVA_HOME/bin/jcmd" "$1" GC.run >/dev/null
  "$JAVA_HOME/bin/jcmd" "$1" GC.heap_info | sed -n 's/.*used \([0-9]*\)K.*/\1/p' | head -1 | awk '{printf "%.0f", $1 / 1024}'
}
journal_mib() { du -sm "$W/data" | awk '{print $1}'; }

if [[ " $responders " == *" palisade "* ]]; then
  if [ "$pal_conf" = any ]; then
    echo "ike passive from 10.2.0.0/24 to 10.0.0.0/8 $ike_words psk \"$psk\" dpd $dpd label hub" > "$W/hub.conf"
  else
  awk -v n="$n" -v words="$ike_words" -v psk="$psk" -v dpd="$dpd" 'BEGIN {
    for (i = 0; i < n; i++)
      printf "ike passive from 10.2.0.0/24 to 10.%d.%d.0/24 peer 10.200.%d.%d %s psk \"%s\" dpd %s label hub-%d\n",
        100 + int(i / 256), i % 256, int((i + 1) / 256), (i + 1) % 256, words, psk, dpd, i }' > "$W/hub.conf"
  fi
  chmod 600 "$W/hub.conf"
  start_generator palisade
  t0=$(now_ms); mark "$t0"
  log "Palisade: starting the node with $pal_what"
  npid=$(start_node node.log); pids+=("$npid")
  R[pal_ready]=$(secs "$t0" "$(now_ms)")
  R[pal_cold]=$(wait_all_up "$t0")
  read -r R[pal_j_n] R[pal_j_cold] < <(wait_journal "$t0")
  log "Palisade: all $n up after ${R[pal_cold]} s (ready in ${R[pal_ready]} s; journal: ${R[pal_j_n]} tunnels, ${R[pal_j_cold]} s)"
  read -r R[pal_t_sent] R[pal_t_rcvd] R[pal_t_lost] R[pal_t_p50] R[pal_t_p99] R[pal_t_cpu] < <(traffic_run "$npid")
  log "Palisade: holding ${hold} s"
  downs0=$(gen_field downs)
  sleep "$hold"
  R[pal_lost]=$(( $(gen_field downs) - downs0 ))
  R[pal_up_api]=$(api /metrics | awk '/^palisade_tunnel_up/ {s += $NF} END {print s + 0}' || echo "?")
  R[pal_heap]=$(heap_mib "$npid" || echo "?")
  R[pal_rss]=$(rss_mib "$npid" || echo "?")
  R[pal_journal]=$(journal_mib)
  R[pal_events]=$(api "/v1/events/count" | /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["count"])' || echo "?")
  t1=$(now_ms); mark "$t1"
  log "Palisade: kill -9 and start again"
  kill -9 "$npid"
  npid=$(start_node node.log); pids+=("$npid")
  R[pal_ready2]=$(secs "$t1" "$(now_ms)")
  R[pal_restart]=$(wait_all_up "$t1")
  R[pal_first2]=$(first_up)
  read -r R[pal_j_n2] R[pal_j_restart] < <(wait_journal "$t1")
  R[pal_heap2]=$(heap_mib "$npid" || echo "?")
  R[pal_journal2]=$(journal_mib)
  R[pal_resumed]=$(grep -c 'resuming it' "$W/node.log" || true)
  R[pal_fail]=$(gen_field failures)
  R[pal_counters]=$(api /metrics | awk -F'[{}"]' '/^palisade_ike_total/ && $NF + 0 > 0 { printf "%s%s=%d", sep, $3, $NF; sep=" " }' || true)
  log "Palisade: all $n up again ${R[pal_restart]} s after the kill (journal ${R[pal_j_n2]} tunnels, ${R[pal_j_restart]} s)"
  log "Palisade IKE counters: ${R[pal_counters]:-none}"
fi

# ------------------------------------------------------------------------------------------------ the table
v() { echo "${R[$1]:--}"; }
echo
echo "| $(date -u '+%F %H:%M UTC'), \`ops/bench/ike-hub.sh $n $window\` (SS_CONF=$ss_conf, PAL_CONF=$pal_conf, DPD=$dpd, PEER_DPD=$peer_dpd), load average $(cut -d' ' -f1-3 /proc/loadavg) | strongSwan 5.9.8, $ss_what | Palisade, $pal_what |"
echo "|---|---:|---:|"
echo "| cold start: responder started → answering (charon's config loaded / node /readyz) | $(v ss_ready) s | $(v pal_ready) s |"
echo "| cold start: responder started → all $n peers hold their Child SA (generator) | $(v ss_cold) s | $(v pal_cold) s |"
echo "| cold start: journal holds child-sa-installed of tunnels / last one after | — | $(v pal_j_n) / $(v pal_j_cold) s |"
if [ "$traffic" -gt 0 ]; then
  echo "| traffic: $traffic tunnels × $traffic_pps echoes/s × $traffic_payload B for $traffic_secs s: replies / sent (lost) | $(v ss_t_rcvd) / $(v ss_t_sent) ($(v ss_t_lost)%) | $(v pal_t_rcvd) / $(v pal_t_sent) ($(v pal_t_lost)%) |"
  echo "| traffic: round trip p50 / p99 (generator → responder → host-b → back) | $(v ss_t_p50) / $(v ss_t_p99) ms | $(v pal_t_p50) / $(v pal_t_p99) ms |"
  echo "| traffic: responder CPU over those $traffic_secs s | $(v ss_t_cpu) s | $(v pal_t_cpu) s |"
fi
echo "| IKE SAs lost in the next ${hold} s | $(v ss_lost) | $(v pal_lost) |"
echo "| responder's count | $(v ss_ikesas) IKE SAs, $(v ss_children) Child SAs (swanctl) | $(v pal_up_api) tunnels up (/metrics) |"
echo "| memory, all up | RSS $(v ss_rss) MiB | heap after GC $(v pal_heap) MiB, RSS $(v pal_rss) MiB |"
echo "| journal, all up | — | $(v pal_journal) MiB on disk, $(v pal_events) events |"
echo "| restart: kill -9 → answering again | $(v ss_ready2) s | $(v pal_ready2) s |"
echo "| restart: kill -9 → all $n up again (peers notice by DPD, then negotiate) | $(v ss_restart) s | $(v pal_restart) s |"
echo "| restart: kill -9 → the first peer up again (its DPD noticed: at most PEER_DPD + 7 s) | $(v ss_first2) s | $(v pal_first2) s |"
echo "| restart: journal holds child-sa-installed of tunnels / last one after | — | $(v pal_j_n2) / $(v pal_j_restart) s |"
echo "| after the restart | RSS $(v ss_rss2) MiB | heap after GC $(v pal_heap2) MiB, journal $(v pal_journal2) MiB, IKE SAs resumed from the journal: $(v pal_resumed) |"
echo "| generator failures (whole run, by reason) | $(v ss_fail) | $(v pal_fail) |"
