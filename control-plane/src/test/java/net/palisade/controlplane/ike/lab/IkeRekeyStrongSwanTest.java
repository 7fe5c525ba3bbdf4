package net.palisade.controlplane.ike.lab;

import static net.palisade.controlplane.lab.Lab.sh;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import net.palisade.controlplane.JournalEvent;
import net.palisade.controlplane.lab.Lab;
import net.palisade.controlplane.lab.LabNamespaces;
import net.palisade.controlplane.lab.LabNode;
import net.palisade.controlplane.lab.StrongSwan;
import net.palisade.model.event.Cause;
import net.palisade.model.event.TunnelEvent;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.api.parallel.Execution;
import org.junit.jupiter.api.parallel.ExecutionMode;
import org.junit.jupiter.api.parallel.ResourceLock;

/**
 * Rekeying against Debian's strongSwan in the namespace lab (its own prefix) while host-a pings host-b every 50 ms:
 * not one ping may be lost. Once with strongSwan rekeying often (its short lifetimes: Child SA every ~15 s, IKE SA
 * every ~25 s, our make-before-break as responder), once with Palisade rekeying (our 60 s lifetimes: the shortest
 * the config allows), with AES-CBC/HMAC-SHA-256, two networks on each side and iperf3 after. Needs root and
 * strongSwan; skipped with {@code -Dpalisade.skipExternal=true}.
 */
@Execution(ExecutionMode.CONCURRENT) // beside the other classes: see junit-platform.properties
@ResourceLock("IkeRekeyStrongSwanTest")
class IkeRekeyStrongSwanTest {
    private static final String PSK = "rekey-lab-psk-not-for-production";

    @RegisterExtension
    static final LabNamespaces LAB = LabNamespaces.of(IkeRekeyStrongSwanTest.class);
    private static final String PREFIX = LAB.prefix();

    @Test
    void strongSwanRekeysChildAndIkeSasOftenWhileAPingLosesNothing(@TempDir Path dir) throws Exception {
        StrongSwan ss = conf(dir, "10.2.0.0/16", "10.1.0.0/16", "aes128gcm16-prfsha256-x25519",
                "aes128gcm16-x25519");
        tuneLifetimes(ss, "25s", "15s");
        run(dir, ss, "ike from 10.1.0.0/24 to 10.2.0.0/24 peer 192.0.2.2 psk \"" + PSK + "\" label to-b\n",
                Duration.ofSeconds(70), (events, charon) -> {
                    long childByPeer = count(events, "rekeyed", Cause.PEER, true);
                    long ikeByPeer = count(events, "rekeyed", Cause.PEER, false);
                    assertThat(childByPeer).as("Child SA rekeys by strongSwan").isGreaterThanOrEqualTo(3);
                    assertThat(ikeByPeer).as("IKE SA rekeys by strongSwan").isGreaterThanOrEqualTo(2);
                    assertThat(charon).contains("activating CHILD_REKEY task")
                            .containsPattern("IKE_SA lab\\[\\d+\\] rekeyed");
                });
    }

    @Test
    void palisadeRekeysWithCbcAndTwoNetworksEachSideWhileAPingLosesNothing(@TempDir Path dir) throws Exception {
        StrongSwan ss = conf(dir, "10.2.0.0/24,10.2.9.0/24", "10.1.0.0/24,10.1.9.0/24", "aes256-sha256-prfsha256-modp2048",
                "aes256-sha256-modp2048");
        run(dir, ss, "ike from 10.1.0.0/24 10.1.9.0/24 to 10.2.0.0/24 10.2.9.0/24 peer 192.0.2.2 "
                + "ikesa enc aes-256 auth hmac-sha2-256 prf hmac-sha2-256 group modp2048 lifetime 60 "
                + "childsa enc aes-256 auth hmac-sha2-256 group modp2048 lifetime 60 psk \"" + PSK + "\" label to-b\n",
                Duration.ofSeconds(115), (events, charon) -> {
                    long childByUs = count(events, "rekeyed", Cause.TIMER, true);
                    long ikeByUs = count(events, "rekeyed", Cause.TIMER, false);
                    assertThat(childByUs).as("Child SA rekeys by Palisade").isGreaterThanOrEqualTo(2);
                    assertThat(ikeByUs).as("IKE SA rekeys by Palisade").isGreaterThanOrEqualTo(2);
                    // both networks of each side are in the Child SA strongSwan installed
                    assertThat(charon).containsPattern("10\\.2\\.0\\.0/24 10\\.2\\.9\\.0/24 === 10\\.1\\.0\\.0/24 "
                            + "10\\.1\\.9\\.0/24");
                    Lab.Result iperf = iperf();
                    assertThat(iperf.exit()).as(iperf.output()).isZero();
                    assertThat(iperf.output()).contains("receiver");
                });
    }

    /** What to check once the ping ended: the tunnel's events (type, cause, child or IKE) and the charon log. */
    interface Check {
        void check(List<TunnelEvent> events, String charonLog) throws Exception;
    }

    private static StrongSwan conf(Path dir, String localTs, String remoteTs, String ike, String esp)
            throws Exception {
        return StrongSwan.psk(PREFIX + "-gwb", dir.resolve("ss"), "192.0.2.2", "192.0.2.1", localTs, remoteTs, PSK,
                ike, esp);
    }

    /** strongSwan rekeys its IKE SA every {@code ike} and its Child SA every {@code child} (jitter 2 s). */
    private static void tuneLifetimes(StrongSwan ss, String ike, String child) throws Exception {
        ss.editSwanctl(c -> c
                .replace("    encap = yes\n", "    encap = yes\n    rekey_time = " + ike + "\n    rand_time = 2s\n")
                .replace("        start_action = none\n", "        start_action = none\n        rekey_time = " + child
                        + "\n        rand_time = 2s\n"));
    }

    private static void run(Path dir, StrongSwan ss, String config, Duration pingFor, Check check)
            throws Exception {
        // strongSwan routes each remote network from an address of its own local networks
        sh("ip", "netns", "exec", PREFIX + "-gwb", "ip", "addr", "replace", "10.2.9.1/24", "dev", "lan");
        try (StrongSwan peer = ss.start(); LabNode node = LabNode.start(PREFIX, dir)) {
            node.commit(config);
            await().atMost(Duration.ofSeconds(40)).pollInterval(Duration.ofMillis(200)).untilAsserted(() ->
                    assertThat(types(events(node))).as("charon log:\n" + peer.log()).contains("child-sa-installed"));
            // a first ping proves the path; then the long one, 20 per second, across every rekey
            Lab.Result first = Lab.ping(PREFIX + "-ha", "10.2.0.10");
            assertThat(first.exit()).as(first.output()).isZero();
            long count = pingFor.toMillis() / 50;
            // on a thread of its own: on 2 CPUs the common fork-join pool has one thread, and the node's event
            // reports stall while it is blocked (found by this test; see the closing note of the session)
            java.util.concurrent.ExecutorService pinger = java.util.concurrent.Executors.newSingleThreadExecutor();
            Lab.Result r;
            try {
                CompletableFuture<Lab.Result> ping = CompletableFuture.supplyAsync(() -> {
                    try {
                        return sh("ip", "netns", "exec", PREFIX + "-ha", "ping", "-q", "-i", "0.05", "-W", "2", "-c",
                                Long.toString(count), "10.2.0.10");
                    } catch (Exception e) {
                        throw new IllegalStateException(e);
                    }
                }, pinger);
                r = ping.get(pingFor.toSeconds() + 60, TimeUnit.SECONDS);
            } finally {
                pinger.shutdownNow();
            }
            Matcher m = Pattern.compile("(\\d+) packets transmitted, (\\d+) received").matcher(r.output());
            assertThat(m.find()).as(r.output()).isTrue();
            List<TunnelEvent> events = events(node).stream().map(JournalEvent::event).toList();
            String story = String.join("\n", events.stream().map(Object::toString).toList());
            assertThat(m.group(2)).as("ping across the rekeys: " + r.output() + "\nevents:\n" + story
                    + "\ncounters " + node.dataplane().counters()).isEqualTo(m.group(1));
            assertThat(types(events(node))).as(story).doesNotContain("phase1-down", "dpd-lost",
                    "negotiation-failed");
            try {
                check.check(events, peer.log());
            } catch (AssertionError e) {
                throw new AssertionError(e.getMessage() + "\nevents:\n" + story, e);
            }
        }
    }

    /** Rekeyed events with {@code cause}: of a Child SA ({@code child}: they carry SPIs) or of the IKE SA. */
    private static long count(List<TunnelEvent> events, String type, Cause cause, boolean child) {
        return events.stream().filter(e -> e instanceof TunnelEvent.Rekeyed k && k.cause().equals(cause)
                && k.spi().isPresent() == child).count();
    }

    private static Lab.Result iperf() throws Exception {
        return Lab.iperf(PREFIX + "-ha", PREFIX + "-hb", "10.2.0.10", 3);
    }

    private static List<JournalEvent> events(LabNode node) throws Exception {
        return node.events("to-b");
    }

    private static List<String> types(List<JournalEvent> events) {
        return events.stream().map(JournalEvent::event).map(TunnelEvent::type).toList();
    }
}
