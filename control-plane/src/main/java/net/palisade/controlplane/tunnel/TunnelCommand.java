package net.palisade.controlplane.tunnel;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonSubTypes;
import com.fasterxml.jackson.annotation.JsonTypeInfo;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import net.palisade.model.SpiPair;
import net.palisade.model.TunnelSpec;
import net.palisade.model.crypto.DhGroup;
import net.palisade.model.event.CborSerializable;
import net.palisade.model.event.Cause;
import net.palisade.model.event.ChildSa;
import net.palisade.model.event.FailureReason;
import net.palisade.model.event.SaId;
import net.palisade.model.event.SealedState;
import org.apache.pekko.actor.typed.ActorRef;

/**
 * What a tunnel entity accepts. Operator and reconciler commands ({@link Configure}, {@link Remove},
 * {@link AdminUp}, {@link AdminDown}, {@link Reset}, {@link Get}) and the reports of the IKE engines and the
 * dataplane ({@link EngineInput}). Every command is answered with a {@link TunnelReply}: {@code Ok} with the
 * (redacted) state after it, or {@code Rejected} with the reason, in which case nothing was persisted.
 */
public sealed interface TunnelCommand extends CborSerializable {

    /** Sets or changes the spec. The same spec again is accepted and persists nothing. */
    record Configure(TunnelSpec spec, Cause cause, ActorRef<TunnelReply> replyTo) implements TunnelCommand {
        public Configure {
            Objects.requireNonNull(spec, "spec");
            Objects.requireNonNull(cause, "cause");
        }
    }

    /** Removes the tunnel (stops it first). */
    record Remove(Cause cause, ActorRef<TunnelReply> replyTo) implements TunnelCommand {}

    /** Enables an admin-down tunnel. */
    record AdminUp(Cause cause, ActorRef<TunnelReply> replyTo) implements TunnelCommand {}

    /** Disables the tunnel, keeping its spec. */
    record AdminDown(Cause cause, ActorRef<TunnelReply> replyTo) implements TunnelCommand {}

    /** Restarts an IKE tunnel's negotiation (refused for manual tunnels: reinstalling resets their counters). */
    record Reset(Cause cause, ActorRef<TunnelReply> replyTo) implements TunnelCommand {}

    /** Asks for the state. */
    record Get(ActorRef<TunnelReply> replyTo) implements TunnelCommand {}

    /**
     * Internal: sent by the entity to itself after recovery, to end IKE SAs that the journal shows but a restarted
     * node no longer has. Answered with no reply.
     */
    record AfterRecovery() implements TunnelCommand {}

    /**
     * Reports that queued up while the tunnel's previous one was being persisted, in the order they happened:
     * persisted together as one atomic write (one journal round trip instead of one each). Each is checked against
     * the state the earlier ones leave; a refused one is logged by the entity and left out. Answered once, to
     * {@code replyTo} ({@code Rejected} only when none was accepted); the inputs' own {@code replyTo} is not used.
     */
    record EngineReports(List<EngineInput> inputs, ActorRef<TunnelReply> replyTo) implements TunnelCommand {
        public EngineReports {
            inputs = List.copyOf(inputs);
            if (inputs.isEmpty()) {
                throw new IllegalArgumentException("no reports");
            }
        }
    }

    /** A report from an IKE engine or the dataplane. Refused when the tunnel is not an admin-up IKE tunnel. */
    @JsonTypeInfo(use = JsonTypeInfo.Id.NAME, include = JsonTypeInfo.As.PROPERTY, property = "input")
    @JsonSubTypes({
        @JsonSubTypes.Type(value = Phase1Up.class, name = "phase1-up"),
        @JsonSubTypes.Type(value = Phase1Down.class, name = "phase1-down"),
        @JsonSubTypes.Type(value = ChildSaInstalled.class, name = "child-sa-installed"),
        @JsonSubTypes.Type(value = ChildSaDeleted.class, name = "child-sa-deleted"),
        @JsonSubTypes.Type(value = Rekeyed.class, name = "rekeyed"),
        @JsonSubTypes.Type(value = DpdLost.class, name = "dpd-lost"),
        @JsonSubTypes.Type(value = PingLost.class, name = "ping-lost"),
        @JsonSubTypes.Type(value = PingOk.class, name = "ping-ok"),
        @JsonSubTypes.Type(value = PeerSwitched.class, name = "peer-switched"),
        @JsonSubTypes.Type(value = NegotiationFailed.class, name = "negotiation-failed"),
        @JsonSubTypes.Type(value = SaExpired.class, name = "sa-expired"),
        @JsonSubTypes.Type(value = TakeoverState.class, name = "takeover-state"),
        @JsonSubTypes.Type(value = SequenceReserved.class, name = "sequence-reserved")
    })
    sealed interface EngineInput extends TunnelCommand {
        /** Where the answer goes. */
        ActorRef<TunnelReply> replyTo();

        /** {@code peer} for what the peer did, {@code timer} for lifetimes and retransmission timeouts. */
        Cause cause();
    }

    /** Phase 1 is up with {@code peer}; {@code ikeSa} names the IKE SA, {@code ikeVersion} its version if known. */
    record Phase1Up(String peer, String ikeSa, Cause cause, ActorRef<TunnelReply> replyTo,
            Optional<Integer> ikeVersion) implements EngineInput {
        /** Checks the fields. */
        public Phase1Up {
            ikeVersion = ikeVersion == null ? Optional.empty() : ikeVersion;
        }

        /** Without the IKE version. */
        public Phase1Up(String peer, String ikeSa, Cause cause, ActorRef<TunnelReply> replyTo) {
            this(peer, ikeSa, cause, replyTo, Optional.empty());
        }
    }

    /**
     * Phase 1 went down (its Child SAs with it): the IKE SA {@code ikeSa} names, or every IKE SA of the tunnel when
     * it is empty.
     */
    record Phase1Down(String reason, Cause cause, ActorRef<TunnelReply> replyTo, Optional<String> ikeSa)
            implements EngineInput {
        @JsonCreator
        public Phase1Down {
            ikeSa = ikeSa == null ? Optional.empty() : ikeSa;
        }

        /** Every IKE SA of the tunnel went down. */
        public Phase1Down(String reason, Cause cause, ActorRef<TunnelReply> replyTo) {
            this(reason, cause, replyTo, Optional.empty());
        }
    }

    /** A Child SA is installed. */
    record ChildSaInstalled(ChildSa sa, Cause cause, ActorRef<TunnelReply> replyTo) implements EngineInput {}

    /** A Child SA was deleted. */
    record ChildSaDeleted(SaId saId, Cause cause, ActorRef<TunnelReply> replyTo) implements EngineInput {}

    /**
     * An SA was rekeyed: a Child SA when {@code spi} is present (the new SA's SPIs, {@code esn} its sequence
     * numbers), else the IKE SA.
     */
    record Rekeyed(SaId replaced, SaId replacement, Optional<SpiPair> spi, Optional<DhGroup> pfs, boolean esn,
            Cause cause, ActorRef<TunnelReply> replyTo) implements EngineInput {
        @JsonCreator
        public Rekeyed {
            pfs = pfs == null ? Optional.empty() : pfs;
        }

        /** A rekey with no PFS record (an IKE SA rekey). */
        public Rekeyed(SaId replaced, SaId replacement, Optional<SpiPair> spi, Cause cause,
                ActorRef<TunnelReply> replyTo) {
            this(replaced, replacement, spi, Optional.empty(), false, cause, replyTo);
        }
    }

    /** Dead peer detection declared the peer of {@code ikeSa} dead (empty: the tunnel's only peer). */
    record DpdLost(Cause cause, ActorRef<TunnelReply> replyTo, Optional<String> ikeSa) implements EngineInput {
        @JsonCreator
        public DpdLost {
            ikeSa = ikeSa == null ? Optional.empty() : ikeSa;
        }

        /** The tunnel's only peer is dead. */
        public DpdLost(Cause cause, ActorRef<TunnelReply> replyTo) {
            this(cause, replyTo, Optional.empty());
        }
    }

    /** The engine moved on to {@code to} (the entity records where it came from). */
    record PeerSwitched(String to, Cause cause, ActorRef<TunnelReply> replyTo) implements EngineInput {}

    /** A negotiation failed. */
    record NegotiationFailed(FailureReason reason, String detail, Cause cause, ActorRef<TunnelReply> replyTo)
            implements EngineInput {}

    /** An SA (Child or IKE) reached its hard lifetime. */
    record SaExpired(SaId saId, Cause cause, ActorRef<TunnelReply> replyTo) implements EngineInput {}

    /** The tunnel's ping went unanswered {@code lost} times in a row (echoes from {@code from} to {@code to}). */
    record PingLost(String from, String to, int lost, Cause cause, ActorRef<TunnelReply> replyTo)
            implements EngineInput {}

    /** The tunnel's ping is answered (first, or again). */
    record PingOk(String from, String to, Cause cause, ActorRef<TunnelReply> replyTo) implements EngineInput {}

    /**
     * Sealed takeover state of the current IKE SA ({@code scope} {@code ike-sa}) or of an installed Child SA
     * ({@code child-sa}); refused when that SA is not the tunnel's (any more).
     */
    record TakeoverState(String scope, SaId sa, SealedState state, Cause cause, ActorRef<TunnelReply> replyTo)
            implements EngineInput {}

    /**
     * The dataplane asks to reserve outbound sequence numbers up to {@code upTo} for the SA whose outbound SPI is
     * {@code spi} (IKE or manual): it sends numbers past the previous reservation only once this is persisted.
     */
    record SequenceReserved(long spi, long upTo, Cause cause, ActorRef<TunnelReply> replyTo) implements EngineInput {}
}
