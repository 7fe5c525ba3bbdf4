package net.palisade.ops.bench;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;
import java.lang.management.ManagementFactory;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteOrder;
import java.time.Clock;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.locks.LockSupport;
import net.palisade.controlplane.ike.IkeEnvironment;
import net.palisade.controlplane.ike.IkeInput;
import net.palisade.controlplane.ike.IkeOutput;
import net.palisade.controlplane.ike.IkeSession;
import net.palisade.model.IkeTunnel;
import net.palisade.model.config.ConfigParser;

/**
 * Spoofed IKE_SA_INIT requests from random source addresses at a given rate, for {@code ops/bench/ike-flood.sh}.
 *
 * <p>The requests are real ones: the product's own IKEv2 initiator writes a few dozen IKE_SA_INITs (SA with the
 * proposal given, a fresh key exchange value, nonce, NAT detection), so they pass every check a responder makes
 * before it decides between Diffie-Hellman and a cookie. Each datagram then gets a random initiator SPI, source
 * address (from {@code --sources}) and source port just before it is sent. They go out through a raw socket
 * ({@code IPPROTO_RAW}, so the IP header is ours: the kernel fills in the checksum and the IP id) in batches of
 * {@code sendmmsg}, all through Java's FFM API: no native build. UDP checksums are 0 (allowed over IPv4).
 *
 * <p>Paced to {@code --rate} per second (0: as fast as the socket takes them). Prints one line:
 * {@code ike-flood-gen: sent=N seconds=S rate=R asked=A errors=E cpu_s=C}, where {@code rate} is what was really
 * handed to the kernel. Needs CAP_NET_RAW.
 *
 * <pre>
 *   IkeFloodGenerator --target 192.0.2.1 [--port 500] --seconds 60 --rate 50000 [--sources 198.18.0.0/15]
 *                     [--proposal "enc aes-128-gcm prf hmac-sha2-256 group curve25519"] [--batch 64]
 * </pre>
 */
public final class IkeFloodGenerator {
    private static final Linker LINKER = Linker.nativeLinker();
    private static final StructLayout CAPTURE = Linker.Option.captureStateLayout();
    private static final VarHandle ERRNO = CAPTURE.varHandle(MemoryLayout.PathElement.groupElement("errno"));
    private static final MethodHandle SOCKET = handle("socket",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT));
    private static final MethodHandle SETSOCKOPT = handle("setsockopt",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT));
    private static final MethodHandle SENDMMSG = handle("sendmmsg",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT));

    private static final int AF_INET = 2;
    private static final int SOCK_RAW = 3;
    /** A raw socket of this protocol sends datagrams whose IP header the caller writes (IP_HDRINCL implied). */
    private static final int IPPROTO_RAW = 255;
    private static final int SOL_SOCKET = 1;
    private static final int SO_SNDBUF = 7;
    private static final int SO_SNDBUFFORCE = 32;
    private static final int IP_HEADER = 20;
    private static final int UDP_HEADER = 8;
    /** struct mmsghdr on x86_64 and aarch64 Linux: msghdr (56 octets) and msg_len, padded. */
    private static final int MMSGHDR = 64;
    private static final int IOVEC = 16;
    private static final ValueLayout.OfInt BE_INT = JAVA_INT.withOrder(ByteOrder.BIG_ENDIAN).withByteAlignment(1);
    private static final ValueLayout.OfShort BE_SHORT =
            JAVA_SHORT.withOrder(ByteOrder.BIG_ENDIAN).withByteAlignment(1);
    private static final ValueLayout.OfLong UNALIGNED_LONG = JAVA_LONG.withByteAlignment(1);

    private IkeFloodGenerator() {}

    private static MethodHandle handle(String name, FunctionDescriptor fd) {
        return LINKER.downcallHandle(LINKER.defaultLookup().find(name).orElseThrow(), fd,
                Linker.Option.captureCallState("errno"));
    }

    public static void main(String[] args) throws Throwable {
        Map<String, String> o = options(args);
        InetAddress target = InetAddress.getByName(required(o, "target"));
        int port = Integer.parseInt(o.getOrDefault("port", "500"));
        double seconds = Double.parseDouble(required(o, "seconds"));
        long rate = Long.parseLong(required(o, "rate"));
        int batch = Integer.parseInt(o.getOrDefault("batch", "64"));
        String[] sources = o.getOrDefault("sources", "198.18.0.0/15").split("/");
        int sourceBase = toInt(InetAddress.getByName(sources[0]).getAddress());
        int sourceMask = (int) ((1L << (32 - Integer.parseInt(sources[1]))) - 1);
        String proposal = o.getOrDefault("proposal", "enc aes-128-gcm prf hmac-sha2-256 group curve25519");

        List<byte[]> templates = templates(target, port, proposal, 32);
        int slotBytes = IP_HEADER + UDP_HEADER + templates.stream().mapToInt(t -> t.length).max().orElseThrow();
        SplittableRandom random = new SplittableRandom();
        Map<Integer, Long> errors = new LinkedHashMap<>();
        long sent = 0;
        double elapsed;
        long cpuBefore = ManagementFactory.getThreadMXBean().getCurrentThreadCpuTime();
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = arena.allocate(CAPTURE);
            int fd = (int) SOCKET.invokeExact(state, AF_INET, SOCK_RAW, IPPROTO_RAW);
            if (fd < 0) {
                throw new IllegalStateException("socket(AF_INET, SOCK_RAW, IPPROTO_RAW): errno "
                        + (int) ERRNO.get(state, 0L) + " (needs CAP_NET_RAW)");
            }
            MemorySegment size = arena.allocate(JAVA_INT);
            size.set(JAVA_INT, 0, 8 << 20);
            if ((int) SETSOCKOPT.invokeExact(state, fd, SOL_SOCKET, SO_SNDBUFFORCE, size, 4) != 0) {
                int ignored = (int) SETSOCKOPT.invokeExact(state, fd, SOL_SOCKET, SO_SNDBUF, size, 4);
            }
            MemorySegment to = arena.allocate(16, 4);
            to.set(JAVA_SHORT, 0, (short) AF_INET);
            to.set(BE_INT, 4, toInt(target.getAddress()));

            MemorySegment slots = arena.allocate((long) slotBytes * batch, 8);
            MemorySegment iovs = arena.allocate((long) IOVEC * batch, 8);
            MemorySegment msgs = arena.allocate((long) MMSGHDR * batch, 8);
            for (int i = 0; i < batch; i++) {
                byte[] ike = templates.get(i % templates.size());
                MemorySegment slot = slots.asSlice((long) slotBytes * i, slotBytes);
                int length = IP_HEADER + UDP_HEADER + ike.length;
                slot.set(JAVA_BYTE, 0, (byte) 0x45);
                slot.set(BE_SHORT, 2, (short) length);
                slot.set(JAVA_BYTE, 8, (byte) 64);
                slot.set(JAVA_BYTE, 9, (byte) 17);
                slot.set(BE_INT, 16, toInt(target.getAddress()));
                slot.set(BE_SHORT, 22, (short) port);
                slot.set(BE_SHORT, 24, (short) (UDP_HEADER + ike.length));
                MemorySegment.copy(ike, 0, slot, JAVA_BYTE, IP_HEADER + UDP_HEADER, ike.length);
                MemorySegment iov = iovs.asSlice((long) IOVEC * i, IOVEC);
                iov.set(ADDRESS, 0, slot);
                iov.set(JAVA_LONG, 8, length);
                MemorySegment msg = msgs.asSlice((long) MMSGHDR * i, MMSGHDR);
                msg.set(ADDRESS, 0, to);
                msg.set(JAVA_INT, 8, 16);
                msg.set(ADDRESS, 16, iov);
                msg.set(JAVA_LONG, 24, 1);
            }

            long start = System.nanoTime();
            long end = start + (long) (seconds * 1e9);
            long now = start;
            while (now < end) {
                long due = rate <= 0 ? sent + batch : (long) ((now - start) / 1e9 * rate);
                if (sent >= due) {
                    // the next batch is due when the rate has earned it; wait at most 1 ms at a time
                    long wait = Math.min(1_000_000L, (long) ((sent + Math.min(batch, rate) - due) * 1e9 / rate));
                    LockSupport.parkNanos(Math.max(wait, 10_000L));
                    now = System.nanoTime();
                    continue;
                }
                int n = (int) Math.min(batch, due - sent);
                for (int i = 0; i < n; i++) {
                    MemorySegment slot = slots.asSlice((long) slotBytes * i, slotBytes);
                    slot.set(BE_INT, 12, sourceBase | (random.nextInt() & sourceMask));
                    slot.set(BE_SHORT, 20, (short) (1024 + random.nextInt(64512)));
                    slot.set(UNALIGNED_LONG, IP_HEADER + UDP_HEADER, random.nextLong() | 1L);
                }
                int rc = (int) SENDMMSG.invokeExact(state, fd, msgs, n, 0);
                if (rc < 0) {
                    errors.merge((int) ERRNO.get(state, 0L), 1L, Long::sum);
                } else {
                    sent += rc;
                }
                now = System.nanoTime();
            }
            elapsed = (System.nanoTime() - start) / 1e9;
        }
        double cpu = (ManagementFactory.getThreadMXBean().getCurrentThreadCpuTime() - cpuBefore) / 1e9;
        System.out.printf("ike-flood-gen: sent=%d seconds=%.1f rate=%.0f asked=%d errors=%d%s cpu_s=%.1f datagram=%d%n",
                sent, elapsed, sent / elapsed, rate, errors.values().stream().mapToLong(Long::longValue).sum(),
                errors.isEmpty() ? "" : " errno=" + errors, cpu, slotBytes);
    }

    /** IKE_SA_INITs as the product's initiator writes them, each with its own key exchange value and nonce. */
    private static List<byte[]> templates(InetAddress target, int port, String proposal, int count) {
        IkeTunnel tunnel = (IkeTunnel) ConfigParser.parse("ike from 10.99.0.0/24 to 10.98.0.0/24 peer "
                + target.getHostAddress() + " " + proposal + " psk \"flood-generator-psk\" label flood", "generator")
                .orThrow().tunnels().getFirst();
        InetSocketAddress local = new InetSocketAddress(InetAddress.ofLiteral("198.18.0.1"), 500);
        List<byte[]> out = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            IkeSession s = IkeSession.initiator(tunnel, local, new InetSocketAddress(target, port),
                    IkeEnvironment.standard(Clock.systemUTC()));
            for (IkeOutput output : s.handle(new IkeInput.Start()).outputs()) {
                if (output instanceof IkeOutput.Send send) {
                    out.add(send.datagram());
                }
            }
        }
        return out;
    }

    private static int toInt(byte[] a) {
        return ((a[0] & 0xff) << 24) | ((a[1] & 0xff) << 16) | ((a[2] & 0xff) << 8) | (a[3] & 0xff);
    }

    private static Map<String, String> options(String[] args) {
        Map<String, String> o = new LinkedHashMap<>();
        for (int i = 0; i + 1 < args.length; i += 2) {
            if (!args[i].startsWith("--")) {
                throw new IllegalArgumentException("expected --option value, got " + args[i]);
            }
            o.put(args[i].substring(2), args[i + 1]);
        }
        return o;
    }

    private static String required(Map<String, String> o, String name) {
        String v = o.get(name);
        if (v == null) {
            throw new IllegalArgumentException("--" + name + " is required");
        }
        return v;
    }
}
