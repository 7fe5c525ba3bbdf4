#!/usr/bin/env bash
# Side-by-side tunnel throughput in the namespace lab, one run: strongSwan <-> strongSwan (kernel-libipsec),
# then Palisade <-> Palisade with 1 and 2 workers per gateway. iperf3, one TCP stream, host-a -> host-b.
#   ops/lab/throughput.sh [SECONDS]     (as root; default 10 s per measurement)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
secs=${1:-10}
out=$(mktemp /tmp/palisade-throughput.XXXXXX)

echo "== strongSwan <-> strongSwan" | tee -a "$out"
"$here/strongswan-baseline.sh" "$secs" 2>&1 | grep -E '^strongswan-baseline:' | tee -a "$out"
for w in 1 2; do
  echo "== Palisade <-> Palisade, $w worker(s)" | tee -a "$out"
  "$here/palisade-pair.sh" --workers "$w" --seconds "$secs" 2>&1 | grep -E '^palisade-pair: iperf3' | tee -a "$out"
done

ss=$(sed -n 's/.*strongSwan<->strongSwan.*: \([0-9]*\) Mbit\/s/\1/p' "$out")
echo
echo "| tunnel (iperf3 ${secs}s, 1 TCP stream, AES-128-GCM in UDP) | Mbit/s | vs strongSwan |"
echo "|---|---:|---:|"
echo "| strongSwan 5.9.8 <-> strongSwan (kernel-libipsec) | $ss | 1.0x |"
for w in 1 2; do
  v=$(grep -A1 "$w worker(s)$" "$out" | sed -n 's/.*: \([0-9]*\) Mbit\/s/\1/p' | head -1)
  ratio=$(/usr/bin/python3 -c "print(f'{$v/$ss:.1f}x')" 2>/dev/null || echo "?")
  echo "| Palisade <-> Palisade, $w worker(s) per gateway | $v | $ratio |"
done
rm -f "$out"
