package net.palisade.controlplane.bench;

import java.math.BigInteger;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.spec.NamedParameterSpec;
import java.security.spec.XECPublicKeySpec;
import java.util.Arrays;
import javax.crypto.KeyAgreement;
import org.bouncycastle.math.ec.rfc7748.X25519;

/**
 * X25519 as an IKE responder needs it, once per setup: a new key pair, its public value, and the agreement with the
 * peer's public value given as 32 bytes. Bouncy Castle's low-level {@code X25519} (what {@code KeyExchanges} uses)
 * against the JDK's {@code XDH} provider (fresh key pair, the peer's bytes through {@code KeyFactory}). No JMH: N
 * operations per round after warm-up rounds, one thread, the median round printed. Run it beside
 * {@code openssl speed ecdhx25519} (docs/benchmarks.md, "X25519").
 *
 * <pre>java -cp control-plane/target/test-classes:LIBS net.palisade.controlplane.bench.X25519Bench [N=5000] [ROUNDS=7]</pre>
 */
public final class X25519Bench {
    private X25519Bench() {}

    private interface Setup {
        /** One responder's work: a key pair, our public value, the shared secret with {@code peer}. */
        byte[] run(byte[] peer) throws Exception;
    }

    public static void main(String[] args) throws Exception {
        int n = args.length > 0 ? Integer.parseInt(args[0]) : 5_000;
        int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 7;
        SecureRandom random = new SecureRandom();
        byte[] peerPrivate = new byte[32];
        random.nextBytes(peerPrivate);
        byte[] peer = new byte[32];
        X25519.generatePublicKey(peerPrivate, 0, peer, 0);

        Setup bc = p -> {
            byte[] k = new byte[X25519.SCALAR_SIZE];
            random.nextBytes(k);
            byte[] pub = new byte[X25519.POINT_SIZE];
            X25519.generatePublicKey(k, 0, pub, 0);
            byte[] out = new byte[X25519.POINT_SIZE];
            if (!X25519.calculateAgreement(k, 0, p, 0, out, 0)) {
                throw new IllegalStateException("all-zero result");
            }
            return out;
        };
        KeyFactory factory = KeyFactory.getInstance("XDH");
        Setup jdk = p -> {
            KeyPairGenerator g = KeyPairGenerator.getInstance("X25519");
            KeyPair ours = g.generateKeyPair();
            byte[] pub = ((java.security.interfaces.XECPublicKey) ours.getPublic()).getU().toByteArray();
            byte[] le = p.clone(); // RFC 7748: little-endian u, top bit masked
            le[31] &= 0x7f;
            byte[] be = new byte[33];
            for (int i = 0; i < 32; i++) {
                be[32 - i] = le[i];
            }
            PublicKey theirs = factory.generatePublic(new XECPublicKeySpec(NamedParameterSpec.X25519, new BigInteger(be)));
            KeyAgreement ka = KeyAgreement.getInstance("XDH");
            ka.init(ours.getPrivate());
            ka.doPhase(theirs, true);
            byte[] secret = ka.generateSecret();
            secret[0] ^= pub[pub.length - 1];
            return secret;
        };
        // both compute the same secret from the same private key (the peer's) and the same public value (ours)
        byte[] ours = new byte[32];
        random.nextBytes(ours);
        byte[] oursPublic = new byte[32];
        X25519.generatePublicKey(ours, 0, oursPublic, 0);
        byte[] bcSecret = new byte[32];
        X25519.calculateAgreement(peerPrivate, 0, oursPublic, 0, bcSecret, 0);
        KeyAgreement check = KeyAgreement.getInstance("XDH");
        check.init(factory.generatePrivate(new java.security.spec.XECPrivateKeySpec(NamedParameterSpec.X25519,
                peerPrivate)));
        byte[] le = oursPublic.clone();
        byte[] be = new byte[33];
        for (int i = 0; i < 32; i++) {
            be[32 - i] = le[i];
        }
        check.doPhase(factory.generatePublic(new XECPublicKeySpec(NamedParameterSpec.X25519, new BigInteger(be))), true);
        if (!Arrays.equals(check.generateSecret(), bcSecret)) {
            throw new IllegalStateException("Bouncy Castle and the JDK disagree");
        }
        for (var impl : java.util.List.of(java.util.Map.entry("Bouncy Castle X25519 (low-level)", bc),
                java.util.Map.entry("JDK XDH (KeyPairGenerator + KeyFactory + KeyAgreement)", jdk))) {
            double[] us = new double[rounds];
            for (int w = 0; w < 3; w++) {
                time(impl.getValue(), peer, n);
            }
            for (int r = 0; r < rounds; r++) {
                us[r] = time(impl.getValue(), peer, n);
            }
            Arrays.sort(us);
            System.out.printf("x25519-bench: %s: %.1f us per key pair + agreement (median of %d rounds of %d; min %.1f,"
                    + " max %.1f)%n", impl.getKey(), us[rounds / 2], rounds, n, us[0], us[rounds - 1]);
        }
    }

    private static double time(Setup s, byte[] peer, int n) throws Exception {
        long t0 = System.nanoTime();
        int sink = 0;
        for (int i = 0; i < n; i++) {
            sink += s.run(peer)[0];
        }
        long t = System.nanoTime() - t0;
        if (sink == 42) {
            System.out.print("");
        }
        return t / 1000.0 / n;
    }
}
