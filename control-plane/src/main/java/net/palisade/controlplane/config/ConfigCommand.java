package net.palisade.controlplane.config;

import java.time.Duration;
import java.util.Objects;
import java.util.Optional;
import net.palisade.model.event.CborSerializable;
import net.palisade.model.event.Cause;
import org.apache.pekko.actor.typed.ActorRef;

/** What the config store accepts. Every command but the internal timer is answered with a {@link ConfigReply}. */
public sealed interface ConfigCommand extends CborSerializable {

    /**
     * Commits a new revision and makes it the running config at once. With {@code confirmWithin}, the revision is
     * rolled back unless {@link Confirm}ed within that time. An invalid config changes nothing and is answered with
     * its diagnostics; so is a commit while another awaits confirmation.
     */
    record Commit(ConfigInput input, String author, String message, Optional<Duration> confirmWithin, Cause cause,
            ActorRef<ConfigReply> replyTo) implements ConfigCommand {
        public Commit {
            Objects.requireNonNull(input, "input");
            Objects.requireNonNull(author, "author");
            Objects.requireNonNull(message, "message");
            Objects.requireNonNull(confirmWithin, "confirmWithin");
            Objects.requireNonNull(cause, "cause");
            confirmWithin.ifPresent(d -> {
                if (d.isNegative() || d.isZero()) {
                    throw new IllegalArgumentException("confirmWithin must be positive");
                }
            });
        }
    }

    /** Confirms the revision awaiting confirmation. */
    record Confirm(String id, Cause cause, ActorRef<ConfigReply> replyTo) implements ConfigCommand {}

    /** Makes an earlier revision running again: {@code to}, or the one running before the current one. */
    record Rollback(Optional<String> to, Cause cause, ActorRef<ConfigReply> replyTo) implements ConfigCommand {}

    /** Asks for the running config. */
    record GetRunning(ActorRef<ConfigReply> replyTo) implements ConfigCommand {}

    /** Asks for every revision, oldest first. */
    record ListCommits(ActorRef<ConfigReply> replyTo) implements ConfigCommand {}

    /** A line diff of two revisions' canonical redacted text ({@code running} names the running one). */
    record Diff(String a, String b, ActorRef<ConfigReply> replyTo) implements ConfigCommand {}

    /** Internal: the confirmation deadline of revision {@code id} passed. */
    record ConfirmTimeout(String id) implements ConfigCommand {}
}
