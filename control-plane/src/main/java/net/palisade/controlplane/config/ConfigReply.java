package net.palisade.controlplane.config;

import java.util.List;
import java.util.Optional;
import net.palisade.model.IpsecConfig;
import net.palisade.model.config.Diagnostic;
import net.palisade.model.event.CborSerializable;

/** Answers of the config store. */
public sealed interface ConfigReply extends CborSerializable {

    /** The commit is the running revision now; the warnings of its validation. */
    record Committed(RevisionInfo revision, List<Diagnostic> warnings) implements ConfigReply {}

    /** Confirm or rollback done: the revision concerned (confirmed, or running again). */
    record Done(RevisionInfo revision) implements ConfigReply {}

    /** Refused; nothing changed. {@code diagnostics} holds the config errors of an invalid commit. */
    record Rejected(String error, List<Diagnostic> diagnostics) implements ConfigReply {}

    /**
     * The running config.
     *
     * @param revision the running revision; empty before the first commit
     * @param config the config (secrets inside: render it with {@code ConfigJson} or {@code printRedacted})
     * @param text the canonical text, secrets redacted
     */
    record Running(Optional<RevisionInfo> revision, IpsecConfig config, String text) implements ConfigReply {}

    /** Every revision, oldest first. */
    record Commits(List<RevisionInfo> revisions) implements ConfigReply {}

    /** A line diff: lines prefixed with {@code "  "}, {@code "- "} or {@code "+ "}. */
    record DiffResult(String a, String b, List<String> lines) implements ConfigReply {}
}
