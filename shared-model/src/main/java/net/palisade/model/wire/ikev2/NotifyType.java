package net.palisade.model.wire.ikev2;

import java.util.HashMap;
import java.util.Map;

/**
 * IKEv2 Notify Message Types (IANA "IKEv2 Notify Message Types"; RFC 7296 section 3.10.1): error types 1-16383,
 * status types 16384-65535.
 *
 * <p>An open enum: {@link #of(int)} gives the {@link Known} constant for a number this codec names, or an
 * {@link Unknown} value carrying the number, which prints as {@code UNKNOWN(n)}. Numbers that peers may legally
 * send but this codec has no name for decode, re-encode and compare like any other.
 */
public sealed interface NotifyType permits NotifyType.Known, NotifyType.Unknown {
    /** Largest value the field holds (16 bits). */
    int MAX_VALUE = 0xffff;

    /** The number on the wire. */
    int value();

    /** The registry name of a known value, or {@code UNKNOWN(n)}. */
    String name();

    /**
     * The known constant for {@code value}, else an {@link Unknown} carrying it.
     *
     * @throws IllegalArgumentException if {@code value} does not fit the 16-bit field
     */
    static NotifyType of(int value) {
        Known known = Known.BY_VALUE.get(value);
        return known != null ? known : new Unknown(value);
    }

    /** First status type: numbers below are error types (RFC 7296 section 3.10.1). */
    int FIRST_STATUS = 16384;

    /** True for error types (1-16383); false for status types. */
    default boolean isError() {
        return value() < FIRST_STATUS;
    }

    /** The values this codec names. */
    enum Known implements NotifyType {
        /** UNSUPPORTED_CRITICAL_PAYLOAD (1); data: the one-octet type of the payload. */
        UNSUPPORTED_CRITICAL_PAYLOAD(1),
        /** INVALID_IKE_SPI (4). */
        INVALID_IKE_SPI(4),
        /** INVALID_MAJOR_VERSION (5). */
        INVALID_MAJOR_VERSION(5),
        /** INVALID_SYNTAX (7). */
        INVALID_SYNTAX(7),
        /** INVALID_MESSAGE_ID (9). */
        INVALID_MESSAGE_ID(9),
        /** INVALID_SPI (11). */
        INVALID_SPI(11),
        /** NO_PROPOSAL_CHOSEN (14). */
        NO_PROPOSAL_CHOSEN(14),
        /** INVALID_KE_PAYLOAD (17); data: the two-octet accepted group. */
        INVALID_KE_PAYLOAD(17),
        /** AUTHENTICATION_FAILED (24). */
        AUTHENTICATION_FAILED(24),
        /** SINGLE_PAIR_REQUIRED (34). */
        SINGLE_PAIR_REQUIRED(34),
        /** NO_ADDITIONAL_SAS (35). */
        NO_ADDITIONAL_SAS(35),
        /** INTERNAL_ADDRESS_FAILURE (36). */
        INTERNAL_ADDRESS_FAILURE(36),
        /** FAILED_CP_REQUIRED (37). */
        FAILED_CP_REQUIRED(37),
        /** TS_UNACCEPTABLE (38). */
        TS_UNACCEPTABLE(38),
        /** INVALID_SELECTORS (39). */
        INVALID_SELECTORS(39),
        /** UNACCEPTABLE_ADDRESSES (40); RFC 4555. */
        UNACCEPTABLE_ADDRESSES(40),
        /** UNEXPECTED_NAT_DETECTED (41); RFC 4555. */
        UNEXPECTED_NAT_DETECTED(41),
        /** USE_ASSIGNED_HOA (42); RFC 5026. */
        USE_ASSIGNED_HOA(42),
        /** TEMPORARY_FAILURE (43). */
        TEMPORARY_FAILURE(43),
        /** CHILD_SA_NOT_FOUND (44). */
        CHILD_SA_NOT_FOUND(44),
        /** INVALID_GROUP_ID (45); G-IKEv2. */
        INVALID_GROUP_ID(45),
        /** AUTHORIZATION_FAILED (46); G-IKEv2. */
        AUTHORIZATION_FAILED(46),
        /** INITIAL_CONTACT (16384). */
        INITIAL_CONTACT(16384),
        /** SET_WINDOW_SIZE (16385); data: four-octet window size. */
        SET_WINDOW_SIZE(16385),
        /** ADDITIONAL_TS_POSSIBLE (16386). */
        ADDITIONAL_TS_POSSIBLE(16386),
        /** IPCOMP_SUPPORTED (16387). */
        IPCOMP_SUPPORTED(16387),
        /** NAT_DETECTION_SOURCE_IP (16388); data: 20-octet SHA-1 hash. */
        NAT_DETECTION_SOURCE_IP(16388),
        /** NAT_DETECTION_DESTINATION_IP (16389); data: 20-octet SHA-1 hash. */
        NAT_DETECTION_DESTINATION_IP(16389),
        /** COOKIE (16390); data: 1 to 64 octets. */
        COOKIE(16390),
        /** USE_TRANSPORT_MODE (16391). */
        USE_TRANSPORT_MODE(16391),
        /** HTTP_CERT_LOOKUP_SUPPORTED (16392). */
        HTTP_CERT_LOOKUP_SUPPORTED(16392),
        /** REKEY_SA (16393). */
        REKEY_SA(16393),
        /** ESP_TFC_PADDING_NOT_SUPPORTED (16394). */
        ESP_TFC_PADDING_NOT_SUPPORTED(16394),
        /** NON_FIRST_FRAGMENTS_ALSO (16395). */
        NON_FIRST_FRAGMENTS_ALSO(16395),
        /** MOBIKE_SUPPORTED (16396); RFC 4555. */
        MOBIKE_SUPPORTED(16396),
        /** ADDITIONAL_IP4_ADDRESS (16397); RFC 4555. */
        ADDITIONAL_IP4_ADDRESS(16397),
        /** ADDITIONAL_IP6_ADDRESS (16398); RFC 4555. */
        ADDITIONAL_IP6_ADDRESS(16398),
        /** NO_ADDITIONAL_ADDRESSES (16399); RFC 4555. */
        NO_ADDITIONAL_ADDRESSES(16399),
        /** UPDATE_SA_ADDRESSES (16400); RFC 4555. */
        UPDATE_SA_ADDRESSES(16400),
        /** COOKIE2 (16401); RFC 4555. */
        COOKIE2(16401),
        /** NO_NATS_ALLOWED (16402); RFC 4555. */
        NO_NATS_ALLOWED(16402),
        /** AUTH_LIFETIME (16403); RFC 4478. */
        AUTH_LIFETIME(16403),
        /** MULTIPLE_AUTH_SUPPORTED (16404); RFC 4739. */
        MULTIPLE_AUTH_SUPPORTED(16404),
        /** ANOTHER_AUTH_FOLLOWS (16405); RFC 4739. */
        ANOTHER_AUTH_FOLLOWS(16405),
        /** REDIRECT_SUPPORTED (16406); RFC 5685. */
        REDIRECT_SUPPORTED(16406),
        /** REDIRECT (16407); RFC 5685. */
        REDIRECT(16407),
        /** REDIRECTED_FROM (16408); RFC 5685. */
        REDIRECTED_FROM(16408),
        /** TICKET_LT_OPAQUE (16409); RFC 5723. */
        TICKET_LT_OPAQUE(16409),
        /** TICKET_REQUEST (16410); RFC 5723. */
        TICKET_REQUEST(16410),
        /** TICKET_ACK (16411); RFC 5723. */
        TICKET_ACK(16411),
        /** TICKET_NACK (16412); RFC 5723. */
        TICKET_NACK(16412),
        /** TICKET_OPAQUE (16413); RFC 5723. */
        TICKET_OPAQUE(16413),
        /** LINK_ID (16414); RFC 5739. */
        LINK_ID(16414),
        /** USE_WESP_MODE (16415); RFC 5840. */
        USE_WESP_MODE(16415),
        /** ROHC_SUPPORTED (16416); RFC 5857. */
        ROHC_SUPPORTED(16416),
        /** EAP_ONLY_AUTHENTICATION (16417); RFC 5998. */
        EAP_ONLY_AUTHENTICATION(16417),
        /** CHILDLESS_IKEV2_SUPPORTED (16418); RFC 6023. */
        CHILDLESS_IKEV2_SUPPORTED(16418),
        /** QUICK_CRASH_DETECTION (16419); RFC 6290. */
        QUICK_CRASH_DETECTION(16419),
        /** IKEV2_MESSAGE_ID_SYNC_SUPPORTED (16420); RFC 6311. */
        IKEV2_MESSAGE_ID_SYNC_SUPPORTED(16420),
        /** IPSEC_REPLAY_COUNTER_SYNC_SUPPORTED (16421); RFC 6311. */
        IPSEC_REPLAY_COUNTER_SYNC_SUPPORTED(16421),
        /** IKEV2_MESSAGE_ID_SYNC (16422); RFC 6311. */
        IKEV2_MESSAGE_ID_SYNC(16422),
        /** IPSEC_REPLAY_COUNTER_SYNC (16423); RFC 6311. */
        IPSEC_REPLAY_COUNTER_SYNC(16423),
        /** SECURE_PASSWORD_METHODS (16424); RFC 6467. */
        SECURE_PASSWORD_METHODS(16424),
        /** PSK_PERSIST (16425); RFC 6631. */
        PSK_PERSIST(16425),
        /** PSK_CONFIRM (16426); RFC 6631. */
        PSK_CONFIRM(16426),
        /** ERX_SUPPORTED (16427); RFC 6867. */
        ERX_SUPPORTED(16427),
        /** IFOM_CAPABILITY (16428); 3GPP. */
        IFOM_CAPABILITY(16428),
        /** SENDER_REQUEST_ID (16429); G-IKEv2. */
        SENDER_REQUEST_ID(16429),
        /** IKEV2_FRAGMENTATION_SUPPORTED (16430); RFC 7383. */
        IKEV2_FRAGMENTATION_SUPPORTED(16430),
        /** SIGNATURE_HASH_ALGORITHMS (16431); RFC 7427; data: two-octet hash algorithm numbers. */
        SIGNATURE_HASH_ALGORITHMS(16431),
        /** CLONE_IKE_SA_SUPPORTED (16432); RFC 7791. */
        CLONE_IKE_SA_SUPPORTED(16432),
        /** CLONE_IKE_SA (16433); RFC 7791. */
        CLONE_IKE_SA(16433),
        /** PUZZLE (16434); RFC 8019. */
        PUZZLE(16434),
        /** USE_PPK (16435); RFC 8784. */
        USE_PPK(16435),
        /** PPK_IDENTITY (16436); RFC 8784. */
        PPK_IDENTITY(16436),
        /** NO_PPK_AUTH (16437); RFC 8784. */
        NO_PPK_AUTH(16437),
        /** INTERMEDIATE_EXCHANGE_SUPPORTED (16438); RFC 9242. */
        INTERMEDIATE_EXCHANGE_SUPPORTED(16438),
        /** IP4_ALLOWED (16439); RFC 8983. */
        IP4_ALLOWED(16439),
        /** IP6_ALLOWED (16440); RFC 8983. */
        IP6_ALLOWED(16440),
        /** ADDITIONAL_KEY_EXCHANGE (16441); RFC 9370. */
        ADDITIONAL_KEY_EXCHANGE(16441),
        /** USE_AGGFRAG (16442); RFC 9347. */
        USE_AGGFRAG(16442);

        private static final Map<Integer, Known> BY_VALUE = new HashMap<>();

        static {
            for (Known k : values()) {
                BY_VALUE.put(k.value, k);
            }
        }

        private final int value;

        Known(int value) {
            this.value = value;
        }

        @Override
        public int value() {
            return value;
        }
    }

    /**
     * A number without a name here. Never holds a known number:
     * {@link NotifyType#of(int)} returns the constant for those.
     *
     * @param value the number on the wire
     */
    record Unknown(int value) implements NotifyType {
        /** Validates the range, and that the number has no constant. */
        public Unknown {
            if (value < 0 || value > MAX_VALUE) {
                throw new IllegalArgumentException("NotifyType " + value + " does not fit 16 bits");
            }
            if (Known.BY_VALUE.containsKey(value)) {
                throw new IllegalArgumentException(
                        "NotifyType " + value + " is " + Known.BY_VALUE.get(value) + "; use of(int)");
            }
        }

        @Override
        public String name() {
            return "UNKNOWN(" + value + ")";
        }

        /** {@code UNKNOWN(n)}. */
        @Override
        public String toString() {
            return name();
        }
    }
}
