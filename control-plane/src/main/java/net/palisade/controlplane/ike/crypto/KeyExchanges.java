package net.palisade.controlplane.ike.crypto;

import java.math.BigInteger;
import java.util.Arrays;
import net.palisade.model.crypto.DhGroup;
import org.bouncycastle.asn1.x9.ECNamedCurveTable;
import org.bouncycastle.asn1.x9.X9ECParameters;
import org.bouncycastle.crypto.agreement.DHStandardGroups;
import org.bouncycastle.crypto.ec.CustomNamedCurves;
import org.bouncycastle.crypto.params.DHParameters;
import org.bouncycastle.math.ec.ECPoint;
import org.bouncycastle.math.ec.rfc7748.X25519;

/**
 * The key exchanges of {@link DhGroup}, on Bouncy Castle's group tables: MODP 1024 to 4096 (RFC 2409 and RFC 3526
 * primes from {@link DHStandardGroups}; exponentiated by OpenSSL's libcrypto when it is there, {@link OpenSslModp},
 * else by the JDK), NIST P-256/384/521 (RFC 5903; P-256 and P-521 computed by libcrypto when it is there,
 * {@link OpenSslEcp}, else by Bouncy Castle) and X25519 (RFC 7748, RFC 8031; see {@link Curve25519}).
 */
public final class KeyExchanges {

    private KeyExchanges() {
    }

    /** The standard factory. */
    public static KeyExchange.Factory standard() {
        return KeyExchanges::generate;
    }

    /** A fresh key exchange in {@code group}. */
    public static KeyExchange generate(DhGroup group, Randomness random) {
        return switch (group) {
            case MODP1024, MODP1536, MODP2048, MODP3072, MODP4096 -> {
                DHParameters p = modp(group);
                // an exponent of twice the group's strength, at least 512 bits (RFC 3526 section 8 estimates)
                BigInteger x = new BigInteger(1, random.bytes(64)).mod(p.getP().subtract(BigInteger.TWO))
                        .add(BigInteger.ONE);
                yield new Modp(group, p, x, OPENSSL_MODP);
            }
            case ECP256, ECP384, ECP521 -> {
                X9ECParameters c = curve(group);
                BigInteger n = c.getN();
                BigInteger d;
                do {
                    d = new BigInteger(1, random.bytes((n.bitLength() + 7) / 8 + 8)).mod(n);
                } while (d.signum() == 0);
                yield new Ecp(group, c, d, throughOpenSsl(group));
            }
            case CURVE25519 -> new Curve25519(random.bytes(32));
            case NONE -> throw new IllegalArgumentException("no key exchange for group none");
        };
    }

    /** A key exchange with a fixed private value (for known-answer tests): MODP exponent, ECP scalar, X25519 key. */
    public static KeyExchange fromPrivate(DhGroup group, byte[] privateValue) {
        return switch (group) {
            case MODP1024, MODP1536, MODP2048, MODP3072, MODP4096 ->
                    new Modp(group, modp(group), new BigInteger(1, privateValue), OPENSSL_MODP);
            case ECP256, ECP384, ECP521 ->
                    new Ecp(group, curve(group), new BigInteger(1, privateValue), throughOpenSsl(group));
            case CURVE25519 -> new Curve25519(privateValue.clone());
            case NONE -> throw new IllegalArgumentException("no key exchange for group none");
        };
    }

    /** A MODP exchange with a fixed private value computed by the JDK's {@code BigInteger.modPow} alone (tests). */
    static KeyExchange modpOnJdk(DhGroup group, byte[] privateValue) {
        return new Modp(group, modp(group), new BigInteger(1, privateValue), false);
    }

    /** An ECP exchange with a fixed private value computed by Bouncy Castle alone (the tests' second path). */
    static KeyExchange ecpOnBouncyCastle(DhGroup group, byte[] privateValue) {
        return new Ecp(group, curve(group), new BigInteger(1, privateValue), false);
    }

    private static DHParameters modp(DhGroup group) {
        return switch (group) {
            case MODP1024 -> DHStandardGroups.rfc2409_1024;
            case MODP1536 -> DHStandardGroups.rfc3526_1536;
            case MODP2048 -> DHStandardGroups.rfc3526_2048;
            case MODP3072 -> DHStandardGroups.rfc3526_3072;
            case MODP4096 -> DHStandardGroups.rfc3526_4096;
            default -> throw new IllegalArgumentException(group + " is not a MODP group");
        };
    }

    /** The RFC 2409 / RFC 3526 prime of a MODP group. */
    static BigInteger modpPrime(DhGroup group) {
        return modp(group).getP();
    }

    /**
     * The curve with Bouncy Castle's special-form field arithmetic ({@code CustomNamedCurves}: SecP256R1 and kin):
     * {@code ECNamedCurveTable}'s generic BigInteger curve made P-256 62 % of an IKEv1 responder's CPU (the IKEv1
     * benchmark's JFR profile, docs/benchmarks.md). Same curve, same points: the RFC 5903 vectors judge both.
     */
    private static X9ECParameters curve(DhGroup group) {
        X9ECParameters fast = CustomNamedCurves.getByName(group.curveOrFamily());
        return fast != null ? fast : ECNamedCurveTable.getByName(group.curveOrFamily());
    }

    static byte[] fixed(BigInteger v, int length) {
        byte[] raw = v.toByteArray();
        if (raw.length == length) {
            return raw;
        }
        byte[] out = new byte[length];
        if (raw.length > length) {
            System.arraycopy(raw, raw.length - length, out, 0, length);
        } else {
            System.arraycopy(raw, 0, out, length - raw.length, raw.length);
        }
        return out;
    }

    private static void checkLength(DhGroup group, byte[] peer) throws KeyExchange.KeyExchangeException {
        if (peer.length != group.publicValueBytes()) {
            throw new KeyExchange.KeyExchangeException(group + " public value of " + peer.length + " octets; it has "
                    + group.publicValueBytes());
        }
    }

    private record Modp(DhGroup group, DHParameters params, BigInteger x, boolean openSsl) implements KeyExchange {
        @Override
        public byte[] publicValue() {
            return power(params.getG());
        }

        /** base^x mod p, {@code publicValueBytes} long: libcrypto's constant-time exponentiation, or the JDK's. */
        private byte[] power(BigInteger base) {
            if (!openSsl) {
                return fixed(base.modPow(x, params.getP()), group.publicValueBytes());
            }
            byte[] exponent = x.toByteArray();
            try {
                return OpenSslModp.modPow(base, exponent, params.getP());
            } finally {
                Arrays.fill(exponent, (byte) 0);
            }
        }

        @Override
        public byte[] sharedSecret(byte[] peer) throws KeyExchangeException {
            checkLength(group, peer);
            BigInteger p = params.getP();
            BigInteger y = new BigInteger(1, peer);
            if (y.compareTo(BigInteger.ONE) <= 0 || y.compareTo(p.subtract(BigInteger.ONE)) >= 0) {
                throw new KeyExchangeException(group + " public value outside 2..p-2");
            }
            return power(y);
        }

        @Override
        public String toString() {
            return "KeyExchange[" + group + "]";
        }
    }

    private record Ecp(DhGroup group, X9ECParameters curve, BigInteger d, boolean openSsl) implements KeyExchange {
        private int coordinateBytes() {
            return group.publicValueBytes() / 2;
        }

        /** The scalar as {@link OpenSslEcp} takes it: big-endian, as long as the group order; wiped by the caller. */
        private byte[] scalar() {
            return fixed(d, (curve.getN().bitLength() + 7) / 8);
        }

        @Override
        public byte[] publicValue() {
            if (openSsl) {
                byte[] s = scalar();
                try {
                    return OpenSslEcp.publicValue(group, s);
                } finally {
                    Arrays.fill(s, (byte) 0);
                }
            }
            ECPoint q = curve.getG().multiply(d).normalize();
            return IkeKdf.concat(fixed(q.getAffineXCoord().toBigInteger(), coordinateBytes()),
                    fixed(q.getAffineYCoord().toBigInteger(), coordinateBytes()));
        }

        @Override
        public byte[] sharedSecret(byte[] peer) throws KeyExchangeException {
            checkLength(group, peer);
            if (openSsl) {
                byte[] s = scalar();
                try {
                    return OpenSslEcp.agree(group, s, peer);
                } catch (OpenSslEcp.Refused e) {
                    throw new KeyExchangeException(e.getMessage());
                } finally {
                    Arrays.fill(s, (byte) 0);
                }
            }
            byte[] encoded = new byte[peer.length + 1];
            encoded[0] = 0x04;
            System.arraycopy(peer, 0, encoded, 1, peer.length);
            ECPoint p;
            try {
                p = curve.getCurve().decodePoint(encoded);
            } catch (IllegalArgumentException e) {
                throw new KeyExchangeException(group + " public value is not a point on the curve");
            }
            ECPoint s = p.multiply(d).normalize();
            if (s.isInfinity()) {
                throw new KeyExchangeException(group + " shared point is the point at infinity");
            }
            return fixed(s.getAffineXCoord().toBigInteger(), coordinateBytes());
        }

        @Override
        public String toString() {
            return "KeyExchange[" + group + "]";
        }
    }

    /**
     * X25519: the public value from Bouncy Castle ({@code X25519.generatePublicKey}, 22 µs, faster than OpenSSL's
     * key import computing it), the agreement from OpenSSL's libcrypto when it is there (32 µs with the key imports
     * and the context, against Bouncy Castle's 64 µs; {@code X25519Bench}, docs/benchmarks.md), else from Bouncy
     * Castle. The private value stays a Java array as before: the native key is made from both halves of the pair
     * (no scalar multiplication) inside {@link #sharedSecret} and freed before it returns, so nothing native
     * outlives the call and a seeded private value gives the same exchange on either path.
     */
    private static final class Curve25519 implements KeyExchange {
        private final byte[] k;
        private byte[] pub;

        Curve25519(byte[] k) {
            this.k = k;
        }

        @Override
        public DhGroup group() {
            return DhGroup.CURVE25519;
        }

        @Override
        public byte[] publicValue() {
            return ownPublic().clone();
        }

        /** Our public value, computed once; never handed out (callers get a copy). */
        private synchronized byte[] ownPublic() {
            if (pub == null) {
                pub = new byte[X25519.POINT_SIZE];
                X25519.generatePublicKey(k, 0, pub, 0);
            }
            return pub;
        }

        @Override
        public byte[] sharedSecret(byte[] peer) throws KeyExchangeException {
            checkLength(DhGroup.CURVE25519, peer);
            byte[] out = OPENSSL ? openSsl(peer) : bouncyCastle(k, peer);
            if (out == null) {
                throw new KeyExchangeException("X25519 result is all zeros (RFC 8031 section 2.3)");
            }
            return out;
        }

        private byte[] openSsl(byte[] peer) {
            long key = OpenSslX25519.fromKeyPair(k, ownPublic());
            try {
                return OpenSslX25519.agree(key, peer); // null when all zeros: OpenSSL refuses that result
            } finally {
                OpenSslX25519.free(key);
            }
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Curve25519 c && Arrays.equals(k, c.k);
        }

        @Override
        public int hashCode() {
            return Arrays.hashCode(k);
        }

        @Override
        public String toString() {
            return "KeyExchange[curve25519]";
        }
    }

    /**
     * Whether {@link Modp} exponentiates through libcrypto ({@link OpenSslModp}: constant-time in the exponent, which
     * {@code BigInteger.modPow} is not, and 1.3-1.45x faster: MODP-2048 920 against 1,241 µs for a public value and
     * agreement with 512-bit exponents; KeyExchangeBench, docs/benchmarks.md), else by the JDK.
     */
    static final boolean OPENSSL_MODP = OpenSslModp.available();

    /** Whether libcrypto's NIST curves can be used ({@link OpenSslEcp#available()}). */
    static final boolean OPENSSL_ECP = OpenSslEcp.available();

    /**
     * Whether {@link Ecp} computes in {@code group} through libcrypto, both halves (d·G and d·Q), or on Bouncy
     * Castle: where libcrypto measured faster. A public value and agreement (KeyExchangeBench, 2026-12-07, µs):
     * P-256 60 against 241, P-521 360 against 1,745; but P-384 1,075 against 769 (OpenSSL 3.0 has no special code
     * for P-384), so P-384 stays on Bouncy Castle. The same points either way: RFC 5903's vectors judge both.
     */
    static boolean throughOpenSsl(DhGroup group) {
        return OPENSSL_ECP && group != DhGroup.ECP384;
    }

    /** Whether {@link Curve25519} agrees through libcrypto ({@link OpenSslX25519#available()}). */
    static final boolean OPENSSL = OpenSslX25519.available();

    /** Bouncy Castle's X25519 agreement, or null when the result is all zeros. */
    static byte[] bouncyCastle(byte[] k, byte[] peer) {
        byte[] out = new byte[X25519.POINT_SIZE];
        return X25519.calculateAgreement(k, 0, peer, 0, out, 0) ? out : null;
    }
}
