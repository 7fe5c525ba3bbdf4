package net.palisade.model;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonProperty;

/**
 * The SPIs of a manually keyed tunnel: {@code inbound} is the SPI in packets the peer sends us (our inbound SA),
 * {@code outbound} the SPI we put in packets to the peer. Config text: {@code spi IN[:OUT]}; one value means the
 * same SPI both ways.
 */
public record SpiPair(Spi inbound, Spi outbound) {
    @JsonCreator
    public SpiPair(@JsonProperty("inbound") Spi inbound, @JsonProperty("outbound") Spi outbound) {
        if (inbound == null || outbound == null) {
            throw new IllegalArgumentException("needs both inbound and outbound SPIs");
        }
        this.inbound = inbound;
        this.outbound = outbound;
    }

    /** The same SPI both ways. */
    public static SpiPair both(Spi spi) {
        return new SpiPair(spi, spi);
    }

    /** True when inbound and outbound are the same SPI. */
    public boolean symmetric() {
        return inbound.equals(outbound);
    }
}
