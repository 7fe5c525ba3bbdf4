package net.palisade.model;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import java.net.InetAddress;
import java.util.Arrays;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * One side of a flow (a phase-2 ID / traffic selector): a single host ({@code 10.9.1.1}), a network with a prefix
 * length ({@code 10.1.0.0/16}, {@code 10.9.1.1/32}), or {@code any}.
 *
 * <p>A host and the one-host network are distinct values: IKEv1 sends the first as an ID_IPV4_ADDR and the second
 * as an ID_IPV4_ADDR_SUBNET, and peers that compare IDs literally tell them apart. {@code any} stays {@code any}
 * (0.0.0.0/0 for IPv4 flows, ::/0 for IPv6 ones) so that it prints as written. Networks must not have host bits
 * set: {@code 10.1.2.3/16} is refused with the network it probably meant.
 */
public final class Network {
    private static final Network ANY = new Network(null, -1);

    private final InetAddress address;
    private final int prefixLength;

    private Network(InetAddress address, int prefixLength) {
        this.address = address;
        this.prefixLength = prefixLength;
    }

    /** {@code any}: every address of the flow's family. */
    public static Network any() {
        return ANY;
    }

    /** A single host, written without a prefix length. */
    public static Network host(InetAddress address) {
        return new Network(address, -1);
    }

    /**
     * A network with an explicit prefix length.
     *
     * @throws IllegalArgumentException if the length is out of range for the family or host bits are set
     */
    public static Network prefix(InetAddress address, int prefixLength) {
        IpFamily family = IpAddresses.family(address);
        if (prefixLength < 0 || prefixLength > family.bits()) {
            throw new IllegalArgumentException("prefix length " + prefixLength + " is out of range for "
                    + family.display() + " (0-" + family.bits() + ")");
        }
        byte[] masked = mask(address.getAddress(), prefixLength);
        if (!Arrays.equals(masked, address.getAddress())) {
            String base = IpAddresses.format(IpAddresses.byAddress(masked)) + "/" + prefixLength;
            throw new IllegalArgumentException(IpAddresses.format(address) + "/" + prefixLength
                    + " has host bits set; did you mean " + base + "?");
        }
        return new Network(address, prefixLength);
    }

    /**
     * Parses {@code any}, an address, or address/prefix.
     *
     * @throws IllegalArgumentException with a message saying what was expected and what was found
     */
    @JsonCreator
    public static Network parse(String text) {
        if (text.equals("any")) {
            return ANY;
        }
        int slash = text.indexOf('/');
        String addressText = slash < 0 ? text : text.substring(0, slash);
        InetAddress a = IpAddresses.parse(addressText).orElseThrow(() -> new IllegalArgumentException(
                "expected a network (address, address/prefix or any), found '" + text + "'"));
        if (slash < 0) {
            return host(a);
        }
        String len = text.substring(slash + 1);
        if (len.isEmpty() || len.length() > 3 || !len.chars().allMatch(c -> c >= '0' && c <= '9')
                || (len.length() > 1 && len.charAt(0) == '0')) {
            throw new IllegalArgumentException("expected a prefix length after '/', found '" + text + "'");
        }
        return prefix(a, Integer.parseInt(len));
    }

    private static byte[] mask(byte[] raw, int prefixLength) {
        byte[] out = raw.clone();
        for (int i = 0; i < out.length; i++) {
            int bitsHere = Math.max(0, Math.min(8, prefixLength - 8 * i));
            out[i] &= (byte) (0xff00 >> bitsHere);
        }
        return out;
    }

    /** True for {@code any}. */
    public boolean isAny() {
        return address == null;
    }

    /** True for a single host written without prefix length. */
    public boolean isHost() {
        return address != null && prefixLength < 0;
    }

    /** The address; empty for {@code any}. */
    public Optional<InetAddress> address() {
        return Optional.ofNullable(address);
    }

    /** The prefix length as written; empty for a host and for {@code any}. */
    public OptionalInt prefixLength() {
        return prefixLength < 0 ? OptionalInt.empty() : OptionalInt.of(prefixLength);
    }

    /** The family; empty for {@code any}, which fits both. */
    public Optional<IpFamily> family() {
        return address == null ? Optional.empty() : Optional.of(IpAddresses.family(address));
    }

    /** True if this network can pair with a network of {@code family} in a flow. */
    public boolean fits(IpFamily family) {
        return address == null || IpAddresses.family(address) == family;
    }

    /** The prefix length that matching uses: 0 for any, 32/128 for a host, else as written. */
    public int effectivePrefixLength() {
        if (address == null) {
            return 0;
        }
        return prefixLength < 0 ? IpAddresses.family(address).bits() : prefixLength;
    }

    /** True if {@code a} lies inside this network ({@code any} contains every address). */
    public boolean contains(InetAddress a) {
        if (address == null) {
            return true;
        }
        if (IpAddresses.family(a) != IpAddresses.family(address)) {
            return false;
        }
        return Arrays.equals(mask(a.getAddress(), effectivePrefixLength()), mask(address.getAddress(), effectivePrefixLength()));
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Network n && prefixLength == n.prefixLength
                && (address == null ? n.address == null : address.equals(n.address));
    }

    @Override
    public int hashCode() {
        return (address == null ? 0 : address.hashCode()) * 31 + prefixLength;
    }

    /** Canonical text: {@code any}, {@code 10.9.1.1}, {@code 10.9.1.1/32}, {@code 2001:db8::/32}. */
    @JsonValue
    @Override
    public String toString() {
        if (address == null) {
            return "any";
        }
        return prefixLength < 0 ? IpAddresses.format(address) : IpAddresses.format(address) + "/" + prefixLength;
    }
}
