package net.palisade.controlplane.ikev1;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.HexFormat;
import java.util.Optional;
import net.palisade.controlplane.ike.crypto.Prf;
import net.palisade.model.crypto.AuthAlgorithm;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Palisade's RFC 2409 key derivation ({@link Ikev1Keymat}) against what strongSwan 5.9.8 derived in the lab for the
 * same exchanges ({@link StrongSwanVectorsTest} proves those fixtures right with javax.crypto alone): every expected
 * value below is strongSwan's, from its debug log and the capture; none is computed here.
 */
class Ikev1KeymatStrongSwanTest {
    private static final HexFormat HEX = HexFormat.of();
    private static final int AES_BLOCK = 16;

    static java.util.List<StrongSwanVectorsTest.Vector> vectors() {
        return StrongSwanVectorsTest.vectors();
    }

    private static byte[] hex(JsonNode node, String field) {
        return HEX.parseHex(node.get(field).asText());
    }

    private static AuthAlgorithm hash(JsonNode p1) {
        return switch (p1.get("hash").asText()) {
            case "SHA1" -> AuthAlgorithm.HMAC_SHA1;
            case "SHA2-256" -> AuthAlgorithm.HMAC_SHA2_256;
            case "SHA2-512" -> AuthAlgorithm.HMAC_SHA2_512;
            default -> throw new IllegalArgumentException("hash " + p1.get("hash"));
        };
    }

    private static int phase1KeyLength(JsonNode p1) {
        return switch (p1.get("encryption").asText()) {
            case "AES-CBC-128" -> 16;
            case "AES-CBC-256" -> 32;
            default -> throw new IllegalArgumentException("encryption " + p1.get("encryption"));
        };
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("vectors")
    void phaseOneKeysIvsAndHashesAreStrongSwans(StrongSwanVectorsTest.Vector v) {
        JsonNode p1 = v.p1();
        Prf prf = new Prf(hash(p1));
        byte[] gxy = hex(p1, "g_xy");
        byte[] ckyI = hex(p1, "cky_i");
        byte[] ckyR = hex(p1, "cky_r");
        byte[] skeyid = Ikev1Keymat.skeyidPsk(prf, hex(p1, "psk"), hex(p1, "ni"), hex(p1, "nr"));
        assertThat(HEX.formatHex(skeyid)).isEqualTo(p1.get("skeyid").asText());
        byte[] d = Ikev1Keymat.skeyidD(prf, skeyid, gxy, ckyI, ckyR);
        byte[] a = Ikev1Keymat.skeyidA(prf, skeyid, d, gxy, ckyI, ckyR);
        byte[] e = Ikev1Keymat.skeyidE(prf, skeyid, a, gxy, ckyI, ckyR);
        assertThat(HEX.formatHex(d)).isEqualTo(p1.get("skeyid_d").asText());
        assertThat(HEX.formatHex(a)).isEqualTo(p1.get("skeyid_a").asText());
        assertThat(HEX.formatHex(e)).isEqualTo(p1.get("skeyid_e").asText());
        assertThat(HEX.formatHex(Ikev1Keymat.encryptionKey(prf, e, phase1KeyLength(p1))))
                .as("Ka (appendix B expansion where SKEYID_e is short)").isEqualTo(p1.get("ka").asText());
        assertThat(HEX.formatHex(Ikev1Keymat.phase1Iv(hash(p1), hex(p1, "g_xi"), hex(p1, "g_xr"), AES_BLOCK)))
                .isEqualTo(p1.get("iv").asText());
        assertThat(HEX.formatHex(Ikev1Keymat.hashI(prf, skeyid, hex(p1, "g_xi"), hex(p1, "g_xr"), ckyI, ckyR,
                hex(p1, "sa_i_b"), hex(p1, "id_ii_b")))).isEqualTo(p1.get("hash_i").asText());
        assertThat(HEX.formatHex(Ikev1Keymat.hashR(prf, skeyid, hex(p1, "g_xi"), hex(p1, "g_xr"), ckyI, ckyR,
                hex(p1, "sa_i_b"), hex(p1, "id_ir_b")))).isEqualTo(p1.get("hash_r").asText());
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("vectors")
    void quickModeIvHashAndKeymatAreStrongSwans(StrongSwanVectorsTest.Vector v) {
        JsonNode p1 = v.p1();
        JsonNode qm = v.qm();
        Prf prf = new Prf(hash(p1));
        long messageId = Long.parseLong(qm.get("message_id").asText(), 16);
        assertThat(HEX.formatHex(Ikev1Keymat.phase2Iv(hash(p1), hex(p1, "last_phase1_block"), messageId, AES_BLOCK)))
                .isEqualTo(qm.get("iv").asText());
        byte[] a = hex(p1, "skeyid_a");
        assertThat(HEX.formatHex(Ikev1Keymat.quickHash3(prf, a, messageId, hex(qm, "ni"), hex(qm, "nr"))))
                .isEqualTo(qm.get("hash_3").asText());
        Optional<byte[]> pfs = qm.get("g_xy").isNull() ? Optional.empty() : Optional.of(hex(qm, "g_xy"));
        byte[] d = hex(p1, "skeyid_d");
        String forSpiR = qm.get("encr_key_i").asText() + (qm.get("integ_key_i").isNull() ? ""
                : qm.get("integ_key_i").asText());
        String forSpiI = qm.get("encr_key_r").asText() + (qm.get("integ_key_r").isNull() ? ""
                : qm.get("integ_key_r").asText());
        assertThat(HEX.formatHex(Ikev1Keymat.keymat(prf, d, pfs, qm.get("protocol").asInt(), hex(qm, "spi_r"),
                hex(qm, "ni"), hex(qm, "nr"), forSpiR.length() / 2))).isEqualTo(forSpiR);
        assertThat(HEX.formatHex(Ikev1Keymat.keymat(prf, d, pfs, qm.get("protocol").asInt(), hex(qm, "spi_i"),
                hex(qm, "ni"), hex(qm, "nr"), forSpiI.length() / 2))).isEqualTo(forSpiI);
    }
}
