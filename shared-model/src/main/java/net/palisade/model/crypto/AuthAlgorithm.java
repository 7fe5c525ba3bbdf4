package net.palisade.model.crypto;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;

/**
 * HMAC algorithms, used as integrity algorithm ({@code auth}) and, in IKEv2, as pseudo-random function
 * ({@code prf}). The keyword is the same for both uses; the IANA numbers differ per use and protocol.
 *
 * <p>{@link #ikev2IntegrityId()}: IKEv2 Transform Type 3 (AUTH_HMAC_SHA1_96 2, AUTH_HMAC_SHA2_256_128 12, ..._384_192
 * 13, ..._512_256 14, RFC 4868). {@link #ikev2PrfId()}: Transform Type 2 (PRF_HMAC_SHA1 2, PRF_HMAC_SHA2_256 5, 384 6,
 * 512 7). {@link #ikev1HashId()}: IKEv1 phase 1 Hash Algorithm attribute (SHA 2, SHA2-256 4, SHA2-384 5, SHA2-512 6).
 * {@link #ikev1EspAuthId()}: IKEv1 quick mode Authentication Algorithm attribute (HMAC-SHA 2, HMAC-SHA2-256 5,
 * 384 6, 512 7).
 */
public enum AuthAlgorithm {
    /** HMAC-SHA-1, truncated to 96 bits for ESP (RFC 2404). Weak: kept for old peers. */
    HMAC_SHA1("hmac-sha1", 2, 2, 2, 2, 20, 12, true, "HmacSHA1", "SHA-1", 64),
    /** HMAC-SHA-256, truncated to 128 bits for ESP (RFC 4868). */
    HMAC_SHA2_256("hmac-sha2-256", 12, 5, 4, 5, 32, 16, false, "HmacSHA256", "SHA-256", 64),
    /** HMAC-SHA-384, truncated to 192 bits for ESP (RFC 4868). */
    HMAC_SHA2_384("hmac-sha2-384", 13, 6, 5, 6, 48, 24, false, "HmacSHA384", "SHA-384", 128),
    /** HMAC-SHA-512, truncated to 256 bits for ESP (RFC 4868). */
    HMAC_SHA2_512("hmac-sha2-512", 14, 7, 6, 7, 64, 32, false, "HmacSHA512", "SHA-512", 128);

    private static final List<String> KEYWORDS = Arrays.stream(values()).map(a -> a.keyword).toList();

    private final String keyword;
    private final int ikev2IntegrityId;
    private final int ikev2PrfId;
    private final int ikev1HashId;
    private final int ikev1EspAuthId;
    private final int keyBytes;
    private final int icvBytes;
    private final boolean weak;
    private final String jceName;
    private final String digestName;
    private final int hashBlockBytes;

    AuthAlgorithm(String keyword, int ikev2IntegrityId, int ikev2PrfId, int ikev1HashId, int ikev1EspAuthId,
            int keyBytes, int icvBytes, boolean weak, String jceName, String digestName, int hashBlockBytes) {
        this.keyword = keyword;
        this.ikev2IntegrityId = ikev2IntegrityId;
        this.ikev2PrfId = ikev2PrfId;
        this.ikev1HashId = ikev1HashId;
        this.ikev1EspAuthId = ikev1EspAuthId;
        this.keyBytes = keyBytes;
        this.icvBytes = icvBytes;
        this.weak = weak;
        this.jceName = jceName;
        this.digestName = digestName;
        this.hashBlockBytes = hashBlockBytes;
    }

    /** The name in the config language and in JSON, e.g. {@code hmac-sha2-256}. */
    @JsonValue
    public String keyword() {
        return keyword;
    }

    /** IKEv2 integrity transform ID (Transform Type 3). */
    public int ikev2IntegrityId() {
        return ikev2IntegrityId;
    }

    /** IKEv2 PRF transform ID (Transform Type 2). */
    public int ikev2PrfId() {
        return ikev2PrfId;
    }

    /** IKEv1 phase 1 Hash Algorithm attribute value. */
    public int ikev1HashId() {
        return ikev1HashId;
    }

    /** IKEv1 quick mode (ESP) Authentication Algorithm attribute value. */
    public int ikev1EspAuthId() {
        return ikev1EspAuthId;
    }

    /** HMAC key length in bytes (the hash output length, RFC 4868): the length of a manual {@code authkey}. */
    public int keyBytes() {
        return keyBytes;
    }

    /** Truncated ICV length in bytes carried in ESP and in the IKEv2 integrity checksum. */
    public int icvBytes() {
        return icvBytes;
    }

    /** True for algorithms accepted only for old peers; using one yields a warning. */
    public boolean weak() {
        return weak;
    }

    /** JCE {@code Mac} algorithm name. */
    public String jceName() {
        return jceName;
    }

    /**
     * JCA {@code MessageDigest} name of the underlying hash (e.g. {@code SHA-256}): the dataplane computes HMAC
     * over the digest itself, because {@code Mac.doFinal} allocates on every call.
     */
    public String digestName() {
        return digestName;
    }

    /** Block length of the underlying hash in bytes: the HMAC {@code B} of RFC 2104 (64, or 128 for SHA-384/512). */
    public int hashBlockBytes() {
        return hashBlockBytes;
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
    public static Optional<AuthAlgorithm> lookup(String keyword) {
        for (AuthAlgorithm a : values()) {
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
    public static AuthAlgorithm fromKeyword(String keyword) {
        return lookup(keyword).orElseThrow(
                () -> new IllegalArgumentException(Names.unknown("algorithm", keyword, KEYWORDS)));
    }

    /** The algorithm for an IKEv2 integrity transform ID. */
    public static Optional<AuthAlgorithm> fromIkev2Integrity(int id) {
        return Arrays.stream(values()).filter(a -> a.ikev2IntegrityId == id).findFirst();
    }

    /** The algorithm for an IKEv2 PRF transform ID. */
    public static Optional<AuthAlgorithm> fromIkev2Prf(int id) {
        return Arrays.stream(values()).filter(a -> a.ikev2PrfId == id).findFirst();
    }
}
