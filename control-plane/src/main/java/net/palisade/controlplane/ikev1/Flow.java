package net.palisade.controlplane.ikev1;

import java.net.InetAddress;
import java.util.Arrays;
import java.util.Optional;
import net.palisade.model.IpAddresses;
import net.palisade.model.IpFamily;
import net.palisade.model.Network;
import net.palisade.model.wire.Octets;
import net.palisade.model.wire.ikev1.Ikev1IdType;
import net.palisade.model.wire.ikev1.Ikev1Payload;
import net.palisade.model.wire.ikev2.TrafficSelector;

/**
 * One side of a quick mode's flow: an address prefix (RFC 2407 section 4.6.2: ID_IPV4_ADDR, ID_IPV4_ADDR_SUBNET and
 * their IPv6 twins; protocol and port 0, any).
 *
 * @param base   the prefix's first address
 * @param prefix its length in bits
 */
record Flow(InetAddress base, int prefix) {

    /** A config network; {@code any} is 0.0.0.0/0 or ::/0 of {@code family}. */
    static Flow of(Network n, IpFamily family) {
        if (n.isAny()) {
            return new Flow(IpAddresses.byAddress(new byte[family.bits() / 8]), 0);
        }
        return new Flow(n.address().orElseThrow(), n.effectivePrefixLength());
    }

    /** The flow an ID payload names; empty for types other than addresses and subnets, or a mask with holes. */
    static Optional<Flow> of(Ikev1Payload.Id id) {
        if (!(id.idType() instanceof Ikev1IdType.Known k) || id.protocol() != 0 || id.port() != 0) {
            return Optional.empty();
        }
        byte[] d = id.data().toByteArray();
        return switch (k) {
            case ID_IPV4_ADDR, ID_IPV6_ADDR -> Optional.of(new Flow(IpAddresses.byAddress(d), d.length * 8));
            case ID_IPV4_ADDR_SUBNET, ID_IPV6_ADDR_SUBNET -> {
                int n = d.length / 2;
                byte[] mask = Arrays.copyOfRange(d, n, 2 * n);
                int prefix = prefixOf(mask);
                byte[] base = Arrays.copyOf(d, n);
                yield prefix < 0 || !Arrays.equals(masked(base, prefix), base) ? Optional.empty()
                        : Optional.of(new Flow(IpAddresses.byAddress(base), prefix));
            }
            default -> Optional.empty();
        };
    }

    /** ID_IPVx_ADDR for a host, else ID_IPVx_ADDR_SUBNET. */
    Ikev1Payload.Id id() {
        byte[] a = base.getAddress();
        boolean v4 = a.length == 4;
        if (prefix == a.length * 8) {
            return new Ikev1Payload.Id(v4 ? Ikev1IdType.Known.ID_IPV4_ADDR : Ikev1IdType.Known.ID_IPV6_ADDR, 0, 0,
                    Octets.of(a));
        }
        byte[] mask = new byte[a.length];
        for (int i = 0; i < prefix; i++) {
            mask[i / 8] |= (byte) (0x80 >>> (i % 8));
        }
        return new Ikev1Payload.Id(v4 ? Ikev1IdType.Known.ID_IPV4_ADDR_SUBNET : Ikev1IdType.Known.ID_IPV6_ADDR_SUBNET,
                0, 0, Octets.of(Ikev1Keymat.concat(a, mask)));
    }

    /** True if every address of {@code inner} lies in this flow. */
    boolean covers(Flow inner) {
        byte[] a = base.getAddress();
        byte[] b = inner.base.getAddress();
        return a.length == b.length && inner.prefix >= prefix && Arrays.equals(masked(b, prefix), a);
    }

    TrafficSelector.AddressRange selector() {
        return TrafficSelector.AddressRange.cidr(base, prefix);
    }

    private static int prefixOf(byte[] mask) {
        int bits = 0;
        boolean zero = false;
        for (byte m : mask) {
            for (int i = 7; i >= 0; i--) {
                boolean one = ((m >>> i) & 1) == 1;
                if (one && zero) {
                    return -1;
                }
                zero |= !one;
                bits += one ? 1 : 0;
            }
        }
        return bits;
    }

    private static byte[] masked(byte[] a, int prefix) {
        byte[] out = a.clone();
        for (int i = 0; i < out.length; i++) {
            int bitsHere = Math.max(0, Math.min(8, prefix - 8 * i));
            out[i] &= (byte) ((0xff00 >> bitsHere) & 0xff);
        }
        return out;
    }

    @Override
    public String toString() {
        return IpAddresses.format(base) + "/" + prefix;
    }
}
