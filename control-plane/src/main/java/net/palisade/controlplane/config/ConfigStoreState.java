package net.palisade.controlplane.config;

import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import net.palisade.model.IpsecConfig;
import net.palisade.model.TunnelSpec;
import net.palisade.model.event.CborSerializable;

/**
 * The config store's state: every revision, which one runs, the order in which revisions ran, and the revision
 * awaiting confirmation. {@link #apply(ConfigEvent)} is the pure event handler.
 *
 * @param revisions every revision, oldest first
 * @param running the running revision; empty before the first commit (or after rolling back the first one)
 * @param history the running revisions in the order they became running
 * @param pending the revision awaiting confirmation
 */
public record ConfigStoreState(List<Revision> revisions, Optional<String> running, List<String> history,
        Optional<Pending> pending) implements CborSerializable {

    /** The empty config (no tunnels). */
    public static final IpsecConfig EMPTY = new IpsecConfig(List.of());

    /**
     * A revision awaiting confirmation.
     *
     * @param id the revision
     * @param deadline when it is rolled back unless confirmed
     * @param restore what runs again then
     */
    public record Pending(String id, Instant deadline, Optional<String> restore) implements CborSerializable {}

    public ConfigStoreState {
        revisions = List.copyOf(revisions);
        history = List.copyOf(history);
    }

    /** Before the first commit. */
    public static ConfigStoreState empty() {
        return new ConfigStoreState(List.of(), Optional.empty(), List.of(), Optional.empty());
    }

    /** The revision {@code id}. */
    public Optional<Revision> revision(String id) {
        return revisions.stream().filter(r -> r.id().equals(id)).findFirst();
    }

    /** The running config; {@link #EMPTY} when none. */
    public IpsecConfig runningConfig() {
        return running.flatMap(this::revision).map(Revision::config).orElse(EMPTY);
    }

    /** The config of revision {@code id} ({@link #EMPTY} for an empty id). */
    public IpsecConfig configOf(Optional<String> id) {
        return id.flatMap(this::revision).map(Revision::config).orElse(EMPTY);
    }

    /** The id the next commit gets. */
    public String nextId() {
        return "c-" + (revisions.size() + 1);
    }

    /** Every label that any revision ever had. */
    public Set<String> allLabels() {
        Set<String> out = new LinkedHashSet<>();
        for (Revision r : revisions) {
            r.config().tunnels().stream().map(TunnelSpec::label).forEach(out::add);
        }
        return out;
    }

    /** The revision that was running before the running one. */
    public Optional<String> previous() {
        return history.size() < 2 ? Optional.empty() : Optional.of(history.get(history.size() - 2));
    }

    /** The read form of revision {@code r}. */
    public RevisionInfo info(Revision r) {
        String status;
        if (pending.filter(p -> p.id().equals(r.id())).isPresent()) {
            status = "pending";
        } else if (r.rolledBack()) {
            status = "rolled-back";
        } else if (r.confirmed()) {
            status = "confirmed";
        } else {
            status = "committed";
        }
        return new RevisionInfo(r.id(), r.author(), r.message(), r.time(), status,
                running.filter(r.id()::equals).isPresent(), r.confirmDeadline(), r.config().tunnels().size());
    }

    /** The state after {@code event}. */
    public ConfigStoreState apply(ConfigEvent event) {
        return switch (event) {
            case ConfigEvent.Committed e -> {
                List<Revision> rs = new ArrayList<>(revisions);
                rs.add(new Revision(e.id(), e.author(), e.message(), e.time(), e.config(), e.confirmDeadline(), false,
                        false));
                yield new ConfigStoreState(rs, Optional.of(e.id()), append(history, e.id()),
                        e.confirmDeadline().map(d -> new Pending(e.id(), d, e.previous())));
            }
            case ConfigEvent.CommitConfirmed e -> new ConfigStoreState(update(e.id(), false), running, history,
                    Optional.empty());
            case ConfigEvent.CommitRolledBack e -> new ConfigStoreState(update(e.id(), true), e.restored(),
                    e.restored().map(r -> append(history, r)).orElse(history), Optional.empty());
            case ConfigEvent.RolledBack e -> new ConfigStoreState(
                    pending.isPresent() ? update(pending.get().id(), true) : revisions, Optional.of(e.to()),
                    append(history, e.to()), Optional.empty());
        };
    }

    private List<Revision> update(String id, boolean rollBack) {
        return revisions.stream()
                .map(r -> !r.id().equals(id) ? r : rollBack ? r.rollBack() : r.confirm())
                .toList();
    }

    private static List<String> append(List<String> list, String id) {
        List<String> out = new ArrayList<>(list);
        out.add(id);
        return out;
    }
}
