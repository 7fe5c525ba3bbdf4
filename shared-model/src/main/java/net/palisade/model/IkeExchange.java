package net.palisade.model;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import java.util.Arrays;
import net.palisade.model.crypto.Names;

/**
 * IKE version and, for IKEv1, the phase-1 exchange. One value instead of a version plus a mode, so that
 * "IKEv2 aggressive" cannot be represented. Config keywords: {@code main} / {@code ikev1} select
 * {@link #IKEV1_MAIN}, {@code aggressive} selects {@link #IKEV1_AGGRESSIVE}, {@code ikesa}, {@code ikev2} or
 * nothing select {@link #IKEV2}.
 */
public enum IkeExchange {
    IKEV1_MAIN("ikev1-main", 1),
    IKEV1_AGGRESSIVE("ikev1-aggressive", 1),
    IKEV2("ikev2", 2);

    private final String keyword;
    private final int version;

    IkeExchange(String keyword, int version) {
        this.keyword = keyword;
        this.version = version;
    }

    /** JSON name: {@code ikev1-main}, {@code ikev1-aggressive}, {@code ikev2}. */
    @JsonValue
    public String keyword() {
        return keyword;
    }

    /** 1 or 2. */
    public int version() {
        return version;
    }

    /** True for the IKEv1 exchanges. */
    public boolean ikev1() {
        return version == 1;
    }

    @JsonCreator
    public static IkeExchange fromKeyword(String keyword) {
        return Arrays.stream(values()).filter(m -> m.keyword.equals(keyword)).findFirst()
                .orElseThrow(() -> new IllegalArgumentException(Names.unknown("exchange", keyword,
                        Arrays.stream(values()).map(IkeExchange::keyword).toList())));
    }
}
