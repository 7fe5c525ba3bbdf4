package net.palisade.dataplane;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import net.palisade.dataplane.io.IpPrefix;
import net.palisade.dataplane.replay.ReplayWindow;
import net.palisade.dataplane.sa.FlowPair;
import net.palisade.dataplane.sa.InboundSa;
import net.palisade.dataplane.sa.OutboundSa;
import net.palisade.dataplane.sa.Prefix;
import net.palisade.dataplane.sa.Selectors;
import net.palisade.dataplane.sa.TunnelSas;
import net.palisade.model.Network;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The routes a tunnel holds from its start to its stop, shared with its SAs' routes: between SAs the route stays
 * (traffic for the remote networks reaches the workers, which drop it, instead of leaving by another route in clear).
 * The kernel's route table is a set here; the lab test ({@code FailClosedLabTest}) checks the real one.
 */
class TunnelRoutesTest {
    private final ExecutorService control = Executors.newSingleThreadExecutor();
    /** The routes "in the kernel", and every add and remove in order. */
    private final Set<IpPrefix> table = new LinkedHashSet<>();
    private final List<String> calls = new ArrayList<>();
    private final TunnelRoutes routes = new TunnelRoutes(new TunnelRoutes.Kernel() {
        @Override
        public String name() {
            return "tun-test";
        }

        @Override
        public void addRoute(IpPrefix prefix, InetAddress source) {
            assertThat(table.add(prefix)).as("added twice: %s", prefix).isTrue();
            calls.add("add " + prefix);
        }

        @Override
        public void removeRoute(IpPrefix prefix) {
            assertThat(table.remove(prefix)).as("removed without being there: %s", prefix).isTrue();
            calls.add("remove " + prefix);
        }

        @Override
        public void enableIpv6() {}
    }, control);

    @AfterEach
    void stop() {
        control.shutdownNow();
    }

    private static Prefix p(String net) {
        return Prefix.of(Network.parse(net)).getFirst();
    }

    private static IpPrefix ip(String net) {
        return p(net).toIpPrefix();
    }

    private static List<Prefix> nets(String... nets) {
        return java.util.Arrays.stream(nets).map(TunnelRoutesTest::p).toList();
    }

    /** An SA pair of tunnel {@code label} from 10.1.0.0/16 to {@code remotes}. */
    private static TunnelSas pair(String label, int inSpi, String... remotes) {
        OutboundSa out = new OutboundSa(label, inSpi + 1, InetAddress.ofLiteral("192.0.2.1"),
                new InetSocketAddress(InetAddress.ofLiteral("192.0.2.2"), 4500), "aes-128-gcm", false, 1438, 1, null);
        List<Prefix> remote = nets(remotes);
        InboundSa in = new InboundSa(label, inSpi, "aes-128-gcm", new ReplayWindow(64, false),
                new Selectors(nets("10.1.0.0/16"), remote), 1395, 1375, 1);
        return new TunnelSas(label, out, in, remote.stream().map(r -> new FlowPair(p("10.1.0.0/16"), r)).toList());
    }

    @Test
    void aHeldRouteIsThereBeforeTheFirstSaAndStaysWhenTheSaGoes() throws Exception {
        routes.hold("t", nets("10.1.0.0/16"), nets("10.2.0.0/16"));
        assertThat(table).containsExactly(ip("10.2.0.0/16"));

        routes.claim("t", pair("t", 0x100, "10.2.0.0/16"), new ArrayList<>());
        routes.remove("t"); // the tunnel's last SA goes (a Delete, DPD)

        assertThat(table).containsExactly(ip("10.2.0.0/16"));
        assertThat(calls).containsExactly("add 10.2.0.0/16"); // the SA neither added nor removed it

        routes.claim("t", pair("t", 0x200, "10.2.0.0/16"), new ArrayList<>()); // the next SA
        routes.remove("t");
        routes.unhold("t"); // the tunnel is stopped
        assertThat(table).isEmpty();
        assertThat(calls).containsExactly("add 10.2.0.0/16", "remove 10.2.0.0/16");
    }

    @Test
    void releasingTheHoldWhileSasStillNeedTheRouteKeepsItUntilTheLastGoes() throws Exception {
        routes.hold("t", nets("10.1.0.0/16"), nets("10.2.0.0/16"));
        routes.claim("t", pair("t", 0x100, "10.2.0.0/16"), new ArrayList<>());
        routes.claim("u", pair("u", 0x300, "10.2.0.0/16"), new ArrayList<>()); // another tunnel's SA, same network

        routes.unhold("t");
        assertThat(table).containsExactly(ip("10.2.0.0/16"));
        routes.remove("t");
        assertThat(table).containsExactly(ip("10.2.0.0/16"));
        routes.remove("u");
        assertThat(table).isEmpty();
    }

    @Test
    void aRouteAnSaAddedBeforeTheHoldIsHeldAfterTheSaGoes() throws Exception {
        routes.claim("t", pair("t", 0x100, "10.2.0.0/16"), new ArrayList<>()); // e.g. resumed before the hold came
        routes.hold("t", nets("10.1.0.0/16"), nets("10.2.0.0/16"));
        routes.remove("t");
        assertThat(table).containsExactly(ip("10.2.0.0/16"));
        assertThat(routes.held("t")).containsExactly(ip("10.2.0.0/16"));
    }

    @Test
    void anotherSpecChangesOnlyTheDifference() throws Exception {
        routes.hold("t", nets("10.1.0.0/16"), nets("10.2.0.0/16", "10.3.0.0/16"));
        calls.clear();

        routes.hold("t", nets("10.1.0.0/16"), nets("10.3.0.0/16", "10.4.0.0/16"));

        assertThat(table).containsExactlyInAnyOrder(ip("10.3.0.0/16"), ip("10.4.0.0/16"));
        assertThat(calls).containsExactly("add 10.4.0.0/16", "remove 10.2.0.0/16"); // new first; 10.3 untouched
    }

    @Test
    void aPrefixNoLongerHeldStaysWhileAnSaClaimsIt() throws Exception {
        routes.hold("t", nets("10.1.0.0/16"), nets("10.2.0.0/16"));
        routes.claim("t", pair("t", 0x100, "10.2.0.0/16"), new ArrayList<>());

        routes.hold("t", nets("10.1.0.0/16"), nets("10.5.0.0/16"));
        assertThat(table).containsExactlyInAnyOrder(ip("10.2.0.0/16"), ip("10.5.0.0/16"));

        routes.prune("t", List.of()); // the SA goes
        assertThat(table).containsExactly(ip("10.5.0.0/16"));
    }

    @Test
    void aDefaultRouteIsNeverHeld() throws Exception {
        routes.hold("t", nets("10.1.0.0/16"), Prefix.of(Network.parse("any")));
        assertThat(table).isEmpty();
        assertThat(routes.held("t")).isEmpty();
    }
}
