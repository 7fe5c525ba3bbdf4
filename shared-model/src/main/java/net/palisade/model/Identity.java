package net.palisade.model;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonProperty;

/**
 * An IKE identity ({@code srcid}/{@code dstid}). The type is detected from the text and kept:
 * an IPv4 or IPv6 literal; a DN when the text contains {@code =} ({@code "C=SE, O=Example, CN=gw1"}); a user FQDN
 * when it contains {@code @} ({@code ops@example.com}); else an FQDN ({@code vpn.example.com}).
 * In JSON: {@code {"type":"fqdn","value":"vpn.example.com"}}, or a plain string whose type is detected.
 */
public record Identity(IdType type, String value) {

    /**
     * Checks that {@code value} is of {@code type}, so that the config text (where the type is detected) can
     * express every identity.
     *
     * @throws IllegalArgumentException when the value does not have that type
     */
    @JsonCreator(mode = JsonCreator.Mode.PROPERTIES)
    public Identity(@JsonProperty("type") IdType type, @JsonProperty("value") String value) {
        if (type == null || value == null) {
            throw new IllegalArgumentException("needs type and value (or one string whose type is detected)");
        }
        IdType detected = detect(value);
        if (detected != type) {
            throw new IllegalArgumentException("'" + value + "' is an identity of type " + detected.keyword() + ", not "
                    + type.keyword());
        }
        this.type = type;
        this.value = value;
    }

    /**
     * An identity of the detected type.
     *
     * @throws IllegalArgumentException for text that is none of the types
     */
    @JsonCreator(mode = JsonCreator.Mode.DELEGATING)
    public static Identity parse(String text) {
        return new Identity(detect(text), text);
    }

    private static IdType detect(String text) {
        if (IpAddresses.parseIpv4(text).isPresent()) {
            return IdType.IPV4;
        }
        if (text.indexOf(':') >= 0 && IpAddresses.parseIpv6(text).isPresent()) {
            return IdType.IPV6;
        }
        if (text.indexOf('=') > 0 && text.chars().noneMatch(Character::isISOControl)) {
            return IdType.DN;
        }
        int at = text.indexOf('@');
        if (at > 0 && at == text.lastIndexOf('@') && Host.isHostName(text.substring(at + 1))
                && text.substring(0, at).chars().allMatch(c -> c > ' ' && c < 0x7f)) {
            return IdType.USER_FQDN;
        }
        if (Host.isHostName(text)) {
            return IdType.FQDN;
        }
        throw new IllegalArgumentException("expected an IP address, an FQDN, user@FQDN or a quoted DN "
                + "(\"C=SE, O=Example, CN=gw1\"), found '" + text + "'");
    }
}
