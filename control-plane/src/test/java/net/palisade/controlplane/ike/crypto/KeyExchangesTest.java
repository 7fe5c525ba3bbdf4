package net.palisade.controlplane.ike.crypto;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.math.BigInteger;
import java.util.HexFormat;
import java.util.Random;
import net.palisade.model.crypto.DhGroup;
import org.bouncycastle.asn1.x9.X9ECParameters;
import org.bouncycastle.crypto.ec.CustomNamedCurves;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

/** Key exchange against published vectors: RFC 5903 section 8 (ECP) and RFC 7748 section 6.1 (X25519). */
class KeyExchangesTest {
    private static final HexFormat HEX = HexFormat.of();

    /** RFC 5903 sections 8.1-8.3: i, g^i = gix|giy, r, g^r = grx|gry, g^ir x-coordinate. */
    @ParameterizedTest(name = "{0}")
    @CsvSource({
        "ECP256, c88f01f510d9ac3f70a292daa2316de544e9aab8afe84049c62a9c57862d1433,"
            + "dad0b65394221cf9b051e1feca5787d098dfe637fc90b9ef945d0c3772581180,"
            + "5271a0461cdb8252d61f1c456fa3e59ab1f45b33accf5f58389e0577b8990bb3,"
            + "c6ef9c5d78ae012a011164acb397ce2088685d8f06bf9be0b283ab46476bee53,"
            + "d12dfb5289c8d4f81208b70270398c342296970a0bccb74c736fc7554494bf63,"
            + "56fbf3ca366cc23e8157854c13c58d6aac23f046ada30f8353e74f33039872ab,"
            + "d6840f6b42f6edafd13116e0e12565202fef8e9ece7dce03812464d04b9442de",
        "ECP384, 099f3c7034d4a2c699884d73a375a67f7624ef7c6b3c0f160647b67414dce655e35b538041e649ee3faef896783ab194,"
            + "667842d7d180ac2cde6f74f37551f55755c7645c20ef73e31634fe72b4c55ee6de3ac808acb4bdb4c88732aee95f41aa,"
            + "9482ed1fc0eeb9cafc4984625ccfc23f65032149e0e144ada024181535a0f38eeb9fcff3c2c947dae69b4c634573a81c,"
            + "41cb0779b4bdb85d47846725fbec3c9430fab46cc8dc5060855cc9bda0aa2942e0308312916b8ed2960e4bd55a7448fc,"
            + "e558dbef53eecde3d3fccfc1aea08a89a987475d12fd950d83cfa41732bc509d0d1ac43a0336def96fda41d0774a3571,"
            + "dcfbec7aacf3196472169e838430367f66eebe3c6e70c416dd5f0c68759dd1fff83fa40142209dff5eaad96db9e6386c,"
            + "11187331c279962d93d604243fd592cb9d0a926f422e47187521287e7156c5c4d603135569b9e9d09cf5d4a270f59746",
        "ECP521, 0037ade9319a89f4dabdb3ef411aaccca5123c61acab57b5393dce47608172a095aa85a30fe1c2952c6771d937ba9777f5957b2639bab072462f68c27a57382d4a52,"
            + "0015417e84dbf28c0ad3c278713349dc7df153c897a1891bd98bab4357c9ecbee1e3bf42e00b8e380aeae57c2d107564941885942af5a7f4601723c4195d176ced3e,"
            + "017cae20b6641d2eeb695786d8c946146239d099e18e1d5a514c739d7cb4a10ad8a788015ac405d7799dc75e7b7d5b6cf2261a6a7f1507438bf01beb6ca3926f9582,"
            + "0145ba99a847af43793fdd0e872e7cdfa16be30fdc780f97bccc3f078380201e9c677d600b343757a3bdbf2a3163e4c2f869cca7458aa4a4effc311f5cb151685eb9,"
            + "00d0b3975ac4b799f5bea16d5e13e9af971d5e9b984c9f39728b5e5739735a219b97c356436adc6e95bb0352f6be64a6c2912d4ef2d0433ced2b6171640012d9460f,"
            + "015c68226383956e3bd066e797b623c27ce0eac2f551a10c2c724d9852077b87220b6536c5c408a1d2aebb8e86d678ae49cb57091f4732296579ab44fcd17f0fc56a,"
            + "01144c7d79ae6956bc8edb8e7c787c4521cb086fa64407f97894e5e6b2d79b04d1427e73ca4baa240a34786859810c06b3c715a3a8cc3151f2bee417996d19f3ddea"
    })
    void ecpMatchesRfc5903(DhGroup group, String i, String gix, String giy, String r, String grx, String gry,
            String girx) throws Exception {
        // the product's path (libcrypto where it is faster, which this machine has) and Bouncy Castle's, each alone
        assertThat(KeyExchanges.OPENSSL_ECP).as(OpenSslEcp.unavailableReason()).isTrue();
        for (boolean openSsl : new boolean[] {true, false}) {
            KeyExchange initiator = openSsl ? KeyExchanges.fromPrivate(group, HEX.parseHex(i))
                    : KeyExchanges.ecpOnBouncyCastle(group, HEX.parseHex(i));
            KeyExchange responder = openSsl ? KeyExchanges.fromPrivate(group, HEX.parseHex(r))
                    : KeyExchanges.ecpOnBouncyCastle(group, HEX.parseHex(r));
            assertThat(HEX.formatHex(initiator.publicValue())).isEqualTo(gix + giy);
            assertThat(HEX.formatHex(responder.publicValue())).isEqualTo(grx + gry);
            assertThat(HEX.formatHex(initiator.sharedSecret(HEX.parseHex(grx + gry)))).isEqualTo(girx);
            assertThat(HEX.formatHex(responder.sharedSecret(HEX.parseHex(gix + giy)))).isEqualTo(girx);
        }
        // libcrypto on every curve, also where KeyExchanges stays on Bouncy Castle (P-384)
        assertThat(HEX.formatHex(OpenSslEcp.publicValue(group, HEX.parseHex(i)))).isEqualTo(gix + giy);
        assertThat(HEX.formatHex(OpenSslEcp.agree(group, HEX.parseHex(r), HEX.parseHex(gix + giy)))).isEqualTo(girx);
    }

    /** Random scalars: libcrypto's d·G and d·Q equal Bouncy Castle's, on each curve, both ways round. */
    @ParameterizedTest
    @EnumSource(value = DhGroup.class, names = {"ECP256", "ECP384", "ECP521"})
    void ecpThroughOpenSslEqualsBouncyCastle(DhGroup group) throws Exception {
        Random random = new Random(group.ordinal());
        for (int n = 0; n < 25; n++) {
            byte[] a = KeyExchanges.fixed(new BigInteger(group.publicValueBytes() * 4, random).add(BigInteger.ONE),
                    group.publicValueBytes() / 2);
            byte[] b = KeyExchanges.fixed(new BigInteger(group.publicValueBytes() * 4 - 3, random).add(BigInteger.ONE),
                    group.publicValueBytes() / 2);
            KeyExchange reference = KeyExchanges.ecpOnBouncyCastle(group, a);
            byte[] theirs = KeyExchanges.ecpOnBouncyCastle(group, b).publicValue();
            assertThat(OpenSslEcp.publicValue(group, a)).isEqualTo(reference.publicValue());
            assertThat(OpenSslEcp.agree(group, a, theirs)).isEqualTo(reference.sharedSecret(theirs));
        }
    }

    /**
     * What libcrypto is asked to refuse, it refuses: a coordinate equal to the field prime, a point off the curve,
     * all zeros; and a scalar equal to the group order makes the point at infinity, refused too.
     */
    @ParameterizedTest
    @EnumSource(value = DhGroup.class, names = {"ECP256", "ECP384", "ECP521"})
    void ecpThroughOpenSslRefusesWhatIsNotAPoint(DhGroup group) throws Exception {
        int c = group.publicValueBytes() / 2;
        X9ECParameters curve = CustomNamedCurves.getByName(group.curveOrFamily());
        byte[] d = KeyExchanges.fixed(BigInteger.valueOf(12345), c);
        byte[] valid = KeyExchanges.ecpOnBouncyCastle(group, KeyExchanges.fixed(BigInteger.TWO, c)).publicValue();
        byte[] offCurve = valid.clone();
        offCurve[2 * c - 1] ^= 1;
        byte[] xIsP = valid.clone();
        System.arraycopy(KeyExchanges.fixed(curve.getCurve().getField().getCharacteristic(), c), 0, xIsP, 0, c);
        for (byte[] bad : new byte[][] {offCurve, xIsP, new byte[2 * c]}) {
            assertThatThrownBy(() -> OpenSslEcp.agree(group, d, bad)).isInstanceOf(OpenSslEcp.Refused.class)
                    .hasMessageContaining("not a point on the curve");
        }
        byte[] order = KeyExchanges.fixed(curve.getN(), c);
        assertThatThrownBy(() -> OpenSslEcp.agree(group, order, valid)).isInstanceOf(OpenSslEcp.Refused.class)
                .hasMessageContaining("infinity");
        assertThat(OpenSslEcp.agree(group, d, valid)).hasSize(c);
    }

    @Test
    void x25519MatchesRfc7748Section61() throws Exception {
        String alicePriv = "77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a";
        String alicePub = "8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a";
        String bobPriv = "5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb";
        String bobPub = "de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f";
        String shared = "4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742";
        KeyExchange alice = KeyExchanges.fromPrivate(DhGroup.CURVE25519, HEX.parseHex(alicePriv));
        KeyExchange bob = KeyExchanges.fromPrivate(DhGroup.CURVE25519, HEX.parseHex(bobPriv));
        assertThat(HEX.formatHex(alice.publicValue())).isEqualTo(alicePub);
        assertThat(HEX.formatHex(bob.publicValue())).isEqualTo(bobPub);
        assertThat(HEX.formatHex(alice.sharedSecret(HEX.parseHex(bobPub)))).isEqualTo(shared);
        assertThat(HEX.formatHex(bob.sharedSecret(HEX.parseHex(alicePub)))).isEqualTo(shared);
    }

    @Test
    void x25519RefusesAnAllZeroResult() {
        KeyExchange k = KeyExchanges.generate(DhGroup.CURVE25519, seeded(1));
        assertThatThrownBy(() -> k.sharedSecret(new byte[32])).isInstanceOf(KeyExchange.KeyExchangeException.class);
    }

    @Test
    void ecpRefusesAPointOffTheCurve() {
        KeyExchange k = KeyExchanges.generate(DhGroup.ECP256, seeded(2));
        byte[] bad = KeyExchanges.generate(DhGroup.ECP256, seeded(3)).publicValue();
        bad[63] ^= 1;
        assertThatThrownBy(() -> k.sharedSecret(bad)).isInstanceOf(KeyExchange.KeyExchangeException.class);
        assertThatThrownBy(() -> k.sharedSecret(new byte[10])).isInstanceOf(KeyExchange.KeyExchangeException.class);
    }

    /**
     * libcrypto's constant-time exponentiation equals the JDK's {@code BigInteger.modPow} (an independent
     * implementation) for exponents of every length up to the prime's and for any base below p; and the product's
     * MODP exchange (through libcrypto on this machine) equals the JDK-only one.
     */
    @ParameterizedTest
    @EnumSource(value = DhGroup.class, names = {"MODP1024", "MODP1536", "MODP2048", "MODP3072", "MODP4096"})
    void modpThroughOpenSslEqualsTheJdk(DhGroup group) throws Exception {
        assertThat(KeyExchanges.OPENSSL_MODP).as(OpenSslModp.unavailableReason()).isTrue();
        BigInteger p = KeyExchanges.modpPrime(group);
        Random random = new Random(group.ordinal());
        for (int bits : new int[] {1, 8, 160, 512, 513, p.bitLength() - 1}) {
            BigInteger x = new BigInteger(bits, random).setBit(bits - 1);
            BigInteger y = new BigInteger(p.bitLength() - 1, random);
            for (BigInteger base : new BigInteger[] {BigInteger.TWO, y}) {
                assertThat(OpenSslModp.modPow(base, x.toByteArray(), p))
                        .isEqualTo(KeyExchanges.fixed(base.modPow(x, p), group.publicValueBytes()));
            }
        }
        byte[] a = KeyExchanges.fixed(new BigInteger(512, random), 64);
        byte[] theirs = KeyExchanges.modpOnJdk(group, KeyExchanges.fixed(new BigInteger(512, random), 64))
                .publicValue();
        KeyExchange product = KeyExchanges.fromPrivate(group, a);
        KeyExchange jdk = KeyExchanges.modpOnJdk(group, a);
        assertThat(product.publicValue()).isEqualTo(jdk.publicValue());
        assertThat(product.sharedSecret(theirs)).isEqualTo(jdk.sharedSecret(theirs));
    }

    /** MODP agreement, range checks, and the shape of RFC 3526's primes. */
    @ParameterizedTest
    @EnumSource(value = DhGroup.class, names = {"MODP1024", "MODP1536", "MODP2048", "MODP3072", "MODP4096"})
    void modpAgreesAndRefusesDegenerateValues(DhGroup group) throws Exception {
        KeyExchange a = KeyExchanges.generate(group, seeded(4));
        KeyExchange b = KeyExchanges.generate(group, seeded(5));
        assertThat(a.publicValue()).hasSize(group.publicValueBytes());
        assertThat(a.sharedSecret(b.publicValue())).isEqualTo(b.sharedSecret(a.publicValue()))
                .hasSize(group.publicValueBytes());
        byte[] one = KeyExchanges.fixed(BigInteger.ONE, group.publicValueBytes());
        assertThatThrownBy(() -> a.sharedSecret(one)).isInstanceOf(KeyExchange.KeyExchangeException.class);
        // RFC 3526: the top and bottom 64 bits of every MODP prime are ones, its length is the group's
        BigInteger p = KeyExchanges.modpPrime(group);
        assertThat(p.bitLength()).isEqualTo(group.publicValueBytes() * 8);
        BigInteger ones = BigInteger.ONE.shiftLeft(64).subtract(BigInteger.ONE);
        assertThat(p.and(ones)).isEqualTo(ones);
        assertThat(p.shiftRight(p.bitLength() - 64)).isEqualTo(ones);
    }

    /**
     * Every MODP prime is the RFC's (2409 for group 2, 3526 for the others) as scapy, an independent implementation
     * run by Debian's python3, has it; and its IKE numbers are IANA's (group 2 is 1024 bits, group 5 1536).
     */
    @org.junit.jupiter.api.Test
    void modpPrimesAreTheRfcsAsScapyHasThem() throws Exception {
        net.palisade.dataplane.testkit.TestPrograms.require("/usr/bin/python3",
                "/usr/lib/python3/dist-packages/scapy/__init__.py");
        Process p = new ProcessBuilder("/usr/bin/python3", "-c", """
                from scapy.layers.tls.crypto import groups as g
                for n in ("modp1024", "modp1536", "modp2048", "modp3072", "modp4096"):
                    print(n, format(getattr(g, n).m, "x"))
                """).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        assertThat(p.waitFor()).as(out).isZero();
        java.util.Map<String, BigInteger> scapy = new java.util.HashMap<>();
        out.lines().map(l -> l.split(" ")).forEach(f -> scapy.put(f[0], new BigInteger(f[1], 16)));
        for (DhGroup g : DhGroup.values()) {
            if (g.curveOrFamily().equals("modp")) {
                assertThat(KeyExchanges.modpPrime(g)).as(g.keyword()).isEqualTo(scapy.get(g.keyword()));
            }
        }
        assertThat(DhGroup.MODP1024.ikev2Id()).isEqualTo(2);
        assertThat(DhGroup.MODP1024.ikev1Id()).hasValue(2);
        assertThat(DhGroup.MODP1536.ikev2Id()).isEqualTo(5);
        assertThat(DhGroup.MODP1536.ikev1Id()).hasValue(5);
    }

    @ParameterizedTest
    @EnumSource(value = DhGroup.class, names = {"ECP256", "ECP384", "ECP521", "CURVE25519"})
    void freshKeysAgree(DhGroup group) throws Exception {
        KeyExchange a = KeyExchanges.generate(group, seeded(6));
        KeyExchange b = KeyExchanges.generate(group, seeded(7));
        assertThat(a.publicValue()).hasSize(group.publicValueBytes());
        assertThat(a.sharedSecret(b.publicValue())).isEqualTo(b.sharedSecret(a.publicValue()));
    }

    static Randomness seeded(long seed) {
        Random r = new Random(seed);
        return r::nextBytes;
    }
}
