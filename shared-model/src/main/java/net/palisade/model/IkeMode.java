package net.palisade.model;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import java.util.Arrays;
import net.palisade.model.crypto.Names;

/** Who starts an IKE tunnel. */
public enum IkeMode {
    /** Initiates (and responds). The default. Needs a peer. */
    ACTIVE("active"),
    /** Only responds. Without a peer it accepts any peer that authenticates. */
    PASSIVE("passive"),
    /** Initiates from a local address that changes (DHCP, PPPoE, LTE): DPD defaults to 30 s. Needs a peer. */
    DYNAMIC("dynamic");

    private final String keyword;

    IkeMode(String keyword) {
        this.keyword = keyword;
    }

    @JsonValue
    public String keyword() {
        return keyword;
    }

    @JsonCreator
    public static IkeMode fromKeyword(String keyword) {
        return Arrays.stream(values()).filter(m -> m.keyword.equals(keyword)).findFirst()
                .orElseThrow(() -> new IllegalArgumentException(Names.unknown("mode", keyword,
                        Arrays.stream(values()).map(IkeMode::keyword).toList())));
    }
}
