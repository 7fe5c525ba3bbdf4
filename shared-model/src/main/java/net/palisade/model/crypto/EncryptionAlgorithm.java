package net.palisade.model.crypto;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * Encryption (ESP and IKE SA) algorithms: the one table that the config language, the IKE engines and the
 * dataplane share.
 *
 * <p>Numbers are IANA's: {@link #ikev2Id()} from "Transform Type 1 - Encryption Algorithm Transform IDs" (IKEv2);
 * {@link #ikev1Phase1Id()} from the IKEv1 "Encryption Algorithm" attribute (class 1, RFC 2409 Appendix A);
 * {@link #ikev1EspId()} from "IPsec ESP Transform Identifiers" (IPsec DOI, RFC 2407). Empty where the algorithm is
 * not defined for that protocol (there is no AEAD in IKEv1 phase 1; ChaCha20-Poly1305 is IKEv2-only, RFC 7634).
 * {@link #keyLengthAttribute()} is the Key Length attribute in bits, sent where the transform needs it (AES).
 *
 * <p>Keying material for manual keying and for the dataplane is {@link #keyMaterialBytes()}: the cipher key
 * followed by the salt for the AEAD algorithms (RFC 4106 section 8.1, RFC 7634 section 4).
 */
public enum EncryptionAlgorithm {
    /** AES-CBC with a 128-bit key (RFC 3602). Needs an integrity algorithm. */
    AES_128("aes-128", 12, OptionalInt.of(128), OptionalInt.of(7), OptionalInt.of(12),
            16, 0, false, 0, 16, 16, false, "AES", "AES/CBC/NoPadding"),
    /** AES-CBC with a 256-bit key (RFC 3602). Needs an integrity algorithm. */
    AES_256("aes-256", 12, OptionalInt.of(256), OptionalInt.of(7), OptionalInt.of(12),
            32, 0, false, 0, 16, 16, false, "AES", "AES/CBC/NoPadding"),
    /** AES-GCM with a 16-byte ICV and a 128-bit key (RFC 4106, RFC 5282); 4-byte salt. */
    AES_128_GCM("aes-128-gcm", 20, OptionalInt.of(128), OptionalInt.empty(), OptionalInt.of(20),
            16, 4, true, 16, 8, 1, false, "AES", "AES/GCM/NoPadding"),
    /** AES-GCM with a 16-byte ICV and a 256-bit key (RFC 4106, RFC 5282); 4-byte salt. */
    AES_256_GCM("aes-256-gcm", 20, OptionalInt.of(256), OptionalInt.empty(), OptionalInt.of(20),
            32, 4, true, 16, 8, 1, false, "AES", "AES/GCM/NoPadding"),
    /** ChaCha20-Poly1305 (RFC 7634): 32-byte key, 4-byte salt, 16-byte ICV; IKEv2 only. */
    CHACHA20_POLY1305("chacha20-poly1305", 28, OptionalInt.empty(), OptionalInt.empty(), OptionalInt.empty(),
            32, 4, true, 16, 8, 1, false, "ChaCha20", "ChaCha20-Poly1305"),
    /** Triple DES in CBC mode (RFC 2451). Accepted for old peers; weak (64-bit block, Sweet32). */
    TRIPLE_DES("3des", 3, OptionalInt.empty(), OptionalInt.of(5), OptionalInt.of(3),
            24, 0, false, 0, 8, 8, true, "DESede", "DESede/CBC/NoPadding");

    private static final List<String> KEYWORDS = Arrays.stream(values()).map(a -> a.keyword).toList();

    private final String keyword;
    private final int ikev2Id;
    private final OptionalInt keyLengthAttribute;
    private final OptionalInt ikev1Phase1Id;
    private final OptionalInt ikev1EspId;
    private final int keyBytes;
    private final int saltBytes;
    private final boolean aead;
    private final int icvBytes;
    private final int ivBytes;
    private final int blockBytes;
    private final boolean weak;
    private final String jceKeyAlgorithm;
    private final String jceTransformation;

    EncryptionAlgorithm(String keyword, int ikev2Id, OptionalInt keyLengthAttribute, OptionalInt ikev1Phase1Id,
            OptionalInt ikev1EspId, int keyBytes, int saltBytes, boolean aead, int icvBytes, int ivBytes,
            int blockBytes, boolean weak, String jceKeyAlgorithm, String jceTransformation) {
        this.keyword = keyword;
        this.ikev2Id = ikev2Id;
        this.keyLengthAttribute = keyLengthAttribute;
        this.ikev1Phase1Id = ikev1Phase1Id;
        this.ikev1EspId = ikev1EspId;
        this.keyBytes = keyBytes;
        this.saltBytes = saltBytes;
        this.aead = aead;
        this.icvBytes = icvBytes;
        this.ivBytes = ivBytes;
        this.blockBytes = blockBytes;
        this.weak = weak;
        this.jceKeyAlgorithm = jceKeyAlgorithm;
        this.jceTransformation = jceTransformation;
    }

    /** The name in the config language and in JSON, e.g. {@code aes-128-gcm}. */
    @JsonValue
    public String keyword() {
        return keyword;
    }

    /** IKEv2 Transform Type 1 ID (ENCR_AES_CBC 12, ENCR_AES_GCM_16 20, ENCR_CHACHA20_POLY1305 28, ENCR_3DES 3). */
    public int ikev2Id() {
        return ikev2Id;
    }

    /** Key Length attribute value in bits where the transform carries one (AES), else empty. */
    public OptionalInt keyLengthAttribute() {
        return keyLengthAttribute;
    }

    /** IKEv1 phase 1 Encryption Algorithm attribute value (AES-CBC 7, 3DES-CBC 5); empty if not defined. */
    public OptionalInt ikev1Phase1Id() {
        return ikev1Phase1Id;
    }

    /** IKEv1 ESP transform ID for quick mode (ESP_AES 12, ESP_AES_GCM_16 20, ESP_3DES 3); empty if not defined. */
    public OptionalInt ikev1EspId() {
        return ikev1EspId;
    }

    /** Cipher key length in bytes, without salt. */
    public int keyBytes() {
        return keyBytes;
    }

    /** Salt length in bytes (4 for the AEAD algorithms, 0 otherwise); the salt follows the key. */
    public int saltBytes() {
        return saltBytes;
    }

    /** Bytes of keying material: key plus salt. The length of a manual {@code enckey}. */
    public int keyMaterialBytes() {
        return keyBytes + saltBytes;
    }

    /** True for combined-mode (AEAD) algorithms, which carry their own integrity and take no {@code auth}. */
    public boolean aead() {
        return aead;
    }

    /** Integrity check value length in bytes for AEAD algorithms; 0 for the others (their ICV comes from auth). */
    public int icvBytes() {
        return icvBytes;
    }

    /** Length of the explicit IV carried in each ESP packet, in bytes. */
    public int ivBytes() {
        return ivBytes;
    }

    /** Block size for padding in bytes (1 for the stream-like AEAD modes, ESP still pads to 4). */
    public int blockBytes() {
        return blockBytes;
    }

    /** True for algorithms accepted only for old peers; using one yields a warning. */
    public boolean weak() {
        return weak;
    }

    /** JCE key algorithm name for {@code SecretKeySpec}. */
    public String jceKeyAlgorithm() {
        return jceKeyAlgorithm;
    }

    /** JCE transformation for {@code Cipher.getInstance}. */
    public String jceTransformation() {
        return jceTransformation;
    }

    /** True if the algorithm can be negotiated in an IKEv1 phase 1 (ISAKMP SA). */
    public boolean ikev1Phase1() {
        return ikev1Phase1Id.isPresent();
    }

    /** True if the algorithm can be negotiated for ESP in IKEv1 quick mode. */
    public boolean ikev1Esp() {
        return ikev1EspId.isPresent();
    }

    /** The keyword, as in config text. */
    @Override
    public String toString() {
        return keyword;
    }

    /** All keywords in table order. */
    public static List<String> keywords() {
        return KEYWORDS;
    }

    /** The algorithm named {@code keyword}, if any. */
    public static Optional<EncryptionAlgorithm> lookup(String keyword) {
        for (EncryptionAlgorithm a : values()) {
            if (a.keyword.equals(keyword)) {
                return Optional.of(a);
            }
        }
        return Optional.empty();
    }

    /**
     * The algorithm named {@code keyword}.
     *
     * @throws IllegalArgumentException naming the closest known name, or all of them
     */
    @JsonCreator
    public static EncryptionAlgorithm fromKeyword(String keyword) {
        return lookup(keyword).orElseThrow(
                () -> new IllegalArgumentException(Names.unknown("algorithm", keyword, KEYWORDS)));
    }

    /** The algorithm for an IKEv2 transform ID and Key Length attribute (bits; ignored where none is used). */
    public static Optional<EncryptionAlgorithm> fromIkev2(int transformId, OptionalInt keyLengthBits) {
        for (EncryptionAlgorithm a : values()) {
            if (a.ikev2Id == transformId && (a.keyLengthAttribute.isEmpty() || a.keyLengthAttribute.equals(keyLengthBits))) {
                return Optional.of(a);
            }
        }
        return Optional.empty();
    }
}
