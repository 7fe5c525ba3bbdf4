#!/usr/bin/env bash
# ESP crypto benchmark: JMH seal/open per core for every dataplane transform at 64, 512 and 1400-octet
# packets (AEAD transforms on both implementations: impl=jce, SunJCE, and impl=openssl, libcrypto through FFM;
# AES-GCM also on impl=ipsecmb, Intel's IPsec-MB library through FFM, when libipsec-mb1 is installed),
# allocation per operation (-prof gc) for AES-128-GCM (all three) and AES-128-CBC/HMAC-SHA2-256, and
# `openssl speed` for the AEAD ciphers in the same run; prints a side-by-side table.
#
# Usage: ops/bench/esp-crypto.sh [--quick]
#   --quick   AES-128-GCM only, JCE, OpenSSL-FFM and IPsec-MB-FFM (about 4 minutes instead of about 12)
# Environment: JAVA_HOME (default Temurin 25), OPENSSL_SECONDS (default 2).
# Results: dataplane/target/bench-esp-crypto/{jmh-aead.json,jmh-cbc.json,jmh-gc-*.json,openssl.txt,table.txt};
# full JMH output (failed forks included) in jmh-*.log
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
export JAVA_HOME=${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}
OUT=$ROOT/dataplane/target/bench-esp-crypto
mkdir -p "$OUT"
OPENSSL_SECONDS=${OPENSSL_SECONDS:-2}

# AEAD transforms run on both implementations; CBC ones always run on JCE (impl=jce only).
AEAD_TRANSFORMS="aes-128-gcm,aes-256-gcm,chacha20-poly1305"
CBC_TRANSFORMS="aes-128/hmac-sha1,aes-128/hmac-sha2-256,aes-256/hmac-sha2-512,3des/hmac-sha1"
GC_AEAD_TRANSFORMS="aes-128-gcm"
IPSECMB_TRANSFORMS="aes-128-gcm,aes-256-gcm"
GC_IMPLS="jce,openssl"
if [[ -e /usr/lib/x86_64-linux-gnu/libIPSec_MB.so.1 ]]; then GC_IMPLS="jce,openssl,ipsecmb"; else IPSECMB_TRANSFORMS=""; fi
GC_CBC_TRANSFORMS="aes-128/hmac-sha2-256"
OPENSSL_CIPHERS="aes-128-gcm aes-256-gcm chacha20-poly1305"
if [[ "${1:-}" == "--quick" ]]; then
  AEAD_TRANSFORMS="aes-128-gcm"
  [[ -n "$IPSECMB_TRANSFORMS" ]] && IPSECMB_TRANSFORMS="aes-128-gcm"
  CBC_TRANSFORMS=""
  GC_CBC_TRANSFORMS=""
  OPENSSL_CIPHERS="aes-128-gcm"
fi

echo "== building dataplane test classes (JMH generator runs at test-compile)"
mvn_run() { ./mvnw -B -q -o "$@" 2>/dev/null || ./mvnw -B -q "$@"; }
# -am: dataplane needs shared-model from this reactor (it is never installed); the classpath file is written per
# module, dataplane's last, with shared-model as its target/classes.
mvn_run -pl dataplane -am test-compile dependency:build-classpath -Dmdep.includeScope=test \
  -Dmdep.outputFile="$OUT/classpath.txt"
CP="$ROOT/dataplane/target/test-classes:$ROOT/dataplane/target/classes:$(cat "$OUT/classpath.txt")"
JMH=("$JAVA_HOME/bin/java" --enable-native-access=ALL-UNNAMED -cp "$CP" org.openjdk.jmh.Main EspCryptoBenchmark
     -f 1 -wi 2 -w 1s -i 3 -r 1s)
SHOW='^(Benchmark|EspCrypto)'
SHOW_GC='^(Benchmark|EspCrypto.*(seal|open) |EspCrypto.*alloc.rate.norm)'
rm -f "$OUT"/jmh*.json "$OUT"/jmh-*.log "$OUT"/openssl.txt

echo "== host: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $("$JAVA_HOME/bin/java" -version 2>&1 | head -1), $(openssl version)"
echo "== JMH: seal/open, AEAD transforms=$AEAD_TRANSFORMS on impl=jce,openssl"
"${JMH[@]}" -p transform="$AEAD_TRANSFORMS" -p impl=jce,openssl -p size=64,512,1400 \
  -rf json -rff "$OUT/jmh-aead.json" 2>&1 | tee "$OUT/jmh-aead.log" | grep -E "$SHOW" || true
if [[ -n "$IPSECMB_TRANSFORMS" ]]; then
  echo "== JMH: seal/open, $IPSECMB_TRANSFORMS on impl=ipsecmb"
  "${JMH[@]}" -p transform="$IPSECMB_TRANSFORMS" -p impl=ipsecmb -p size=64,512,1400 \
    -rf json -rff "$OUT/jmh-ipsecmb.json" 2>&1 | tee "$OUT/jmh-ipsecmb.log" | grep -E "$SHOW" || true
else
  echo "== no libIPSec_MB.so.1 (Debian package libipsec-mb1): impl=ipsecmb skipped"
fi
if [[ -n "$CBC_TRANSFORMS" ]]; then
  echo "== JMH: seal/open, CBC transforms=$CBC_TRANSFORMS on impl=jce"
  "${JMH[@]}" -p transform="$CBC_TRANSFORMS" -p impl=jce -p size=64,512,1400 \
    -rf json -rff "$OUT/jmh-cbc.json" 2>&1 | tee "$OUT/jmh-cbc.log" | grep -E "$SHOW" || true
fi
echo "== JMH -prof gc: $GC_AEAD_TRANSFORMS ($GC_IMPLS) $GC_CBC_TRANSFORMS"
"${JMH[@]}" -p transform="$GC_AEAD_TRANSFORMS" -p impl="$GC_IMPLS" -p size=64,512,1400 -prof gc \
  -rf json -rff "$OUT/jmh-gc-aead.json" 2>&1 | tee "$OUT/jmh-gc-aead.log" | grep -E "$SHOW_GC" || true
if [[ -n "$GC_CBC_TRANSFORMS" ]]; then
  "${JMH[@]}" -p transform="$GC_CBC_TRANSFORMS" -p impl=jce -p size=64,512,1400 -prof gc \
    -rf json -rff "$OUT/jmh-gc-cbc.json" 2>&1 | tee "$OUT/jmh-gc-cbc.log" | grep -E "$SHOW_GC" || true
fi

echo "== openssl speed (${OPENSSL_SECONDS}s each; plain EVP as asked, and -aead = per-packet init+AAD+tag)"
: > "$OUT/openssl.txt"
for cipher in $OPENSSL_CIPHERS; do
  for bytes in 64 512 1400; do
    for mode in enc dec aead-enc aead-dec; do
      flags=()
      [[ $mode == *dec ]] && flags+=(-decrypt)
      [[ $mode == aead-* ]] && flags+=(-aead)
      bps=$(openssl speed -mr -seconds "$OPENSSL_SECONDS" "${flags[@]}" -evp "$cipher" -bytes "$bytes" 2>/dev/null \
        | awk -F: '/^\+F:/ {print $NF}' | tail -1)
      echo "$cipher $mode $bytes ${bps:-nan}" | tee -a "$OUT/openssl.txt"
    done
  done
done

echo "== table"
/usr/bin/env python3 - "$OUT" <<'PY' | tee "$OUT/table.txt"
import glob, json, math, sys
out = sys.argv[1]
# Keys: (transform@impl, size, op); impl is jce, openssl (libcrypto through FFM) or ipsecmb (IPsec-MB through FFM).
ours = {}
for path in sorted(glob.glob(f"{out}/jmh-aead.json") + glob.glob(f"{out}/jmh-ipsecmb.json") + glob.glob(f"{out}/jmh-cbc.json")):
    for rec in json.load(open(path)):
        op = rec["benchmark"].rsplit(".", 1)[1]
        p = rec["params"]
        ours[(f'{p["transform"]}@{p["impl"]}', int(p["size"]), op)] = rec["primaryMetric"]["score"]
alloc = {}
for path in sorted(glob.glob(f"{out}/jmh-gc-*.json")):
    for rec in json.load(open(path)):
        op = rec["benchmark"].rsplit(".", 1)[1]
        p = rec["params"]
        norm = rec.get("secondaryMetrics", {}).get("gc.alloc.rate.norm", {}).get("score")
        alloc[(f'{p["transform"]}@{p["impl"]}', int(p["size"]), op)] = norm
ossl = {}
for line in open(f"{out}/openssl.txt"):
    c, mode, n, bps = line.split()
    ossl[(c, mode, int(n))] = float(bps)

def mbs(ops, size): return ops * size / 1e6
transforms = list(dict.fromkeys(k[0] for k in ours))
print("Ours, one thread (@jce = SunJCE JDK 25, @openssl = libcrypto via FFM, @ipsecmb = IPsec-MB via FFM); "
      "MB/s = 10^6 payload octets per second")
print(f"{'transform@impl':40} {'size':>5} {'seal MB/s':>10} {'seal Mpps':>10} {'open MB/s':>10} {'open Mpps':>10} {'seal B/op':>10} {'open B/op':>10}")
for t in transforms:
    for n in (64, 512, 1400):
        s, o = ours.get((t, n, "seal")), ours.get((t, n, "open"))
        if s is None or o is None:
            continue
        a_s, a_o = alloc.get((t, n, "seal")), alloc.get((t, n, "open"))
        fa = lambda a: "-" if a is None else (f"{a:.0f}" if a >= 10 else f"{a:.3f}")
        print(f"{t:40} {n:>5} {mbs(s, n):>10.0f} {s/1e6:>10.3f} {mbs(o, n):>10.0f} {o/1e6:>10.3f} {fa(a_s):>10} {fa(a_o):>10}")
print()
print("Ours vs OpenSSL (openssl speed -evp C -bytes N; ratio = ours / OpenSSL, bytes per second)")
print(f"{'cipher@impl':26} {'size':>5} {'seal':>7} {'ossl enc':>8} {'ratio':>6} {'open':>7} {'ossl dec':>8} {'ratio':>6} {'seal+open':>9} {'vs -aead':>8}")
for c, impl in [(c, i) for c in ("aes-128-gcm", "aes-256-gcm", "chacha20-poly1305") for i in ("jce", "openssl", "ipsecmb")]:
    for n in (64, 512, 1400):
        s, o = ours.get((f"{c}@{impl}", n, "seal")), ours.get((f"{c}@{impl}", n, "open"))
        e, d = ossl.get((c, "enc", n)), ossl.get((c, "dec", n))
        ae, ad = ossl.get((c, "aead-enc", n)), ossl.get((c, "aead-dec", n))
        if None in (s, o, e, d) or math.isnan(e) or math.isnan(d):
            continue
        pair = lambda enc, dec: 1.0 / (n / enc + n / dec)   # seal+open pairs per second
        ours_pair = 1.0 / (1.0 / s + 1.0 / o)
        ratio_pair = ours_pair / pair(e, d)
        ratio_aead = ours_pair / pair(ae, ad) if ae and ad and not math.isnan(ae) and not math.isnan(ad) else float("nan")
        print(f"{c + '@' + impl:26} {n:>5} {mbs(s, n):>7.0f} {e/1e6:>8.0f} {mbs(s, n)*1e6/e:>6.2f} {mbs(o, n):>7.0f} {d/1e6:>8.0f} "
              f"{mbs(o, n)*1e6/d:>6.2f} {ratio_pair:>9.2f} {ratio_aead:>8.2f}")
e, d = ossl.get(("aes-128-gcm", "enc", 1400)), ossl.get(("aes-128-gcm", "dec", 1400))
for impl in ("jce", "openssl", "ipsecmb"):
    key = f"aes-128-gcm@{impl}"
    s, o = ours.get((key, 1400, "seal")), ours.get((key, 1400, "open"))
    if None not in (s, o, e, d):
        ratio = (1.0 / (1.0 / s + 1.0 / o)) / (1.0 / (1400 / e + 1400 / d))
        verdict = "meets" if ratio >= 0.8 else "misses"
        a_s, a_o = alloc.get((key, 1400, "seal")), alloc.get((key, 1400, "open"))
        fa = lambda a: "-" if a is None else f"{a:.3f}"
        print()
        print(f"Target ({impl}): AES-128-GCM seal+open at 1400 octets = {ratio:.2f} x OpenSSL ({verdict} >= 0.8 x); "
              f"allocation seal/open = {fa(a_s)} / {fa(a_o)} B/op")
PY
