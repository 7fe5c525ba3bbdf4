/**
 * The dataplane's OS-facing I/O on Linux, through the Foreign Function &amp; Memory API (no JNI, no native build).
 *
 * <ul>
 *   <li>{@link net.palisade.dataplane.io.TunDevice} / {@link net.palisade.dataplane.io.TunQueue}: a multi-queue
 *       layer-3 TUN device, one queue per worker, configured over rtnetlink ({@link net.palisade.dataplane.io.RtNetlink}).</li>
 *   <li>{@link net.palisade.dataplane.io.UdpEndpoint} with {@link net.palisade.dataplane.io.DatagramBatch}: UDP 500/4500
 *       with recvmmsg/sendmmsg, UDP GSO/GRO and SO_REUSEPORT, called directly from a worker's own thread.</li>
 *   <li>{@link net.palisade.dataplane.io.RawEspSocket}: plain ESP (IP protocol 50) for peers without UDP
 *       encapsulation, with the same recvmmsg/sendmmsg batches (raw sockets have no GSO/GRO).</li>
 *   <li>{@link net.palisade.dataplane.io.CpuAffinity}: pins a worker thread to a CPU.</li>
 * </ul>
 *
 * <p>Conventions: every descriptor is non-blocking underneath; blocking calls are read-then-poll(2) with an eventfd,
 * so {@code close()} from another thread wakes a blocked worker (its call returns -1). Failed system calls throw
 * {@link net.palisade.dataplane.io.ErrnoException} (an IOException naming the operation and the errno); per-packet
 * refusals (no route, malformed packet) are counted and reported by return value instead. The per-packet paths
 * allocate nothing once warm. The C signature of every downcall is documented in {@code Libc}.
 *
 * <p>Needs {@code --enable-native-access=ALL-UNNAMED} (or the module name) on the java command line.
 */
package net.palisade.dataplane.io;
