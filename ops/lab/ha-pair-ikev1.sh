# --ikev1 of ops/lab/ha-pair.sh (sourced by ha-pair-scenarios.sh after the lab is up): the lab's tunnel is IKEv1 —
# Palisade `ike passive ... aggressive quick srcid VIP psk ... dpd 10` (any peer), strongSwan initiating aggressive
# mode with DPD every 3 s — and only the first takeover runs: `ping -i 0.01` host-a -> host-b, kill -9 of gw1's
# node. Checked: the gap, the ping back, gw2 active and resuming the ISAKMP SA (its log), strongSwan's ISAKMP SA
# (cookies) and ESP SA (SPIs) the same in `swanctl --list-sas` before and after, no main, aggressive or quick mode
# frame on the inet bridge after the kill (tshark: isakmp.exchangetype 2, 4, 32), and no repeated (SPI, sequence)
# pair among the ESP the pair sent (from the virtual address). One result line "ha-pair-ikev1-result ...".
ikev1_takeover() {
  local ike_before esp_before ike_after esp_after same esp_same resumed_v1 phase1_after quick_after rep esp_n
  ike_before=$before esp_before=${child_before%,}
  ping_kill 1 takeover
  ike_after=$(spis || true)
  esp_after=$(child_spis || true); esp_after=${esp_after%,}
  same=no; [ -n "$ike_before" ] && [ "$ike_before" = "$ike_after" ] && same=yes
  esp_same=no; [ -n "$esp_before" ] && [ "$esp_before" = "$esp_after" ] && esp_same=yes
  resumed_v1=no; grep -q 'resuming ISAKMP SA' "$work/gw2.log" && resumed_v1=yes
  kill -INT "$(ip netns pids "$P-inet" | head -1)" 2>/dev/null || true
  for _ in $(seq 1 50); do [ -z "$(ip netns pids "$P-inet")" ] && break; sleep 0.1; done
  phase1_after=$(tshark -r "$work/wire.pcap" -Y "(isakmp.exchangetype == 2 || isakmp.exchangetype == 4) && frame.time_epoch > $killed_at" \
    -T fields -e frame.number 2>/dev/null | wc -l)
  quick_after=$(tshark -r "$work/wire.pcap" -Y "isakmp.exchangetype == 32 && frame.time_epoch > $killed_at" \
    -T fields -e frame.number 2>/dev/null | wc -l)
  tshark -r "$work/wire.pcap" -Y esp -T fields -e ip.src -e esp.spi -e esp.sequence 2>/dev/null > "$work/esp.txt"
  esp_n=$(awk -v v="$VIP" '$1 == v' "$work/esp.txt" | wc -l)
  rep=$(awk -v v="$VIP" '$1 == v {print $2, $3}' "$work/esp.txt" | sort | uniq -d | wc -l)
  say "gw2 is now $(role 2); it resumed the journaled ISAKMP SA: $resumed_v1"
  say "gap: $(val gap_ms "$res") ms without a reply (from $(val gap_from "$res") s after the kill); lost $(val lost "$res") of $(val sent "$res") pings; ping resumed: $(val resumed "$res")"
  say "strongSwan ISAKMP SA before: ${ike_before:-none}, after: ${ike_after:-none}; ESP SA before: ${esp_before:-none}, after: ${esp_after:-none}"
  say "after the kill on the wire: $phase1_after phase-1 (main/aggressive) and $quick_after quick-mode frames; repeated (SPI, sequence) pairs: $rep of the pair's $esp_n ESP packets"
  [ "$same" = yes ] || verdict+=" spis_same=$same"
  [ "$esp_same" = yes ] || verdict+=" esp_same=$esp_same"
  [ "$resumed_v1" = yes ] || verdict+=" resumed_isakmp=$resumed_v1"
  [ "$phase1_after" = 0 ] || verdict+=" phase1_after=$phase1_after"
  [ "$quick_after" = 0 ] || verdict+=" quick_after=$quick_after"
  result "ha-pair-ikev1-result gap_ms=$(val gap_ms "$res") lost=$(val lost "$res") sent=$(val sent "$res") resumed_ping=$(val resumed "$res") active_after=$(role 2) spis_same=$same esp_same=$esp_same resumed_isakmp=$resumed_v1 phase1_after=$phase1_after quick_after=$quick_after repeated=$rep esp=$esp_n"
}
