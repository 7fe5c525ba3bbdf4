package net.palisade.dataplane.io;

import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.UnknownHostException;

/**
 * An address prefix such as {@code 10.2.0.0/16} or {@code 2001:db8::/32}. Host bits beyond the prefix length must be
 * zero (the kernel rejects such a route with EINVAL, so this fails earlier with a clearer message).
 */
public record IpPrefix(InetAddress address, int length) {
    public IpPrefix {
        int max = address instanceof Inet4Address ? 32 : 128;
        if (length < 0 || length > max) {
            throw new IllegalArgumentException("prefix length " + length + " out of range 0.." + max);
        }
        byte[] raw = address.getAddress();
        for (int bit = length; bit < max; bit++) {
            if ((raw[bit >>> 3] & (0x80 >>> (bit & 7))) != 0) {
                throw new IllegalArgumentException(
                        address.getHostAddress() + "/" + length + " has host bits set");
            }
        }
    }

    /** Parses "a.b.c.d/n" or "v6addr/n" (a literal address: no DNS lookup). A bare address is a host prefix. */
    public static IpPrefix parse(String text) {
        int slash = text.indexOf('/');
        String addr = slash < 0 ? text : text.substring(0, slash);
        if (!addr.matches("[0-9a-fA-F:.]+")) {
            throw new IllegalArgumentException("not an IP literal: " + text);
        }
        try {
            InetAddress a = InetAddress.getByName(addr);
            int len = slash < 0 ? (a instanceof Inet4Address ? 32 : 128) : Integer.parseInt(text.substring(slash + 1));
            return new IpPrefix(a, len);
        } catch (UnknownHostException | NumberFormatException e) {
            throw new IllegalArgumentException("not a prefix: " + text, e);
        }
    }

    public boolean isIpv6() {
        return !(address instanceof Inet4Address);
    }

    @Override
    public String toString() {
        return address.getHostAddress() + "/" + length;
    }
}
