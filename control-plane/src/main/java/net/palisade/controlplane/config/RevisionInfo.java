package net.palisade.controlplane.config;

import java.time.Instant;
import java.util.Optional;
import net.palisade.model.event.CborSerializable;

/**
 * A revision as the API lists it (no config, so no secret).
 *
 * @param id {@code c-<number>}
 * @param author who committed
 * @param message the commit message
 * @param time when
 * @param status {@code pending} (awaiting confirmation), {@code confirmed}, {@code committed} (no deadline) or
 *     {@code rolled-back}
 * @param running true for the running revision
 * @param confirmDeadline the confirmation deadline, if any
 * @param tunnels how many tunnels the config has
 */
public record RevisionInfo(String id, String author, String message, Instant time, String status, boolean running,
        Optional<Instant> confirmDeadline, int tunnels) implements CborSerializable {}
