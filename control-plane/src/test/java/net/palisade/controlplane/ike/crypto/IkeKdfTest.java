package net.palisade.controlplane.ike.crypto;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.Optional;
import net.palisade.model.crypto.AuthAlgorithm;
import net.palisade.model.crypto.EncryptionAlgorithm;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The PRF and the IKEv2 KDF against published vectors.
 *
 * <p>PRF: RFC 4868 section 2.7.1 test case PRF-1 (key 0x0b repeated to the output length, data "Hi There").
 *
 * <p>KDF: the NIST CAVP SP 800-135 IKEv2 KDF known-answer format (SKEYSEED, DKM, DKM(Child SA), DKM(Child SA D-H),
 * SKEYSEED(Rekey)), one SHA-1 case as published in libreswan's {@code programs/cavp} IKEv2 CAVS tool. The KDF is the
 * same construction for every HMAC; SHA-1 is the PRF that vector uses.
 */
class IkeKdfTest {
    private static final HexFormat HEX = HexFormat.of();

    @ParameterizedTest(name = "{0}")
    @CsvSource({
        "HMAC_SHA2_256, 198a607eb44bfbc69903a0f1cf2bbdc5ba0aa3f3d9ae3c1c7a3b1696a0b68cf7",
        "HMAC_SHA2_384, b6a8d5636f5c6a7224f9977dcf7ee6c7fb6d0c48cbdee9737a959796489bddbc"
            + "4c5df61d5b3297b4fb68dab9f1b582c2",
        "HMAC_SHA2_512, 637edc6e01dce7e6742a99451aae82df23da3e92439e590e43e761b33e910fb8"
            + "ac2878ebd5803f6f0b61dbce5e251ff8789a4722c1be65aea45fd464e89f8f5b"
    })
    void prfMatchesRfc4868(AuthAlgorithm algorithm, String expected) {
        Prf prf = new Prf(algorithm);
        byte[] key = new byte[algorithm.keyBytes()];
        Arrays.fill(key, (byte) 0x0b);
        assertThat(HEX.formatHex(prf.apply(key, "Hi There".getBytes(StandardCharsets.US_ASCII))))
                .isEqualTo(expected);
        // split input gives the same MAC
        assertThat(HEX.formatHex(prf.apply(key, "Hi ".getBytes(StandardCharsets.US_ASCII),
                "There".getBytes(StandardCharsets.US_ASCII)))).isEqualTo(expected);
    }

    // CAVP-format vector: -g g^ir -n g^ir(new) -a Ni -b Nr -c SPIi -d SPIr -l 132 -h SHA-1
    private static final byte[] GIR = HEX.parseHex("4b2c1f971981a8ad8d0abeafabf38cf75fc8349c148142465ed9c8b516b8be52");
    private static final byte[] GIR_NEW =
            HEX.parseHex("863f3c9d06efd39d2b907b97f8699e5dd5251ef64a2a176f36ee40c87d4f9330");
    private static final byte[] NI = HEX.parseHex("32b50d5f4a3763f3");
    private static final byte[] NR = HEX.parseHex("9206a04b26564cb1");
    private static final long SPII = 0x34c9e7c188868785L;
    private static final long SPIR = 0x3ff77d760d2b2199L;
    private static final String SKEYSEED = "a9a7b222b59f8f48645f28a1db5b5f5d7479cba7";
    private static final String DKM = "a14293677cc80ff8f9cc0eee30d895da9d8f405666e30ef0dfcb63c634a46002a2a63080e514a062"
            + "768b76606f9fa5e992204fc5a670bde3f10d6b027113936a5c55b648a194ae587b0088d52204b702c979fa280870d2ed41efa9"
            + "c549fd11198af1670b143d384bd275c5f594cf266b05ebadca855e4249520a441a81157435a7a56cc4";
    private static final String DKM_CHILD = "8059e3ee8810e6c3a91bc8bcd2a7a41151b8d0e6ae239c7b38093ad85ef4c5811a8e7b5d"
            + "1cdabd9560b2d5e092d1f24e2d4b85eccdf0ad0dc9abd94b51ee71814ca6dbc8bb51b6309f5b9545c7eb35cf5580b1e521a8fe"
            + "20754a2d883ba0c2cf285f524aea6545b33106bc03e614296d319d41d4b50b3f510b1c0a22f3e664994d234cb4";
    private static final String DKM_CHILD_DH = "bb43244c1860ad65ee1e211ffe8bb3661750c8f89cb9f547df7f4fa61d3730162819"
            + "0e38c66232eab4b3ab14c400a5197dd3730ed4820a8a10394d51e1c0400052f63ebd36b0e7ef53aaed31eba4a5080d7d4b56"
            + "66023a8bbb5ffb7857240f9a05884d1b7d2f933708450b7b3288f1fc863ab49fa901227cffc06e27899c7054d56fd74c";
    private static final String SKEYSEED_REKEY = "63e81194946ebd05df7df5ebf5d8750056bf1f1d";

    private final Prf sha1 = new Prf(AuthAlgorithm.HMAC_SHA1);

    @Test
    void skeyseedAndDkmMatchTheCavpVector() {
        byte[] skeyseed = IkeKdf.skeyseed(sha1, NI, NR, GIR);
        assertThat(HEX.formatHex(skeyseed)).isEqualTo(SKEYSEED);
        // AES-128-CBC with HMAC-SHA1-96 and PRF-HMAC-SHA1 needs 20 + 2*20 + 2*16 + 2*20 = 132 octets: the vector's DKM
        IkeSaKeys keys = IkeKdf.ikeSaKeys(sha1, EncryptionAlgorithm.AES_128, Optional.of(AuthAlgorithm.HMAC_SHA1),
                skeyseed, NI, NR, SPII, SPIR);
        byte[] dkm = HEX.parseHex(DKM);
        assertThat(dkm).hasSize(132);
        assertThat(keys.skD()).isEqualTo(Arrays.copyOfRange(dkm, 0, 20));
        assertThat(keys.skAi()).isEqualTo(Arrays.copyOfRange(dkm, 20, 40));
        assertThat(keys.skAr()).isEqualTo(Arrays.copyOfRange(dkm, 40, 60));
        assertThat(keys.skEi()).isEqualTo(Arrays.copyOfRange(dkm, 60, 76));
        assertThat(keys.skEr()).isEqualTo(Arrays.copyOfRange(dkm, 76, 92));
        assertThat(keys.skPi()).isEqualTo(Arrays.copyOfRange(dkm, 92, 112));
        assertThat(keys.skPr()).isEqualTo(Arrays.copyOfRange(dkm, 112, 132));
        assertThat(keys.toString()).doesNotContain(HEX.formatHex(keys.skD()));
    }

    @Test
    void childKeyMaterialMatchesTheCavpVectorWithAndWithoutPfs() {
        byte[] skD = Arrays.copyOf(HEX.parseHex(DKM), 20);
        assertThat(HEX.formatHex(IkeKdf.childKeyMaterial(sha1, skD, Optional.empty(), NI, NR, 132)))
                .isEqualTo(DKM_CHILD);
        assertThat(HEX.formatHex(IkeKdf.childKeyMaterial(sha1, skD, Optional.of(GIR_NEW), NI, NR, 132)))
                .isEqualTo(DKM_CHILD_DH);
        assertThat(HEX.formatHex(IkeKdf.rekeySkeyseed(sha1, skD, GIR_NEW, NI, NR))).isEqualTo(SKEYSEED_REKEY);
    }

    @Test
    void aPrfWithAnEmptyKeyIsHmacWithAnEmptyKey() {
        // Python's hmac.new(b'', b'abc', hashlib.sha256): JCE's SecretKeySpec refuses an empty key, RawKey takes it
        assertThat(HEX.formatHex(new Prf(AuthAlgorithm.HMAC_SHA2_256).apply(new byte[0],
                "abc".getBytes(StandardCharsets.US_ASCII))))
                .isEqualTo("fd7adb152c05ef80dccf50a1fa4c05d5a3ec6da95575fc312ae7c5d091836351");
    }

    @Test
    void prfPlusIsTheRfc7296Construction() {
        // T1 = prf(K, S | 0x01), T2 = prf(K, T1 | S | 0x02): checked against the PRF itself, piece by piece
        Prf prf = new Prf(AuthAlgorithm.HMAC_SHA2_256);
        byte[] k = HEX.parseHex("0102030405");
        byte[] s = HEX.parseHex("aabbcc");
        byte[] t1 = prf.apply(k, s, new byte[] {1});
        byte[] t2 = prf.apply(k, t1, s, new byte[] {2});
        byte[] out = prf.plus(k, s, 40);
        assertThat(Arrays.copyOf(out, 32)).isEqualTo(t1);
        assertThat(Arrays.copyOfRange(out, 32, 40)).isEqualTo(Arrays.copyOf(t2, 8));
    }
}
