package net.palisade.controlplane.ike.lab;

import static org.assertj.core.api.Assertions.assertThat;

import static org.awaitility.Awaitility.await;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import net.palisade.controlplane.ike.SystemHostName;
import net.palisade.controlplane.lab.Lab;
import net.palisade.controlplane.lab.LabNamespaces;
import net.palisade.controlplane.lab.LabNode;
import net.palisade.controlplane.lab.StrongSwan;
import net.palisade.controlplane.lab.Tshark;
import net.palisade.model.event.Cause;
import net.palisade.model.event.TunnelEvent;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.api.parallel.Execution;
import org.junit.jupiter.api.parallel.ExecutionMode;
import org.junit.jupiter.api.parallel.ResourceLock;

/**
 * IKEv1 tunnels of a real {@code Node} against strongSwan 5.9.8 speaking IKEv1 in the namespace lab, with a ping
 * from host-a to host-b across: Palisade initiating main mode with PFS, strongSwan initiating aggressive mode to
 * the original documentation's passive line (no peer), and the documentation's dynamic line against a strongSwan
 * that accepts any ID. strongSwan's {@code encap = yes} makes both sides float to port 4500 and encapsulate ESP in
 * UDP. strongSwan's log and {@code --list-sas}, and tshark, judge the wire. Needs root, strongSwan and tshark;
 * skipped with {@code -Dpalisade.skipExternal=true}.
 */
@Execution(ExecutionMode.CONCURRENT) // beside the other classes: see junit-platform.properties
@ResourceLock("Ikev1StrongSwanTest")
class Ikev1StrongSwanTest {
    private static final String PSK = "ikev1-lab-psk-not-for-production";

    @RegisterExtension
    static final LabNamespaces LAB = LabNamespaces.of(Ikev1StrongSwanTest.class);
    private static final String PREFIX = LAB.prefix();

    @Test
    void palisadeInitiatesMainModeWithPfsAndThePingCrosses(@TempDir Path dir) throws Exception {
        Path pcap = dir.resolve("inet.pcap");
        try (Tshark.Capture _ = Tshark.capture(PREFIX + "-inet", "br0", pcap);
                StrongSwan peer = StrongSwan.ikev1Psk(PREFIX + "-gwb", dir.resolve("ss"), "192.0.2.2", "192.0.2.1",
                        "10.2.0.0/16", "10.1.0.0/16", PSK, StrongSwan.Ikev1.mainMode().pfs("modp2048")).start();
                LabNode node = LabNode.start(PREFIX, dir)) {
            node.commit("ike main from 10.1.0.0/16 to 10.2.0.0/16 peer 192.0.2.2 quick group modp2048 psk \"" + PSK
                    + "\" label to-b\n");
            node.awaitEvents("to-b", Duration.ofSeconds(40), () -> "charon log:\n" + peer.log(), "phase1-up",
                    "child-sa-installed");
            ping(node, peer);
            iperf(node, peer);
            assertThat(node.journal("to-b")).filteredOn(TunnelEvent.Phase1Up.class::isInstance)
                    .map(e -> ((TunnelEvent.Phase1Up) e).ikeVersion()).containsExactly(java.util.Optional.of(1));
            assertThat(peer.log()).contains("192.0.2.1 is initiating a Main Mode IKE_SA")
                    .contains("selected proposal: ESP:AES_GCM_16_128/MODP_2048");
            assertThat(peer.listSas()).contains("ESTABLISHED, IKEv1")
                    .contains("INSTALLED, TUNNEL-in-UDP, ESP:AES_GCM_16-128/MODP_2048");
        }
        // ISAKMP 1.0 (0x10) main mode (2) and quick mode (32), every frame dissected
        assertThat(Tshark.fields(pcap, "isakmp.version == 0x10 && isakmp.exchangetype == 2", "frame.number"))
                .hasSizeGreaterThanOrEqualTo(6);
        assertThat(Tshark.fields(pcap, "isakmp.version == 0x10 && isakmp.exchangetype == 32", "frame.number"))
                .hasSizeGreaterThanOrEqualTo(3);
        assertThat(Tshark.fields(pcap, "_ws.malformed || _ws.expert.severity == error", "frame.number")).isEmpty();
        assertThat(Tshark.fields(pcap, "esp && udp.port == 4500", "esp.spi")).isNotEmpty();
    }

    @Test
    void strongSwanInitiatesMainModeToAPassiveTunnelChosenByItsAddress(@TempDir Path dir) throws Exception {
        try (StrongSwan peer = StrongSwan.ikev1Psk(PREFIX + "-gwb", dir.resolve("ss"), "192.0.2.2", "192.0.2.1",
                        "10.2.0.0/16", "10.1.0.0/16", PSK, StrongSwan.Ikev1.mainMode().pfs("modp2048")).start();
                LabNode node = LabNode.start(PREFIX, dir)) {
            // an IKEv2 tunnel for the same peer and an IKEv1 one for another: the message 1 goes to "to-b" only
            node.commit("ike passive from 10.9.0.0/16 to 10.8.0.0/16 peer 192.0.2.2 psk \"" + PSK + "\" label v2\n"
                    + "ike passive from 10.7.0.0/16 to 10.6.0.0/16 peer 192.0.2.3 main psk \"" + PSK + "\" label c\n"
                    + "ike passive from 10.1.0.0/16 to 10.2.0.0/16 peer 192.0.2.2 main quick group modp2048 psk \""
                    + PSK + "\" label to-b\n");
            peer.initiateOnceConfigured(node, "to-b");
            node.awaitEvents("to-b", Duration.ofSeconds(40), () -> "charon log:\n" + peer.log(), "phase1-up",
                    "child-sa-installed");
            ping(node, peer);
            assertThat(peer.log()).contains("initiating Main Mode IKE_SA lab");
            assertThat(node.eventTypes("v2")).doesNotContain("phase1-up");
            assertThat(node.eventTypes("c")).doesNotContain("phase1-up");
        }
    }

    @Test
    void strongSwanInitiatesAggressiveModeToTheDocumentationsPassiveLine(@TempDir Path dir) throws Exception {
        try (StrongSwan peer = StrongSwan.ikev1Psk(PREFIX + "-gwb", dir.resolve("ss"), "192.0.2.2", "192.0.2.1",
                        "10.2.0.0/16", "10.1.0.0/16", "badpassword",
                        StrongSwan.Ikev1.mainMode().aggressive().pfs("modp2048").localId("gw-b.example")).start();
                LabNode node = LabNode.start(PREFIX, dir)) {
            // the documentation's fixed side, verbatim but for the label and our lab's networks
            node.commit("ike passive from 10.1.0.0/16 to 10.2.0.0/16 aggressive quick psk \"badpassword\" ping"
                    + " label to-b\n");
            peer.initiateOnceConfigured(node, "to-b");
            node.awaitEvents("to-b", Duration.ofSeconds(40), () -> "charon log:\n" + peer.log(), "phase1-up",
                    "child-sa-installed");
            ping(node, peer);
            iperf(node, peer);
            assertThat(peer.log()).contains("initiating Aggressive Mode IKE_SA lab");
            assertThat(peer.listSas()).contains("ESTABLISHED, IKEv1").contains("INSTALLED, TUNNEL-in-UDP");
        }
    }

    @Test
    void strongSwansKilobyteLifetimeIsKeptAndTheSaIsReplacedBeforeItUnderIperf(@TempDir Path dir) throws Exception {
        // strongSwan proposes a lifetime of 50 MB (SA Life Type kilobytes) and would replace the SA itself at 49.5 MB:
        // the node replaces it first, at 90 % of the volume (45 MB)
        StrongSwan conf = StrongSwan.ikev1Psk(PREFIX + "-gwb", dir.resolve("ss"), "192.0.2.2", "192.0.2.1",
                "10.2.0.0/16", "10.1.0.0/16", PSK, StrongSwan.Ikev1.mainMode());
        conf.editSwanctl(c -> c.replace("        start_action = none\n",
                "        start_action = none\n        life_bytes = 50000000\n        rekey_bytes = 49500000\n"));
        try (StrongSwan peer = conf.start(); LabNode node = LabNode.start(PREFIX, dir)) {
            node.commit("ike passive from 10.1.0.0/16 to 10.2.0.0/16 peer 192.0.2.2 main psk \"" + PSK
                    + "\" label to-b\n");
            peer.initiateOnceConfigured(node, "to-b");
            node.awaitEvents("to-b", Duration.ofSeconds(40), () -> "charon log:\n" + peer.log(), "phase1-up",
                    "child-sa-installed");
            ping(node, peer);
            iperf(node, peer);
            await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(300)).untilAsserted(() ->
                    assertThat(node.journal("to-b")).as("charon log:\n" + peer.log())
                            .anyMatch(e -> e instanceof TunnelEvent.Rekeyed k && k.spi().isPresent()));
            ping(node, peer);
            assertThat(node.eventTypes("to-b")).doesNotContain("phase1-down", "negotiation-failed");
        }
    }

    @Test
    void theDocumentationsDynamicLineAgainstAStrongSwanThatAcceptsAnyId(@TempDir Path dir) throws Exception {
        try (StrongSwan peer = StrongSwan.ikev1Psk(PREFIX + "-gwb", dir.resolve("ss"), "192.0.2.2", "%any",
                        "10.2.0.0/16", "10.1.0.0/16", "badpassword",
                        StrongSwan.Ikev1.mainMode().aggressive().acceptAggressivePsk().pfs("modp2048")).start();
                LabNode node = LabNode.start(PREFIX, dir)) {
            node.commit("ike dynamic from 10.1.0.0/16 to 10.2.0.0/16 peer 192.0.2.2 aggressive quick psk"
                    + " \"badpassword\" ping label to-b\n");
            node.awaitEvents("to-b", Duration.ofSeconds(40), () -> "charon log:\n" + peer.log(), "phase1-up",
                    "child-sa-installed");
            ping(node, peer);
            assertThat(peer.log()).contains("192.0.2.1 is initiating a Aggressive Mode IKE_SA");
            // a dynamic tunnel's identity is this machine's host name, as for IKEv2
            assertThat(peer.listSas()).contains("ESTABLISHED, IKEv1")
                    .contains("remote '" + SystemHostName.get() + "' @ 192.0.2.1");
        }
    }

    @Test
    void strongSwanReplacesTheQuickModeSaEvery20sUnderPingWithoutLoss(@TempDir Path dir) throws Exception {
        try (StrongSwan peer = replacingQuickModeEvery20s(PREFIX, dir, PSK).start();
                LabNode node = LabNode.start(PREFIX, dir)) {
            mainModeUp(node, peer, PSK);
            ping(node, peer);
            // 50 s at 20 a second: two or three replacements by strongSwan
            Lab.Result r = Lab.sh("ip", "netns", "exec", PREFIX + "-ha", "ping", "-D", "-i", "0.05", "-W", "2", "-c",
                    "1000", "10.2.0.10");
            Matcher m = Pattern.compile("(\\d+) packets transmitted, (\\d+) received").matcher(r.output());
            assertThat(m.find()).as(r.output()).isTrue();
            List<TunnelEvent> events = node.journal("to-b");
            String story = String.join("\n", events.stream().map(Object::toString).toList());
            // at most one echo of 1000: under the whole suite's load one was lost twice in about ten runs (not
            // understood yet: docs/status.md); more is a broken replacement
            assertThat(Integer.parseInt(m.group(1)) - Integer.parseInt(m.group(2)))
                    .as("echoes lost across the replacements: " + summary(r) + "\nlost: " + Lab.lostEchoes(r.output())
                            + "\nevents:\n" + story
                            + "\ndataplane counters (drops by cause): " + node.dataplane().counters()
                            + "\ncharon log:\n" + peer.log()).isLessThanOrEqualTo(1);
            assertThat(peer.log()).contains("CHILD_SA net{2} established");
            // each replacement is a new quick mode strongSwan initiates, journaled here as a rekey of the pair it
            // replaces (the new pair receives from our message 2, sends from strongSwan's message 3)
            assertThat(events.stream().filter(e -> e instanceof TunnelEvent.Rekeyed k && k.spi().isPresent()
                    && k.cause().equals(Cause.PEER)).count()).as(story).isGreaterThanOrEqualTo(2);
            assertThat(events.stream().map(TunnelEvent::type).toList()).as(story)
                    .doesNotContain("phase1-down", "dpd-lost", "negotiation-failed");
        }
    }

    @Test
    void strongSwanReauthenticatesPhase1Every20sMakeBeforeBreakAndThePingLosesNothing(@TempDir Path dir)
            throws Exception {
        // over_time 10 s: strongSwan's default (a tenth of the rekey time) would give its new main mode 2 s before it
        // deletes the old ISAKMP SA, less than its own first retransmission (4 s); a single lost or late message on a
        // loaded machine then ended the old SA before the new one was up (the fresh-chroot run at 5de66d1). With its
        // default rekey time (4 h) the margin is 24 minutes.
        StrongSwan ss = StrongSwan.ikev1Psk(PREFIX + "-gwb", dir.resolve("ss"), "192.0.2.2", "192.0.2.1",
                "10.2.0.0/16", "10.1.0.0/16", PSK, StrongSwan.Ikev1.mainMode().pfs("modp2048")
                        .rekeyTime(Duration.ofSeconds(20)).overTime(Duration.ofSeconds(10)));
        assertThat(Files.readString(ss.dir().resolve("strongswan.conf"))).contains("  port = 500\n");
        ss.editConf(c -> c.replace("  port = 500\n", "  port = 500\n  make_before_break = yes\n"));
        try (StrongSwan peer = ss.start(); LabNode node = LabNode.start(PREFIX, dir)) {
            node.commit("ike main from 10.1.0.0/16 to 10.2.0.0/16 peer 192.0.2.2 quick group modp2048 psk \"" + PSK
                    + "\" label to-b\n");
            node.awaitEvents("to-b", Duration.ofSeconds(40), () -> "charon log:\n" + peer.log(), "phase1-up",
                    "child-sa-installed");
            ping(node, peer);
            Lab.Result r = Lab.sh("ip", "netns", "exec", PREFIX + "-ha", "ping", "-D", "-i", "0.05", "-W", "2", "-c",
                    "900", "10.2.0.10");
            Matcher m = Pattern.compile("(\\d+) packets transmitted, (\\d+) received").matcher(r.output());
            assertThat(m.find()).as(r.output()).isTrue();
            List<TunnelEvent> events = node.journal("to-b");
            String story = String.join("\n", events.stream().map(Object::toString).toList());
            assertThat(peer.log()).as(story).contains("initiating Main Mode IKE_SA lab[2] to 192.0.2.1");
            // the peer's new ISAKMP SA replaced ours: rekeyed, never phase1-down (which would remove the SAs)
            assertThat(events).as(story + "\ncharon log:\n" + peer.log())
                    .anyMatch(e -> e instanceof TunnelEvent.Rekeyed k && k.spi().isEmpty());
            assertThat(events.stream().map(TunnelEvent::type).toList()).as(story)
                    .doesNotContain("phase1-down", "dpd-lost", "negotiation-failed");
            assertThat(m.group(2)).as("ping across the re-authentications: " + summary(r) + "\nevents:\n" + story
                    + "\nlost: " + Lab.lostEchoes(r.output()) + "\ndataplane counters (drops by cause): "
                    + node.dataplane().counters() + "\ncharon log:\n"
                    + peer.log()).isEqualTo(m.group(1));
        }
    }

    @Test
    void palisadeReauthenticatesPhase1AndReplacesItsQuickModeSaBeforeTheyExpireAndThePingLosesNothing(
            @TempDir Path dir) throws Exception {
        try (StrongSwan peer = StrongSwan.ikev1Psk(PREFIX + "-gwb", dir.resolve("ss"), "192.0.2.2", "192.0.2.1",
                        "10.2.0.0/16", "10.1.0.0/16", PSK, StrongSwan.Ikev1.mainMode().pfs("modp2048")).start();
                LabNode node = LabNode.start(PREFIX, dir)) {
            // the shortest lifetimes the language allows: phase 1 is re-authenticated and the ESP SA replaced at
            // 80 to 90 % of 60 s
            node.commit("ike from 10.1.0.0/16 to 10.2.0.0/16 peer 192.0.2.2 main lifetime 60 quick group"
                    + " modp2048 lifetime 60 psk \"" + PSK + "\" label to-b\n");
            node.awaitEvents("to-b", Duration.ofSeconds(40), () -> "charon log:\n" + peer.log(), "phase1-up",
                    "child-sa-installed");
            ping(node, peer);
            Lab.Result r = Lab.sh("ip", "netns", "exec", PREFIX + "-ha", "ping", "-D", "-i", "0.05", "-W", "2", "-c",
                    "1300", "10.2.0.10");
            Matcher m = Pattern.compile("(\\d+) packets transmitted, (\\d+) received").matcher(r.output());
            assertThat(m.find()).as(r.output()).isTrue();
            List<TunnelEvent> events = node.journal("to-b");
            String story = String.join("\n", events.stream().map(Object::toString).toList());
            assertThat(events).as(story + "\ncharon log:\n" + peer.log())
                    .anyMatch(e -> e instanceof TunnelEvent.Rekeyed k && k.spi().isEmpty()
                            && k.cause().equals(Cause.TIMER))
                    .anyMatch(e -> e instanceof TunnelEvent.Rekeyed k && k.spi().isPresent());
            assertThat(events.stream().map(TunnelEvent::type).toList()).as(story)
                    .doesNotContain("phase1-down", "dpd-lost", "negotiation-failed");
            assertThat(m.group(2)).as("ping across our re-authentication: " + summary(r) + "\nevents:\n" + story
                    + "\nlost: " + Lab.lostEchoes(r.output()) + "\ndataplane counters (drops by cause): "
                    + node.dataplane().counters() + "\ncharon log:\n"
                    + peer.log()).isEqualTo(m.group(1));
        }
    }

    @Test
    void aPeerKilledWithSignal9IsDpdLostTheTunnelSwitchesToTheSecondPeerAndBackWhenTheFirstReturns(@TempDir Path dir)
            throws Exception {
        StrongSwan.Ikev1 options = StrongSwan.Ikev1.mainMode().pfs("modp2048");
        try (StrongSwan b = StrongSwan.ikev1Psk(PREFIX + "-gwb", dir.resolve("ss-b"), "192.0.2.2", "192.0.2.1",
                        "10.2.0.0/16", "10.1.0.0/16", PSK, options).start();
                StrongSwan c = StrongSwan.ikev1Psk(PREFIX + "-gwc", dir.resolve("ss-c"), "192.0.2.3", "192.0.2.1",
                        "10.2.0.0/16", "10.1.0.0/16", PSK, options).start();
                LabNode node = LabNode.start(PREFIX, dir)) {
            node.commit("ike main from 10.1.0.0/16 to 10.2.0.0/16 peer 192.0.2.2 peer 192.0.2.3 quick group modp2048"
                    + " psk \"" + PSK + "\" dpd 2 label to-b\n");
            node.awaitEvents("to-b", Duration.ofSeconds(40), () -> "charon log:\n" + b.log(), "phase1-up",
                    "child-sa-installed");
            ping(node, b);
            // no Delete, no goodbye: R-U-THERE goes unanswered
            String pid = Files.readString(b.dir().resolve("charon.pid")).strip();
            assertThat(Lab.sh("kill", "-9", pid).exit()).isZero();
            await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(500)).untilAsserted(() ->
                    assertThat(node.eventTypes("to-b")).as("charon log of gw-c:\n" + c.log())
                            .containsSubsequence("phase1-up", "dpd-lost", "peer-switched", "phase1-up"));
            assertThat(node.phase1Peers("to-b")).containsExactly("192.0.2.2", "192.0.2.3");
            assertThat(c.listSas()).contains("ESTABLISHED, IKEv1").contains("INSTALLED");

            // gw-b's strongSwan is started again: within a dpd interval the node tries it (a probe phase 1 beside
            // the running one), switches back and negotiates with it
            try (StrongSwan again = StrongSwan.ikev1Psk(PREFIX + "-gwb", dir.resolve("ss-b2"), "192.0.2.2",
                    "192.0.2.1", "10.2.0.0/16", "10.1.0.0/16", PSK, options).start()) {
                await().atMost(Duration.ofSeconds(40)).pollInterval(Duration.ofMillis(500)).untilAsserted(() ->
                        assertThat(node.phase1Peers("to-b")).as("charon log of gw-b:\n" + again.log())
                                .containsExactly("192.0.2.2", "192.0.2.3", "192.0.2.2"));
                assertThat(node.journal("to-b")).filteredOn(TunnelEvent.PeerSwitched.class::isInstance)
                        .map(e -> (TunnelEvent.PeerSwitched) e).map(e -> e.from().orElse("-") + " -> " + e.to())
                        .containsExactly("192.0.2.2 -> 192.0.2.3", "192.0.2.3 -> 192.0.2.2");
                node.awaitEvents("to-b", Duration.ofSeconds(20), () -> "charon log:\n" + again.log(),
                        "child-sa-installed");
                await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(500)).untilAsserted(() ->
                        ping(node, again));
                // gw-c was told: our ISAKMP SA with it is deleted, not left to its DPD
                await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(300)).untilAsserted(() ->
                        assertThat(c.listSas()).doesNotContain("ESTABLISHED"));
            }
        }
    }

    /** strongSwan on gw-b of lab {@code prefix}: IKEv1 main mode, PFS, and a new quick mode every 20 s. */
    static StrongSwan replacingQuickModeEvery20s(String prefix, Path dir, String psk) throws Exception {
        return StrongSwan.ikev1Psk(prefix + "-gwb", dir.resolve("ss"), "192.0.2.2", "192.0.2.1", "10.2.0.0/16",
                "10.1.0.0/16", psk, StrongSwan.Ikev1.mainMode().pfs("modp2048").childRekeyTime(Duration.ofSeconds(20)));
    }

    /** Commits the main-mode tunnel {@code to-b} to {@code peer} and waits for its phase 1 and first ESP SA. */
    static void mainModeUp(LabNode node, StrongSwan peer, String psk) throws Exception {
        node.commit("ike main from 10.1.0.0/16 to 10.2.0.0/16 peer 192.0.2.2 quick group modp2048 psk \"" + psk
                + "\" label to-b\n");
        node.awaitEvents("to-b", Duration.ofSeconds(40), () -> "charon log:\n" + peer.log(), "phase1-up",
                "child-sa-installed");
    }

    /** A {@code ping -D} run without its reply lines: the header and the statistics. */
    private static String summary(Lab.Result r) {
        return String.join("\n", r.output().lines().filter(l -> !l.contains(" bytes from ")).toList());
    }

    private static void ping(LabNode node, StrongSwan peer) throws Exception {
        Lab.Result r = Lab.ping(PREFIX + "-ha", "10.2.0.10");
        assertThat(r.exit()).as(r.output() + "\nevents " + node.eventTypes("to-b") + "\ncounters "
                + node.dataplane().counters() + "\ncharon log:\n" + peer.log()).isZero();
    }

    /** TCP across the tunnel for 3 s (iperf3 from host-a to host-b): data flows both ways, acknowledged. */
    private static void iperf(LabNode node, StrongSwan peer) throws Exception {
        Lab.Result r = Lab.iperf(PREFIX + "-ha", PREFIX + "-hb", "10.2.0.10", 3);
        assertThat(r.exit()).as(r.output() + "\nevents " + node.eventTypes("to-b") + "\ncounters "
                + node.dataplane().counters() + "\ncharon log:\n" + peer.log()).isZero();
        assertThat(r.output()).containsPattern("\\d+(\\.\\d+)? [KMG]bits/sec.*receiver");
    }
}
