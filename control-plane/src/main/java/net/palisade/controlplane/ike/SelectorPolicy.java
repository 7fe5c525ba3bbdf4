package net.palisade.controlplane.ike;

import java.net.InetAddress;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import net.palisade.model.IpAddresses;
import net.palisade.model.IpFamily;
import net.palisade.model.Network;
import net.palisade.model.wire.ikev2.TrafficSelector;

/**
 * Traffic selectors (RFC 7296 section 2.9): ours from the tunnel's networks in config order, and a responder's
 * narrowing: each offered selector intersected with each configured network; what is left is accepted, nothing left
 * is TS_UNACCEPTABLE. An initiator accepts a responder's answer only if it lies within what it offered.
 */
final class SelectorPolicy {

    /** The most selectors one TS payload carries (its count is one octet, RFC 7296 section 3.13). */
    static final int MAX_SELECTORS = 255;

    private SelectorPolicy() {
    }

    /**
     * Why a responder cannot answer with these narrowed selectors, or empty if it can: nothing left on a side, or
     * more on a side than a TS payload holds (many small offered ranges crossed with many configured networks).
     */
    static java.util.Optional<String> unanswerable(List<TrafficSelector> offeredI, List<TrafficSelector> offeredR,
            List<TrafficSelector> narrowedI, List<TrafficSelector> narrowedR, String what) {
        if (narrowedI.isEmpty() || narrowedR.isEmpty()) {
            java.util.Optional<String> specific = java.util.stream.Stream.concat(offeredI.stream(), offeredR.stream())
                    .filter(t -> t instanceof TrafficSelector.AddressRange a && !addressOnly(a))
                    .map(t -> describe((TrafficSelector.AddressRange) t)).findFirst();
            if (specific.isPresent()) {
                return java.util.Optional.of("the selectors of the peer's " + what + " name a protocol or ports ("
                        + specific.get() + "): this gateway's SAs carry whole networks, it cannot enforce those");
            }
            return java.util.Optional.of("the selectors of the peer's " + what + " are outside the tunnel's");
        }
        int most = Math.max(narrowedI.size(), narrowedR.size());
        if (most > MAX_SELECTORS) {
            return java.util.Optional.of("the selectors of the peer's " + what + " narrow to " + most
                    + " ranges, more than the " + MAX_SELECTORS + " a TS payload holds");
        }
        return java.util.Optional.empty();
    }

    /** What we propose for one Child SA: our selectors (TSi) and the peer's (TSr). */
    record Offer(List<TrafficSelector> tsi, List<TrafficSelector> tsr) {}

    /**
     * Our Child SA proposals for {@code tunnel}: one with all its flows, or with {@code sa-per-flow} one per from/to
     * pair of networks, in config order (from first).
     */
    static List<Offer> offers(net.palisade.model.IkeTunnel tunnel, IpFamily family) {
        if (!tunnel.saPerFlow()) {
            return List.of(new Offer(of(tunnel.from(), family), of(tunnel.to(), family)));
        }
        List<Offer> offers = new ArrayList<>();
        for (Network f : tunnel.from()) {
            for (Network t : tunnel.to()) {
                offers.add(new Offer(of(List.of(f), family), of(List.of(t), family)));
            }
        }
        return List.copyOf(offers);
    }

    /** Whether some selector of {@code a} shares an address with some selector of {@code b}. */
    static boolean overlap(List<TrafficSelector> a, List<TrafficSelector> b) {
        return a.stream().anyMatch(x -> x instanceof TrafficSelector.AddressRange ra && b.stream()
                .anyMatch(y -> y instanceof TrafficSelector.AddressRange rb && intersect(ra, rb).isPresent()));
    }

    /** One selector per configured network ({@code any} as every address of {@code family}). */
    static List<TrafficSelector> of(List<Network> networks, IpFamily family) {
        return networks.stream()
                .map(n -> (TrafficSelector) TrafficSelector.AddressRange.of(n, family)).toList();
    }

    /**
     * Whether a selector covers every protocol and port: all the dataplane can enforce (it selects SAs by address).
     * One that names a protocol or ports is neither answered nor accepted, rather than installed as its whole
     * networks.
     */
    static boolean addressOnly(TrafficSelector.AddressRange a) {
        return a.ipProtocol() == 0 && a.startPort() == 0 && a.endPort() == 0xffff;
    }

    private static String describe(TrafficSelector.AddressRange a) {
        String ports = a.startPort() == a.endPort() ? "port " + a.startPort()
                : a.startPort() == 0 && a.endPort() == 0xffff ? "any port" : "ports " + a.startPort() + "-" + a.endPort();
        return "protocol " + a.ipProtocol() + ", " + ports;
    }

    /**
     * The parts of {@code offered} that lie within {@code ours}; empty if none. Unknown selector types drop, and
     * so do selectors that name a protocol or ports ({@link #addressOnly}).
     */
    static List<TrafficSelector> narrow(List<TrafficSelector> offered, List<TrafficSelector> ours) {
        List<TrafficSelector> out = new ArrayList<>();
        for (TrafficSelector o : offered) {
            if (!(o instanceof TrafficSelector.AddressRange a) || !addressOnly(a)) {
                continue;
            }
            for (TrafficSelector s : ours) {
                if (s instanceof TrafficSelector.AddressRange b) {
                    intersect(a, b).filter(r -> !out.contains(r)).ifPresent(out::add);
                }
            }
        }
        return out;
    }

    /**
     * True if every selector of {@code answer} lies within one of {@code offered} and covers every protocol and port
     * ({@link #addressOnly}: a responder narrowing to a port gets a refusal, not an SA for the whole networks).
     */
    static boolean within(List<TrafficSelector> answer, List<TrafficSelector> offered) {
        for (TrafficSelector t : answer) {
            if (!(t instanceof TrafficSelector.AddressRange a) || !addressOnly(a)) {
                return false;
            }
            boolean inside = offered.stream().anyMatch(o -> o instanceof TrafficSelector.AddressRange b
                    && intersect(a, b).map(a::equals).orElse(false));
            if (!inside) {
                return false;
            }
        }
        return !answer.isEmpty();
    }

    private static java.util.Optional<TrafficSelector.AddressRange> intersect(TrafficSelector.AddressRange a,
            TrafficSelector.AddressRange b) {
        if (a.family() != b.family()) {
            return java.util.Optional.empty();
        }
        int protocol;
        if (a.ipProtocol() == 0 || b.ipProtocol() == 0) {
            protocol = Math.max(a.ipProtocol(), b.ipProtocol());
        } else if (a.ipProtocol() == b.ipProtocol()) {
            protocol = a.ipProtocol();
        } else {
            return java.util.Optional.empty();
        }
        int startPort = Math.max(a.startPort(), b.startPort());
        int endPort = Math.min(a.endPort(), b.endPort());
        if (startPort > endPort) {
            return java.util.Optional.empty();
        }
        InetAddress start = max(a.startAddress(), b.startAddress());
        InetAddress end = min(a.endAddress(), b.endAddress());
        if (Arrays.compareUnsigned(start.getAddress(), end.getAddress()) > 0) {
            return java.util.Optional.empty();
        }
        return java.util.Optional.of(new TrafficSelector.AddressRange(protocol, startPort, endPort,
                IpAddresses.byAddress(start.getAddress()), IpAddresses.byAddress(end.getAddress())));
    }

    private static InetAddress max(InetAddress x, InetAddress y) {
        return Arrays.compareUnsigned(x.getAddress(), y.getAddress()) >= 0 ? x : y;
    }

    private static InetAddress min(InetAddress x, InetAddress y) {
        return Arrays.compareUnsigned(x.getAddress(), y.getAddress()) <= 0 ? x : y;
    }
}
