package net.palisade.controlplane.config;

import java.time.Instant;
import java.util.Objects;
import java.util.Optional;
import net.palisade.model.IpsecConfig;
import net.palisade.model.event.CborSerializable;

/**
 * One committed revision as the store keeps it (with the config, secrets included; sealed in snapshots).
 *
 * @param id {@code c-<number>}
 * @param author who committed
 * @param message the commit message
 * @param time when
 * @param config the config
 * @param confirmDeadline the confirmation deadline, if committed with one
 * @param confirmed confirmed before its deadline
 * @param rolledBack rolled back (by the timer, or by an operator while awaiting confirmation)
 */
public record Revision(String id, String author, String message, Instant time, IpsecConfig config,
        Optional<Instant> confirmDeadline, boolean confirmed, boolean rolledBack) implements CborSerializable {
    public Revision {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(config, "config");
        Objects.requireNonNull(confirmDeadline, "confirmDeadline");
    }

    Revision confirm() {
        return new Revision(id, author, message, time, config, confirmDeadline, true, rolledBack);
    }

    Revision rollBack() {
        return new Revision(id, author, message, time, config, confirmDeadline, confirmed, true);
    }
}
