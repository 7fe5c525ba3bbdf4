# The VRRP layouts docs/ha.md discusses for a production pair, under link cuts (ops/lab/ha-pair.sh --layout
# a|b|c; sourced by ha-pair-scenarios.sh once the lab is up: gw1 active, gw2 standby, keepalived, strongSwan's tunnel,
# tcpdump on the inet bridge capturing UDP, VRRP and ARP).
#
#   (a) the cluster on a link of its own (bridge PREFIX-clu, 10.9.1.1/.2: --cluster and --seed there), VRRP adverts
#       multicast on the outside segment as in ops/ha/keepalived.conf.example
#   (b) the same cluster link, and the adverts unicast over a management link (bridge PREFIX-mgt, 10.9.0.1/.2:
#       `interface mgt`, `unicast_src_ip`/`unicast_peer`, `track_interface { wan lan }`); the addresses stay on wan
#       and lan
#   (c) (a) with the inside address in a VRRP instance of its own (palisade_lan, virtual_router_id 52) advertising
#       on the inside segment, both instances tracking the same scripts; the VRRP figures below are the outside
#       instance's
#
# Steps, each under ping -i 0.01 host-a -> host-b, the link cut for 48 samples (about 16 s), then healed:
#   split  the outside segment split: gw2's port on the inet bridge alone on its side (nft on the bridge), gw1 and
#          strongSwan on the other; the cluster link and PostgreSQL untouched
#   mgmt   (b only) the management link cut: the adverts no longer cross
#   cut    the cluster link cut: the nodes partitioned (the resolver's lease decides), the outside segment whole
# For each: samples every 0.25 s of both nodes' roles, both gateways' VRRP state (their notify log) and whether each
# holds the outside address, and to which gateway strongSwan's and host-a's neighbour entries for the two virtual
# addresses point; the time both gateways were MASTER (from the notify logs), the VRRP transitions after the cut;
# from tshark on the outside bridge the adverts each gateway sent and the ARP frames with the outside address as
# sender (gratuitous ARPs and answers) by sender MAC — br0 itself sees both sides of a split (the drop is in its
# forward hook), so the counts include frames that reached no other port; the ping's gap and loss.
# Result: "ha-pair-layout-result layout=a|b|c STEP_k=v ...".

mac_of() { ip -n "$P-gw$1" link show "$2" | awk '/link\/ether/ {print $2}'; } # N DEV
vrrp_state() { awk '$3 == "palisade" {s = $4} END {print s}' "$work/keepalived-$1/state" 2>/dev/null; } # N: the outside instance's, from the notify log
holds_vip() { ip -n "$P-gw$1" -4 -o addr show dev wan | grep -q " $VIP/" && echo 1 || echo 0; }
neigh_gw() { # NS ADDR: gw1, gw2 or - : which gateway's MAC the neighbour entry for ADDR in NS holds
  local m; m=$(ip -n "$1" neigh show "$2" | awk '{for (i = 1; i < NF; i++) if ($i == "lladdr") print $(i + 1)}')
  case "$m" in
    "$wan1"|"$lan1") echo gw1 ;; "$wan2"|"$lan2") echo gw2 ;; *) echo - ;;
  esac
}
nft_drop() { # BRIDGE-NAMESPACE RULES: drop frames on that bridge (table bridge ha_layout)
  ip netns exec "$1" nft -f - <<NFT
table bridge ha_layout {
  chain forward {
    type filter hook forward priority 0; policy accept;
    $2
  }
}
NFT
}
nft_heal() { ip netns exec "$1" nft delete table bridge ha_layout 2>/dev/null || true; }
split_outside() { nft_drop "$P-inet" 'iifname "wan-2" drop
    oifname "wan-2" drop'; }
heal_outside() { nft_heal "$P-inet"; }
cut_mgmt() { nft_drop "$P-mgt" 'iifname "mgt-1" oifname "mgt-2" drop
    iifname "mgt-2" oifname "mgt-1" drop'; }
heal_mgmt() { nft_heal "$P-mgt"; }
cut_cluster() { nft_drop "$P-clu" 'iifname "clu-1" oifname "clu-2" drop
    iifname "clu-2" oifname "clu-1" drop'; }
heal_cluster() { nft_heal "$P-clu"; }

cat > "$work/vrrp-master.py" <<'PY'
import datetime, sys
# the notify logs of both gateways ("ISO-TIME INSTANCE palisade STATE"): from FROM to UNTIL (epoch s), how long
# both were MASTER at once, and every transition after FROM as gwN:STATE@seconds-after-FROM
t0, t1 = float(sys.argv[3]), float(sys.argv[4])
events = []
state = {}
for n, path in ((1, sys.argv[1]), (2, sys.argv[2])):
    for line in open(path):
        f = line.split()
        if len(f) < 4 or f[2] != "palisade":  # the outside address's instance (--layout c has a second one)
            continue
        t = datetime.datetime.strptime(f[0][:26], "%Y-%m-%dT%H:%M:%S.%f").replace(tzinfo=datetime.timezone.utc).timestamp()
        if t <= t0:
            state[n] = f[3]
        elif t <= t1:
            events.append((t, n, f[3]))
events.sort()
both, last = 0.0, t0
for t, n, s in events + [(t1, 0, "")]:
    if state.get(1) == "MASTER" and state.get(2) == "MASTER":
        both += t - last
    last = t
    if n:
        state[n] = s
moves = ",".join(f"gw{n}:{s}@{t - t0:.2f}" for t, n, s in events) or "none"
print(f"both_master_s={both:.2f} vrrp={moves}")
PY

layout_step() { # TAG CUT HEAL: ping across, CUT, 48 samples (~16 s), HEAL, 3 s more; sets step_kv (TAG_k=v ...)
  local tag=$1 cut=$2 heal=$3 pingpid at healed res vm r1 r2 i
  ip netns exec "$P-ha" ping -D -i 0.01 -W 1 10.2.0.10 > "$work/ping-$tag.txt" 2>&1 &
  pingpid=$!
  sleep 2
  at=$(date +%s.%N)
  "$cut"
  say "$tag: cut at $at"
  : > "$work/samples-$tag.txt"
  for i in $(seq 1 48); do
    r1=$(role 1 || true) r2=$(role 2 || true)
    echo "$(date +%s.%N) ${r1:--} ${r2:--} $(vrrp_state 1) $(vrrp_state 2) $(holds_vip 1) $(holds_vip 2) $(neigh_gw "$P-ss" "$VIP") $(neigh_gw "$P-ha" 10.1.0.1)" \
      >> "$work/samples-$tag.txt"
    sleep 0.25
  done
  healed=$(date +%s.%N)
  "$heal"
  sleep 3
  kill -INT "$pingpid" 2>/dev/null || true
  wait "$pingpid" 2>/dev/null || true
  res=$(/usr/bin/python3 "$work/ping.py" "$work/ping-$tag.txt" "$at")
  vm=$(/usr/bin/python3 "$work/vrrp-master.py" "$work/keepalived-1/state" "$work/keepalived-2/state" "$at" "$healed")
  # samples: $2 $3 roles, $4 $5 VRRP states, $6 $7 the outside address held, $8 strongSwan's entry, $9 host-a's
  local s="$work/samples-$tag.txt"
  local both_master both_vip both_active ss_gw2 ha_gw2
  both_master=$(awk '$4 == "MASTER" && $5 == "MASTER"' "$s" | wc -l)
  both_vip=$(awk '$6 == 1 && $7 == 1' "$s" | wc -l)
  both_active=$(awk '$2 == "active" && $3 == "active"' "$s" | wc -l)
  ss_gw2=$(awk '$8 == "gw2"' "$s" | wc -l)
  ha_gw2=$(awk '$9 == "gw2"' "$s" | wc -l)
  step_cut[$tag]=$at step_healed[$tag]=$healed
  say "$tag: samples (of 48) with both MASTER $both_master, both holding $VIP $both_vip, both nodes active $both_active, strongSwan's $VIP -> gw2 $ss_gw2, host-a's 10.1.0.1 -> gw2 $ha_gw2"
  say "$tag: both MASTER for $(val both_master_s "$vm") s (notify logs); VRRP after the cut: $(val vrrp "$vm"); at the end of the cut: roles gw1=$(awk 'END {print $2}' "$s") gw2=$(awk 'END {print $3}' "$s")"
  say "$tag: ping $(val gap_ms "$res") ms longest without a reply, lost $(val lost "$res") of $(val sent "$res")"
  step_kv+=" ${tag}_gap_ms=$(val gap_ms "$res") ${tag}_lost=$(val lost "$res") ${tag}_both_master_samples=$both_master ${tag}_both_master_s=$(val both_master_s "$vm") ${tag}_both_vip=$both_vip ${tag}_both_active=$both_active ${tag}_ss_to_gw2=$ss_gw2 ${tag}_ha_to_gw2=$ha_gw2 ${tag}_vrrp=$(val vrrp "$vm") ${tag}_gw1_end=$(awk 'END {print $2}' "$s") ${tag}_gw2_end=$(awk 'END {print $3}' "$s")"
}
settled() { # before a step: gw1 active and MASTER, gw2 standby (restarted if the resolver downed it) and BACKUP
  local i
  ensure_standby 2
  for i in $(seq 1 60); do
    [ "$(role 1)" = active ] && [ "$(vrrp_state 1)" = MASTER ] && [ "$(vrrp_state 2)" = BACKUP ] && return 0
    sleep 0.5
  done
  fail "not settled before the next step: gw1 $(role 1)/$(vrrp_state 1), gw2 $(role 2)/$(vrrp_state 2)"
}

layouts() { # a|b|c
  local l=$1 steps
  wan1=$(mac_of 1 wan) wan2=$(mac_of 2 wan) lan1=$(mac_of 1 lan) lan2=$(mac_of 2 lan)
  declare -gA step_cut=() step_healed=()
  step_kv=
  steps="split"; [ "$l" = b ] && steps+=" mgmt"; steps+=" cut"
  local how='multicast on the outside segment'
  [ "$l" = b ] && how='unicast over the management link 10.9.0.0/24'
  [ "$l" = c ] && how='multicast, the outside address on the outside segment, the inside one in its own instance on the inside segment'
  say "layout $l: cluster on 10.9.1.0/24 (its own link), VRRP adverts $how; steps: $steps"
  for st in $steps; do
    settled
    case "$st" in
      split) layout_step split split_outside heal_outside ;;
      mgmt) layout_step mgmt cut_mgmt heal_mgmt ;;
      cut) layout_step cut cut_cluster heal_cluster ;;
    esac
  done
  # the outside bridge during each cut: VRRP adverts by sender, ARP with the outside address as sender (gratuitous
  # ARPs and answers) by sender MAC
  kill -INT "$(ip netns pids "$P-inet" | head -1)" 2>/dev/null || true
  for _ in $(seq 1 50); do [ -z "$(ip netns pids "$P-inet")" ] && break; sleep 0.1; done
  local wire=
  for st in $steps; do
    local a=${step_cut[$st]} h=${step_healed[$st]} v1 v2 g1 g2
    v1=$(tshark -r "$work/wire.pcap" -Y "vrrp && eth.src == $wan1 && frame.time_epoch > $a && frame.time_epoch < $h" -T fields -e frame.number 2>/dev/null | wc -l)
    v2=$(tshark -r "$work/wire.pcap" -Y "vrrp && eth.src == $wan2 && frame.time_epoch > $a && frame.time_epoch < $h" -T fields -e frame.number 2>/dev/null | wc -l)
    g1=$(tshark -r "$work/wire.pcap" -Y "arp.src.proto_ipv4 == $VIP && eth.src == $wan1 && frame.time_epoch > $a && frame.time_epoch < $h" -T fields -e frame.number 2>/dev/null | wc -l)
    g2=$(tshark -r "$work/wire.pcap" -Y "arp.src.proto_ipv4 == $VIP && eth.src == $wan2 && frame.time_epoch > $a && frame.time_epoch < $h" -T fields -e frame.number 2>/dev/null | wc -l)
    say "$st: on the outside bridge during the cut: VRRP adverts from gw1 $v1, from gw2 $v2; ARP with sender $VIP from gw1 $g1, from gw2 $g2"
    wire+=" ${st}_adverts_gw1=$v1 ${st}_adverts_gw2=$v2 ${st}_arp_gw1=$g1 ${st}_arp_gw2=$g2"
  done
  # what docs/ha.md claims, judged: a cut cluster link never makes two MASTERs nor two active nodes; with (b) a
  # split outside segment does not make both MASTER either, with (c) it does not move the inside address
  local kv
  for kv in $step_kv; do
    case "$kv" in
      cut_both_master_samples=*|cut_both_active=*|split_both_active=*|mgmt_both_active=*) [ "${kv#*=}" = 0 ] || verdict+=" $kv" ;;
      split_both_master_samples=*) [ "$l" != b ] || [ "${kv#*=}" = 0 ] || verdict+=" $kv" ;;
      split_ha_to_gw2=*) [ "$l" != c ] || [ "${kv#*=}" = 0 ] || verdict+=" $kv" ;; # c: the inside address stays
    esac
  done
  result "ha-pair-layout-result layout=$l$step_kv$wire"
}
