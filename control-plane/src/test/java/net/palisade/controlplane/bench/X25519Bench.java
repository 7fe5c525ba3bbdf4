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
import net.palisade.controlplane.ike.crypto.KeyExchange;
import net.palisade.controlplane.ike.crypto.KeyExchanges;
import net.palisade.controlplane.ike.crypto.OpenSslX25519;
import net.palisade.controlplane.ike.crypto.Randomness;
import net.palisade.model.crypto.DhGroup;
import org.bouncycastle.math.ec.rfc7748.X25519;

/**
 * X25519 as an IKE responder needs it, once per setup: a new key pair, its public value, and the agreement with the
 * peer's public value given as 32 bytes. Bouncy Castle's low-level {@code X25519} (what {@code KeyExchanges} uses)
 * against the JDK's {@code XDH} provider (fresh key pair, the peer's bytes through {@code KeyFactory}). No JMH: N
 * operations per round after warm-up rounds, one thread, the median round printed. Run it beside
 * {@code openssl speed ecdhx25519} (docs/benchmarks.md, "X25519").
 *
 * <pre>java --enable-native-access=ALL-UNNAMED -cp control-plane/target/test-classes:LIBS \
 *     net.palisade.controlplane.bench.X25519Bench [N=5000] [ROUNDS=7] [jdk]</pre>
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
        // OpenSSL through FFM, our native key kept from its making to the agreement, then freed
        Setup osslImport = p -> {
            byte[] k = new byte[X25519.SCALAR_SIZE];
            random.nextBytes(k);
            long key = OpenSslX25519.fromPrivate(k); // the import computes the public value once
            try {
                byte[] pub = OpenSslX25519.publicValue(key);
                byte[] out = OpenSslX25519.agree(key, p);
                out[0] ^= pub[0];
                return out;
            } finally {
                OpenSslX25519.free(key);
            }
        };
        // Bouncy Castle's public value (faster than OpenSSL's import computing it), OpenSSL's agreement
        Setup hybrid = p -> {
            byte[] k = new byte[X25519.SCALAR_SIZE];
            random.nextBytes(k);
            byte[] pub = new byte[X25519.POINT_SIZE];
            X25519.generatePublicKey(k, 0, pub, 0);
            long key = OpenSslX25519.fromKeyPair(k, pub);
            try {
                byte[] out = OpenSslX25519.agree(key, p);
                out[0] ^= pub[0];
                return out;
            } finally {
                OpenSslX25519.free(key);
            }
        };
        long keygenCtx = OpenSslX25519.available() ? OpenSslX25519.keygenContext() : 0;
        Setup osslKeygen = p -> {
            long key = OpenSslX25519.generate(keygenCtx); // OpenSSL's RNG, keygen context made once
            try {
                byte[] pub = OpenSslX25519.publicValue(key);
                byte[] out = OpenSslX25519.agree(key, p);
                out[0] ^= pub[0];
                return out;
            } finally {
                OpenSslX25519.free(key);
            }
        };
        // the product path: KeyExchanges as the engine calls it
        Randomness rnd = random::nextBytes;
        Setup product = p -> {
            KeyExchange ke = KeyExchanges.generate(DhGroup.CURVE25519, rnd);
            byte[] pub = ke.publicValue();
            byte[] out = ke.sharedSecret(p);
            out[0] ^= pub[0];
            return out;
        };
        // the parts: import (public value computed), agreement alone on a kept key
        byte[] fixedK = new byte[32];
        random.nextBytes(fixedK);
        long fixedKey = OpenSslX25519.available() ? OpenSslX25519.fromPrivate(fixedK) : 0;
        Setup osslImportOnly = p -> {
            long key = OpenSslX25519.fromPrivate(fixedK);
            byte[] pub = OpenSslX25519.publicValue(key);
            OpenSslX25519.free(key);
            return pub;
        };
        byte[] fixedPub = new byte[32];
        X25519.generatePublicKey(fixedK, 0, fixedPub, 0);
        Setup osslFromdataOnly = p -> {
            long key = OpenSslX25519.fromKeyPair(fixedK, fixedPub);
            OpenSslX25519.free(key);
            return fixedPub;
        };
        Setup osslAgreeOnly = p -> OpenSslX25519.agree(fixedKey, p);
        Setup bcPublicOnly = p -> {
            byte[] pub = new byte[X25519.POINT_SIZE];
            X25519.generatePublicKey(fixedK, 0, pub, 0);
            return pub;
        };
        Setup bcAgreeOnly = p -> {
            byte[] out = new byte[X25519.POINT_SIZE];
            X25519.calculateAgreement(fixedK, 0, p, 0, out, 0);
            return out;
        };
        if (OpenSslX25519.available()) {
            long kp = OpenSslX25519.fromKeyPair(fixedK, fixedPub);
            byte[] viaPair = OpenSslX25519.agree(kp, peer);
            OpenSslX25519.free(kp);
            if (!Arrays.equals(viaPair, OpenSslX25519.agree(fixedKey, peer))
                    || !Arrays.equals(OpenSslX25519.publicValue(fixedKey), fixedPub)) {
                throw new IllegalStateException("OpenSSL's two imports disagree");
            }
            byte[] a = OpenSslX25519.agree(fixedKey, peer);
            byte[] b = new byte[32];
            X25519.calculateAgreement(fixedK, 0, peer, 0, b, 0);
            if (!Arrays.equals(a, b)) {
                throw new IllegalStateException("OpenSSL and Bouncy Castle disagree");
            }
        }
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
        var impls = new java.util.ArrayList<java.util.Map.Entry<String, Setup>>();
        boolean jdkToo = args.length > 2 && args[2].equals("jdk");
        for (int pass = 0; pass < 2; pass++) { // interleaved: each variant twice, A B C .. A B C
            impls.add(java.util.Map.entry("Bouncy Castle X25519 (low-level)", bc));
            if (OpenSslX25519.available()) {
                impls.add(java.util.Map.entry("OpenSSL raw private import + get public + agree (FFM)", osslImport));
                impls.add(java.util.Map.entry("BC public value, OpenSSL fromdata(priv+pub) + agree (FFM)", hybrid));
                impls.add(java.util.Map.entry("OpenSSL EVP_PKEY_keygen on a kept ctx + get public + agree (FFM)",
                        osslKeygen));
                impls.add(java.util.Map.entry("KeyExchanges.generate(CURVE25519) + publicValue + sharedSecret",
                        product));
                impls.add(java.util.Map.entry("  part: OpenSSL import + get public", osslImportOnly));
                impls.add(java.util.Map.entry("  part: OpenSSL fromdata(priv+pub) + free", osslFromdataOnly));
                impls.add(java.util.Map.entry("  part: OpenSSL agreement on a kept key (peer import, ctx, derive)",
                        osslAgreeOnly));
            }
            impls.add(java.util.Map.entry("  part: Bouncy Castle public value", bcPublicOnly));
            impls.add(java.util.Map.entry("  part: Bouncy Castle agreement", bcAgreeOnly));
            if (jdkToo) {
                impls.add(java.util.Map.entry("JDK XDH (KeyPairGenerator + KeyFactory + KeyAgreement)", jdk));
            }
        }
        if (!OpenSslX25519.available()) {
            System.out.println("x25519-bench: no OpenSSL: " + OpenSslX25519.unavailableReason());
        }
        for (var impl : impls) {
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
