package net.palisade.dataplane.io;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

/**
 * A layer-3 TUN device ({@code IFF_TUN | IFF_NO_PI | IFF_MULTI_QUEUE}) with one {@link TunQueue} per worker, plus
 * the configuration a gateway applies to it over rtnetlink: MTU, link up/down, addresses and routes.
 *
 * <pre>{@code
 * try (TunDevice tun = TunDevice.open("pal0", 2)) {
 *     tun.setMtu(1400);
 *     tun.addAddress(InetAddress.ofLiteral("10.1.0.1"), 32);
 *     tun.setUp(true);
 *     tun.addRoute(IpPrefix.parse("10.2.0.0/16"), InetAddress.ofLiteral("10.1.0.1")); // 10.2.0.0/16 dev pal0 src 10.1.0.1
 *     // worker i loops on tun.queue(i).read(buffer) / write(packet, len)
 * }
 * }</pre>
 *
 * <p>The device is not persistent: it vanishes with its addresses and routes when the last queue is closed.
 * {@link #close()} removes the routes this object added first (so a failure there is visible in the log), then
 * closes every queue. The device lives in the network namespace of the thread that called {@link #open}; call the
 * configuration methods from a thread in that namespace (the IPv6 sysctl is looked up in the caller's namespace).
 *
 * <p>Configuration methods are synchronized and allocate; the data path is in {@link TunQueue}.
 */
public final class TunDevice implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(TunDevice.class.getName());

    // <linux/if_tun.h>
    private static final short IFF_TUN = 0x0001;
    private static final short IFF_MULTI_QUEUE = 0x0100;
    private static final short IFF_NO_PI = 0x1000;
    private static final short IFF_VNET_HDR = 0x4000;
    /** TUNSETOFFLOAD = _IOW('T', 208, unsigned int) */
    private static final long TUNSETOFFLOAD = 0x400454d0L;
    /** {@link #setOffloads} flags from {@code <linux/if_tun.h>}: the kernel may hand over packets with a partial checksum. */
    public static final int TUN_F_CSUM = 0x01;
    /** The kernel may hand over IPv4 TCP super-packets (TSO), described by the virtio-net header. */
    public static final int TUN_F_TSO4 = 0x02;
    /** The kernel may hand over IPv6 TCP super-packets. */
    public static final int TUN_F_TSO6 = 0x04;
    /** TSO super-packets may carry ECN (CWR) bits. */
    public static final int TUN_F_TSO_ECN = 0x08;
    /** Length of the {@code struct virtio_net_hdr} that starts every read and write with a virtio-net header. */
    public static final int VIRTIO_NET_HDR_LENGTH = 10;
    /** TUNSETIFF = _IOW('T', 202, int) */
    private static final long TUNSETIFF = 0x400454caL;
    private static final int IFNAMSIZ = 16;
    /** sizeof(struct ifreq) on LP64: char ifr_name[16] + a 24-byte union (ifr_flags is a short at offset 16). */
    private static final int SIZEOF_IFREQ = 40;
    /** The kernel's limit on queues per TUN device (MAX_TAP_QUEUES). */
    public static final int MAX_QUEUES = 256;

    private final String name;
    private final boolean virtioNetHeader;
    private final int index;
    private final List<TunQueue> queues;
    private final RtNetlink netlink;
    private final List<IpPrefix> routes = new ArrayList<>();
    private final List<InetAddress> addressesAdded = new ArrayList<>();
    private boolean closed;

    private TunDevice(String name, boolean virtioNetHeader, int index, List<TunQueue> queues, RtNetlink netlink) {
        this.name = name;
        this.virtioNetHeader = virtioNetHeader;
        this.index = index;
        this.queues = List.copyOf(queues);
        this.netlink = netlink;
    }

    /**
     * Creates (or attaches to) the TUN device {@code name} with {@code queueCount} queues.
     *
     * @param name up to 15 characters; a pattern such as {@code "pal%d"} lets the kernel pick the number
     * @throws ErrnoException e.g. EPERM without CAP_NET_ADMIN, EBUSY if a non-multi-queue device of that name exists,
     *                        EINVAL if the device exists with other flags
     */
    public static TunDevice open(String name, int queueCount) throws IOException {
        return open(name, queueCount, false);
    }

    /**
     * Like {@link #open(String, int)}; with {@code virtioNetHeader} every queue is opened with IFF_VNET_HDR, so that
     * each packet read or written starts with a {@value #VIRTIO_NET_HDR_LENGTH}-octet {@code struct virtio_net_hdr}
     * (flags, GSO type and size, checksum start and offset; little-endian on x86 and aarch64). That header is what
     * lets the reader receive TCP super-packets ({@link #setOffloads}) and the writer hand the kernel coalesced ones.
     */
    public static TunDevice open(String name, int queueCount, boolean virtioNetHeader) throws IOException {
        if (name.isEmpty() || name.getBytes(StandardCharsets.US_ASCII).length >= IFNAMSIZ) {
            throw new IllegalArgumentException("interface name must be 1.." + (IFNAMSIZ - 1) + " characters: " + name);
        }
        if (queueCount < 1 || queueCount > MAX_QUEUES) {
            throw new IllegalArgumentException("queues must be 1.." + MAX_QUEUES + ": " + queueCount);
        }
        List<TunQueue> opened = new ArrayList<>(queueCount);
        RtNetlink nl = null;
        try {
            String actualName = name;
            for (int i = 0; i < queueCount; i++) {
                OpenedQueue q = openQueue(actualName, virtioNetHeader);
                actualName = q.name();
                opened.add(new TunQueue(q.fd(), actualName, i));
            }
            int idx = Libc.ifNameToIndex(actualName);
            nl = RtNetlink.open();
            return new TunDevice(actualName, virtioNetHeader, idx, opened, nl);
        } catch (IOException | RuntimeException e) {
            for (TunQueue q : opened) {
                q.close();
            }
            if (nl != null) {
                nl.close();
            }
            throw e;
        }
    }

    /** A queue descriptor and the device name the kernel wrote back into the ifreq. */
    private record OpenedQueue(int fd, String name) {}

    private static OpenedQueue openQueue(String name, boolean virtioNetHeader) throws ErrnoException {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment state = Libc.newCallState(a);
            // int open(const char *pathname, int flags, ...)
            int fd = (int) Libc.OPEN.invokeExact(state, a.allocateFrom("/dev/net/tun"),
                    Libc.O_RDWR | Libc.O_NONBLOCK | Libc.O_CLOEXEC, 0);
            if (fd < 0) {
                throw Libc.error("open /dev/net/tun", state);
            }
            MemorySegment ifr = a.allocate(SIZEOF_IFREQ, 8);
            byte[] nameBytes = name.getBytes(StandardCharsets.US_ASCII);
            MemorySegment.copy(nameBytes, 0, ifr, JAVA_BYTE, 0, nameBytes.length);
            ifr.set(JAVA_SHORT, IFNAMSIZ,
                    (short) (IFF_TUN | IFF_NO_PI | IFF_MULTI_QUEUE | (virtioNetHeader ? IFF_VNET_HDR : 0)));
            // int ioctl(int fd, unsigned long request = TUNSETIFF, struct ifreq *ifr)
            int rc = (int) Libc.IOCTL.invokeExact(state, fd, TUNSETIFF, ifr);
            if (rc != 0) {
                ErrnoException e = Libc.error("TUNSETIFF " + name + " (IFF_TUN|IFF_NO_PI|IFF_MULTI_QUEUE)", state);
                Libc.closeQuietly(fd);
                throw e;
            }
            return new OpenedQueue(fd, ifr.getString(0, StandardCharsets.US_ASCII));
        } catch (ErrnoException e) {
            throw e;
        } catch (Throwable t) {
            throw Libc.linkageFailure(t);
        }
    }

    /** The device name (the kernel's choice if a %d pattern was given). */
    public String name() {
        return name;
    }

    /** True if every packet read or written starts with a virtio-net header. */
    public boolean virtioNetHeader() {
        return virtioNetHeader;
    }

    /**
     * TUNSETOFFLOAD: which offloads the reader accepts, e.g. {@code TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6}; the
     * kernel then stops segmenting TCP and completing checksums before it hands packets to the TUN. Needs a device
     * opened with the virtio-net header.
     */
    public synchronized void setOffloads(int flags) throws IOException {
        checkOpen();
        if (!virtioNetHeader) {
            throw new IllegalStateException("offloads need a TUN device opened with the virtio-net header");
        }
        try (Arena a = Arena.ofConfined()) {
            MemorySegment state = Libc.newCallState(a);
            // int ioctl(int fd, unsigned long request = TUNSETOFFLOAD, unsigned long flags): the value, not a pointer
            int rc = (int) Libc.IOCTL.invokeExact(state, queues.getFirst().fd(), TUNSETOFFLOAD,
                    MemorySegment.ofAddress(flags & 0xffff_ffffL));
            if (rc != 0) {
                throw Libc.error("TUNSETOFFLOAD " + name + " 0x" + Integer.toHexString(flags), state);
            }
        } catch (IOException e) {
            throw e;
        } catch (Throwable t) {
            throw Libc.linkageFailure(t);
        }
    }

    /** The interface index. */
    public int index() {
        return index;
    }

    public List<TunQueue> queues() {
        return queues;
    }

    public TunQueue queue(int i) {
        return queues.get(i);
    }

    public synchronized void setMtu(int mtu) throws IOException {
        checkOpen();
        netlink.setMtu(index, mtu, name);
    }

    /** Link up or down ({@code ip link set NAME up|down}). */
    public synchronized void setUp(boolean up) throws IOException {
        checkOpen();
        netlink.setLinkUp(index, up, name);
    }

    /**
     * {@code ip addr add ADDRESS/PREFIX dev NAME}. For IPv6 the device's {@code disable_ipv6} sysctl is cleared
     * first if it is set, and the address skips duplicate address detection (usable at once).
     */
    public synchronized void addAddress(InetAddress address, int prefixLength) throws IOException {
        checkOpen();
        if (!(address instanceof Inet4Address)) {
            enableIpv6();
        }
        netlink.addAddress(index, address, prefixLength, name);
        addressesAdded.add(address);
    }

    public synchronized void removeAddress(InetAddress address, int prefixLength) throws IOException {
        checkOpen();
        netlink.removeAddress(index, address, prefixLength, name);
        addressesAdded.remove(address);
    }

    /**
     * {@code ip route add DESTINATION dev NAME [src PREFERRED_SOURCE]}; removed again by {@link #close()}.
     *
     * @param preferredSource the source address for locally originated packets, or null for the kernel's choice
     */
    public synchronized void addRoute(IpPrefix destination, InetAddress preferredSource) throws IOException {
        checkOpen();
        netlink.addRoute(destination, index, preferredSource, name);
        routes.add(destination);
    }

    /** {@code ip route del DESTINATION dev NAME}. */
    public synchronized void removeRoute(IpPrefix destination) throws IOException {
        checkOpen();
        netlink.removeRoute(destination, index, name);
        routes.remove(destination);
    }

    /** Routes added through this object and not yet removed. */
    public synchronized List<IpPrefix> routes() {
        return List.copyOf(routes);
    }

    /** Clears {@code net.ipv6.conf.NAME.disable_ipv6} if it is set (IPv6 addresses are refused while it is). */
    public synchronized void enableIpv6() throws IOException {
        Path p = Path.of("/proc/sys/net/ipv6/conf", name, "disable_ipv6");
        if (!Files.exists(p)) {
            throw new IOException("IPv6 is not available for " + name + ": " + p + " does not exist");
        }
        if (!Files.readString(p).trim().equals("0")) {
            Files.writeString(p, "0");
        }
    }

    private void checkOpen() throws IOException {
        if (closed) {
            throw new IOException("TUN device " + name + " is closed");
        }
    }

    /**
     * Removes the routes this object added, closes every queue (waking blocked readers) and the netlink socket.
     * The kernel then deletes the device and with it its addresses. Failures to remove a route are logged, not
     * thrown. Idempotent.
     */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        for (int i = routes.size() - 1; i >= 0; i--) {
            IpPrefix r = routes.get(i);
            try {
                netlink.removeRoute(r, index, name);
            } catch (IOException e) {
                // ESRCH/ENODEV: the route or the device is already gone (e.g. every queue was closed first)
                boolean gone = e instanceof ErrnoException ee && (ee.errno() == 3 || ee.errno() == 19);
                LOG.log(gone ? System.Logger.Level.DEBUG : System.Logger.Level.WARNING,
                        "could not remove route " + r + " dev " + name + ": " + e.getMessage());
            }
        }
        routes.clear();
        addressesAdded.clear();
        for (TunQueue q : queues) {
            q.close();
        }
        netlink.close();
    }

    @Override
    public String toString() {
        return "TunDevice[" + name + ", index " + index + ", " + queues.size() + " queue(s)]";
    }
}
