package net.palisade.controlplane;

import net.palisade.model.event.TunnelEvent;

/**
 * A tunnel event as read back from the journal.
 *
 * @param offset the event's global position (journal ordering): resume a live stream after it (SSE
 *     {@code Last-Event-ID})
 * @param sequenceNr its number within the tunnel's journal
 * @param event the event
 */
public record JournalEvent(long offset, long sequenceNr, TunnelEvent event) {}
