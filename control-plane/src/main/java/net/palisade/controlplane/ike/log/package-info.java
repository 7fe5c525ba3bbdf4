/**
 * {@code palisade ike-log}: the recent IKEv2 messages of each tunnel, decoded ({@link IkeMessageLog}, fed by the
 * sessions through {@link net.palisade.controlplane.ike.MessageTrace}), shown as one summary line per message and
 * lines for its proposals, key exchange group, identities, selectors, notifies and deletes
 * ({@link MessageSummary}). Nonces, key exchange values, AUTH data and certificates are never shown, nor any key.
 */
package net.palisade.controlplane.ike.log;
