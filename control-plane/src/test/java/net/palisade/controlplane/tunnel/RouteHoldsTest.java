package net.palisade.controlplane.tunnel;

import static org.assertj.core.api.Assertions.assertThat;

import net.palisade.controlplane.Fixtures;
import net.palisade.dataplane.Dataplane;
import net.palisade.dataplane.sa.Prefix;
import net.palisade.model.IkeTunnel;
import net.palisade.model.Network;
import org.junit.jupiter.api.Test;

/** Which of a tunnel's {@code to} networks get a route held from its start to its stop. */
class RouteHoldsTest {
    private static IkeTunnel tunnel(String line) {
        return (IkeTunnel) Fixtures.parse(line + " label t\n").tunnel("t").orElseThrow();
    }

    private static Prefix p(String net) {
        return Prefix.of(Network.parse(net)).getFirst();
    }

    @Test
    void theConfiguredRemoteNetworksAreHeldWithTheLocalOnesForTheSource() {
        Dataplane.RouteHold h = RouteHolds.holdFor(tunnel(
                "ike from 10.1.0.0/16 to 10.2.0.0/16 10.3.0.0/24 peer 198.51.100.7 psk \"x-psk-for-a-test\""));
        assertThat(h.label()).isEqualTo("t");
        assertThat(h.remote()).containsExactly(p("10.2.0.0/16"), p("10.3.0.0/24"));
        assertThat(h.local()).containsExactly(p("10.1.0.0/16"));
    }

    @Test
    void aNetworkHoldingAPeerAddressIsNotHeldNorIsAny() {
        // a route to 198.51.0.0/16 through the TUN device would take the IKE and ESP packets to the peer with it
        Dataplane.RouteHold h = RouteHolds.holdFor(tunnel("ike from 10.1.0.0/16 to 10.2.0.0/16 198.51.0.0/16 "
                + "peer 203.0.113.9 peer 198.51.100.7 psk \"x-psk-for-a-test\""));
        assertThat(h.remote()).containsExactly(p("10.2.0.0/16"));

        assertThat(RouteHolds.holdFor(tunnel("ike passive from 10.1.0.0/16 to any psk \"x-psk-for-a-test\""))
                .remote()).isEmpty();
    }
}
