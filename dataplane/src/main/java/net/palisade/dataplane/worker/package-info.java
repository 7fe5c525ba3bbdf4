/**
 * Dataplane workers: one pinned platform thread per core, each owning one TUN queue and its own UDP sockets on
 * port 4500, moving packets between them with ESP in between. Packets never leave the worker thread that read them.
 *
 * <ul>
 *   <li>{@link net.palisade.dataplane.worker.Worker}: the loop — poll(2) over the TUN queue, the UDP sockets, the raw
 *       ESP socket (one worker only) and a wake-up eventfd; drain each in batches.</li>
 *   <li>{@link net.palisade.dataplane.worker.WorkerHandle}: the control handle of one worker, callable from any
 *       thread — install or remove a tunnel's SAs (with this worker's own cipher objects), add, activate or remove
 *       one SA pair of a tunnel during a rekey, read its counters.
 *       Changes publish a new immutable {@link net.palisade.dataplane.worker.WorkerTables} snapshot.</li>
 *   <li>{@link net.palisade.dataplane.worker.Counter}: every drop and event a worker counts, by name.</li>
 * </ul>
 */
package net.palisade.dataplane.worker;
