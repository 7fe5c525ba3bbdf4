package net.palisade.dataplane.io;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.nio.ByteOrder;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

/**
 * A mutable socket address in native memory ({@code struct sockaddr_in} or {@code struct sockaddr_in6}), reused by
 * the hot paths so that receiving a datagram's source or setting a peer allocates nothing.
 *
 * <p>Layouts (Linux): {@code sockaddr_in { sa_family_t sin_family; in_port_t sin_port; struct in_addr sin_addr;
 * char sin_zero[8]; }} (16 bytes) and {@code sockaddr_in6 { sa_family_t sin6_family; in_port_t sin6_port;
 * uint32_t sin6_flowinfo; struct in6_addr sin6_addr; uint32_t sin6_scope_id; }} (28 bytes). Ports and addresses are
 * in network byte order.
 *
 * <p>Not thread-safe. {@link #toInetSocketAddress()} and {@link #address()} allocate: use them on control paths.
 */
public final class SockAddr {
    /** Bytes reserved per address: sizeof(struct sockaddr_in6). */
    public static final int SIZE = 28;
    static final int SIZEOF_SOCKADDR_IN = 16;
    static final int SIZEOF_SOCKADDR_IN6 = 28;

    private static final ValueLayout.OfShort PORT = JAVA_SHORT.withOrder(ByteOrder.BIG_ENDIAN);
    private static final ValueLayout.OfInt INT_BE = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);

    private final MemorySegment seg;

    SockAddr(MemorySegment seg) {
        if (seg.byteSize() < SIZE) {
            throw new IllegalArgumentException("sockaddr segment too small: " + seg.byteSize());
        }
        this.seg = seg;
    }

    /** An empty (AF_UNSPEC) address in {@code arena}. */
    public static SockAddr allocate(Arena arena) {
        return new SockAddr(arena.allocate(SIZE, 4));
    }

    public static SockAddr of(Arena arena, InetSocketAddress address) {
        SockAddr a = allocate(arena);
        a.set(address);
        return a;
    }

    /** The native {@code struct sockaddr}; pass {@link #length()} as its socklen_t. */
    public MemorySegment segment() {
        return seg;
    }

    /** AF_INET (2), AF_INET6 (10) or AF_UNSPEC (0). */
    public int family() {
        return seg.get(JAVA_SHORT, 0) & 0xffff;
    }

    public boolean isIpv6() {
        return family() == Libc.AF_INET6;
    }

    /** sizeof the structure for the current family (16 or 28), as passed to bind/sendto. */
    public int length() {
        return isIpv6() ? SIZEOF_SOCKADDR_IN6 : SIZEOF_SOCKADDR_IN;
    }

    public int port() {
        return seg.get(PORT, 2) & 0xffff;
    }

    /** The IPv4 address as a big-endian int (for allocation-free peer tables); only for AF_INET. */
    public int ipv4() {
        return seg.get(INT_BE, 4);
    }

    /** Copies the 4 or 16 address bytes into {@code dst} at {@code offset}; returns the count. */
    public int copyAddress(byte[] dst, int offset) {
        if (isIpv6()) {
            MemorySegment.copy(seg, JAVA_BYTE, 8, dst, offset, 16);
            return 16;
        }
        MemorySegment.copy(seg, JAVA_BYTE, 4, dst, offset, 4);
        return 4;
    }

    public void set(InetSocketAddress address) {
        set(address.getAddress(), address.getPort());
    }

    public void set(InetAddress address, int port) {
        seg.fill((byte) 0);
        byte[] raw = address.getAddress();
        if (address instanceof Inet4Address) {
            seg.set(JAVA_SHORT, 0, (short) Libc.AF_INET);
            seg.set(PORT, 2, (short) port);
            MemorySegment.copy(raw, 0, seg, JAVA_BYTE, 4, 4);
        } else {
            seg.set(JAVA_SHORT, 0, (short) Libc.AF_INET6);
            seg.set(PORT, 2, (short) port);
            MemorySegment.copy(raw, 0, seg, JAVA_BYTE, 8, 16);
            if (address instanceof Inet6Address v6 && v6.getScopeId() != 0) {
                seg.set(ValueLayout.JAVA_INT, 24, v6.getScopeId());
            }
        }
    }

    /** Sets an IPv4 address given as a big-endian int, allocation-free. */
    public void setIpv4(int address, int port) {
        seg.fill((byte) 0);
        seg.set(JAVA_SHORT, 0, (short) Libc.AF_INET);
        seg.set(PORT, 2, (short) port);
        seg.set(INT_BE, 4, address);
    }

    public void copyFrom(SockAddr other) {
        MemorySegment.copy(other.seg, 0, seg, 0, SIZE);
    }

    /** Same family, port and address (allocation-free). */
    public boolean sameAs(SockAddr other) {
        return MemorySegment.mismatch(seg, 0, length(), other.seg, 0, other.length()) == -1;
    }

    public InetAddress address() {
        byte[] raw = new byte[isIpv6() ? 16 : 4];
        copyAddress(raw, 0);
        try {
            return InetAddress.getByAddress(raw);
        } catch (UnknownHostException e) {
            throw new IllegalStateException(e); // cannot happen for 4 or 16 bytes
        }
    }

    public InetSocketAddress toInetSocketAddress() {
        return new InetSocketAddress(address(), port());
    }

    @Override
    public String toString() {
        int f = family();
        if (f != Libc.AF_INET && f != Libc.AF_INET6) {
            return "SockAddr[family " + f + "]";
        }
        return (isIpv6() ? "[" + address().getHostAddress() + "]" : address().getHostAddress()) + ":" + port();
    }
}
