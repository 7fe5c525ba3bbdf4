package net.palisade.controlplane.ike.lab;

import static net.palisade.controlplane.lab.Lab.sh;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import net.palisade.controlplane.JournalEvent;
import net.palisade.controlplane.lab.Lab;
import net.palisade.controlplane.lab.LabNamespaces;
import net.palisade.controlplane.lab.LabNode;
import net.palisade.controlplane.lab.StrongSwan;
import net.palisade.model.crypto.DhGroup;
import net.palisade.model.event.Cause;
import net.palisade.model.event.TunnelEvent;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.api.parallel.Execution;
import org.junit.jupiter.api.parallel.ExecutionMode;
import org.junit.jupiter.api.parallel.ResourceLock;

/**
 * Palisade with its default settings against Debian's strongSwan with <em>its</em> defaults ({@code proposals =
 * default}, {@code esp_proposals = default}: no DH group for the Child SA, so its rekeys carry no KE) in the
 * namespace lab (prefix "ikdf"), while host-a pings host-b every 50 ms. Users do not tune their peers to us: the
 * peer's defaults are the test. Needs root and strongSwan; skipped with {@code -Dpalisade.skipExternal=true}.
 */
@Execution(ExecutionMode.CONCURRENT) // beside the other classes: see junit-platform.properties
@ResourceLock("IkeDefaultsStrongSwanTest")
class IkeDefaultsStrongSwanTest {
    private static final String PSK = "defaults-lab-psk-not-for-production";
    private static final String CONFIG = "ike from 10.1.0.0/24 to 10.2.0.0/24 peer 192.0.2.2 psk \"" + PSK
            + "\" label to-b\n";

    @RegisterExtension
    static final LabNamespaces LAB = LabNamespaces.of(IkeDefaultsStrongSwanTest.class);
    private static final String PREFIX = LAB.prefix();

    @Test
    void strongSwanRekeysWithoutPfsEvery15sAndThePingLosesNothing(@TempDir Path dir) throws Exception {
        StrongSwan ss = StrongSwan.psk(PREFIX + "-gwb", dir.resolve("ss"), "192.0.2.2", "192.0.2.1", "10.2.0.0/16",
                "10.1.0.0/16", PSK, "default", "default");
        ss.editSwanctl(c -> c.replace("        start_action = none\n",
                "        start_action = none\n        rekey_time = 15s\n        rand_time = 2s\n"));
        try (StrongSwan peer = ss.start(); LabNode node = LabNode.start(PREFIX, dir)) {
            node.commit(CONFIG);
            awaitInstalled(node, peer);
            Ping ping = ping(Duration.ofSeconds(65));
            List<TunnelEvent> events = events(node);
            String story = story(events);
            assertThat(ping.received()).as("ping across strongSwan's rekeys: " + ping.output() + "\nevents:\n" + story
                    + "\ncharon log:\n" + peer.log()).isEqualTo(ping.sent());
            List<TunnelEvent.Rekeyed> byPeer = events.stream()
                    .filter(e -> e instanceof TunnelEvent.Rekeyed k && k.cause().equals(Cause.PEER)
                            && k.spi().isPresent()).map(TunnelEvent.Rekeyed.class::cast).toList();
            assertThat(byPeer).as(story).hasSizeGreaterThanOrEqualTo(3)
                    .allMatch(k -> k.pfs().equals(Optional.of(DhGroup.NONE)));
            assertThat(types(events)).as(story).doesNotContain("phase1-down", "dpd-lost", "negotiation-failed");
            assertThat(peer.log()).contains("activating CHILD_REKEY task").doesNotContain("INVALID_KE_PAYLOAD");
        }
    }

    @Test
    void strongSwanLetsItsChildSaExpireAndTrafficIsBackWithin2s(@TempDir Path dir) throws Exception {
        StrongSwan ss = StrongSwan.psk(PREFIX + "-gwb", dir.resolve("ss"), "192.0.2.2", "192.0.2.1", "10.2.0.0/16",
                "10.1.0.0/16", PSK, "default", "default");
        // no rekey: the Child SA hard-expires after 20 s, strongSwan deletes it and schedules its re-creation
        ss.editSwanctl(c -> c.replace("        start_action = none\n",
                "        start_action = none\n        rekey_time = 0\n        life_time = 20s\n        rand_time = 0\n"));
        try (StrongSwan peer = ss.start(); LabNode node = LabNode.start(PREFIX, dir)) {
            node.commit(CONFIG);
            awaitInstalled(node, peer);
            Lab.Result first = Lab.ping(PREFIX + "-ha", "10.2.0.10");
            assertThat(first.exit()).as(first.output()).isZero();
            // 50 s at 20 per second: two expiries; each reply line names its sequence number
            Lab.Result r = sh("ip", "netns", "exec", PREFIX + "-ha", "ping", "-i", "0.05", "-W", "1", "-c", "1000",
                    "10.2.0.10");
            List<TunnelEvent> events = events(node);
            String story = story(events);
            List<Integer> seqs = Pattern.compile("icmp_seq=(\\d+)").matcher(r.output()).results()
                    .map(m -> Integer.parseInt(m.group(1))).toList();
            int longestGap = 0;
            for (int i = 1; i < seqs.size(); i++) {
                longestGap = Math.max(longestGap, seqs.get(i) - seqs.get(i - 1) - 1);
            }
            long deleted = events.stream().filter(e -> e instanceof TunnelEvent.ChildSaDeleted).count();
            long installed = events.stream().filter(e -> e instanceof TunnelEvent.ChildSaInstalled).count();
            assertThat(deleted).as(story + "\ncharon log:\n" + peer.log()).isGreaterThanOrEqualTo(2);
            assertThat(installed).as(story).isGreaterThanOrEqualTo(deleted + 1);
            // 40 pings are 2 s: the longest outage across the expiries
            assertThat(longestGap).as("lost pings in a row; events:\n" + story + "\ncharon log:\n" + peer.log())
                    .isLessThanOrEqualTo(40);
            assertThat(seqs).as(story).hasSizeGreaterThanOrEqualTo(1000 - 80);
            assertThat(types(events)).as(story).doesNotContain("phase1-down", "dpd-lost", "negotiation-failed");
            assertThat(peer.log()).contains("CHILD_SA recreate").doesNotContain("NO_ADDITIONAL_SAS");
        }
    }

    @Test
    void palisadeRekeysWithItsDefaultPfsAgainstStrongSwanWithoutAndThePingLosesNothing(@TempDir Path dir)
            throws Exception {
        StrongSwan ss = StrongSwan.psk(PREFIX + "-gwb", dir.resolve("ss"), "192.0.2.2", "192.0.2.1", "10.2.0.0/16",
                "10.1.0.0/16", PSK, "default", "default");
        // Palisade's Child SA lifetime is the shorter (60 s against strongSwan's default hour): Palisade rekeys,
        // proposing PFS with its default groups, which strongSwan's default esp_proposals do not have
        try (StrongSwan peer = ss.start(); LabNode node = LabNode.start(PREFIX, dir)) {
            node.commit("ike from 10.1.0.0/24 to 10.2.0.0/24 peer 192.0.2.2 childsa lifetime 60 psk \"" + PSK
                    + "\" label to-b\n");
            awaitInstalled(node, peer);
            Ping ping = ping(Duration.ofSeconds(70));
            List<TunnelEvent> events = events(node);
            String story = story(events);
            assertThat(ping.received()).as("ping across Palisade's rekeys: " + ping.output() + "\nevents:\n" + story
                    + "\ncharon log:\n" + peer.log()).isEqualTo(ping.sent());
            List<TunnelEvent.Rekeyed> byUs = events.stream()
                    .filter(e -> e instanceof TunnelEvent.Rekeyed k && k.cause().equals(Cause.TIMER)
                            && k.spi().isPresent()).map(TunnelEvent.Rekeyed.class::cast).toList();
            // strongSwan refuses our KE transforms (NO_PROPOSAL_CHOSEN); the retry without PFS is what it takes
            assertThat(byUs).as(story + "\ncharon log:\n" + peer.log()).isNotEmpty()
                    .allMatch(k -> k.pfs().equals(Optional.of(DhGroup.NONE)));
            assertThat(types(events)).as(story).doesNotContain("phase1-down", "dpd-lost", "negotiation-failed");
        }
    }

    private static void awaitInstalled(LabNode node, StrongSwan peer) {
        await().atMost(Duration.ofSeconds(40)).pollInterval(Duration.ofMillis(200)).untilAsserted(() ->
                assertThat(types(events(node))).as("charon log:\n" + peer.log()).contains("child-sa-installed"));
    }

    /** A finished ping: datagrams sent and answered, and its output. */
    record Ping(long sent, long received, String output) {}

    /** A first ping proves the path; then 20 per second for {@code length}, on a thread of its own. */
    private static Ping ping(Duration length) throws Exception {
        Lab.Result first = Lab.ping(PREFIX + "-ha", "10.2.0.10");
        assertThat(first.exit()).as(first.output()).isZero();
        long count = length.toMillis() / 50;
        ExecutorService pinger = Executors.newSingleThreadExecutor();
        try {
            Lab.Result r = CompletableFuture.supplyAsync(() -> {
                try {
                    return sh("ip", "netns", "exec", PREFIX + "-ha", "ping", "-q", "-i", "0.05", "-W", "2", "-c",
                            Long.toString(count), "10.2.0.10");
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            }, pinger).get(length.toSeconds() + 60, TimeUnit.SECONDS);
            Matcher m = Pattern.compile("(\\d+) packets transmitted, (\\d+) received").matcher(r.output());
            assertThat(m.find()).as(r.output()).isTrue();
            return new Ping(Long.parseLong(m.group(1)), Long.parseLong(m.group(2)), r.output());
        } finally {
            pinger.shutdownNow();
        }
    }

    private static List<TunnelEvent> events(LabNode node) throws Exception {
        return node.events("to-b").stream().map(JournalEvent::event).toList();
    }

    private static List<String> types(List<TunnelEvent> events) {
        return events.stream().map(TunnelEvent::type).toList();
    }

    private static String story(List<TunnelEvent> events) {
        return String.join("\n", events.stream().map(Object::toString).toList());
    }
}
