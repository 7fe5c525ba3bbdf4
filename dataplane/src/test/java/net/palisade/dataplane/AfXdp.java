package net.palisade.dataplane;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import net.palisade.dataplane.io.ErrnoException;

/**
 * AF_XDP for {@link KernelCeiling} (a benchmark probe, not the data plane): an XDP program that hands IPv4 frames of IP
 * protocol 50 (ESP) to an XSK map and passes everything else to the stack (ARP, IKE, ping keep working), loaded and
 * attached through the {@code bpf(2)} system call with no library (the eleven instructions are assembled here), and
 * an AF_XDP socket with its own UMEM, fill, completion, RX and TX rings. Copy mode only (veth has no zero copy).
 * All calls go through FFM; every failure names the call and errno.
 */
@SuppressWarnings("restricted")
final class AfXdp {
    private AfXdp() {
    }

    private static final Linker LINKER = Linker.nativeLinker();
    private static final StructLayout CAPTURE = Linker.Option.captureStateLayout();
    private static final VarHandle ERRNO = CAPTURE.varHandle(MemoryLayout.PathElement.groupElement("errno"));
    private static final Linker.Option ERRNO_OPT = Linker.Option.captureCallState("errno");

    private static final MethodHandle SYSCALL_BPF = handle("syscall",
            FunctionDescriptor.of(JAVA_LONG, JAVA_LONG, JAVA_INT, ADDRESS, JAVA_INT),
            Linker.Option.firstVariadicArg(1));
    private static final MethodHandle SOCKET = handle("socket",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT));
    private static final MethodHandle SETSOCKOPT = handle("setsockopt",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT));
    private static final MethodHandle GETSOCKOPT = handle("getsockopt",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, ADDRESS, ADDRESS));
    private static final MethodHandle BIND = handle("bind",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT));
    private static final MethodHandle MMAP = handle("mmap",
            FunctionDescriptor.of(ADDRESS, ADDRESS, JAVA_LONG, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_LONG));
    private static final MethodHandle MUNMAP = handle("munmap", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_LONG));
    private static final MethodHandle SENDTO = handle("sendto",
            FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG, JAVA_INT, ADDRESS, JAVA_INT));
    private static final MethodHandle POLL = handle("poll",
            FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_LONG, JAVA_INT));
    private static final MethodHandle CLOSE = handle("close", FunctionDescriptor.of(JAVA_INT, JAVA_INT));

    private static MethodHandle handle(String name, FunctionDescriptor fd, Linker.Option... extra) {
        Linker.Option[] opts = new Linker.Option[extra.length + 1];
        opts[0] = ERRNO_OPT;
        System.arraycopy(extra, 0, opts, 1, extra.length);
        return LINKER.downcallHandle(LINKER.defaultLookup().find(name).orElseThrow(), fd, opts);
    }

    // bpf(2)
    private static final long SYS_BPF = 321; // x86_64
    private static final int BPF_MAP_CREATE = 0;
    private static final int BPF_MAP_UPDATE_ELEM = 2;
    private static final int BPF_PROG_LOAD = 5;
    private static final int BPF_LINK_CREATE = 28;
    private static final int BPF_MAP_TYPE_XSKMAP = 17;
    private static final int BPF_PROG_TYPE_XDP = 6;
    private static final int BPF_XDP = 37;
    private static final int BPF_FUNC_REDIRECT_MAP = 51;
    private static final int ATTR_BYTES = 144;
    static final int XDP_FLAGS_SKB_MODE = 2;
    static final int XDP_FLAGS_DRV_MODE = 4;
    private static final int XDP_PASS = 2;

    // AF_XDP
    private static final int AF_XDP = 44;
    private static final int SOCK_RAW = 3;
    private static final int SOCK_CLOEXEC = 0x80000;
    private static final int SOL_XDP = 283;
    private static final int XDP_MMAP_OFFSETS = 1;
    private static final int XDP_RX_RING = 2;
    private static final int XDP_TX_RING = 3;
    private static final int XDP_UMEM_REG = 4;
    private static final int XDP_UMEM_FILL_RING = 5;
    private static final int XDP_UMEM_COMPLETION_RING = 6;
    private static final int XDP_STATISTICS = 7;
    private static final int XDP_COPY = 1 << 1;
    private static final long PGOFF_RX = 0;
    private static final long PGOFF_TX = 0x80000000L;
    private static final long PGOFF_FILL = 0x100000000L;
    private static final long PGOFF_COMPLETION = 0x180000000L;
    private static final int MSG_DONTWAIT = 0x40;
    private static final int EAGAIN = 11;
    private static final int EBUSY = 16;
    private static final int ENOBUFS = 105;
    private static final int EINTR = 4;
    private static final int EAFNOSUPPORT = 97;

    static final VarHandle INT_VH = JAVA_INT.varHandle();
    private static final java.lang.foreign.ValueLayout.OfShort BE_SHORT =
            java.lang.foreign.ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);

    private static int errno(MemorySegment state) {
        return (int) ERRNO.get(state, 0L);
    }

    private static long bpf(Arena arena, int cmd, MemorySegment attr, String what) throws IOException {
        MemorySegment state = arena.allocate(CAPTURE);
        try {
            long rc = (long) SYSCALL_BPF.invokeExact(state, SYS_BPF, cmd, attr, (int) attr.byteSize());
            if (rc < 0) {
                int e = errno(state);
                throw new ErrnoException("bpf(" + what + ")", e,
                        e == 1 ? "bpf() needs root (CAP_BPF and CAP_NET_ADMIN)" : null);
            }
            return rc;
        } catch (IOException e) {
            throw e;
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }

    static void close(int fd) {
        if (fd < 0) {
            return;
        }
        try (Arena arena = Arena.ofConfined()) {
            int rc = (int) CLOSE.invokeExact(arena.allocate(CAPTURE), fd);
            assert rc == 0 || rc == -1;
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }

    /**
     * The XDP program: IPv4 frames of protocol 50 go to the XSK bound to their RX queue (XDP_PASS if none is), all
     * else XDP_PASS. Attached to one interface of the calling thread's network namespace through a BPF link, which the
     * kernel detaches when {@link #close} closes it (or the process ends).
     */
    static final class EspRedirect implements AutoCloseable {
        final int mapFd;
        final int progFd;
        final int linkFd;
        final String mode;

        private EspRedirect(int mapFd, int progFd, int linkFd, String mode) {
            this.mapFd = mapFd;
            this.progFd = progFd;
            this.linkFd = linkFd;
            this.mode = mode;
        }

        /** Loads the program and attaches it to {@code ifindex} in {@code xdpFlags} mode (DRV native, SKB generic). */
        static EspRedirect attach(int ifindex, int xdpFlags) throws IOException {
            int mapFd = -1;
            int progFd = -1;
            try (Arena arena = Arena.ofConfined()) {
                MemorySegment attr = arena.allocate(ATTR_BYTES, 8);
                attr.set(JAVA_INT, 0, BPF_MAP_TYPE_XSKMAP);
                attr.set(JAVA_INT, 4, 4); // key: RX queue index
                attr.set(JAVA_INT, 8, 4); // value: socket fd
                attr.set(JAVA_INT, 12, 64); // max entries (queues)
                mapFd = (int) bpf(arena, BPF_MAP_CREATE, attr, "BPF_MAP_CREATE XSKMAP");

                long[] insns = program(mapFd);
                MemorySegment code = arena.allocate(insns.length * 8L, 8);
                for (int i = 0; i < insns.length; i++) {
                    code.setAtIndex(JAVA_LONG, i, insns[i]);
                }
                MemorySegment license = arena.allocateFrom("GPL");
                MemorySegment log = arena.allocate(65536);
                attr = arena.allocate(ATTR_BYTES, 8);
                attr.set(JAVA_INT, 0, BPF_PROG_TYPE_XDP);
                attr.set(JAVA_INT, 4, insns.length);
                attr.set(JAVA_LONG, 8, code.address());
                attr.set(JAVA_LONG, 16, license.address());
                attr.set(JAVA_INT, 24, 1); // log level
                attr.set(JAVA_INT, 28, (int) log.byteSize());
                attr.set(JAVA_LONG, 32, log.address());
                MemorySegment.copy("esp_to_xsk".getBytes(StandardCharsets.US_ASCII), 0, attr, JAVA_BYTE, 48, 10);
                attr.set(JAVA_INT, 68, BPF_XDP);
                try {
                    progFd = (int) bpf(arena, BPF_PROG_LOAD, attr, "BPF_PROG_LOAD XDP");
                } catch (ErrnoException e) {
                    throw new IOException(e.getMessage() + "; verifier: " + log.getString(0), e);
                }

                attr = arena.allocate(ATTR_BYTES, 8);
                attr.set(JAVA_INT, 0, progFd);
                attr.set(JAVA_INT, 4, ifindex);
                attr.set(JAVA_INT, 8, BPF_XDP);
                attr.set(JAVA_INT, 12, xdpFlags);
                String mode = xdpFlags == XDP_FLAGS_DRV_MODE ? "native" : "generic";
                int linkFd = (int) bpf(arena, BPF_LINK_CREATE, attr,
                        "BPF_LINK_CREATE XDP " + mode + " ifindex " + ifindex);
                return new EspRedirect(mapFd, progFd, linkFd, mode);
            } catch (IOException | RuntimeException e) {
                AfXdp.close(progFd);
                AfXdp.close(mapFd);
                throw e;
            }
        }

        /** Sends RX queue {@code queue}'s ESP frames to socket {@code xskFd}. */
        void bindQueue(int queue, int xskFd) throws IOException {
            try (Arena arena = Arena.ofConfined()) {
                MemorySegment key = arena.allocateFrom(JAVA_INT, queue);
                MemorySegment value = arena.allocateFrom(JAVA_INT, xskFd);
                MemorySegment attr = arena.allocate(ATTR_BYTES, 8);
                attr.set(JAVA_INT, 0, mapFd);
                attr.set(JAVA_LONG, 8, key.address());
                attr.set(JAVA_LONG, 16, value.address());
                bpf(arena, BPF_MAP_UPDATE_ELEM, attr, "BPF_MAP_UPDATE_ELEM XSKMAP");
            }
        }

        @Override
        public void close() {
            AfXdp.close(linkFd);
            AfXdp.close(progFd);
            AfXdp.close(mapFd);
        }

        /*
         * r6 = r1; r2 = ctx->data; r3 = ctx->data_end; r4 = r2 + 34; if r4 > r3 goto pass;
         * r5 = *(u16 *)(r2 + 12); if r5 != htons(0x0800) goto pass; r5 = *(u8 *)(r2 + 23); if r5 != 50 goto pass;
         * r2 = ctx->rx_queue_index; r1 = map; r3 = XDP_PASS; call bpf_redirect_map; exit;
         * pass: r0 = XDP_PASS; exit
         */
        private static long[] program(int mapFd) {
            return new long[] {
                insn(0xbf, 6, 1, 0, 0), // r6 = r1
                insn(0x61, 2, 1, 0, 0), // r2 = *(u32 *)(r1 + 0) data
                insn(0x61, 3, 1, 4, 0), // r3 = *(u32 *)(r1 + 4) data_end
                insn(0xbf, 4, 2, 0, 0), // r4 = r2
                insn(0x07, 4, 0, 0, 34), // r4 += 34 (Ethernet + IPv4 header)
                insn(0x2d, 4, 3, 10, 0), // if r4 > r3 goto pass
                insn(0x69, 5, 2, 12, 0), // r5 = *(u16 *)(r2 + 12) ethertype
                insn(0x55, 5, 0, 8, 0x0008), // if r5 != 0x0800 (big endian read little) goto pass
                insn(0x71, 5, 2, 23, 0), // r5 = *(u8 *)(r2 + 23) IP protocol
                insn(0x55, 5, 0, 6, 50), // if r5 != 50 goto pass
                insn(0x61, 2, 6, 16, 0), // r2 = ctx->rx_queue_index
                insn(0x18, 1, 1, 0, mapFd), // r1 = map (ld_imm64, BPF_PSEUDO_MAP_FD)
                insn(0x00, 0, 0, 0, 0),
                insn(0xb7, 3, 0, 0, XDP_PASS), // r3 = XDP_PASS (when the queue has no socket)
                insn(0x85, 0, 0, 0, BPF_FUNC_REDIRECT_MAP), // call bpf_redirect_map
                insn(0x95, 0, 0, 0, 0), // exit
                insn(0xb7, 0, 0, 0, XDP_PASS), // pass: r0 = XDP_PASS
                insn(0x95, 0, 0, 0, 0), // exit
            };
        }

        private static long insn(int code, int dst, int src, int off, int imm) {
            return (code & 0xffL) | ((long) (dst | (src << 4)) & 0xff) << 8 | ((long) off & 0xffff) << 16
                    | ((long) imm & 0xffffffffL) << 32;
        }
    }

    /** One ring shared with the kernel: producer and consumer words plus {@code entries} descriptors. */
    static final class Ring {
        final MemorySegment producer;
        final MemorySegment consumer;
        final MemorySegment desc;
        final int mask;
        int cached; // this side's own index (producer for fill/TX, consumer for RX/completion)

        Ring(MemorySegment map, MemorySegment offsets, long base, int entries, int descBytes) {
            producer = map.asSlice(offsets.get(JAVA_LONG, base), 4);
            consumer = map.asSlice(offsets.get(JAVA_LONG, base + 8), 4);
            desc = map.asSlice(offsets.get(JAVA_LONG, base + 16), (long) entries * descBytes);
            mask = entries - 1;
        }

        int loadProducer() {
            return (int) INT_VH.getAcquire(producer, 0L);
        }

        int loadConsumer() {
            return (int) INT_VH.getAcquire(consumer, 0L);
        }

        void storeProducer(int v) {
            INT_VH.setRelease(producer, 0L, v);
        }

        void storeConsumer(int v) {
            INT_VH.setRelease(consumer, 0L, v);
        }
    }

    /** An AF_XDP socket in copy mode bound to one queue of one interface, with a UMEM of its own. */
    static final class Socket implements AutoCloseable {
        static final int FRAME = 2048;
        final int fd;
        final MemorySegment umem;
        final Ring fill;
        final Ring completion;
        final Ring rx;
        final Ring tx;
        private final Arena arena;
        private final MemorySegment[] maps;
        private final MemorySegment state;

        private Socket(int fd, Arena arena, MemorySegment umem, Ring fill, Ring completion, Ring rx, Ring tx,
                MemorySegment[] maps) {
            this.fd = fd;
            this.arena = arena;
            this.umem = umem;
            this.fill = fill;
            this.completion = completion;
            this.rx = rx;
            this.tx = tx;
            this.maps = maps;
            this.state = arena.allocate(CAPTURE);
        }

        /**
         * Opens a socket on {@code ifindex} queue {@code queue} of the calling thread's namespace, with {@code frames}
         * UMEM frames of 2,048 octets and rings of {@code ringEntries} (RX or TX as asked; fill and completion always).
         */
        static Socket open(int ifindex, int queue, int frames, int ringEntries, boolean wantRx, boolean wantTx)
                throws IOException {
            Arena arena = Arena.ofShared();
            int fd = -1;
            try {
                MemorySegment st = arena.allocate(CAPTURE);
                fd = (int) SOCKET.invokeExact(st, AF_XDP, SOCK_RAW | SOCK_CLOEXEC, 0);
                if (fd < 0) {
                    int e = errno(st);
                    throw new ErrnoException("socket(AF_XDP)", e,
                            e == EAFNOSUPPORT ? "this kernel has no AF_XDP (CONFIG_XDP_SOCKETS)" : null);
                }
                MemorySegment umem = arena.allocate((long) frames * FRAME, 4096);
                MemorySegment reg = arena.allocate(32, 8);
                reg.set(JAVA_LONG, 0, umem.address());
                reg.set(JAVA_LONG, 8, umem.byteSize());
                reg.set(JAVA_INT, 16, FRAME);
                setsockopt(arena, fd, XDP_UMEM_REG, reg, "XDP_UMEM_REG");
                int fillEntries = Integer.highestOneBit(frames);
                setsockopt(arena, fd, XDP_UMEM_FILL_RING, arena.allocateFrom(JAVA_INT, fillEntries),
                        "XDP_UMEM_FILL_RING");
                setsockopt(arena, fd, XDP_UMEM_COMPLETION_RING, arena.allocateFrom(JAVA_INT, fillEntries),
                        "XDP_UMEM_COMPLETION_RING");
                if (wantRx) {
                    setsockopt(arena, fd, XDP_RX_RING, arena.allocateFrom(JAVA_INT, ringEntries), "XDP_RX_RING");
                }
                if (wantTx) {
                    setsockopt(arena, fd, XDP_TX_RING, arena.allocateFrom(JAVA_INT, ringEntries), "XDP_TX_RING");
                }
                MemorySegment off = arena.allocate(128, 8);
                MemorySegment len = arena.allocateFrom(JAVA_INT, 128);
                if ((int) GETSOCKOPT.invokeExact(st, fd, SOL_XDP, XDP_MMAP_OFFSETS, off, len) != 0) {
                    throw new ErrnoException("getsockopt(XDP_MMAP_OFFSETS)", errno(st));
                }
                MemorySegment[] maps = new MemorySegment[4];
                Ring rx = null;
                Ring tx = null;
                if (wantRx) {
                    maps[0] = mmap(arena, fd, off.get(JAVA_LONG, 16) + 16L * ringEntries, PGOFF_RX, "RX ring");
                    rx = new Ring(maps[0], off, 0, ringEntries, 16);
                }
                if (wantTx) {
                    maps[1] = mmap(arena, fd, off.get(JAVA_LONG, 48) + 16L * ringEntries, PGOFF_TX, "TX ring");
                    tx = new Ring(maps[1], off, 32, ringEntries, 16);
                }
                maps[2] = mmap(arena, fd, off.get(JAVA_LONG, 80) + 8L * fillEntries, PGOFF_FILL, "fill ring");
                Ring fill = new Ring(maps[2], off, 64, fillEntries, 8);
                maps[3] = mmap(arena, fd, off.get(JAVA_LONG, 112) + 8L * fillEntries, PGOFF_COMPLETION,
                        "completion ring");
                Ring completion = new Ring(maps[3], off, 96, fillEntries, 8);
                MemorySegment sa = arena.allocate(16, 4);
                sa.set(JAVA_SHORT, 0, (short) AF_XDP);
                sa.set(JAVA_SHORT, 2, (short) XDP_COPY);
                sa.set(JAVA_INT, 4, ifindex);
                sa.set(JAVA_INT, 8, queue);
                // EBUSY: the queue still holds the UMEM of a socket closed just before (the kernel releases it from a
                // work queue after close), so a few retries
                for (int attempt = 0; (int) BIND.invokeExact(st, fd, sa, 16) != 0; attempt++) {
                    if (errno(st) != EBUSY || attempt == 50) {
                        throw new ErrnoException("bind(AF_XDP ifindex " + ifindex + " queue " + queue + ", copy mode)",
                                errno(st));
                    }
                    Thread.sleep(20);
                }
                return new Socket(fd, arena, umem, fill, completion, rx, tx, maps);
            } catch (IOException | RuntimeException e) {
                AfXdp.close(fd);
                arena.close();
                throw e;
            } catch (Throwable t) {
                AfXdp.close(fd);
                arena.close();
                throw new AssertionError(t);
            }
        }

        private static void setsockopt(Arena arena, int fd, int opt, MemorySegment value, String what)
                throws IOException {
            MemorySegment st = arena.allocate(CAPTURE);
            try {
                if ((int) SETSOCKOPT.invokeExact(st, fd, SOL_XDP, opt, value, (int) value.byteSize()) != 0) {
                    throw new ErrnoException("setsockopt(" + what + ")", errno(st));
                }
            } catch (IOException e) {
                throw e;
            } catch (Throwable t) {
                throw new AssertionError(t);
            }
        }

        private static MemorySegment mmap(Arena arena, int fd, long size, long pgoff, String what) throws IOException {
            MemorySegment st = arena.allocate(CAPTURE);
            try {
                MemorySegment p = (MemorySegment) MMAP.invokeExact(st, MemorySegment.NULL, size, 0x3, 0x1 | 0x8000,
                        fd, pgoff); // PROT_READ|PROT_WRITE, MAP_SHARED|MAP_POPULATE
                if (p.address() == -1L) {
                    throw new ErrnoException("mmap(" + what + ")", errno(st));
                }
                return p.reinterpret(size);
            } catch (IOException e) {
                throw e;
            } catch (Throwable t) {
                throw new AssertionError(t);
            }
        }

        /** Asks the kernel to send what the TX ring holds: true when it took all, false when it wants another call. */
        boolean kick() throws IOException {
            try {
                long rc = (long) SENDTO.invokeExact(state, fd, MemorySegment.NULL, 0L, MSG_DONTWAIT, MemorySegment.NULL,
                        0);
                if (rc >= 0) {
                    return true;
                }
                int e = errno(state);
                if (e == EAGAIN || e == EBUSY || e == ENOBUFS || e == EINTR) {
                    return false;
                }
                throw new ErrnoException("sendto(AF_XDP kick)", e);
            } catch (IOException e) {
                throw e;
            } catch (Throwable t) {
                throw new AssertionError(t);
            }
        }

        /** Waits up to {@code millis} for the RX ring of any of {@code sockets} to hold something. */
        static final class PollSet {
            private final MemorySegment fds;
            private final MemorySegment st;
            private final int count;

            PollSet(Arena arena, Socket[] sockets) {
                count = sockets.length;
                fds = arena.allocate(8L * count, 4);
                for (int i = 0; i < count; i++) {
                    fds.set(JAVA_INT, 8L * i, sockets[i].fd);
                    fds.set(JAVA_SHORT, 8L * i + 4, (short) 1); // POLLIN
                }
                st = arena.allocate(CAPTURE);
            }

            void await(int millis) throws IOException {
                try {
                    int rc = (int) POLL.invokeExact(st, fds, (long) count, millis);
                    if (rc < 0 && errno(st) != EINTR) {
                        throw new ErrnoException("poll(AF_XDP)", errno(st));
                    }
                } catch (IOException e) {
                    throw e;
                } catch (Throwable t) {
                    throw new AssertionError(t);
                }
            }
        }

        /** The kernel's counters: rx_dropped, rx_invalid, tx_invalid, rx_ring_full, fill_empty, tx_ring_empty. */
        long[] statistics() throws IOException {
            try (Arena a = Arena.ofConfined()) {
                MemorySegment st = a.allocate(CAPTURE);
                MemorySegment v = a.allocate(48, 8);
                MemorySegment len = a.allocateFrom(JAVA_INT, 48);
                if ((int) GETSOCKOPT.invokeExact(st, fd, SOL_XDP, XDP_STATISTICS, v, len) != 0) {
                    throw new ErrnoException("getsockopt(XDP_STATISTICS)", errno(st));
                }
                return v.toArray(JAVA_LONG);
            } catch (IOException e) {
                throw e;
            } catch (Throwable t) {
                throw new AssertionError(t);
            }
        }

        @Override
        public void close() {
            for (MemorySegment m : maps) {
                if (m != null) {
                    try {
                        int rc = (int) MUNMAP.invokeExact(state, m, m.byteSize());
                        assert rc == 0;
                    } catch (Throwable t) {
                        throw new AssertionError(t);
                    }
                }
            }
            AfXdp.close(fd);
            arena.close();
        }
    }

    /** Ones' complement checksum of an IPv4 header. */
    static short ipChecksum(MemorySegment header, long offset, int length) {
        long sum = 0;
        for (int i = 0; i < length; i += 2) {
            sum += header.get(BE_SHORT, offset + i) & 0xffff;
        }
        while ((sum >> 16) != 0) {
            sum = (sum & 0xffff) + (sum >> 16);
        }
        return (short) ~sum;
    }
}
