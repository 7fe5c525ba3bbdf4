package net.palisade.controlplane.config;

import com.fasterxml.jackson.annotation.JsonSubTypes;
import com.fasterxml.jackson.annotation.JsonTypeInfo;
import com.fasterxml.jackson.annotation.JsonTypeName;
import java.time.Instant;
import java.util.Objects;
import java.util.Optional;
import net.palisade.model.IpsecConfig;
import net.palisade.model.event.JournaledEvent;
import net.palisade.model.event.Cause;

/**
 * The config store's journal: every change of the running config. Like tunnel events, each carries the {@link
 * JournaledEvent} header (time, node, cause); the type name is in {@code "type"}.
 */
@JsonTypeInfo(use = JsonTypeInfo.Id.NAME, include = JsonTypeInfo.As.PROPERTY, property = "type")
@JsonSubTypes({
    @JsonSubTypes.Type(ConfigEvent.Committed.class),
    @JsonSubTypes.Type(ConfigEvent.CommitConfirmed.class),
    @JsonSubTypes.Type(ConfigEvent.CommitRolledBack.class),
    @JsonSubTypes.Type(ConfigEvent.RolledBack.class)
})
public sealed interface ConfigEvent extends JournaledEvent {
    /**
     * A new revision became the running config.
     *
     * @param id the revision id ({@code c-1}, {@code c-2}, ...)
     * @param author who committed (the API caller, or {@code file})
     * @param message the commit message
     * @param config the whole config (secrets sealed in the journal)
     * @param confirmDeadline when set, the revision is rolled back at that instant unless confirmed
     * @param previous the revision that was running before; empty for the first commit
     */
    @JsonTypeName("committed")
    record Committed(String id, Instant time, String node, Cause cause, String author, String message,
            IpsecConfig config, Optional<Instant> confirmDeadline, Optional<String> previous) implements ConfigEvent {
        public Committed {
            Objects.requireNonNull(id, "id");
            Objects.requireNonNull(config, "config");
            Objects.requireNonNull(confirmDeadline, "confirmDeadline");
            Objects.requireNonNull(previous, "previous");
        }
    }

    /** A revision committed with a confirmation deadline was confirmed in time. */
    @JsonTypeName("commit-confirmed")
    record CommitConfirmed(String id, Instant time, String node, Cause cause) implements ConfigEvent {}

    /**
     * An unconfirmed revision was rolled back when its deadline passed (cause {@code timer}).
     *
     * @param id the revision rolled back
     * @param restored the revision running again; empty when there was none (no tunnels)
     */
    @JsonTypeName("commit-rolled-back")
    record CommitRolledBack(String id, Instant time, String node, Cause cause, Optional<String> restored)
            implements ConfigEvent {}

    /**
     * An operator rolled the running config back to an earlier revision.
     *
     * @param from the revision that was running
     * @param to the revision running now
     */
    @JsonTypeName("rolled-back")
    record RolledBack(String from, String to, Instant time, String node, Cause cause) implements ConfigEvent {}
}
