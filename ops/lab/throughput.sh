#!/usr/bin/env bash
# Side-by-side tunnel throughput in the namespace lab, one run, both encapsulations: strongSwan <-> strongSwan
# (kernel-libipsec) with ESP in UDP and, where it can, plain ESP; then Palisade <-> Palisade (manual AES-128-GCM
# tunnel) with ESP in UDP (udpencap) and plain ESP (IP protocol 50), 1 and 2 workers per gateway. iperf3 host-a ->
# host-b with 1 TCP stream and with 4. Last, 2 workers and two tunnels (two SA pairs whose SPIs land on different
# workers: palisade-pair.sh --tunnels 2), iperf3 through both at once with 1 and 2 streams each (2 and 4 in all).
# Both gateways run on this one box, and `palisade run` pins worker i to CPU i, so by default both gateways' worker 0
# share CPU 0. A last row, labelled, gives each gateway a CPU of its own (palisade-pair.sh --cpus-a 0 --cpus-b 1),
# as two real gateways have it; the rows above keep the default placement.
#   ops/lab/throughput.sh [SECONDS]     (as root; default 10 s per measurement)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
secs=${1:-10}
streams="1 4"
out=$(mktemp /tmp/palisade-throughput.XXXXXX)
trap 'rm -f "$out"' EXIT

echo "== $(date -u '+%F %H:%M UTC'), load average $(cut -d' ' -f1-3 /proc/loadavg)" | tee -a "$out"
echo "== strongSwan <-> strongSwan, ESP in UDP" | tee -a "$out"
"$here/strongswan-baseline.sh" "$secs" "${streams// /,}" 2>&1 | grep -E '^strongswan-baseline:' | tee -a "$out"
echo "== strongSwan <-> strongSwan, plain ESP" | tee -a "$out"
"$here/strongswan-baseline.sh" --plain "$secs" "${streams// /,}" 2>&1 | grep -E '^strongswan-baseline:' | tee -a "$out" || true
for encap in udp raw; do
  for w in 1 2; do
    echo "== Palisade <-> Palisade, $encap, $w worker(s)" | tee -a "$out"
    flag=""; [ "$encap" = raw ] && flag="--raw"
    "$here/palisade-pair.sh" --workers "$w" $flag --seconds "$secs" --streams "${streams// /,}" 2>&1 \
      | grep -E '^palisade-pair: iperf3' | tee -a "$out"
  done
  echo "== Palisade <-> Palisade, $encap, 2 workers, 2 tunnels" | tee -a "$out"
  "$here/palisade-pair.sh" --workers 2 --tunnels 2 $flag --seconds "$secs" --streams 1,2 2>&1 \
    | grep -E '^palisade-pair: iperf3' | tee -a "$out"
done
for encap in udp raw; do
  echo "== Palisade <-> Palisade, $encap, 1 worker, gw-a on CPU 0, gw-b on CPU 1" | tee -a "$out"
  flag=""; [ "$encap" = raw ] && flag="--raw"
  "$here/palisade-pair.sh" --workers 1 --cpus-a 0 --cpus-b 1 $flag --seconds "$secs" --streams "${streams// /,}" 2>&1 \
    | grep -E '^palisade-pair: iperf3' | sed 's/worker(s), /worker(s), split CPUs, /' | tee -a "$out"
done
echo "== done, load average $(cut -d' ' -f1-3 /proc/loadavg)" | tee -a "$out"

# figure PATTERN: the Mbit/s of the one line matching PATTERN, or "-"
figure() { local v; v=$(grep -E "$1" "$out" | sed -n 's/.*: \([0-9]*\) Mbit\/s$/\1/p' | head -1); echo "${v:--}"; }
ratio() { /usr/bin/python3 -c "import sys; a,b=sys.argv[1:]; print(f'{float(a)/float(b):.1f}x' if a!='-' and b not in ('-','0') else '')" "$1" "$2"; }
percent() { /usr/bin/python3 -c "import sys; a,b=sys.argv[1:]; print(f'{100*float(a)/float(b):.0f} %' if a!='-' and b not in ('-','0') else '')" "$1" "$2"; }

bare=$(figure 'bare underlay')
echo
echo "iperf3 ${secs}s per cell, AES-128-GCM, host-a -> host-b, Mbit/s. ESP in UDP: (x strongSwan in UDP, same streams);"
echo "plain ESP: (% of the same row's ESP in UDP, same streams). Bare underlay gw-a -> gw-b: $bare Mbit/s."
echo
echo "| tunnel | UDP, 1 stream | UDP, 4 streams | plain ESP, 1 stream | plain ESP, 4 streams |"
echo "|---|---:|---:|---:|---:|"
declare -A ss
for n in $streams; do
  ss[udp$n]=$(figure "strongSwan<->strongSwan \(IKEv2, ESP AES-128-GCM in UDP, $n stream")
  ss[raw$n]=$(figure "strongSwan<->strongSwan \(IKEv2, plain ESP AES-128-GCM, $n stream")
done
if grep -q 'plain ESP not available' "$out"; then
  why="not available (see above)"; ss[raw1]=$why; ss[raw4]=$why
fi
echo "| strongSwan 5.9.8 <-> strongSwan (kernel-libipsec) | ${ss[udp1]} | ${ss[udp4]} | ${ss[raw1]} | ${ss[raw4]} |"
for w in 1 2; do
  row="| Palisade <-> Palisade, $w worker(s) per gateway"
  for encap in udp raw; do
    for n in $streams; do
      label="udpencap"; [ "$encap" = raw ] && label="raw ESP"
      v=$(figure "\(aes-128-gcm, $label, $w worker\(s\), $n stream\(s\)\)")
      if [ "$encap" = udp ]; then
        r=$(ratio "$v" "${ss[udp$n]}")
      else
        r=$(percent "$v" "$(figure "\(aes-128-gcm, udpencap, $w worker\(s\), $n stream\(s\)\)")")
      fi
      row="$row | $v${r:+ ($r)}"
    done
  done
  echo "$row |"
done
row="| Palisade <-> Palisade, 2 workers per gateway, 2 tunnels (2 / 4 streams in all)"
for encap in udp raw; do
  label="udpencap"; [ "$encap" = raw ] && label="raw ESP"
  for n in 1 2; do
    v=$(figure "\(aes-128-gcm, $label, 2 worker\(s\), $n stream\(s\) per tunnel, 2 tunnels\)")
    if [ "$encap" = udp ]; then
      r=$(ratio "$v" "${ss[udp$((n * 2))]:--}")
    else
      r=$(percent "$v" "$(figure "\(aes-128-gcm, udpencap, 2 worker\(s\), $n stream\(s\) per tunnel, 2 tunnels\)")")
    fi
    row="$row | $v${r:+ ($r)}"
  done
done
echo "$row |"
row="| Palisade <-> Palisade, 1 worker per gateway, gw-a on CPU 0, gw-b on CPU 1 (not the default placement)"
for encap in udp raw; do
  label="udpencap"; [ "$encap" = raw ] && label="raw ESP"
  for n in $streams; do
    v=$(figure "\(aes-128-gcm, $label, 1 worker\(s\), split CPUs, $n stream\(s\)\)")
    if [ "$encap" = udp ]; then
      r=$(ratio "$v" "${ss[udp$n]}")
    else
      r=$(percent "$v" "$(figure "\(aes-128-gcm, udpencap, 1 worker\(s\), split CPUs, $n stream\(s\)\)")")
    fi
    row="$row | $v${r:+ ($r)}"
  done
done
echo "$row |"
