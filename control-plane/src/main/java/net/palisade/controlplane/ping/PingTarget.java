package net.palisade.controlplane.ping;

import java.math.BigInteger;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Objects;
import java.util.Optional;
import net.palisade.model.IkeTunnel;
import net.palisade.model.Network;

/**
 * Where a tunnel's echoes go: from the first address of its first local network to the first address of its first
 * remote network of the same family ({@code any} skipped). The first address of a prefix is the one after the network address ({@code 10.1.0.0/24}:
 * {@code 10.1.0.1}; a single host or a /31, /32, /127, /128: the address itself) — usually the site's router, and
 * the gateway need not own it: the dataplane writes it into the echo and keeps the reply.
 */
public record PingTarget(InetAddress from, InetAddress to) {
    public PingTarget {
        Objects.requireNonNull(from, "from");
        Objects.requireNonNull(to, "to");
    }

    /**
     * The target of {@code tunnel}: the first {@code from} network that is not {@code any} and has a {@code to}
     * network of its family, and the first such {@code to} network; empty when there is none (the validator refuses
     * {@code ping} then).
     */
    public static Optional<PingTarget> of(IkeTunnel tunnel) {
        for (Network f : tunnel.from()) {
            for (Network t : tunnel.to()) {
                if (!f.isAny() && !t.isAny() && f.family().equals(t.family())) {
                    return Optional.of(new PingTarget(firstAddress(f).orElseThrow(), firstAddress(t).orElseThrow()));
                }
            }
        }
        return Optional.empty();
    }

    /** The first usable address of {@code n}; empty for {@code any}. */
    static Optional<InetAddress> firstAddress(Network n) {
        if (n.isAny()) {
            return Optional.empty();
        }
        byte[] a = n.address().orElseThrow().getAddress();
        int bits = a.length * 8;
        int prefix = n.effectivePrefixLength();
        BigInteger value = new BigInteger(1, a);
        BigInteger hostMask = BigInteger.ONE.shiftLeft(bits - prefix).subtract(BigInteger.ONE);
        BigInteger network = value.andNot(hostMask);
        BigInteger first = bits - prefix >= 2 ? network.add(BigInteger.ONE) : value;
        byte[] raw = first.toByteArray();
        byte[] out = new byte[a.length];
        int copy = Math.min(raw.length, out.length);
        System.arraycopy(raw, raw.length - copy, out, out.length - copy, copy);
        try {
            return Optional.of(InetAddress.getByAddress(out));
        } catch (UnknownHostException e) {
            throw new IllegalStateException("an address of " + out.length + " octets", e);
        }
    }

    @Override
    public String toString() {
        return from.getHostAddress() + " -> " + to.getHostAddress();
    }
}
