package net.palisade.model.wire.ikev2;

import java.math.BigInteger;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.util.Arrays;
import java.util.Objects;
import java.util.Optional;
import net.palisade.model.IpAddresses;
import net.palisade.model.IpFamily;
import net.palisade.model.Network;
import net.palisade.model.wire.Octets;

/**
 * One traffic selector (RFC 7296 section 3.13.1): an address range with IP protocol and port range, or a selector
 * type this codec does not model, kept as octets.
 */
public sealed interface TrafficSelector permits TrafficSelector.AddressRange, TrafficSelector.Other {

    /** The selector type. */
    TsType tsType();

    /** Octets on the wire, including the 4-octet selector header. */
    int encodedLength();

    /**
     * TS_IPV4_ADDR_RANGE or TS_IPV6_ADDR_RANGE: addresses {@code startAddress} to {@code endAddress} inclusive,
     * IP protocol {@code ipProtocol} (0 = any), ports {@code startPort} to {@code endPort} inclusive (0-65535 = any;
     * start 65535 with end 0 is OPAQUE, RFC 7296 section 3.13.1, and is accepted as sent).
     *
     * @param ipProtocol   IP protocol number, 0 for any
     * @param startPort    0-65535
     * @param endPort      0-65535
     * @param startAddress first address of the range
     * @param endAddress   last address, same family
     */
    record AddressRange(int ipProtocol, int startPort, int endPort, InetAddress startAddress, InetAddress endAddress)
            implements TrafficSelector {

        /** Validates ranges and that both addresses are of one family. */
        public AddressRange {
            if (ipProtocol < 0 || ipProtocol > 255) {
                throw new IllegalArgumentException("IP protocol " + ipProtocol + " does not fit one octet");
            }
            if (startPort < 0 || startPort > 0xffff || endPort < 0 || endPort > 0xffff) {
                throw new IllegalArgumentException("ports " + startPort + "-" + endPort + " do not fit 16 bits");
            }
            Objects.requireNonNull(startAddress, "startAddress");
            Objects.requireNonNull(endAddress, "endAddress");
            if (IpAddresses.family(startAddress) != IpAddresses.family(endAddress)) {
                throw new IllegalArgumentException(
                        "range mixes address families: " + startAddress + " - " + endAddress);
            }
        }

        /** All addresses of {@code family}, any protocol and port. */
        public static AddressRange any(IpFamily family) {
            return cidr(family == IpFamily.IPV4 ? IpAddresses.byAddress(new byte[4])
                    : IpAddresses.byAddress(new byte[16]), 0);
        }

        /**
         * The range of a CIDR network (host bits of {@code base} are ignored), any protocol and port.
         *
         * @throws IllegalArgumentException if the prefix length does not fit the family
         */
        public static AddressRange cidr(InetAddress base, int prefixLength) {
            byte[] raw = base.getAddress();
            if (prefixLength < 0 || prefixLength > raw.length * 8) {
                throw new IllegalArgumentException("prefix length " + prefixLength + " out of range");
            }
            byte[] start = raw.clone();
            byte[] end = raw.clone();
            for (int i = 0; i < raw.length; i++) {
                int bitsHere = Math.max(0, Math.min(8, prefixLength - 8 * i));
                int mask = (0xff00 >> bitsHere) & 0xff;
                start[i] = (byte) (raw[i] & mask);
                end[i] = (byte) (start[i] | ~mask);
            }
            return new AddressRange(0, 0, 0xffff, IpAddresses.byAddress(start), IpAddresses.byAddress(end));
        }

        /**
         * The range of a config {@link Network}: a host is a /32 or /128, {@code any} is every address of
         * {@code familyForAny}.
         */
        public static AddressRange of(Network network, IpFamily familyForAny) {
            if (network.isAny()) {
                return any(familyForAny);
            }
            return cidr(network.address().orElseThrow(), network.effectivePrefixLength());
        }

        /** The same range for one IP protocol (6 TCP, 17 UDP...). */
        public AddressRange withProtocol(int protocol) {
            return new AddressRange(protocol, startPort, endPort, startAddress, endAddress);
        }

        /** The same range for ports {@code from} to {@code to}. */
        public AddressRange withPorts(int from, int to) {
            return new AddressRange(ipProtocol, from, to, startAddress, endAddress);
        }

        /** IPv4 or IPv6. */
        public IpFamily family() {
            return IpAddresses.family(startAddress);
        }

        @Override
        public TsType tsType() {
            return startAddress instanceof Inet4Address ? TsType.Known.TS_IPV4_ADDR_RANGE
                    : TsType.Known.TS_IPV6_ADDR_RANGE;
        }

        @Override
        public int encodedLength() {
            return startAddress instanceof Inet4Address ? 16 : 40;
        }

        /** True if the selector covers all ports. */
        public boolean anyPort() {
            return startPort == 0 && endPort == 0xffff;
        }

        /** The range as a CIDR network, if it is exactly one (a lone address gives a /32 or /128). */
        public Optional<Network> toNetwork() {
            BigInteger s = new BigInteger(1, startAddress.getAddress());
            BigInteger e = new BigInteger(1, endAddress.getAddress());
            if (s.compareTo(e) > 0) {
                return Optional.empty();
            }
            int bits = family().bits();
            BigInteger size = e.subtract(s).add(BigInteger.ONE);
            if (size.bitCount() != 1) {
                return Optional.empty();
            }
            int hostBits = size.bitLength() - 1;
            if (s.getLowestSetBit() < hostBits && s.signum() != 0) {
                return Optional.empty();
            }
            return Optional.of(Network.prefix(startAddress, bits - hostBits));
        }

        /** True if {@code address} lies in the range (ignoring protocol and ports). */
        public boolean contains(InetAddress address) {
            if (IpAddresses.family(address) != family()) {
                return false;
            }
            byte[] a = address.getAddress();
            return Arrays.compareUnsigned(a, startAddress.getAddress()) >= 0
                    && Arrays.compareUnsigned(a, endAddress.getAddress()) <= 0;
        }

        /** {@code 10.1.0.0-10.1.0.255 proto 6 ports 443-443}, shortened where it is any. */
        @Override
        public String toString() {
            StringBuilder sb = new StringBuilder();
            Optional<Network> net = toNetwork();
            sb.append(net.isPresent() ? net.get().toString()
                    : IpAddresses.format(startAddress) + "-" + IpAddresses.format(endAddress));
            if (ipProtocol != 0) {
                sb.append(" proto ").append(ipProtocol);
            }
            if (!anyPort()) {
                sb.append(" ports ").append(startPort).append('-').append(endPort);
            }
            return sb.toString();
        }
    }

    /**
     * A selector of a type this codec does not model (TS_FC_ADDR_RANGE, TS_SECLABEL, unknown): the second octet of
     * its header and its content after the 4-octet header, kept as received.
     *
     * @param tsType      selector type
     * @param secondOctet IP protocol or reserved octet, as received
     * @param content     the octets after the selector header
     */
    record Other(TsType tsType, int secondOctet, Octets content) implements TrafficSelector {
        /** Validates the ranges. */
        public Other {
            Objects.requireNonNull(tsType, "tsType");
            if (secondOctet < 0 || secondOctet > 255) {
                throw new IllegalArgumentException("octet " + secondOctet + " out of range");
            }
            if (content.length() > 0xffff - 4) {
                throw new IllegalArgumentException("selector too long");
            }
        }

        @Override
        public int encodedLength() {
            return 4 + content.length();
        }
    }
}
