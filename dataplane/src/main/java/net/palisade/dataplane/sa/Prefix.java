package net.palisade.dataplane.sa;

import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.List;
import net.palisade.dataplane.io.IpPrefix;
import net.palisade.model.Network;

/**
 * An address prefix in the form the packet path compares against: IPv4 as a masked {@code int} in {@code lo},
 * IPv6 as two masked big-endian {@code long}s.
 *
 * @param ipv6 the family
 * @param hi IPv6: the high 64 bits, masked; IPv4: 0
 * @param lo IPv6: the low 64 bits, masked; IPv4: the address as an unsigned int, masked
 * @param length the prefix length
 */
public record Prefix(boolean ipv6, long hi, long lo, int length) {

    public Prefix {
        if (length < 0 || length > (ipv6 ? 128 : 32)) {
            throw new IllegalArgumentException("prefix length " + length);
        }
        if (ipv6) {
            hi &= mask64(length);
            lo &= mask64(length - 64);
        } else {
            lo &= mask32(length) & 0xffff_ffffL;
            hi = 0;
        }
    }

    /** The prefix of {@code address} with {@code length} bits (host bits are cleared). */
    public static Prefix of(InetAddress address, int length) {
        byte[] a = address.getAddress();
        if (address instanceof Inet4Address) {
            return new Prefix(false, 0, toInt(a, 0) & 0xffff_ffffL, length);
        }
        return new Prefix(true, toLong(a, 0), toLong(a, 8), length);
    }

    /**
     * The prefixes a model network stands for: one, or two for {@code any} (0.0.0.0/0 and ::/0). A host counts as
     * a /32 or /128.
     */
    public static List<Prefix> of(Network network) {
        if (network.isAny()) {
            return List.of(new Prefix(false, 0, 0, 0), new Prefix(true, 0, 0, 0));
        }
        InetAddress a = network.address().orElseThrow();
        return List.of(of(a, network.effectivePrefixLength()));
    }

    /** Whether the IPv4 address (big-endian int) lies in this prefix; always false for an IPv6 prefix. */
    public boolean contains4(int address) {
        return !ipv6 && ((address & mask32(length)) & 0xffff_ffffL) == lo;
    }

    /** Whether the IPv6 address lies in this prefix; always false for an IPv4 prefix. */
    public boolean contains6(long addressHi, long addressLo) {
        return ipv6 && (addressHi & mask64(length)) == hi && (addressLo & mask64(length - 64)) == lo;
    }

    /** Whether {@code address} lies in this prefix. */
    public boolean contains(InetAddress address) {
        byte[] a = address.getAddress();
        return a.length == 4 ? contains4(toInt(a, 0)) : contains6(toLong(a, 0), toLong(a, 8));
    }

    /** Whether some address lies in both prefixes (one of them then holds the other). */
    public boolean overlaps(Prefix other) {
        if (ipv6 != other.ipv6) {
            return false;
        }
        return length <= other.length ? contains(other.address()) : other.contains(address());
    }

    /** The network address. */
    public InetAddress address() {
        byte[] raw;
        if (ipv6) {
            raw = new byte[16];
            for (int i = 0; i < 8; i++) {
                raw[i] = (byte) (hi >>> (56 - 8 * i));
                raw[8 + i] = (byte) (lo >>> (56 - 8 * i));
            }
        } else {
            raw = new byte[] {(byte) (lo >>> 24), (byte) (lo >>> 16), (byte) (lo >>> 8), (byte) lo};
        }
        try {
            return InetAddress.getByAddress(raw);
        } catch (UnknownHostException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The same prefix for the TUN device's route table. */
    public IpPrefix toIpPrefix() {
        return new IpPrefix(address(), length);
    }

    /** Mask of the first {@code bits} of an int (0 to 32). */
    static int mask32(int bits) {
        return bits <= 0 ? 0 : bits >= 32 ? -1 : -1 << (32 - bits);
    }

    /** Mask of the first {@code bits} of a long (clamped to 0..64). */
    static long mask64(int bits) {
        return bits <= 0 ? 0L : bits >= 64 ? -1L : -1L << (64 - bits);
    }

    static int toInt(byte[] a, int off) {
        return ((a[off] & 0xff) << 24) | ((a[off + 1] & 0xff) << 16) | ((a[off + 2] & 0xff) << 8) | (a[off + 3] & 0xff);
    }

    static long toLong(byte[] a, int off) {
        return ((long) toInt(a, off) << 32) | (toInt(a, off + 4) & 0xffff_ffffL);
    }

    @Override
    public String toString() {
        return toIpPrefix().toString();
    }
}
