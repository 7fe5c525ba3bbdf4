/**
 * Where events are kept: the journal's database ({@link net.palisade.controlplane.journal.JournalSettings}, H2 in
 * the data directory or a shared PostgreSQL; tables made by {@link net.palisade.controlplane.journal.JournalSchema}),
 * the JSON/CBOR mapping of events, and the sealing of the secrets they hold with the node's key
 * ({@link net.palisade.controlplane.journal.NodeKey}, {@link net.palisade.controlplane.journal.SecretSealer}), so no
 * key or PSK is stored in clear; and the gateway pair's key ({@link net.palisade.controlplane.journal.PairKey},
 * {@link net.palisade.controlplane.journal.TakeoverSealer}), which seals the IKE and Child SA state a node needs to
 * go on with a tunnel without renegotiating. Reads: events by SQL on the journal's indexes
 * ({@link net.palisade.controlplane.journal.EventQueries}), a tunnel's state at an instant from state checkpoints
 * ({@link net.palisade.controlplane.journal.StateCheckpoints}, kept written by
 * {@link net.palisade.controlplane.journal.CheckpointWriter}), and live events pushed from the journal's writes
 * ({@link net.palisade.controlplane.journal.PublishingJournalDao}, {@link net.palisade.controlplane.journal.LiveEvents}).
 * Writes on H2 are grouped into one transaction per short window (PublishingJournalDao's group commit).
 */
package net.palisade.controlplane.journal;
