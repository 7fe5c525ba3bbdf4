package net.palisade.model.event;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonSubTypes;
import com.fasterxml.jackson.annotation.JsonTypeInfo;
import com.fasterxml.jackson.annotation.JsonTypeName;
import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import net.palisade.model.SpiPair;
import net.palisade.model.TunnelSpec;
import net.palisade.model.crypto.DhGroup;

/**
 * What happened to one tunnel: the journal of the tunnel's entity, and so its audit history. Every event carries
 * the tunnel's label, when it happened, on which node, and its {@link Cause}. The JSON/CBOR form names the event
 * in {@code "type"} ({@code configured}, {@code phase1-up}, ...; see {@link #TYPES}).
 *
 * <p>No event holds a key in clear: {@link Configured#spec()} holds the tunnel's secrets, which the control plane's
 * journal mapper seals with the node key; {@link TakeoverState#state()} arrives sealed with the pair key; every other
 * event holds SPIs and names only.
 */
@JsonTypeInfo(use = JsonTypeInfo.Id.NAME, include = JsonTypeInfo.As.PROPERTY, property = "type")
@JsonSubTypes({
    @JsonSubTypes.Type(TunnelEvent.Configured.class),
    @JsonSubTypes.Type(TunnelEvent.Removed.class),
    @JsonSubTypes.Type(TunnelEvent.AdminUp.class),
    @JsonSubTypes.Type(TunnelEvent.AdminDown.class),
    @JsonSubTypes.Type(TunnelEvent.Phase1Up.class),
    @JsonSubTypes.Type(TunnelEvent.Phase1Down.class),
    @JsonSubTypes.Type(TunnelEvent.ChildSaInstalled.class),
    @JsonSubTypes.Type(TunnelEvent.ChildSaDeleted.class),
    @JsonSubTypes.Type(TunnelEvent.Rekeyed.class),
    @JsonSubTypes.Type(TunnelEvent.DpdLost.class),
    @JsonSubTypes.Type(TunnelEvent.PeerSwitched.class),
    @JsonSubTypes.Type(TunnelEvent.NegotiationFailed.class),
    @JsonSubTypes.Type(TunnelEvent.SaExpired.class),
    @JsonSubTypes.Type(TunnelEvent.PingLost.class),
    @JsonSubTypes.Type(TunnelEvent.PingOk.class),
    @JsonSubTypes.Type(TunnelEvent.TakeoverState.class),
    @JsonSubTypes.Type(TunnelEvent.SequenceReserved.class),
    @JsonSubTypes.Type(TunnelEvent.Resumed.class)
})
public sealed interface TunnelEvent extends JournaledEvent {
    /** Every event type name, in the order of the tunnel's life. */
    List<String> TYPES = List.of("configured", "removed", "admin-up", "admin-down", "phase1-up", "phase1-down",
            "child-sa-installed", "child-sa-deleted", "rekeyed", "dpd-lost", "peer-switched", "negotiation-failed",
            "sa-expired", "ping-lost", "ping-ok", "takeover-state", "sequence-reserved", "resumed");

    /** The tunnel. */
    String label();

    private static void common(String label, Instant time, String node, Cause cause) {
        Objects.requireNonNull(label, "label");
        Objects.requireNonNull(time, "time");
        Objects.requireNonNull(node, "node");
        Objects.requireNonNull(cause, "cause");
    }

    /** The tunnel's spec was set or changed (the spec is complete, secrets included; sealed in the journal). */
    @JsonTypeName("configured")
    record Configured(String label, Instant time, String node, Cause cause, TunnelSpec spec) implements TunnelEvent {
        public Configured {
            common(label, time, node, cause);
            Objects.requireNonNull(spec, "spec");
        }
    }

    /** The tunnel was removed from the config; its SAs are gone. */
    @JsonTypeName("removed")
    record Removed(String label, Instant time, String node, Cause cause) implements TunnelEvent {
        public Removed {
            common(label, time, node, cause);
        }
    }

    /** The operator enabled the tunnel (the default for a newly configured tunnel needs no event). */
    @JsonTypeName("admin-up")
    record AdminUp(String label, Instant time, String node, Cause cause) implements TunnelEvent {
        public AdminUp {
            common(label, time, node, cause);
        }
    }

    /** The operator disabled the tunnel: IKE stopped, SAs removed; the spec is kept. */
    @JsonTypeName("admin-down")
    record AdminDown(String label, Instant time, String node, Cause cause) implements TunnelEvent {
        public AdminDown {
            common(label, time, node, cause);
        }
    }

    /**
     * The IKE SA (IKEv2) or ISAKMP SA (IKEv1) is established.
     *
     * @param peer the peer address it was established with
     * @param ikeSa the engine's name for the IKE SA (e.g. the SPI pair in hex)
     * @param ikeVersion 1 (IKEv1) or 2 (IKEv2); absent in events journaled before it was recorded
     */
    @JsonTypeName("phase1-up")
    record Phase1Up(String label, Instant time, String node, Cause cause, String peer, String ikeSa,
            @JsonInclude(JsonInclude.Include.NON_ABSENT) Optional<Integer> ikeVersion) implements TunnelEvent {
        public Phase1Up {
            common(label, time, node, cause);
            Objects.requireNonNull(peer, "peer");
            Objects.requireNonNull(ikeSa, "ikeSa");
            ikeVersion = ikeVersion == null ? Optional.empty() : ikeVersion;
        }

        /** Without the IKE version (as journaled before it was recorded). */
        public Phase1Up(String label, Instant time, String node, Cause cause, String peer, String ikeSa) {
            this(label, time, node, cause, peer, ikeSa, Optional.empty());
        }
    }

    /**
     * An IKE SA is gone (deleted by either side, or ended by a reset or a node restart); its Child SAs with it.
     *
     * @param reason free text, e.g. {@code "delete from peer"}, {@code "reset"}, {@code "node restart"}
     * @param ikeSa the IKE SA that went, when the tunnel may hold several (an any-peer passive tunnel, one per peer):
     *     the others and their Child SAs stay; empty: every IKE SA of the tunnel went (a reset, a node restart, and
     *     events written before it was recorded)
     */
    @JsonTypeName("phase1-down")
    record Phase1Down(String label, Instant time, String node, Cause cause, String reason,
            @JsonInclude(JsonInclude.Include.NON_ABSENT) Optional<String> ikeSa) implements TunnelEvent {
        @JsonCreator
        public Phase1Down {
            common(label, time, node, cause);
            Objects.requireNonNull(reason, "reason");
            ikeSa = ikeSa == null ? Optional.empty() : ikeSa;
        }

        /** Every IKE SA of the tunnel went. */
        public Phase1Down(String label, Instant time, String node, Cause cause, String reason) {
            this(label, time, node, cause, reason, Optional.empty());
        }
    }

    /** A Child SA (a pair of ESP SAs) was installed in the dataplane. */
    @JsonTypeName("child-sa-installed")
    record ChildSaInstalled(String label, Instant time, String node, Cause cause, ChildSa sa) implements TunnelEvent {
        public ChildSaInstalled {
            common(label, time, node, cause);
            Objects.requireNonNull(sa, "sa");
        }
    }

    /** A Child SA was deleted (by either side). */
    @JsonTypeName("child-sa-deleted")
    record ChildSaDeleted(String label, Instant time, String node, Cause cause, SaId saId) implements TunnelEvent {
        public ChildSaDeleted {
            common(label, time, node, cause);
            Objects.requireNonNull(saId, "saId");
        }
    }

    /**
     * An SA was replaced by a new one. For a Child SA {@code spi} holds the new SPIs and {@code replacement} names
     * the new Child SA; for the IKE SA {@code spi} is empty and {@code replacement} names the new IKE SA.
     *
     * @param replaced the old SA's name
     * @param replacement the new SA's name
     * @param spi the new Child SA's SPIs; empty for an IKE SA rekey
     * @param pfs the new Child SA's key exchange group ({@code none}: the peer rekeyed without PFS); empty when not
     *     recorded (IKE SA rekeys, events written before the field existed)
     * @param esn the new Child SA uses 64-bit extended sequence numbers; false otherwise, for IKE SA rekeys and in
     *     events written before the field existed (written only when true)
     */
    @JsonTypeName("rekeyed")
    record Rekeyed(String label, Instant time, String node, Cause cause, SaId replaced, SaId replacement,
            Optional<SpiPair> spi, @JsonInclude(JsonInclude.Include.NON_ABSENT) Optional<DhGroup> pfs,
            @JsonInclude(JsonInclude.Include.NON_DEFAULT) boolean esn) implements TunnelEvent {
        @JsonCreator
        public Rekeyed {
            common(label, time, node, cause);
            Objects.requireNonNull(replaced, "replaced");
            Objects.requireNonNull(replacement, "replacement");
            Objects.requireNonNull(spi, "spi");
            pfs = pfs == null ? Optional.empty() : pfs;
        }

        /** A rekey with no PFS record (an IKE SA rekey, or an event written before the field existed). */
        public Rekeyed(String label, Instant time, String node, Cause cause, SaId replaced, SaId replacement,
                Optional<SpiPair> spi) {
            this(label, time, node, cause, replaced, replacement, spi, Optional.empty(), false);
        }

        /** A rekey to a Child SA with 32-bit sequence numbers. */
        public Rekeyed(String label, Instant time, String node, Cause cause, SaId replaced, SaId replacement,
                Optional<SpiPair> spi, Optional<DhGroup> pfs) {
            this(label, time, node, cause, replaced, replacement, spi, pfs, false);
        }
    }

    /**
     * Dead peer detection gave up on the peer: the IKE SA and its Child SAs are gone.
     *
     * @param ikeSa the IKE SA that went, as in {@link Phase1Down#ikeSa()}; empty: every IKE SA of the tunnel
     */
    @JsonTypeName("dpd-lost")
    record DpdLost(String label, Instant time, String node, Cause cause, String peer,
            @JsonInclude(JsonInclude.Include.NON_ABSENT) Optional<String> ikeSa) implements TunnelEvent {
        @JsonCreator
        public DpdLost {
            common(label, time, node, cause);
            Objects.requireNonNull(peer, "peer");
            ikeSa = ikeSa == null ? Optional.empty() : ikeSa;
        }

        /** Every IKE SA of the tunnel went. */
        public DpdLost(String label, Instant time, String node, Cause cause, String peer) {
            this(label, time, node, cause, peer, Optional.empty());
        }
    }

    /**
     * The engine moved to another peer address (failover along the tunnel's peer list).
     *
     * @param from the peer it left; empty when there was none yet
     * @param to the peer it now tries
     */
    @JsonTypeName("peer-switched")
    record PeerSwitched(String label, Instant time, String node, Cause cause, Optional<String> from, String to)
            implements TunnelEvent {
        public PeerSwitched {
            common(label, time, node, cause);
            Objects.requireNonNull(from, "from");
            Objects.requireNonNull(to, "to");
        }
    }

    /**
     * A negotiation (phase 1 or 2) failed.
     *
     * @param reason the class of failure
     * @param detail what the engine can say more (never key material); may be empty
     */
    @JsonTypeName("negotiation-failed")
    record NegotiationFailed(String label, Instant time, String node, Cause cause, FailureReason reason,
            String detail) implements TunnelEvent {
        public NegotiationFailed {
            common(label, time, node, cause);
            Objects.requireNonNull(reason, "reason");
            Objects.requireNonNull(detail, "detail");
        }
    }

    /** An SA reached its hard lifetime without being rekeyed and was removed. */
    @JsonTypeName("sa-expired")
    record SaExpired(String label, Instant time, String node, Cause cause, SaId saId) implements TunnelEvent {
        public SaExpired {
            common(label, time, node, cause);
            Objects.requireNonNull(saId, "saId");
        }
    }

    /**
     * The tunnel's {@code ping} got no echo reply several times in a row: the remote side is unreachable through the
     * tunnel although its Child SA is up.
     *
     * @param from the echo's source (the first address of the local networks)
     * @param to the echo's destination (the first address of the remote networks)
     * @param lost echoes unanswered in a row
     */
    @JsonTypeName("ping-lost")
    record PingLost(String label, Instant time, String node, Cause cause, String from, String to, int lost)
            implements TunnelEvent {
        public PingLost {
            common(label, time, node, cause);
            Objects.requireNonNull(from, "from");
            Objects.requireNonNull(to, "to");
        }
    }

    /**
     * What a node needs to go on with an established SA without renegotiating, journaled only when the node holds
     * the gateway pair's key: the IKE SA's (at phase1-up and at each IKE SA rekey) or a Child SA's (at
     * child-sa-installed and rekeyed). The state is sealed with the pair key; this event's JSON and toString show
     * its length and the key id only.
     *
     * @param scope {@code ike-sa} or {@code child-sa}
     * @param sa the SA it is for (the IKE SA's name as in phase1-up, or the Child SA's)
     * @param state the sealed state
     */
    @JsonTypeName("takeover-state")
    record TakeoverState(String label, Instant time, String node, Cause cause, String scope, SaId sa,
            SealedState state) implements TunnelEvent {
        /** The scope of an IKE SA's state. */
        public static final String IKE_SA = "ike-sa";
        /** The scope of a Child SA's state. */
        public static final String CHILD_SA = "child-sa";

        public TakeoverState {
            common(label, time, node, cause);
            Objects.requireNonNull(scope, "scope");
            if (!scope.equals(IKE_SA) && !scope.equals(CHILD_SA)) {
                throw new IllegalArgumentException("takeover-state scope is ike-sa or child-sa, found '"
                        + scope.replaceAll("[^\\x20-\\x7e]", "?") + "'");
            }
            Objects.requireNonNull(sa, "sa");
            Objects.requireNonNull(state, "state");
        }
    }

    /**
     * The tunnel's {@code ping} is answered: the remote side is reachable through the tunnel (first after the Child
     * SA came up, or again after {@code ping-lost}).
     */
    @JsonTypeName("ping-ok")
    record PingOk(String label, Instant time, String node, Cause cause, String from, String to)
            implements TunnelEvent {
        public PingOk {
            common(label, time, node, cause);
            Objects.requireNonNull(from, "from");
            Objects.requireNonNull(to, "to");
        }
    }

    /**
     * Outbound ESP sequence numbers up to {@code upTo} may be in use on the SA whose outbound SPI is {@code spi}:
     * written before a number past the previous reservation is sent, so that a node resuming the SA (after a
     * restart, or taking over) starts above it and never sends an (SPI, sequence) pair twice.
     *
     * @param spi the outbound SPI (the peer's)
     * @param upTo the highest number reserved
     */
    @JsonTypeName("sequence-reserved")
    record SequenceReserved(String label, Instant time, String node, Cause cause, long spi, long upTo)
            implements TunnelEvent {
        public SequenceReserved {
            common(label, time, node, cause);
            if (spi < 0 || spi > 0xFFFF_FFFFL) {
                throw new IllegalArgumentException("an SPI has 32 bits, found " + spi);
            }
            if (upTo < 0) {
                throw new IllegalArgumentException("a sequence reservation is not negative, found " + upTo);
            }
        }
    }

    /**
     * {@code node} went on with the tunnel's established IKE SA and Child SAs from their journaled state, without
     * renegotiating (after a restart, or taking over from the other node of a pair); it re-synchronises message IDs
     * with the peer next (RFC 6311). If that fails the IKE SA goes down ({@code phase1-down}) and is negotiated anew.
     *
     * @param ikeSa the IKE SA resumed
     */
    @JsonTypeName("resumed")
    record Resumed(String label, Instant time, String node, Cause cause, String ikeSa) implements TunnelEvent {
        public Resumed {
            common(label, time, node, cause);
            Objects.requireNonNull(ikeSa, "ikeSa");
        }
    }
}
