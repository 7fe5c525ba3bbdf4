package net.palisade.model.event;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.Objects;
import java.util.Optional;
import net.palisade.model.SpiPair;
import net.palisade.model.crypto.DhGroup;

/**
 * An installed Child SA (IKE) or the static SA pair of a manual tunnel, as the journal and the read side see it:
 * identity and SPIs, never keys.
 *
 * @param id the SA's name within its tunnel ({@link SaId#child} after the inbound SPI; {@link SaId#MANUAL} for
 *     the static pair)
 * @param spi inbound and outbound SPIs
 * @param pfs the key exchange group of the exchange that made it ({@code none}: keys from the IKE SA alone, as for
 *     a peer rekeying without PFS); empty when not recorded (the first Child SA, manual pairs, events written
 *     before the field existed)
 * @param esn 64-bit extended sequence numbers (RFC 4303 section 2.2.1) were negotiated; false for 32-bit ones, for
 *     manual pairs, and in events written before the field existed (every SA then had 32-bit numbers). Written only
 *     when true.
 * @param ikeSa the IKE SA it was negotiated under (its name as in phase1-up), so that one of a tunnel's several IKE
 *     SAs (an any-peer passive tunnel, one per peer) going down takes only its own Child SAs; empty for manual pairs
 *     and in events written before it was recorded (such a Child SA goes when the tunnel's last IKE SA goes)
 */
public record ChildSa(SaId id, SpiPair spi, @JsonInclude(JsonInclude.Include.NON_ABSENT) Optional<DhGroup> pfs,
        @JsonInclude(JsonInclude.Include.NON_DEFAULT) boolean esn,
        @JsonInclude(JsonInclude.Include.NON_ABSENT) Optional<String> ikeSa) {
    @JsonCreator
    public ChildSa {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(spi, "spi");
        pfs = pfs == null ? Optional.empty() : pfs;
        ikeSa = ikeSa == null ? Optional.empty() : ikeSa;
    }

    /** A Child SA whose IKE SA is not recorded. */
    public ChildSa(SaId id, SpiPair spi, Optional<DhGroup> pfs, boolean esn) {
        this(id, spi, pfs, esn, Optional.empty());
    }

    /** The same Child SA, negotiated under {@code ike}. */
    public ChildSa under(String ike) {
        return new ChildSa(id, spi, pfs, esn, Optional.of(ike));
    }

    /** A Child SA with no PFS record and 32-bit sequence numbers. */
    public ChildSa(SaId id, SpiPair spi) {
        this(id, spi, Optional.empty(), false);
    }

    /** A Child SA with 32-bit sequence numbers. */
    public ChildSa(SaId id, SpiPair spi, Optional<DhGroup> pfs) {
        this(id, spi, pfs, false);
    }
}
