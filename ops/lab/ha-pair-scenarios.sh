# Scenarios of ops/lab/ha-pair.sh run instead of its usual steps (sourced by it after the lab is up: gw1 active,
# gw2 standby, keepalived, strongSwan's IKE SA and Child SA "net" up, tcpdump on the inet bridge). Each prints
# "ha-pair: ..." lines and one result line for scripts.
#
# --rekey lost|answered: a takeover inside a Child SA rekey. strongSwan rekeys its Child SA (`swanctl --rekey`),
#   gw1's node answers and journals the new Child SA, and is killed (kill -9) the moment the new Child SA's state is
#   in its journal (polled through its API), before the old Child SA's Delete. Where the rekey stands is fixed with
#   one nft rule on the inet bridge while it runs, no hook in Palisade:
#     lost      gw1's answers to CREATE_CHILD_SA are dropped: strongSwan never has the new Child SA
#     answered  strongSwan's INFORMATIONAL requests are dropped: it has the new Child SA, its Delete of the old one
#               never reached gw1
#   Then the ping must come back through gw2, strongSwan's IKE SA must be the same, and two more
#   `swanctl --rekey` must leave one working Child SA: the first makes strongSwan send its interrupted exchange again
#   (after the RFC 6311 sync it re-queued it), the second is an ordinary rekey on gw2.
#   Result: "ha-pair-rekey-result k=v ...".
# --rekey ours|ours-ike: a takeover inside a rekey we started. The tunnel's Child SA (ours) or IKE SA (ours-ike) has
#   a 60 s lifetime, so gw1's node starts its rekey 48-54 s after the SA was made; strongSwan's answers to
#   CREATE_CHILD_SA are dropped on the inet bridge (an nft rule with a counter), and gw1's node is killed the moment
#   the first one was dropped: strongSwan has answered (for it the new SA exists), gw1 never had the answer and
#   journaled nothing of the new SA. Then the ping must come back through gw2, and gw2 must finish that rekey (its
#   own `rekeyed`) with the ping going on: it sends gw1's journaled request again, strongSwan answers the
#   retransmission, and strongSwan is left with one Child SA, the one it made for gw1's rekey (child_kept; ours-ike:
#   the IKE SA it made, ike_kept). Result: "ha-pair-rekey-ours-result k=v ...".
# --rekey ours-delete: the same Child SA rekey, strongSwan's answer passes and gw1's Delete of the old Child SA is
#   dropped instead (gw1 killed then): gw2 must send the journaled Delete again, and strongSwan end with one Child SA,
#   the new one (child_kept). Not in HaTakeoverEdgesLabTest (the suite's time); run by hand..
# --cut-active: the active node (gw1) loses the lease: its namespace can no longer reach PostgreSQL (nft on its
#   output), and the link between the gateways is cut on both bridges (cluster, VRRP). gw2 must become active, gw1
#   must stop sending ESP and IKE within the lease TTL of the cut (tshark: the last frame from gw1's MAC), never
#   both at once, and after the heal gw1 (restarted when the resolver downed it, as a service manager would) must
#   come back as standby. Result: "ha-pair-cut-active-result k=v ...".
# --tunnels N (1..511): N more tunnels (to-1 .. to-N, 10.2.K.0/24 behind strongSwan, from K = 256 on 10.3.x.0/24,
#   each its own IKE SA), a ping through each (every 50 ms, or N/2000 s when that is longer: about 2,000 requests a
#   second in all), kill -9 of the active node: when each tunnel's ping was back (min/median/p90/max), each one's
#   longest silence, gw2's takeover from its log, gw2's CPU, strongSwan's IKE SAs before and after.
#   Result: "ha-pair-tunnels-result k=v ...".
# --layout a|b: the VRRP layouts of docs/ha.md under link cuts: ha-pair-layouts.sh.

swan() { "$here/strongswan.sh" swanctl "$P-ss" "$work/ss" "$@"; }
api_get() { # N PATH: GET on gw N's API, the token in a header read from stdin (nothing when it does not answer)
  printf 'Authorization: Bearer %s\n' "$(cat "$work/gw$1/api-token")" \
    | ip netns exec "$P-gw$1" curl -s -m 2 -H @- "http://127.0.0.1:8470$2" 2>/dev/null || true
}
child_states() { # N: how many Child SA takeover states gw N's journal holds for to-b
  api_get "$1" "/v1/tunnels/to-b/events?type=takeover-state" | { grep -o '"scope" *: *"child-sa"' || true; } | wc -l
}
ss_children() { # strongSwan's Child SAs "net" and their states, e.g. "INSTALLED" or "REKEYED,INSTALLED"
  { swan --list-sas 2>/dev/null || true; } | sed -n 's/^ *net: #[0-9]*, reqid [0-9]*, \([A-Z_]*\),.*/\1/p' | tr '\n' , \
    | sed 's/,$//'
}
ss_installed_child() { # the SPIs (in,out) of strongSwan's INSTALLED Child SAs "net", e.g. "c1a2b3c4,c5d6e7f8"
  { swan --list-sas 2>/dev/null || true; } | /usr/bin/python3 -c '
import re, sys
on, spis = False, []
for l in sys.stdin:
    m = re.match(r"\s*net: #\d+, reqid \d+, ([A-Z_]+),", l)
    if m:
        on = m.group(1) == "INSTALLED"
        continue
    m = re.match(r"\s*(in|out)\s+([0-9a-f]{8})", l)
    if on and m:
        spis.append(m.group(2))
print(",".join(spis))'
}
ss_ikes() { # strongSwan's IKE SAs and their states, e.g. "ESTABLISHED" or "REKEYED,ESTABLISHED"
  { swan --list-sas 2>/dev/null || true; } | sed -n 's/^[^ ]*: #[0-9]*, \([A-Z_]*\), IKEv2,.*/\1/p' | tr '\n' , \
    | sed 's/,$//'
}
ss_established_ike() { # the SPIs of strongSwan's ESTABLISHED IKE SA
  { swan --list-sas 2>/dev/null || true; } | grep ', ESTABLISHED, IKEv2,' \
    | grep -o '[0-9a-f]\{16\}_i\*\? [0-9a-f]\{16\}_r' | head -1 | tr -d '*'
}
after_s() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", a - b }'; } # A - B, seconds
wire_checks() { # stops tcpdump; sets inits_after (IKE_SA_INITs after $1), esp, repeated
  kill -INT "$(ip netns pids "$P-inet" | head -1)" 2>/dev/null || true
  for _ in $(seq 1 50); do [ -z "$(ip netns pids "$P-inet")" ] && break; sleep 0.1; done
  inits_after=$(tshark -r "$work/wire.pcap" -Y "isakmp.exchangetype == 34 && frame.time_epoch > $1" -T fields \
    -e frame.number 2>/dev/null | wc -l)
  tshark -r "$work/wire.pcap" -Y esp -T fields -e esp.spi -e esp.sequence 2>/dev/null > "$work/esp.txt"
  esp=$(wc -l < "$work/esp.txt")
  repeated=$(sort "$work/esp.txt" | uniq -d | wc -l)
}

takeover_timeline() { # KILLED: sets timeline to gw2's takeover steps in s after KILLED (ha_timeline.py; after
  # wire_checks: the capture complete) and prints them
  timeline=$(/usr/bin/python3 "$here/ha_timeline.py" "$work" "$1" 192.0.2.2)
  say "the takeover, s after the kill (gw2's log; vrrp: its gateway's first advert): $(tr , ' ' <<< "$timeline")"
}

rekey_takeover() { # lost|answered
  local variant=$1 rule n0 rpingpid victim rekey_at journaled_at killed mark i
  case "$variant" in
    # our answers to CREATE_CHILD_SA: UDP 4500 from gw1's port, non-ESP marker, exchange type 36, response flag
    lost) rule='iifname "wan-1" udp sport 4500 @th,64,32 0 @th,240,8 36 @th,248,8 & 0x20 == 0x20 drop' ;;
    # strongSwan's INFORMATIONAL requests (exchange type 37, not responses): its Delete of the old Child SA
    answered) rule='iifname "wan-s" udp dport 4500 @th,64,32 0 @th,240,8 37 @th,248,8 & 0x20 == 0 drop' ;;
  esac
  ip netns exec "$P-ha" ping -D -i 0.01 -W 1 10.2.0.10 > "$work/ping-rekey.txt" 2>&1 &
  rpingpid=$!
  sleep 2
  ensure_standby 2
  n0=$(child_states 1)
  ip netns exec "$P-inet" nft -f - <<NFT
table bridge ha_rekey {
  chain forward {
    type filter hook forward priority 0; policy accept;
    $rule
  }
}
NFT
  rekey_at=$(date +%s.%N)
  timeout 20 "$here/strongswan.sh" swanctl "$P-ss" "$work/ss" --rekey --child net > "$work/rekey-1.out" 2>&1 &
  journaled_at=
  for i in $(seq 1 400); do
    if [ "$(child_states 1)" -gt "$n0" ]; then journaled_at=$(date +%s.%N); break; fi
    sleep 0.02
  done
  [ -n "$journaled_at" ] || fail "gw1 did not journal a new Child SA within 8 s of strongSwan's rekey"
  victim=$(node_pid 1)
  killed=$(date +%s.%N)
  kill -9 "$victim"
  ip netns exec "$P-inet" nft delete table bridge ha_rekey
  say "rekey ($variant): strongSwan rekeyed at $rekey_at; gw1 journaled the new Child SA $(after_s "$journaled_at" "$rekey_at") s later; kill -9 of gw1's node $(after_s "$killed" "$journaled_at") s after that"
  say "strongSwan's Child SAs at the kill: $(ss_children)"
  for _ in $(seq 1 80); do
    res=$(/usr/bin/python3 "$work/ping.py" "$work/ping-rekey.txt" "$killed")
    grep -q 'resumed=yes' <<< "$res" && break
    sleep 0.25
  done
  local res1=$res after_ike child_mid ss_mid
  [ -z "${HA_PAIR_JFR:-}" ] || "$JAVA_HOME_JCMD" "$(node_pid 2)" JFR.dump filename="$work/gw2-takeover.jfr" > "$work/jfr.out" 2>&1 || true
  after_ike=$(spis || true)
  child_mid=$(child_spis || true)
  ss_mid=$(ss_children)
  say "takeover gap: $(val gap_ms "$res1") ms without a reply (from $(val gap_from "$res1") s after the kill); lost $(val lost "$res1") of $(val sent "$res1"); ping resumed: $(val resumed "$res1"); gw2: $(role 2)"
  say "strongSwan's IKE SA before: $before, after: ${after_ike:-none}; its Child SAs now: $ss_mid (SPIs ${child_mid%,})"
  # the next rekeys: strongSwan sends its re-queued exchange at the first, the second is an ordinary one
  mark=$(date +%s.%N)
  timeout 20 "$here/strongswan.sh" swanctl "$P-ss" "$work/ss" --rekey --child net > "$work/rekey-2.out" 2>&1 || true
  sleep 4
  local ss_between child_between
  ss_between=$(ss_children)
  child_between=$(child_spis || true)
  timeout 20 "$here/strongswan.sh" swanctl "$P-ss" "$work/ss" --rekey --child net > "$work/rekey-3.out" 2>&1 || true
  sleep 4
  kill -INT "$rpingpid" 2>/dev/null || true
  wait "$rpingpid" 2>/dev/null || true
  local res2 child_end ss_end lost_seen our_sas
  res2=$(/usr/bin/python3 "$work/ping.py" "$work/ping-rekey.txt" "$killed" "$mark")
  child_end=$(child_spis || true)
  ss_end=$(ss_children)
  lost_seen=no; grep -q 'never reached it' "$work/gw2.log" && lost_seen=yes
  our_sas=$(api_get 2 /v1/tunnels/to-b | { grep -o '"child-[0-9a-f]*"' || true; } | sort -u | wc -l)
  say "after the first rekey on gw2: strongSwan's Child SAs $ss_between (SPIs ${child_between%,}); after the second: $ss_end (SPIs ${child_end%,}); gw2 reports $our_sas Child SA name(s)"
  say "gw2 saw strongSwan rekey the old Child SA again (our answer lost): $lost_seen"
  say "across the two rekeys after the takeover: $(val gap_ms "$res2") ms longest without a reply; lost $(val lost "$res2") of $(val sent "$res2")"
  wire_checks "$killed"
  local same=no changed=no
  [ -n "$before" ] && [ "$before" = "$after_ike" ] && same=yes
  [ -n "$child_end" ] && [ "$child_end" != "$child_mid" ] && [ "$child_end" != "$child_before" ] && changed=yes
  say "IKE_SA_INIT on the wire after the kill: $inits_after; repeated (SPI, sequence) pairs: $repeated of $esp ESP packets"
  local timeline
  takeover_timeline "$killed"
  result "ha-pair-rekey-result variant=$variant timeline=$timeline gap_ms=$(val gap_ms "$res1") resumed_ping=$(val resumed "$res1") active_after=$(role 2) spis_same=$same ss_at_takeover=$ss_mid answer_lost_seen=$lost_seen next_gap_ms=$(val gap_ms "$res2") next_lost=$(val lost "$res2") next_sent=$(val sent "$res2") ss_end=$ss_end child_changed=$changed ike_sa_init_after=$inits_after repeated=$repeated esp=$esp"
}

rekeys_by() { # N NODE KIND: `rekeyed` events gw N's API lists for to-b, written by NODE, of a KIND (child|ike) SA
  api_get "$1" "/v1/tunnels/to-b/events?type=rekeyed" | /usr/bin/python3 -c '
import json, sys
node, kind = sys.argv[1], sys.argv[2]
try:
    doc = json.load(sys.stdin)
except ValueError:
    print(0); sys.exit()
events = doc if isinstance(doc, list) else next((v for v in doc.values() if isinstance(v, list)), [])
child = lambda e: str(e.get("replacement", "")).startswith("child-")
print(sum(1 for e in events if node in json.dumps(e) and "replacement" in e and child(e) == (kind == "child")))
' "$2" "$3"
}

rekey_ours() { # child|ike [delete]
  local kind=$1 point=${2:-answer} opingpid killed n dropped=0 t0 victim i rule what
  ensure_standby 2
  ip netns exec "$P-ha" ping -D -i 0.01 -W 1 10.2.0.10 > "$work/ping-rekey-ours.txt" 2>&1 &
  opingpid=$!
  # strongSwan's answers to CREATE_CHILD_SA (exchange type 36, response flag) that make an SA, counted and dropped:
  # longer than 140 octets of UDP. An error answer is shorter and passes: strongSwan's lab config has no PFS and
  # answers our first try (with a KE payload) NO_PROPOSAL_CHOSEN; our retry without PFS is the one it accepts.
  # delete: strongSwan's answer passes, gw1's first INFORMATIONAL request (exchange 37, no response flag: its Delete
  # of the old Child SA, the lab has no DPD) is counted and dropped instead
  rule='iifname "wan-s" udp sport 4500 udp length > 140 @th,64,32 0 @th,240,8 36 @th,248,8 & 0x20 == 0x20 counter drop'
  what="strongSwan's answer to gw1's CREATE_CHILD_SA"
  if [ "$point" = delete ]; then
    rule='iifname "wan-1" udp sport 4500 @th,64,32 0 @th,240,8 37 @th,248,8 & 0x20 == 0 counter drop'
    what="gw1's Delete of the Child SA its rekey replaced"
  fi
  ip netns exec "$P-inet" nft -f - <<NFT
table bridge ha_rekey_ours {
  chain forward {
    type filter hook forward priority 0; policy accept;
    $rule
  }
}
NFT
  # gw1's journal slowed by 150 ms a chunk from now until the kill (the forwarder to PostgreSQL, pgfwd.py): a write
  # takes a few hundred ms, as on the loaded machine where a suite run lost this race — the kill, 20-40 ms after
  # strongSwan's answer, then came before the state journaled with gw1's request, unless the request waits for it
  echo "${HA_PAIR_JOURNAL_DELAY_MS:-150}" > "$work/pgdelay-1"
  t0=$(date +%s.%N)
  # polled every 20 ms (it was 200 ms): the kill follows the drop closely, as a crash right after the peer's answer
  # would; with the slower poll the dead node's journal had up to 200 ms to catch up with what it had sent
  for i in $(seq 1 4000); do
    dropped=$(ip netns exec "$P-inet" nft list table bridge ha_rekey_ours | sed -n 's/.*counter packets \([0-9]*\).*/\1/p')
    [ "${dropped:-0}" -gt 0 ] && break
    sleep 0.02
  done
  [ "${dropped:-0}" -gt 0 ] || fail "gw1 started no rekey within 80 s (its $kind SA has a 60 s lifetime)"
  victim=$(node_pid 1)
  killed=$(date +%s.%N)
  kill -9 "$victim"
  rm -f "$work/pgdelay-1"
  ip netns exec "$P-inet" nft delete table bridge ha_rekey_ours
  local ours_before
  ours_before=$(rekeys_by 2 192.0.2.1:25520 "$kind")
  say "rekey (ours, $kind SA): $what dropped $(after_s "$killed" "$t0") s into the wait; kill -9 of gw1's node at once; gw1 journaled $ours_before $kind rekey(s) of its own"
  local ikes_at_kill new_ike
  ikes_at_kill=$(ss_ikes)
  new_ike=$(ss_established_ike)
  # ours: the Child SA strongSwan made for gw1's rekey (INSTALLED; the old one is REKEYED): gw2 must finish that
  # rekey with it, not leave it behind as an orphan
  local child_at_kill ss_kill
  child_at_kill=$(ss_installed_child)
  ss_kill=$(ss_children)
  say "strongSwan's SAs at the kill: IKE SAs $ikes_at_kill (the established one $new_ike); Child SAs $ss_kill (SPIs $(child_spis || true))"
  local res1
  for _ in $(seq 1 80); do
    res1=$(/usr/bin/python3 "$work/ping.py" "$work/ping-rekey-ours.txt" "$killed")
    grep -q 'resumed=yes' <<< "$res1" && break
    sleep 0.25
  done
  local after_ike ss_mid child_mid
  after_ike=$(spis || true)
  ss_mid=$(ss_children)
  child_mid=$(child_spis || true)
  say "takeover gap: $(val gap_ms "$res1") ms without a reply (from $(val gap_from "$res1") s after the kill); lost $(val lost "$res1") of $(val sent "$res1"); ping resumed: $(val resumed "$res1"); gw2: $(role 2)"
  say "strongSwan's IKE SA before: $before, after: ${after_ike:-none}; its Child SAs now: $ss_mid (SPIs ${child_mid%,})"
  # gw2 makes the rekey gw1 had started: its own `rekeyed` of that kind within a lifetime of the resumption
  local mark redone=no waited
  mark=$(date +%s.%N)
  # delete: gw1 finished its rekey (journaled); gw2 only sends the Delete again, there is nothing to redo
  for i in $(seq 1 300); do
    [ "$point" = delete ] && { redone=n/a; break; }
    [ "$(rekeys_by 2 192.0.2.2:25520 "$kind")" -gt 0 ] && { redone=yes; break; }
    sleep 0.25
  done
  waited=$(after_s "$(date +%s.%N)" "$killed")
  sleep 3
  local stopped last alive_end=no
  stopped=$(date +%s.%N)
  kill -INT "$opingpid" 2>/dev/null || true
  wait "$opingpid" 2>/dev/null || true
  # ping.py counts up to the last reply: whether the ping still got replies when it was stopped is asked here
  last=$(sed -n 's/^\[\([0-9.]*\)\] [0-9]* bytes from.*/\1/p' "$work/ping-rekey-ours.txt" | tail -1)
  [ -n "$last" ] && awk -v a="$stopped" -v b="$last" 'BEGIN { exit !(a - b < 2) }' && alive_end=yes
  local res2 child_end ss_end ike_end
  res2=$(/usr/bin/python3 "$work/ping.py" "$work/ping-rekey-ours.txt" "$killed" "$mark")
  child_end=$(child_spis || true)
  ss_end=$(ss_children)
  ike_end=$(ss_established_ike)
  local ikes_end ike_kept=no child_final child_kept=no resent=no ss_retransmit=no
  ikes_end=$(ss_ikes)
  [ -n "$ike_end" ] && [ "$ike_end" = "$new_ike" ] && ike_kept=yes
  child_final=$(ss_installed_child)
  [ -n "$child_final" ] && [ "$child_final" = "$child_at_kill" ] && child_kept=yes
  grep -q 'again after the takeover' "$work/gw2.log" && resent=yes
  grep -q 'received retransmit of request' "$work/ss/charon.log" 2>/dev/null && ss_retransmit=yes
  say "strongSwan's INSTALLED Child SA at the kill: ${child_at_kill:-none}, at the end: ${child_final:-none} (the same: $child_kept); gw2 sent gw1's request again: $resent; strongSwan answered a retransmission: $ss_retransmit"
  say "gw2 rekeyed the $kind SA itself: $redone ($waited s after the kill); strongSwan's IKE SAs now $ikes_end (the established one ${ike_end:-none}: the one it had at the kill: $ike_kept), Child SAs $ss_end (SPIs ${child_end%,})"
  say "from the resumption to the end: $(val gap_ms "$res2") ms longest without a reply; lost $(val lost "$res2") of $(val sent "$res2"); replies until the end: $alive_end"
  wire_checks "$killed"
  local same=no
  [ -n "$before" ] && [ "$before" = "$after_ike" ] && same=yes
  say "IKE_SA_INIT on the wire after the kill: $inits_after; repeated (SPI, sequence) pairs: $repeated of $esp ESP packets"
  local timeline oldspi="old_spi=n/a"
  takeover_timeline "$killed"
  # delete: strongSwan sends on the old Child SA until gw2's Delete of it arrives; gw2 must receive on it meanwhile
  # (old_replies: ping replies between gw2's install and strongSwan's switch to the new SPI, carried by the old one)
  if [ "$point" = delete ]; then
    oldspi=$(/usr/bin/python3 "$here/ha_timeline.py" --old-spi "$work" "$killed" 192.0.2.3 "$work/ping-rekey-ours.txt")
    say "strongSwan's ESP on the old Child SA after gw2 installed its Child SAs: $(tr , ' ' <<< "$oldspi")"
  fi
  result "ha-pair-rekey-ours-result kind=$kind point=$point timeline=$timeline $(tr , ' ' <<< "$oldspi") gap_ms=$(val gap_ms "$res1") resumed_ping=$(val resumed "$res1") active_after=$(role 2) spis_same=$same ss_at_kill=$ss_kill ss_at_takeover=$ss_mid redone=$redone redone_s=$waited alive_end=$alive_end next_gap_ms=$(val gap_ms "$res2") next_lost=$(val lost "$res2") next_sent=$(val sent "$res2") ss_end=$ss_end ike_end=${ike_end// /,} ss_ikes_at_takeover=$ikes_at_kill ss_ikes_end=$ikes_end ike_kept=$ike_kept child_kept=$child_kept resent=$resent ss_retransmit=$ss_retransmit ike_sa_init_after=$inits_after repeated=$repeated esp=$esp"
}

cut_active() {
  local cpingpid cut_at i t
  ensure_standby 2
  ip netns exec "$P-ha" ping -D -i 0.01 -W 1 10.2.0.10 > "$work/ping-cut-active.txt" 2>&1 &
  cpingpid=$!
  sleep 2
  # gw1 (active) loses PostgreSQL: its connections' packets to the forwarder are dropped (the lease connection's
  # renewals then time out; nothing closes it cleanly), and the link to gw2 on both bridges
  ip netns exec "$P-gw1" nft -f - <<NFT
table inet ha_nodb {
  chain output {
    type filter hook output priority 0; policy accept;
    tcp dport 15432 drop
  }
}
NFT
  cut_gateways
  cut_at=$(date +%s.%N)
  say "gw1 (active) cut from PostgreSQL and from gw2 at $cut_at"
  : > "$work/roles-cut-active.txt"
  for i in $(seq 1 40); do
    echo "$(date +%s.%N) $(role 1 || true) $(role 2 || true)" >> "$work/roles-cut-active.txt"
    sleep 0.25
  done
  local res both down1 active2
  res=$(/usr/bin/python3 "$work/ping.py" "$work/ping-cut-active.txt" "$cut_at")
  both=$(awk '$2 == "active" && $3 == "active"' "$work/roles-cut-active.txt" | wc -l)
  t=$(grep 'lost the active lease\|while active: standby' "$work/gw1.log" | tail -1 | cut -d' ' -f1 || true)
  down1=$([ -n "$t" ] && after_s "$(date -d "$t" +%s.%N)" "$cut_at" || echo none)
  t=$(awk '$3 == "active" {print $1; exit}' "$work/roles-cut-active.txt")
  active2=$([ -n "$t" ] && after_s "$t" "$cut_at" || echo none)
  say "after the cut: gw1 $(role 1 || echo '(no answer)'), gw2 $(role 2); gw1 stood down $down1 s after the cut; gw2 seen active $active2 s after it; samples with both active: $both of 40"
  say "across the cut: $(val gap_ms "$res") ms longest without a reply; lost $(val lost "$res") of $(val sent "$res"); ping resumed: $(val resumed "$res")"
  # heal: the node downed by the resolver exits (palisade run ends with its cluster membership): started again
  ip netns exec "$P-gw1" nft delete table inet ha_nodb
  heal_gateways
  local exited=no healed
  [ -z "$(node_pid 1)" ] && { exited=yes; start_node 1; }
  wait_role 1 standby 120
  healed=$(role 1)
  say "healed: gw1 exited when downed: $exited; gw1 is now $healed, gw2 $(role 2)"
  kill -INT "$cpingpid" 2>/dev/null || true
  wait "$cpingpid" 2>/dev/null || true
  wire_checks "$cut_at"
  # ESP and IKE the gateways sent as the virtual address after the cut, by source MAC: gw1's last, gw2's first
  local mac1 mac2 last1 first2 inter
  mac1=$(ip -n "$P-gw1" link show wan | awk '/link\/ether/ {print $2}')
  mac2=$(ip -n "$P-gw2" link show wan | awk '/link\/ether/ {print $2}')
  tshark -r "$work/wire.pcap" -Y "(esp || isakmp) && ip.src == $VIP && frame.time_epoch > $cut_at" -T fields \
    -e frame.time_epoch -e eth.src 2>/dev/null > "$work/cut-senders.txt"
  last1=$(awk -v m="$mac1" '$2 == m {t = $1} END {print t}' "$work/cut-senders.txt")
  first2=$(awk -v m="$mac2" '$2 == m {print $1; exit}' "$work/cut-senders.txt")
  # frames from gw1 after gw2's first one: two senders at once
  inter=$(awk -v m="$mac1" -v f="${first2:-0}" '$2 == m && f > 0 && $1 >= f' "$work/cut-senders.txt" | wc -l)
  local stop1=none start2=none
  [ -n "$last1" ] && stop1=$(after_s "$last1" "$cut_at")
  [ -n "$first2" ] && start2=$(after_s "$first2" "$cut_at")
  say "after the cut, as $VIP: gw1's last ESP/IKE frame at +$stop1 s, gw2's first at +$start2 s; gw1 frames after gw2's first: $inter"
  say "repeated (SPI, sequence) pairs: $repeated of $esp ESP packets"
  result "ha-pair-cut-active-result gw1_down_s=$down1 gw2_active_s=$active2 both_active=$both gap_ms=$(val gap_ms "$res") resumed_ping=$(val resumed "$res") gw1_last_s=$stop1 gw2_first_s=$start2 overlap=$inter gw1_exited=$exited healed=$healed active_end=$(role 2) repeated=$repeated esp=$esp"
}

# --tunnels N: each tunnel's ping read back (ping-tK.txt), gw2's log and the CPU samples, summed up in one line of
# k=v: when each tunnel's ping was back after the kill (back_*: the first reply after its longest silence), the
# longest silence (gap_*), gw2's log lines that mark the takeover (timeline, s after the kill), and the CPU until
# the last tunnel was back
cat > "$work/tunnels.py" <<'PY'
import os, sys
work, n, killed, interval = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), float(sys.argv[4])
sys.path.insert(0, sys.argv[5])
import ha_timeline
backs, gaps, resumed = [], [], 0
for k in range(1, n + 1):
    replies = ha_timeline.reply_times(os.path.join(work, "ping-t%d.txt" % k))
    after = [t for t in replies if t > killed]
    pairs = [(b - a, b) for a, b in zip(replies, replies[1:]) if b > killed]
    if not after:
        continue
    gap, upto = max(pairs) if pairs else (0, after[0])
    gaps.append(gap * 1000)
    backs.append((upto - killed) * 1000)
    if after[-1] - upto >= max(1.0, 4 * interval):
        resumed += 1
def q(xs, f):
    xs = sorted(xs)
    return round(xs[min(len(xs) - 1, int(f * len(xs)))]) if xs else "none"
out = {"resumed": resumed, "interval_ms": round(interval * 1000),
       "back_min_ms": q(backs, 0), "back_median_ms": q(backs, 0.5), "back_p90_ms": q(backs, 0.9),
       "back_max_ms": q(backs, 1), "gap_min_ms": q(gaps, 0), "gap_median_ms": q(gaps, 0.5), "gap_max_ms": q(gaps, 1)}
out["timeline"] = ha_timeline.timeline(work, killed, "192.0.2.2")
# CPU: gw2's JVM (utime + stime, clock ticks) and the machine (/proc/stat), from the kill to the last tunnel back
try:
    rows = []
    for line in open(os.path.join(work, "cpu-tunnels.txt")):
        f = line.split()
        if len(f) >= 8:
            rows.append((float(f[0]), int(f[1]) + int(f[2]), [int(x) for x in f[3:]]))
    end = killed + (max(backs) / 1000 if backs else 0)
    a = max((r for r in rows if r[0] <= killed), default=rows[0], key=lambda r: r[0])
    b = min((r for r in rows if r[0] >= end), default=rows[-1], key=lambda r: r[0])
    hz = os.sysconf("SC_CLK_TCK")
    out["cpu_gw2_s"] = "%.2f" % ((b[1] - a[1]) / hz)
    total = sum(b[2]) - sum(a[2])
    idle = (b[2][3] + b[2][4]) - (a[2][3] + a[2][4])
    out["busy_pct"] = round(100 * (total - idle) / total) if total else "none"
except (OSError, ValueError, IndexError):
    out["cpu_gw2_s"] = out["busy_pct"] = "none"
print(" ".join("%s=%s" % kv for kv in out.items()))
PY

for JAVA_HOME_JCMD in "${JAVA_HOME:-/nonexistent}/bin/jcmd" /usr/lib/jvm/temurin-25*/bin/jcmd "$(command -v jcmd || true)"; do
  [ -x "$JAVA_HOME_JCMD" ] && break
done # jcmd, for HA_PAIR_JFR
tunnel_net() { # K: the first three octets of tunnel K's remote /24 (10.2.1 .. 10.2.255, then 10.3.0 ..)
  echo "10.$((2 + $1 / 256)).$(($1 % 256))"
}

tunnels_takeover() { # N: N more tunnels to strongSwan, each its own IKE SA, a ping through each, kill -9 of gw1
  local n=$1 k conf pids=() victim killed net t0
  # Palisade: N passive tunnels, one per remote /24, committed through gw1's API (the journal is shared)
  cp "$work/palisade.conf" "$work/conf-tunnels"
  for k in $(seq 1 "$n"); do
    echo "ike passive from 10.1.0.0/24 to $(tunnel_net "$k").0/24 peer 192.0.2.3 srcid $VIP psk \"$PSK\" label to-$k" \
      >> "$work/conf-tunnels"
  done
  t0=$(date +%s.%N)
  cfg 1 load "$work/conf-tunnels" "$n tunnels" > "$work/commit-tunnels.out" 2>&1 \
    || fail "commit of $n tunnels: $(cat "$work/commit-tunnels.out")"
  for gw in 1 2; do ip -n "$P-gw$gw" route add blackhole 10.2.0.0/15 metric 1000; done
  # strongSwan: one connection (IKE SA) per tunnel; host-b answers on 10.x.K.10 behind it
  conf=$(sed -n '/^connections {/,/^secrets {/p' "$work/ss/swanctl.conf" | sed '1d;$d' | sed '$d')
  {
    echo "connections {"
    echo "$conf"
    for k in $(seq 1 "$n"); do
      # a rekey_time of its own: strongSwan would otherwise carry the Child SA of an equal connection over the
      # IKE SA it has (one CREATE_CHILD_SA), and a Palisade IKE SA belongs to one tunnel
      sed -n '/^  lab {/,/^  }/p' "$work/ss/swanctl.conf" | sed -e "s/^  lab {/  lab$k {/" -e "s/ net {/ net$k {/" \
        -e "s#local_ts = 10.2.0.0/24#local_ts = $(tunnel_net "$k").0/24#" -e "s/^    version = 2$/&\n    rekey_time = $((14400 + k))s/"
    done
    echo "}"
    sed -n '/^secrets {/,$p' "$work/ss/swanctl.conf"
  } > "$work/ss/swanctl-tunnels.conf"
  swan --load-all --file "$work/ss/swanctl-tunnels.conf" > "$work/ss/load-tunnels.out" 2>&1 \
    || fail "strongSwan did not load $n connections: $(tail -3 "$work/ss/load-tunnels.out")"
  for k in $(seq 1 "$n"); do
    net=$(tunnel_net "$k")
    ip -n "$P-ss" addr add "$net.1/24" dev lan
    ip -n "$P-hb" addr add "$net.10/24" dev eth0
  done
  # one at a time: with several of strongSwan's IKE_SA_INITs for these tunnels in flight at once (the same peer
  # address), one IKE_AUTH went unanswered (2026-12-06, ten at a time; not investigated further)
  for k in $(seq 1 "$n"); do
    swan --initiate --child "net$k" > "$work/ss/initiate-$k.out" 2>&1 \
      || fail "strongSwan could not bring up net$k: $(tail -3 "$work/ss/initiate-$k.out")"
  done
  say "$n tunnels committed and initiated in $(after_s "$(date +%s.%N)" "$t0") s"
  local up=0
  for _ in $(seq 1 60); do
    up=0
    for k in $(seq 1 "$n"); do
      ip netns exec "$P-ha" ping -c 1 -W 1 "$(tunnel_net "$k").10" >/dev/null 2>&1 && up=$((up + 1))
    done
    [ "$up" = "$n" ] && break
    sleep 1
  done
  [ "$up" = "$n" ] || fail "only $up of $n tunnels carry a ping"
  # every tunnel's sealed IKE and Child SA state journaled before the kill
  for k in $(seq 1 "$n"); do
    for _ in $(seq 1 50); do
      ev=$(api_get 1 "/v1/tunnels/to-$k/events?type=takeover-state")
      grep -q '"ike-sa"' <<< "$ev" && grep -q '"child-sa"' <<< "$ev" && break
      sleep 0.2
    done
  done
  local ike_before
  ike_before=$(swan --list-sas 2>/dev/null | grep -o '[0-9a-f]\{16\}_i\*\? [0-9a-f]\{16\}_r' | tr -d '*' | sort)
  # a ping through each, about 2,000 requests a second in all (20 a second per tunnel up to 100 tunnels, fewer
  # each beyond): the resolution of each tunnel's gap is its interval
  local interval
  interval=$(awk -v n="$n" 'BEGIN { i = n / 2000; printf "%.3f", i < 0.05 ? 0.05 : i }')
  say "$n more tunnels up ($(wc -l <<< "$ike_before") IKE SAs at strongSwan), each journaled; a ping -i $interval through each"
  for k in $(seq 1 "$n"); do
    ip netns exec "$P-ha" ping -D -i "$interval" -W 1 "$(tunnel_net "$k").10" > "$work/ping-t$k.txt" 2>&1 &
    pids+=($!)
  done
  ensure_standby 2
  sleep 3
  victim=$(node_pid 1)
  local gw2pid; gw2pid=$(node_pid 2)
  # gw2's JVM and the machine's CPU, sampled every 0.1 s from just before the kill until the pings are all back
  ( while :; do
      echo "$(date +%s.%N) $(cut -d' ' -f14,15 "/proc/$gw2pid/stat" 2>/dev/null) $(head -1 /proc/stat | cut -d' ' -f3-)"
      sleep 0.1
    done ) > "$work/cpu-tunnels.txt" 2>/dev/null &
  local sampler=$!
  sleep 0.3
  killed=$(date +%s.%N)
  kill -9 "$victim"
  say "kill -9 of gw1's node at $killed"
  local summary
  for _ in $(seq 1 60); do
    sleep 1
    summary=$(/usr/bin/python3 "$work/tunnels.py" "$work" "$n" "$killed" "$interval" "$here")
    [ "$(val resumed "$summary")" = "$n" ] && break
  done
  sleep 2
  [ -z "${HA_PAIR_JFR:-}" ] || "$JAVA_HOME_JCMD" "$gw2pid" JFR.dump filename="$work/gw2-takeover.jfr" > "$work/jfr.out" 2>&1 || true
  kill "$sampler" 2>/dev/null || true
  wait "$sampler" 2>/dev/null || true
  kill -INT "${pids[@]}" 2>/dev/null || true
  wait "${pids[@]}" 2>/dev/null || true
  summary=$(/usr/bin/python3 "$work/tunnels.py" "$work" "$n" "$killed" "$interval" "$here")
  local ike_after same
  ike_after=$(swan --list-sas 2>/dev/null | grep -o '[0-9a-f]\{16\}_i\*\? [0-9a-f]\{16\}_r' | tr -d '*' | sort)
  same=no; [ "$ike_before" = "$ike_after" ] && same=yes
  wire_checks "$killed"
  say "back (ms after the kill, the first reply of each tunnel's ping): min $(val back_min_ms "$summary"), median $(val back_median_ms "$summary"), p90 $(val back_p90_ms "$summary"), max $(val back_max_ms "$summary"); gaps (ms): min $(val gap_min_ms "$summary"), median $(val gap_median_ms "$summary"), max $(val gap_max_ms "$summary"); resumed: $(val resumed "$summary") of $n"
  say "gw2's log after the kill (s): $(val timeline "$summary" | tr , ' ')"
  say "CPU after the kill: gw2's JVM $(val cpu_gw2_s "$summary") s of CPU until the last tunnel was back; the machine $(val busy_pct "$summary") % busy of 2 cores"
  say "strongSwan's IKE SAs the same after: $same; IKE_SA_INIT after the kill: $inits_after; repeated (SPI, sequence): $repeated of $esp"
  [ "$(val resumed "$summary")" = "$n" ] || verdict+=" resumed=$(val resumed "$summary")/$n"
  result "ha-pair-tunnels-result tunnels=$n $summary active_after=$(role 2) spis_same=$same ike_sa_init_after=$inits_after repeated=$repeated esp=$esp"
}

case "$scenario" in
  rekey-ours) rekey_ours child ;;
  rekey-ours-delete) rekey_ours child delete ;;
  rekey-ours-ike) rekey_ours ike ;;
  rekey-*) rekey_takeover "${scenario#rekey-}" ;;
  cut-active) cut_active ;;
  tunnels-*) tunnels_takeover "${scenario#tunnels-}" ;;
  ikev1) # shellcheck source=ops/lab/ha-pair-ikev1.sh
    . "$here/ha-pair-ikev1.sh"; ikev1_takeover ;;
  layout-*) # shellcheck source=ops/lab/ha-pair-layouts.sh
    . "$here/ha-pair-layouts.sh"; layouts "${scenario#layout-}" ;;
esac
