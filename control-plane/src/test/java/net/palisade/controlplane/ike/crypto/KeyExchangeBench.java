package net.palisade.controlplane.ike.crypto;

import java.math.BigInteger;
import java.util.Arrays;
import net.palisade.model.crypto.DhGroup;

/**
 * A key exchange as an IKE responder does it once per setup (our public value from a fresh secret, the agreement with
 * the peer's), through OpenSSL's libcrypto and on the Java path beside it, interleaved: ECP P-256/384/521 by
 * {@link OpenSslEcp} against Bouncy Castle's special-form curves, MODP 1024 to 4096 (512-bit exponents, as
 * {@link KeyExchanges#generate} draws them) by {@link OpenSslModp} against the JDK's {@code BigInteger.modPow}. No
 * JMH: N exchanges per round after three warm-up rounds, one thread, the median round printed in µs per exchange.
 * Run it beside {@code openssl speed ecdhp256 ecdhp384 ecdhp521 ffdh2048} (docs/benchmarks.md, "Key exchanges through
 * OpenSSL"); {@link KeyExchanges#throughOpenSsl} follows what it measures.
 *
 * <pre>java --enable-native-access=ALL-UNNAMED \
 *     -cp control-plane/target/test-classes:control-plane/target/classes:ops/target/palisade/lib/'*' \
 *     net.palisade.controlplane.ike.crypto.KeyExchangeBench [N=500] [ROUNDS=7]</pre>
 */
public final class KeyExchangeBench {
    private KeyExchangeBench() {}

    public static void main(String[] args) throws Exception {
        int n = args.length > 0 ? Integer.parseInt(args[0]) : 500;
        int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 7;
        Randomness random = Randomness.secure();
        System.out.println("OpenSSL ECP: " + OpenSslEcp.available() + ", MODP: " + OpenSslModp.available());
        for (DhGroup group : new DhGroup[] {DhGroup.ECP256, DhGroup.ECP384, DhGroup.ECP521, DhGroup.MODP1024,
                DhGroup.MODP1536, DhGroup.MODP2048, DhGroup.MODP3072, DhGroup.MODP4096}) {
            boolean ecp = group.name().startsWith("ECP");
            byte[] peer = KeyExchanges.generate(group, random).publicValue();
            int secretBytes = ecp ? group.publicValueBytes() / 2 : 64;
            long[][] ns = new long[2][rounds];
            for (int r = -3; r < rounds; r++) {
                for (int path = 0; path < 2; path++) {
                    long t0 = System.nanoTime();
                    long sink = 0;
                    for (int i = 0; i < n; i++) {
                        byte[] secret = random.bytes(secretBytes);
                        secret[0] &= group == DhGroup.ECP521 ? 0x01 : 0x7f; // below the group order
                        sink += once(group, ecp, path == 0, secret, peer);
                    }
                    if (r >= 0) {
                        ns[path][r] = System.nanoTime() - t0;
                    }
                    if (sink == 42) {
                        System.out.print("");
                    }
                }
            }
            System.out.printf("%s: OpenSSL %.1f µs, %s %.1f µs per public value and agreement (median of %d rounds of"
                    + " %d)%n", group, median(ns[0]) / 1e3 / n, ecp ? "Bouncy Castle" : "BigInteger.modPow",
                    median(ns[1]) / 1e3 / n, rounds, n);
        }
    }

    private static long once(DhGroup group, boolean ecp, boolean openSsl, byte[] secret, byte[] peer)
            throws Exception {
        if (ecp) {
            if (openSsl) {
                return OpenSslEcp.publicValue(group, secret)[1] + OpenSslEcp.agree(group, secret, peer)[0];
            }
            KeyExchange k = KeyExchanges.ecpOnBouncyCastle(group, secret);
            return k.publicValue()[1] + k.sharedSecret(peer)[0];
        }
        if (openSsl) {
            BigInteger p = KeyExchanges.modpPrime(group);
            return OpenSslModp.modPow(BigInteger.TWO, secret, p)[1]
                    + OpenSslModp.modPow(new BigInteger(1, peer), secret, p)[0];
        }
        KeyExchange k = KeyExchanges.modpOnJdk(group, secret);
        return k.publicValue()[1] + k.sharedSecret(peer)[0];
    }

    private static double median(long[] v) {
        long[] s = v.clone();
        Arrays.sort(s);
        return s[s.length / 2];
    }
}
