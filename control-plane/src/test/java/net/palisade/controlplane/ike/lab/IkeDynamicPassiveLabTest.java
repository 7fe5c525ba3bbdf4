package net.palisade.controlplane.ike.lab;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import net.palisade.controlplane.lab.Lab;
import net.palisade.controlplane.lab.LabNamespaces;
import net.palisade.controlplane.lab.LabNode;
import net.palisade.model.event.TunnelEvent;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The documentation's two lines between two Palisade nodes (lab prefix "ikdp"), run as IKEv2: gw-a with
 * {@code ike dynamic ... peer 192.0.2.2 psk "p"}, gw-b with {@code ike passive ... psk "p"} (no peer, no
 * {@code dstid}). The dynamic side names itself by host name; the passive side accepts any identity the PSK
 * authenticates, so the tunnel comes up and host-a pings host-b. Needs root; skipped with
 * {@code -Dpalisade.skipExternal=true}.
 */
class IkeDynamicPassiveLabTest {
    private static final String PSK = "dynamic-passive-lab-psk-not-for-production";

    @RegisterExtension
    static final LabNamespaces LAB = LabNamespaces.of(IkeDynamicPassiveLabTest.class);
    private static final String PREFIX = LAB.prefix();

    private static LabNode node(Path dir, String gw) throws Exception {
        return LabNode.start(PREFIX, dir, LabNode.Options.defaults(PREFIX).withGateway(gw).withTunName(PREFIX + gw)
                .withDataDir("data-" + gw));
    }

    @Test
    void aDynamicSiteAndAPassiveHubWithOnlyAPskComeUp(@TempDir Path dir) throws Exception {
        try (LabNode hub = node(dir, "gwb"); LabNode site = node(dir, "gwa")) {
            hub.commit("ike passive from 10.2.0.0/24 to 10.1.0.0/24 psk \"" + PSK + "\" label t\n");
            site.commit("ike dynamic from 10.1.0.0/24 to 10.2.0.0/24 peer 192.0.2.2 psk \"" + PSK + "\" label t\n");
            await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(300)).untilAsserted(() -> {
                assertThat(types(site.journal("t"))).as("site: %s\nhub: %s", site.journal("t"), hub.journal("t"))
                        .contains("phase1-up", "child-sa-installed");
                assertThat(types(hub.journal("t"))).as("hub: %s", hub.journal("t"))
                        .contains("phase1-up", "child-sa-installed");
            });
            assertThat(hub.journal("t")).as("the hub refused nobody").noneMatch(e -> e.type().equals(
                    "negotiation-failed"));
            Lab.Result ping = Lab.ping(PREFIX + "-ha", "10.2.0.10");
            assertThat(ping.exit()).as(ping.output() + "\nsite " + site.dataplane().counters() + "\nhub "
                    + hub.dataplane().counters()).isZero();
        }
    }

    private static List<String> types(List<TunnelEvent> events) {
        return events.stream().map(TunnelEvent::type).toList();
    }
}
