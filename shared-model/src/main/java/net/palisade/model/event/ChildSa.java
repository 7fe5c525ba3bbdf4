package net.palisade.model.event;

import java.util.Objects;
import net.palisade.model.SpiPair;

/**
 * An installed Child SA (IKE) or the static SA pair of a manual tunnel, as the journal and the read side see it:
 * identity and SPIs, never keys.
 *
 * @param id the SA's name within its tunnel ({@link SaId#child} after the inbound SPI; {@link SaId#MANUAL} for
 *     the static pair)
 * @param spi inbound and outbound SPIs
 */
public record ChildSa(SaId id, SpiPair spi) {
    public ChildSa {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(spi, "spi");
    }
}
