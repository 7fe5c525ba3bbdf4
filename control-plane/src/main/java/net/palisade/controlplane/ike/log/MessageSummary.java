package net.palisade.controlplane.ike.log;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.stream.Collectors;
import net.palisade.model.wire.ikev2.AuthPayload;
import net.palisade.model.wire.ikev2.DeletePayload;
import net.palisade.model.wire.ikev2.IdPayload;
import net.palisade.model.wire.ikev2.IkeHeader;
import net.palisade.model.wire.ikev2.KePayload;
import net.palisade.model.wire.ikev2.NotifyPayload;
import net.palisade.model.wire.ikev2.Payload;
import net.palisade.model.wire.ikev2.PayloadType;
import net.palisade.model.wire.ikev2.Proposal;
import net.palisade.model.wire.ikev2.SaPayload;
import net.palisade.model.wire.ikev2.Transform;
import net.palisade.model.wire.ikev2.TsPayload;

/**
 * One IKEv2 message as an operator reads it: {@code IKE_AUTH request 1 [ IDi AUTH SA TSi TSr N(INITIAL_CONTACT) ]},
 * then a line per proposal ({@code SA #1 ESP:AES_GCM_16_128/NO_EXT_SEQ}: transforms in the order encryption,
 * integrity, PRF, key exchange, ESN, named after the IANA registry without its ENCR_/AUTH_ prefixes), key exchange
 * group, identity, selectors, notify (with its protocol and SPI when it has one) and delete. Never nonces, key
 * exchange values, AUTH data or certificates.
 */
public final class MessageSummary {
    /** The order a proposal's transforms are shown in, by transform type: ENCR, INTEG, PRF, KE, ESN, ADDKE. */
    private static final Map<Integer, Integer> TYPE_ORDER = Map.of(1, 0, 3, 1, 2, 2, 4, 3, 5, 4);

    private static final Map<Integer, String> ENCR = Map.ofEntries(Map.entry(2, "DES"), Map.entry(3, "3DES"),
            Map.entry(11, "NULL"), Map.entry(12, "AES_CBC"), Map.entry(13, "AES_CTR"), Map.entry(14, "AES_CCM_8"),
            Map.entry(15, "AES_CCM_12"), Map.entry(16, "AES_CCM_16"), Map.entry(18, "AES_GCM_8"),
            Map.entry(19, "AES_GCM_12"), Map.entry(20, "AES_GCM_16"), Map.entry(21, "NULL_AUTH_AES_GMAC"),
            Map.entry(23, "CAMELLIA_CBC"), Map.entry(28, "CHACHA20_POLY1305"));
    private static final Map<Integer, String> PRF = Map.of(1, "PRF_HMAC_MD5", 2, "PRF_HMAC_SHA1", 4,
            "PRF_AES128_XCBC", 5, "PRF_HMAC_SHA2_256", 6, "PRF_HMAC_SHA2_384", 7, "PRF_HMAC_SHA2_512", 8,
            "PRF_AES128_CMAC");
    private static final Map<Integer, String> INTEG = Map.of(1, "HMAC_MD5_96", 2, "HMAC_SHA1_96", 5, "AES_XCBC_96",
            8, "HMAC_SHA1_160", 9, "AES_CMAC_96", 12, "HMAC_SHA2_256_128", 13, "HMAC_SHA2_384_192", 14,
            "HMAC_SHA2_512_256");
    private static final Map<Integer, String> KE = Map.ofEntries(Map.entry(1, "MODP_768"), Map.entry(2, "MODP_1024"),
            Map.entry(5, "MODP_1536"), Map.entry(14, "MODP_2048"), Map.entry(15, "MODP_3072"),
            Map.entry(16, "MODP_4096"), Map.entry(17, "MODP_6144"), Map.entry(18, "MODP_8192"),
            Map.entry(19, "ECP_256"), Map.entry(20, "ECP_384"), Map.entry(21, "ECP_521"), Map.entry(31, "CURVE_25519"),
            Map.entry(32, "CURVE_448"), Map.entry(35, "ML_KEM_512"), Map.entry(36, "ML_KEM_768"),
            Map.entry(37, "ML_KEM_1024"));

    /**
     * The summary of one message.
     *
     * @param line    exchange, request or response, message ID and payload list
     * @param details a line each for what the payloads say
     */
    public record Summary(String line, List<String> details) {}

    private MessageSummary() {
    }

    /** Summarizes {@code payloads} under {@code header}. */
    public static Summary of(IkeHeader header, List<Payload> payloads) {
        List<String> names = new ArrayList<>();
        List<String> details = new ArrayList<>();
        for (Payload p : payloads) {
            names.add(name(p, header));
            switch (p) {
                case SaPayload sa -> sa.proposals().forEach(pr -> details.add("SA #" + pr.number() + " "
                        + proposal(pr)));
                case KePayload ke -> details.add("KE " + KE.getOrDefault(ke.group(), "KE_" + ke.group()));
                case IdPayload id -> details.add((id.initiator() ? "IDi " : "IDr ") + id.idType() + " " + idValue(id));
                case AuthPayload a -> details.add("AUTH " + a.method());
                case TsPayload ts -> details.add((ts.initiator() ? "TSi " : "TSr ") + ts.selectors().stream()
                        .map(Object::toString).collect(Collectors.joining(", ")));
                case NotifyPayload n when n.spi().length() > 0 -> details.add("N(" + n.notifyType() + ") "
                        + n.protocol() + " SPI " + n.spi().hex());
                case NotifyPayload n when n.isError() -> details.add("N(" + n.notifyType() + ") error");
                case DeletePayload d -> details.add("D " + d.protocol() + (d.spis().isEmpty() ? ""
                        : " SPI " + d.spis().stream().map(s -> s.hex()).collect(Collectors.joining(", "))));
                default -> { }
            }
        }
        String line = header.exchangeType() + (header.response() ? " response " : " request ") + header.messageId()
                + " [ " + String.join(" ", names) + " ]";
        return new Summary(line, List.copyOf(details));
    }

    /** {@code IKE:AES_GCM_16_128/PRF_HMAC_SHA2_256/CURVE_25519}, {@code ESP:AES_CBC_256/HMAC_SHA2_256_128/NO_EXT_SEQ}. */
    public static String proposal(Proposal p) {
        return p.protocol() + ":" + p.transforms().stream()
                .sorted(Comparator.comparingInt(t -> TYPE_ORDER.getOrDefault(t.type().value(), 5 + t.type().value())))
                .map(MessageSummary::transform).filter(s -> !s.isEmpty()).collect(Collectors.joining("/"));
    }

    private static String transform(Transform t) {
        int id = t.id();
        return switch (t.type().value()) {
            case 1 -> ENCR.getOrDefault(id, "ENCR_" + id) + keyLength(t.keyLength());
            case 2 -> PRF.getOrDefault(id, "PRF_" + id);
            case 3 -> id == 0 ? "" : INTEG.getOrDefault(id, "INTEG_" + id);
            case 4 -> id == 0 ? "" : KE.getOrDefault(id, "KE_" + id);
            case 5 -> id == 0 ? "NO_EXT_SEQ" : id == 1 ? "EXT_SEQ" : "ESN_" + id;
            default -> t.type() + (id == 0 ? "_NONE" : "_" + KE.getOrDefault(id, String.valueOf(id)));
        };
    }

    private static String keyLength(OptionalInt bits) {
        return bits.isPresent() ? "_" + bits.getAsInt() : "";
    }

    private static String name(Payload p, IkeHeader h) {
        return switch (p) {
            case NotifyPayload n -> "N(" + n.notifyType() + ")";
            default -> switch (p.type()) {
                case PayloadType.Known k -> switch (k) {
                    case IDI -> "IDi";
                    case IDR -> "IDr";
                    case TSI -> "TSi";
                    case TSR -> "TSr";
                    case NONCE -> h.initiator() ? "Ni" : "Nr";
                    case DELETE -> "D";
                    case VENDOR_ID -> "V";
                    default -> k.name();
                };
                default -> p.type().toString();
            };
        };
    }

    /** Addresses and names as text; anything else (a DN, a key ID) by type and length only. */
    private static String idValue(IdPayload id) {
        byte[] data = id.data().toByteArray();
        String type = id.idType().toString();
        try {
            return switch (type) {
                case "ID_IPV4_ADDR", "ID_IPV6_ADDR" -> InetAddress.getByAddress(data).getHostAddress();
                case "ID_FQDN", "ID_RFC822_ADDR" -> printable(new String(data, StandardCharsets.US_ASCII));
                default -> "(" + data.length + " octets)";
            };
        } catch (UnknownHostException e) {
            return "(" + data.length + " octets)";
        }
    }

    private static String printable(String s) {
        return s.chars().allMatch(c -> c >= 0x20 && c < 0x7f) ? s : "(" + s.length() + " octets)";
    }
}
