package net.palisade.model.crypto;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * Diffie-Hellman groups. {@link #ikev2Id()} is from IKEv2 "Transform Type 4 - Key Exchange Method Transform IDs";
 * {@link #ikev1Id()} from the IKEv1 "Group Description" attribute, empty where IANA defines none (Curve25519,
 * RFC 8031, is IKEv2-only). {@link #NONE} means "no PFS" and is valid only for phase 2 (Child SA / quick mode).
 */
public enum DhGroup {
    /** No key exchange in phase 2: no perfect forward secrecy. Phase 2 only, and only alone. */
    NONE("none", 0, OptionalInt.empty(), 0, "none"),
    /**
     * 1024-bit MODP group (RFC 2409 section 6.2, "group 2"). Weak (RFC 8247: MUST NOT): accepted for old peers only,
     * with a warning.
     */
    MODP1024("modp1024", 2, OptionalInt.of(2), 128, "modp"),
    /** 1536-bit MODP group (RFC 3526 section 2, "group 5"), for old peers. */
    MODP1536("modp1536", 5, OptionalInt.of(5), 192, "modp"),
    /** 2048-bit MODP group (RFC 3526). */
    MODP2048("modp2048", 14, OptionalInt.of(14), 256, "modp"),
    /** 3072-bit MODP group (RFC 3526). */
    MODP3072("modp3072", 15, OptionalInt.of(15), 384, "modp"),
    /** 4096-bit MODP group (RFC 3526). */
    MODP4096("modp4096", 16, OptionalInt.of(16), 512, "modp"),
    /** NIST P-256 (RFC 5903). */
    ECP256("ecp256", 19, OptionalInt.of(19), 64, "secp256r1"),
    /** NIST P-384 (RFC 5903). */
    ECP384("ecp384", 20, OptionalInt.of(20), 96, "secp384r1"),
    /** NIST P-521 (RFC 5903). */
    ECP521("ecp521", 21, OptionalInt.of(21), 132, "secp521r1"),
    /** X25519 (RFC 8031); IKEv2 only. */
    CURVE25519("curve25519", 31, OptionalInt.empty(), 32, "X25519");

    private static final List<String> KEYWORDS = Arrays.stream(values()).map(g -> g.keyword).toList();

    private final String keyword;
    private final int ikev2Id;
    private final OptionalInt ikev1Id;
    private final int publicValueBytes;
    private final String curveOrFamily;

    DhGroup(String keyword, int ikev2Id, OptionalInt ikev1Id, int publicValueBytes, String curveOrFamily) {
        this.keyword = keyword;
        this.ikev2Id = ikev2Id;
        this.ikev1Id = ikev1Id;
        this.publicValueBytes = publicValueBytes;
        this.curveOrFamily = curveOrFamily;
    }

    /** The name in the config language and in JSON, e.g. {@code curve25519}. */
    @JsonValue
    public String keyword() {
        return keyword;
    }

    /** IKEv2 Transform Type 4 ID (0 for none). */
    public int ikev2Id() {
        return ikev2Id;
    }

    /** IKEv1 Group Description value; empty if IANA defines none for IKEv1. */
    public OptionalInt ikev1Id() {
        return ikev1Id;
    }

    /** Length of the public value in a KE payload, in bytes (0 for none). */
    public int publicValueBytes() {
        return publicValueBytes;
    }

    /** JCA curve name for the ECP groups, "X25519", "modp" or "none". */
    public String curveOrFamily() {
        return curveOrFamily;
    }

    /** True for groups accepted only for old peers; using one yields a warning. */
    public boolean weak() {
        return this == MODP1024;
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

    /** The group named {@code keyword}, if any. */
    public static Optional<DhGroup> lookup(String keyword) {
        for (DhGroup g : values()) {
            if (g.keyword.equals(keyword)) {
                return Optional.of(g);
            }
        }
        return Optional.empty();
    }

    /**
     * The group named {@code keyword}.
     *
     * @throws IllegalArgumentException naming the closest known name, or all of them
     */
    @JsonCreator
    public static DhGroup fromKeyword(String keyword) {
        return lookup(keyword).orElseThrow(
                () -> new IllegalArgumentException(Names.unknown("group", keyword, KEYWORDS)));
    }

    /** The group for an IKEv2 Transform Type 4 ID. */
    public static Optional<DhGroup> fromIkev2(int id) {
        return Arrays.stream(values()).filter(g -> g.ikev2Id == id).findFirst();
    }
}
