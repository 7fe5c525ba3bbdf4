package net.palisade.model.config;

import static net.palisade.model.crypto.AuthAlgorithm.HMAC_SHA2_256;
import static net.palisade.model.crypto.AuthAlgorithm.HMAC_SHA2_384;
import static net.palisade.model.crypto.DhGroup.CURVE25519;
import static net.palisade.model.crypto.DhGroup.ECP256;
import static net.palisade.model.crypto.DhGroup.MODP2048;
import static net.palisade.model.crypto.EncryptionAlgorithm.AES_128;
import static net.palisade.model.crypto.EncryptionAlgorithm.AES_128_GCM;
import static net.palisade.model.crypto.EncryptionAlgorithm.AES_256;
import static net.palisade.model.crypto.EncryptionAlgorithm.AES_256_GCM;

import java.time.Duration;
import java.util.List;
import net.palisade.model.IkeExchange;
import net.palisade.model.IkeMode;
import net.palisade.model.crypto.AuthAlgorithm;
import net.palisade.model.crypto.DhGroup;
import net.palisade.model.crypto.EncryptionAlgorithm;

/** The values used when a config leaves something unsaid, and the bounds the validator enforces. */
public final class Defaults {
    private Defaults() {}

    /** IKEv2 IKE SA encryption. */
    public static final List<EncryptionAlgorithm> IKEV2_ENC = List.of(AES_128_GCM, AES_256_GCM);
    /** IKEv2 PRFs. */
    public static final List<AuthAlgorithm> IKEV2_PRF = List.of(HMAC_SHA2_256, HMAC_SHA2_384);
    /** IKEv2 IKE SA groups. */
    public static final List<DhGroup> IKEV2_GROUPS = List.of(CURVE25519, ECP256, MODP2048);
    /** A PSK shorter than this (characters, or bytes for a 0x value) is accepted with a warning. */
    public static final int PSK_MIN_ADVISED = 16;
    /** IKEv1 phase 1 encryption (IKEv1 has no AEAD in phase 1). */
    public static final List<EncryptionAlgorithm> IKEV1_ENC = List.of(AES_128, AES_256);
    /** IKEv1 phase 1 groups. */
    public static final List<DhGroup> IKEV1_GROUPS = List.of(MODP2048, ECP256);
    /** Integrity (hash) used wherever a non-AEAD cipher is listed without auth (IKEv1 phase 1 always). */
    public static final List<AuthAlgorithm> INTEGRITY = List.of(HMAC_SHA2_256);
    /** Phase 1 lifetime. */
    public static final Duration IKE_LIFETIME = Duration.ofHours(4);
    /** Phase 2 encryption (IKEv1 and IKEv2). */
    public static final List<EncryptionAlgorithm> CHILD_ENC = List.of(AES_128_GCM, AES_256_GCM);
    /** Phase 2 lifetime. */
    public static final Duration CHILD_LIFETIME = Duration.ofHours(1);
    /** DPD interval for {@code dynamic} tunnels that do not set one. */
    public static final Duration DYNAMIC_DPD = Duration.ofSeconds(30);
    /** ESP-in-UDP port when {@code udpencap} has none. */
    public static final int UDP_ENCAP_PORT = 4500;
    /**
     * The most from/to pairs of a tunnel with {@code sa-per-flow}: one Child SA each, and the most Child SAs a
     * Palisade responder accepts on one IKE SA.
     */
    public static final int SA_PER_FLOW_PAIRS_MAX = 8;

    /** Largest config text or JSON document accepted, in characters (16 Mi): checked before parsing. */
    public static final int MAX_INPUT_CHARS = 16 * 1024 * 1024;

    /** Shortest phase 1 or phase 2 lifetime. */
    public static final Duration LIFETIME_MIN = Duration.ofSeconds(60);
    /** Longest phase 1 or phase 2 lifetime. */
    public static final Duration LIFETIME_MAX = Duration.ofDays(30);
    /** Shortest DPD interval. */
    public static final Duration DPD_MIN = Duration.ofSeconds(1);
    /** Longest DPD interval. */
    public static final Duration DPD_MAX = Duration.ofHours(1);

    /** Phase 1 encryption for an exchange. */
    public static List<EncryptionAlgorithm> ikeEnc(IkeExchange exchange) {
        return exchange.ikev1() ? IKEV1_ENC : IKEV2_ENC;
    }

    /** Phase 1 integrity for an exchange and the encryption in use: none when IKEv2 uses only AEAD. */
    public static List<AuthAlgorithm> ikeAuth(IkeExchange exchange, List<EncryptionAlgorithm> enc) {
        return exchange.ikev1() ? INTEGRITY : integrityFor(enc);
    }

    /** Phase 1 PRFs: none for IKEv1 (its PRF is the HMAC of the hash). */
    public static List<AuthAlgorithm> ikePrf(IkeExchange exchange) {
        return exchange.ikev1() ? List.of() : IKEV2_PRF;
    }

    /** Phase 1 groups for an exchange. */
    public static List<DhGroup> ikeGroups(IkeExchange exchange) {
        return exchange.ikev1() ? IKEV1_GROUPS : IKEV2_GROUPS;
    }

    /** Integrity for a list of encryption algorithms: {@link #INTEGRITY} if any is not AEAD, else none. */
    public static List<AuthAlgorithm> integrityFor(List<EncryptionAlgorithm> enc) {
        return enc.stream().anyMatch(e -> !e.aead()) ? INTEGRITY : List.of();
    }

    /** DPD when unset: 30 s for dynamic tunnels, else off ({@code null}). */
    public static Duration dpd(IkeMode mode) {
        return mode == IkeMode.DYNAMIC ? DYNAMIC_DPD : null;
    }
}
