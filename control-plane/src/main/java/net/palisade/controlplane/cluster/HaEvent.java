package net.palisade.controlplane.cluster;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonSubTypes;
import com.fasterxml.jackson.annotation.JsonTypeInfo;
import com.fasterxml.jackson.annotation.JsonTypeName;
import java.time.Instant;
import java.util.Objects;
import net.palisade.model.event.CborSerializable;
import net.palisade.model.event.Cause;

/**
 * The node timeline of a gateway pair: which node was active when, and why it changed. Each node journals its own
 * (persistence id {@code ha-timeline|<node>}), all tagged {@value NodeTimeline#TAG}; read together, ordered by time,
 * they answer "who ran the tunnels at 03:12". Like tunnel events, each carries time, node and cause.
 */
@JsonTypeInfo(use = JsonTypeInfo.Id.NAME, include = JsonTypeInfo.As.PROPERTY, property = "type")
@JsonSubTypes({
    @JsonSubTypes.Type(HaEvent.Active.class),
    @JsonSubTypes.Type(HaEvent.Standby.class),
    @JsonSubTypes.Type(HaEvent.Takeover.class)
})
public sealed interface HaEvent extends CborSerializable {
    /** When (this node's clock). */
    Instant time();

    /** The node that recorded it. */
    String node();

    /** Why: {@code lease-acquired}, {@code lease-expired}, {@code lease-released}, {@code lease-lost}, {@code node}. */
    Cause cause();

    /** The wire name, e.g. {@code ha-takeover}. */
    @JsonIgnore
    default String type() {
        return getClass().getAnnotation(JsonTypeName.class).value();
    }

    /**
     * This node became the active one: it runs every tunnel's IKE and dataplane.
     *
     * @param epoch the active lease's epoch it holds (the fencing token)
     */
    @JsonTypeName("ha-active")
    record Active(Instant time, String node, Cause cause, long epoch) implements HaEvent {
        public Active {
            Objects.requireNonNull(time, "time");
            Objects.requireNonNull(node, "node");
            Objects.requireNonNull(cause, "cause");
        }
    }

    /**
     * This node is standby: it runs no tunnel.
     *
     * @param epoch the epoch it held until now (0 if it never held the lease)
     */
    @JsonTypeName("ha-standby")
    record Standby(Instant time, String node, Cause cause, long epoch) implements HaEvent {
        public Standby {
            Objects.requireNonNull(time, "time");
            Objects.requireNonNull(node, "node");
            Objects.requireNonNull(cause, "cause");
        }
    }

    /**
     * The active role moved from one node to another (recorded by the new active).
     *
     * @param from the previous holder of the active lease
     * @param to the new one (this node)
     * @param gapMillis from the previous holder's last renewal to this takeover, both in the database's time: how
     *     long no node was known to be active
     * @param epoch the new epoch
     */
    @JsonTypeName("ha-takeover")
    record Takeover(Instant time, String node, Cause cause, String from, String to, long gapMillis, long epoch)
            implements HaEvent {
        public Takeover {
            Objects.requireNonNull(time, "time");
            Objects.requireNonNull(node, "node");
            Objects.requireNonNull(cause, "cause");
            Objects.requireNonNull(from, "from");
            Objects.requireNonNull(to, "to");
        }
    }
}
