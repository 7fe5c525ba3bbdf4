package net.palisade.model.wire.ikev2;

import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Objects;
import java.util.Optional;
import net.palisade.model.IdType;
import net.palisade.model.IpAddresses;
import net.palisade.model.wire.Octets;

/**
 * Identification payload, IDi or IDr (RFC 7296 section 3.5). The decoder checks the data against the type: 4
 * octets for ID_IPV4_ADDR, 16 for ID_IPV6_ADDR, none for ID_NULL, at least one for the other known types.
 *
 * <p>{@link #authBody()} gives the octets the AUTH computation signs (RFC 7296 section 2.15, "RestOfInitIDPayload"):
 * ID type, three reserved octets sent as zero, and the data.
 *
 * @param initiator true for IDi, false for IDr
 * @param idType    identification type
 * @param data      identification data
 */
public record IdPayload(boolean initiator, IdentificationType idType, Octets data) implements Payload {

    /** Checks the parts are present. */
    public IdPayload {
        Objects.requireNonNull(idType, "idType");
        Objects.requireNonNull(data, "data");
    }

    /** ID_IPV4_ADDR or ID_IPV6_ADDR for {@code address}. */
    public static IdPayload address(boolean initiator, InetAddress address) {
        byte[] raw = address.getAddress();
        return new IdPayload(initiator, raw.length == 4 ? IdentificationType.Known.ID_IPV4_ADDR
                : IdentificationType.Known.ID_IPV6_ADDR, Octets.of(raw));
    }

    /** ID_FQDN. */
    public static IdPayload fqdn(boolean initiator, String name) {
        return new IdPayload(initiator, IdentificationType.Known.ID_FQDN,
                Octets.of(name.getBytes(StandardCharsets.US_ASCII)));
    }

    /** ID_RFC822_ADDR. */
    public static IdPayload rfc822(boolean initiator, String address) {
        return new IdPayload(initiator, IdentificationType.Known.ID_RFC822_ADDR,
                Octets.of(address.getBytes(StandardCharsets.UTF_8)));
    }

    /** ID_DER_ASN1_DN from the DER encoding of a distinguished name. */
    public static IdPayload derDn(boolean initiator, Octets der) {
        return new IdPayload(initiator, IdentificationType.Known.ID_DER_ASN1_DN, der);
    }

    /** ID_KEY_ID. */
    public static IdPayload keyId(boolean initiator, Octets keyId) {
        return new IdPayload(initiator, IdentificationType.Known.ID_KEY_ID, keyId);
    }

    @Override
    public PayloadType type() {
        return initiator ? PayloadType.Known.IDI : PayloadType.Known.IDR;
    }

    /** The address of an ID_IPV4_ADDR or ID_IPV6_ADDR of the right length. */
    public Optional<InetAddress> address() {
        boolean v4 = idType == IdentificationType.Known.ID_IPV4_ADDR && data.length() == 4;
        boolean v6 = idType == IdentificationType.Known.ID_IPV6_ADDR && data.length() == 16;
        return v4 || v6 ? Optional.of(IpAddresses.byAddress(data.toByteArray())) : Optional.empty();
    }

    /** The text of an ID_FQDN or ID_RFC822_ADDR. */
    public Optional<String> text() {
        if (idType == IdentificationType.Known.ID_FQDN || idType == IdentificationType.Known.ID_RFC822_ADDR) {
            return Optional.of(new String(data.toByteArray(), StandardCharsets.UTF_8));
        }
        return Optional.empty();
    }

    /** The config model's identity type for this ID type, if Palisade configures it. */
    public Optional<IdType> modelType() {
        return Arrays.stream(IdType.values()).filter(t -> t.ikeIdType() == idType.value()).findFirst();
    }

    /** ID type, three zero octets, data: the payload body the AUTH payload signs. */
    public Octets authBody() {
        byte[] b = new byte[4 + data.length()];
        b[0] = (byte) idType.value();
        data.copyTo(b, 4);
        return Octets.of(b);
    }
}
