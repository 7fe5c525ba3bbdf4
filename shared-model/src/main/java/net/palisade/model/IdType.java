package net.palisade.model;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import java.util.Arrays;
import net.palisade.model.crypto.Names;

/** IKE identification types used by {@code srcid}/{@code dstid}, with their IKEv1/IKEv2 ID type numbers. */
public enum IdType {
    /** ID_IPV4_ADDR (1). */
    IPV4("ipv4", 1),
    /** ID_FQDN (2), e.g. {@code vpn.example.com}. */
    FQDN("fqdn", 2),
    /** ID_RFC822_ADDR / ID_USER_FQDN (3), e.g. {@code ops@example.com}. */
    USER_FQDN("user-fqdn", 3),
    /** ID_IPV6_ADDR (5). */
    IPV6("ipv6", 5),
    /** ID_DER_ASN1_DN (9): an X.500 distinguished name, written as a string like {@code "C=SE, O=Example, CN=gw1"}. */
    DN("dn", 9);

    private final String keyword;
    private final int ikeIdType;

    IdType(String keyword, int ikeIdType) {
        this.keyword = keyword;
        this.ikeIdType = ikeIdType;
    }

    /** JSON name. */
    @JsonValue
    public String keyword() {
        return keyword;
    }

    /** The ID Type number in the IKEv1 and IKEv2 Identification payload. */
    public int ikeIdType() {
        return ikeIdType;
    }

    /** The type named {@code keyword}. */
    @JsonCreator
    public static IdType fromKeyword(String keyword) {
        return Arrays.stream(values()).filter(t -> t.keyword.equals(keyword)).findFirst()
                .orElseThrow(() -> new IllegalArgumentException(Names.unknown("identity type", keyword,
                        Arrays.stream(values()).map(IdType::keyword).toList())));
    }
}
