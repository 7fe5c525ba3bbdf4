package net.palisade.dataplane.io;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.List;

/**
 * This host's interface addresses ({@link InterfaceAddresses#list}) kept between uses and read again only after the
 * kernel announced a change: a NETLINK_ROUTE socket that joined the link and address multicast groups
 * (RTMGRP_LINK, RTMGRP_IPV4_IFADDR, RTMGRP_IPV6_IFADDR) is drained without blocking before each use, and anything in
 * it — an address or an interface added, removed or renamed, or ENOBUFS, the queue having overflowed — makes the
 * next use read the list again. One {@code recv} that finds nothing instead of getifaddrs(3), which opens a netlink
 * socket and dumps every link and every address: a dataplane adding a route for each IKE Child SA spent a fifth of
 * its control thread's time there.
 *
 * <p>The socket is drained before the list is read, so a change that comes while it is read leaves a notification
 * behind and the list is read again at the next use. In the network namespace of the thread that called
 * {@link #open()}, whichever thread uses it; one thread at a time (the dataplane's route changes, under its lock).
 */
public final class AddressWatch implements AutoCloseable {
    // <linux/rtnetlink.h>
    private static final int RTMGRP_LINK = 0x1;
    private static final int RTMGRP_IPV4_IFADDR = 0x10;
    private static final int RTMGRP_IPV6_IFADDR = 0x100;
    private static final int ENOBUFS = 105;
    private static final int BUFFER = 16 * 1024;

    private final int fd;
    private final Arena arena = Arena.ofShared();
    private final MemorySegment buffer;
    private final MemorySegment callState;
    /** The list as last read; null: read it at the next use. */
    private List<InterfaceAddresses.Entry> addresses;
    private long reads;
    private boolean closed;

    private AddressWatch(int fd) {
        this.fd = fd;
        this.buffer = arena.allocate(BUFFER, 8);
        this.callState = Libc.newCallState(arena);
    }

    /** Opens the subscribed socket in the calling thread's network namespace. */
    public static AddressWatch open() throws IOException {
        int fd;
        try (Arena a = Arena.ofConfined()) {
            MemorySegment state = Libc.newCallState(a);
            fd = (int) Libc.SOCKET.invokeExact(state, Libc.AF_NETLINK,
                    Libc.SOCK_RAW | Libc.SOCK_CLOEXEC | Libc.SOCK_NONBLOCK, 0 /* NETLINK_ROUTE */);
            if (fd < 0) {
                throw Libc.error("socket(AF_NETLINK, NETLINK_ROUTE)", state);
            }
            // struct sockaddr_nl { sa_family_t nl_family; unsigned short nl_pad; __u32 nl_pid; __u32 nl_groups; }
            MemorySegment nl = a.allocate(12, 4);
            nl.set(ValueLayout.JAVA_SHORT, 0, (short) Libc.AF_NETLINK);
            nl.set(ValueLayout.JAVA_INT, 8, RTMGRP_LINK | RTMGRP_IPV4_IFADDR | RTMGRP_IPV6_IFADDR);
            int rc = (int) Libc.BIND.invokeExact(state, fd, nl, 12);
            if (rc != 0) {
                ErrnoException e = Libc.error("bind(AF_NETLINK, link and address groups)", state);
                Libc.closeQuietly(fd);
                throw e;
            }
        } catch (IOException e) {
            throw e;
        } catch (Throwable t) {
            throw Libc.linkageFailure(t);
        }
        return new AddressWatch(fd);
    }

    /** Every IPv4 and IPv6 address of every interface, as {@link InterfaceAddresses#list}; read again if changed. */
    public List<InterfaceAddresses.Entry> addresses() throws IOException {
        if (closed) {
            throw new IOException("address watch closed");
        }
        if (changed() || addresses == null) {
            addresses = List.copyOf(InterfaceAddresses.list());
            reads++;
        }
        return addresses;
    }

    /** How often the list was read (a test's view of the cache). */
    public long reads() {
        return reads;
    }

    /**
     * Drains the socket: true if the kernel said anything since the last drain, or the queue overflowed, or the
     * socket failed (then the list is read at every use, as without the watch).
     */
    private boolean changed() {
        boolean any = false;
        try {
            while (true) {
                long n = (long) Libc.RECV.invokeExact(callState, fd, buffer, (long) BUFFER, Libc.MSG_DONTWAIT);
                if (n > 0) {
                    any = true;
                    continue;
                }
                if (n == 0) {
                    return any;
                }
                int errno = Libc.errno(callState);
                if (errno == Libc.EAGAIN) {
                    return any;
                }
                if (errno == ENOBUFS) {
                    any = true; // notifications were lost: read the list again
                    continue;
                }
                if (errno != Libc.EINTR) {
                    return true; // cannot tell what happened: read the list again (and the same next time)
                }
            }
        } catch (Throwable t) {
            throw Libc.linkageFailure(t);
        }
    }

    @Override
    public void close() {
        if (!closed) {
            closed = true;
            Libc.closeQuietly(fd);
            arena.close();
        }
    }
}
