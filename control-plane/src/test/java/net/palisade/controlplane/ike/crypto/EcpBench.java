package net.palisade.controlplane.ike.crypto;

import java.util.Arrays;
import net.palisade.model.crypto.DhGroup;

/**
 * An ECP key exchange as an IKE responder does it once per setup (our public value from a fresh scalar, the agreement
 * with the peer's), on OpenSSL's libcrypto ({@link OpenSslEcp}) and on Bouncy Castle's special-form curves,
 * interleaved, for P-256, P-384 and P-521. No JMH: N exchanges per round after three warm-up rounds, one thread, the
 * median round printed in µs per exchange. Run it beside {@code openssl speed ecdhp256 ecdhp384 ecdhp521}
 * (docs/benchmarks.md, "ECP through OpenSSL"); {@link KeyExchanges#throughOpenSsl} follows what it measures.
 *
 * <pre>java --enable-native-access=ALL-UNNAMED -cp control-plane/target/test-classes:control-plane/target/classes:ops/target/palisade/lib/'*' \
 *     net.palisade.controlplane.ike.crypto.EcpBench [N=2000] [ROUNDS=7]</pre>
 */
public final class EcpBench {
    private EcpBench() {}

    public static void main(String[] args) throws Exception {
        int n = args.length > 0 ? Integer.parseInt(args[0]) : 2_000;
        int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 7;
        Randomness random = Randomness.secure();
        System.out.println("OpenSSL ECP available: " + OpenSslEcp.available()
                + (OpenSslEcp.available() ? "" : " (" + OpenSslEcp.unavailableReason() + ")"));
        for (DhGroup group : new DhGroup[] {DhGroup.ECP256, DhGroup.ECP384, DhGroup.ECP521}) {
            byte[] peer = KeyExchanges.generate(group, random).publicValue();
            int scalarBytes = group.publicValueBytes() / 2;
            long[][] ns = new long[2][rounds];
            for (int r = -3; r < rounds; r++) { // three warm-up rounds
                for (int path = 0; path < 2; path++) {
                    long t0 = System.nanoTime();
                    long sink = 0;
                    for (int i = 0; i < n; i++) {
                        byte[] scalar = random.bytes(scalarBytes);
                        scalar[0] &= group == DhGroup.ECP521 ? 0x01 : 0x7f; // below the group order
                        if (path == 0) {
                            sink += OpenSslEcp.publicValue(group, scalar)[1] + OpenSslEcp.agree(group, scalar, peer)[0];
                        } else {
                            KeyExchange k = KeyExchanges.ecpOnBouncyCastle(group, scalar);
                            sink += k.publicValue()[1] + k.sharedSecret(peer)[0];
                        }
                    }
                    if (r >= 0) {
                        ns[path][r] = System.nanoTime() - t0;
                    }
                    if (sink == 42) {
                        System.out.print("");
                    }
                }
            }
            System.out.printf("%s: OpenSSL %.1f µs, Bouncy Castle %.1f µs per key pair and agreement"
                    + " (median of %d rounds of %d)%n",
                    group, median(ns[0]) / 1e3 / n, median(ns[1]) / 1e3 / n, rounds, n);
        }
    }

    private static double median(long[] v) {
        long[] s = v.clone();
        Arrays.sort(s);
        return s[s.length / 2];
    }
}
