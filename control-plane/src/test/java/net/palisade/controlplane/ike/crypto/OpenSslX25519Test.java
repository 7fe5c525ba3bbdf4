package net.palisade.controlplane.ike.crypto;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.HexFormat;
import java.util.Random;
import net.palisade.model.crypto.DhGroup;
import org.bouncycastle.math.ec.rfc7748.X25519;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * X25519 agreements through OpenSSL's libcrypto ({@link OpenSslX25519}, what {@link KeyExchanges} uses where
 * libcrypto is) against RFC 7748 section 6.1 and against Bouncy Castle (the fallback), both ways.
 */
class OpenSslX25519Test {
    private static final HexFormat HEX = HexFormat.of();
    private static final String ALICE_PRIV = "77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a";
    private static final String ALICE_PUB = "8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a";
    private static final String BOB_PRIV = "5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb";
    private static final String BOB_PUB = "de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f";
    private static final String SHARED = "4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742";

    /** Debian 12 ships libcrypto.so.3 (libssl3): here KeyExchanges' X25519 agreements go through OpenSSL. */
    @Test
    void libcryptoIsTheAgreementPathHere() {
        assertThat(OpenSslX25519.unavailableReason()).isNull();
        assertThat(KeyExchanges.OPENSSL).isTrue();
    }

    @Test
    void rfc7748Section61ThroughOpenSsl() {
        // the key as KeyExchanges makes it: both halves of the pair given
        assertThat(HEX.formatHex(agree(ALICE_PRIV, ALICE_PUB, BOB_PUB))).isEqualTo(SHARED);
        assertThat(HEX.formatHex(agree(BOB_PRIV, BOB_PUB, ALICE_PUB))).isEqualTo(SHARED);
        // and from the private half alone: OpenSSL computes the public value, which must be the RFC's
        long alice = OpenSslX25519.fromPrivate(HEX.parseHex(ALICE_PRIV));
        try {
            assertThat(HEX.formatHex(OpenSslX25519.publicValue(alice))).isEqualTo(ALICE_PUB);
            assertThat(HEX.formatHex(OpenSslX25519.agree(alice, HEX.parseHex(BOB_PUB)))).isEqualTo(SHARED);
        } finally {
            OpenSslX25519.free(alice);
        }
    }

    /** Random pairs: the product path (OpenSSL) and Bouncy Castle give the same secret, each side either way. */
    @Test
    void randomExchangesAgreeWithBouncyCastleBothWays() throws Exception {
        Random r = new Random(25519);
        for (int i = 0; i < 300; i++) {
            KeyExchange a = KeyExchanges.generate(DhGroup.CURVE25519, r::nextBytes);
            byte[] bPriv = new byte[32];
            r.nextBytes(bPriv);
            byte[] bPub = new byte[32];
            X25519.generatePublicKey(bPriv, 0, bPub, 0);
            byte[] viaOpenSsl = a.sharedSecret(bPub);
            byte[] viaBouncyCastle = KeyExchanges.bouncyCastle(bPriv, a.publicValue());
            assertThat(viaOpenSsl).as("pair %d", i).isEqualTo(viaBouncyCastle);
            // and the other way: Bouncy Castle's side is ours, OpenSSL computes the peer's with the peer's value
            assertThat(agree(HEX.formatHex(bPriv), HEX.formatHex(bPub), a.publicValue())).isEqualTo(viaOpenSsl);
        }
    }

    /** A peer value that is not reduced mod p (top bit set, u >= p): both implementations read it alike. */
    @Test
    void unreducedPeerValuesAgreeWithBouncyCastle() throws Exception {
        Random r = new Random(7748);
        for (int i = 0; i < 50; i++) {
            byte[] k = new byte[32];
            r.nextBytes(k);
            byte[] peer = new byte[32];
            r.nextBytes(peer);
            peer[31] |= (byte) 0x80;
            byte[] bc = KeyExchanges.bouncyCastle(k, peer);
            assertThat(KeyExchanges.fromPrivate(DhGroup.CURVE25519, k).sharedSecret(peer)).isEqualTo(bc);
        }
    }

    /** Low-order points (u = 0, 1 and the order-8 point of RFC 7748's errata list) give all zeros: refused. */
    @ParameterizedTest
    @ValueSource(strings = {
        "0000000000000000000000000000000000000000000000000000000000000000",
        "0100000000000000000000000000000000000000000000000000000000000000",
        "e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800",
        "5f9c95bca3508c24b1d0b1559c83ef5b04445cc4581c8e86d8224eddd09f1157",
        "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f"})
    void lowOrderPeerValuesAreRefusedOnBothPaths(String peerHex) {
        byte[] peer = HEX.parseHex(peerHex);
        byte[] k = HEX.parseHex(ALICE_PRIV);
        assertThat(KeyExchanges.bouncyCastle(k, peer)).isNull();
        assertThat(agree(ALICE_PRIV, ALICE_PUB, peer)).isNull();
        KeyExchange ours = KeyExchanges.fromPrivate(DhGroup.CURVE25519, k);
        assertThatThrownBy(() -> ours.sharedSecret(peer)).isInstanceOf(KeyExchange.KeyExchangeException.class);
    }

    /** A seeded exchange (HA takeover) is the same on OpenSSL's path as on Bouncy Castle's. */
    @Test
    void aSeededExchangeGivesBouncyCastlesSecret() throws Exception {
        byte[] seed = new byte[32];
        new Random(1).nextBytes(seed);
        KeyExchange a = KeyExchanges.generate(DhGroup.CURVE25519, Randomness.fromSeed(seed));
        byte[] k = Randomness.fromSeed(seed).bytes(32);
        byte[] peer = HEX.parseHex(BOB_PUB);
        assertThat(a.sharedSecret(peer)).isEqualTo(KeyExchanges.bouncyCastle(k, peer));
    }

    private static byte[] agree(String privHex, String pubHex, byte[] peer) {
        long key = OpenSslX25519.fromKeyPair(HEX.parseHex(privHex), HEX.parseHex(pubHex));
        try {
            return OpenSslX25519.agree(key, peer);
        } finally {
            OpenSslX25519.free(key);
        }
    }

    private static byte[] agree(String privHex, String pubHex, String peerHex) {
        return agree(privHex, pubHex, HEX.parseHex(peerHex));
    }
}
