package net.palisade.controlplane.ike.lab;

import static net.palisade.controlplane.ike.lab.StrongSwanLab.sh;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import net.palisade.controlplane.ControlPlane;
import net.palisade.controlplane.JournalEvent;
import net.palisade.controlplane.Settings;
import net.palisade.controlplane.ike.Cookies;
import net.palisade.controlplane.ike.IkeManager;
import net.palisade.controlplane.ike.IkeSettings;
import net.palisade.controlplane.ike.crypto.KeyExchanges;
import net.palisade.controlplane.ike.crypto.Randomness;
import net.palisade.controlplane.tunnel.DataplanePorts;
import net.palisade.dataplane.Dataplane;
import net.palisade.dataplane.io.NetNamespace;
import net.palisade.model.crypto.AuthAlgorithm;
import net.palisade.model.crypto.DhGroup;
import net.palisade.model.crypto.EncryptionAlgorithm;
import net.palisade.model.event.TunnelEvent;
import net.palisade.model.wire.Octets;
import net.palisade.model.wire.ikev2.ExchangeType;
import net.palisade.model.wire.ikev2.IkeHeader;
import net.palisade.model.wire.ikev2.IkeMessage;
import net.palisade.model.wire.ikev2.Ikev2Codec;
import net.palisade.model.wire.ikev2.KePayload;
import net.palisade.model.wire.ikev2.NoncePayload;
import net.palisade.model.wire.ikev2.Proposal;
import net.palisade.model.wire.ikev2.SaPayload;
import net.palisade.model.wire.ikev2.Transform;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Cookies (RFC 7296 section 2.6) and IKE fragmentation (RFC 7383) against Debian's strongSwan in the namespace lab
 * (prefix "ikcf"): both sides limit IKE packets to {@link #FRAGMENT} octets (strongSwan's {@code charon.fragment_size}
 * and {@code fragmentation = force}, our {@link IkeSettings#fragmentPacketLimit()}), so IKE_AUTH crosses as SKF
 * fragments both ways; the responder demands a cookie. charon's log is the judge of what flowed. Needs root and
 * strongSwan; skipped with {@code -Dpalisade.skipExternal=true}.
 */
class IkeCookieFragmentStrongSwanTest {
    private static final String PREFIX = "ikcf";
    private static final String PSK = "cookie-fragment-lab-psk-not-for-production";
    private static final int FRAGMENT = 200;

    @BeforeAll
    static void lab() throws Exception {
        StrongSwanLab.up(PREFIX);
    }

    @AfterAll
    static void down() throws Exception {
        StrongSwanLab.down(PREFIX);
    }

    /** strongSwan initiates to a passive tunnel of a node that demands cookies from the first IKE_SA_INIT on. */
    @Test
    void strongSwanAnswersOurCookieAndFragmentsFlowBothWays(@TempDir Path dir) throws Exception {
        Path ss = strongSwanConf(dir, 30);
        runNode(dir, ss, "ike passive from 10.1.0.0/24 to 10.2.0.0/24 peer 192.0.2.2 psk \"" + PSK
                + "\" label to-b\n", Cookies.standard(0), true, (ike, log) -> {
                    assertThat(ike.cookieCounters()).as("cookies of the node")
                            .containsEntry("ikev2.cookie.sent", 1L).containsEntry("ikev2.cookie.accepted", 1L);
                    // strongSwan got our N(COOKIE) and sent its request again with it first
                    assertThat(log).containsPattern("parsed IKE_SA_INIT response 0 \\[ N\\(COOKIE\\) \\]");
                    assertThat(log).containsPattern("generating IKE_SA_INIT request 0 \\[ N\\(COOKIE\\) SA KE No");
                });
    }

    /**
     * The node initiates to a strongSwan that demands cookies (its {@code cookie_threshold = 1}, with one half-open
     * IKE SA of a decoy initiator already there).
     */
    @Test
    void weAnswerStrongSwansCookieAndFragmentsFlowBothWays(@TempDir Path dir) throws Exception {
        Path ss = strongSwanConf(dir, 1);
        runNode(dir, ss, "ike from 10.1.0.0/24 to 10.2.0.0/24 peer 192.0.2.2 psk \"" + PSK + "\" label to-b\n",
                Cookies.standard(Cookies.DEFAULT_THRESHOLD), false, (ike, log) -> {
                    assertThat(log).containsPattern("sending COOKIE notify|generating IKE_SA_INIT response 0 "
                            + "\\[ N\\(COOKIE\\) \\]");
                    assertThat(log).containsPattern("parsed IKE_SA_INIT request 0 \\[ N\\(COOKIE\\) SA KE No");
                    assertThat(ike.cookieCounters()).as("the node demanded none").isEmpty();
                });
    }

    private interface Check {
        void check(IkeManager ike, String charonLog) throws Exception;
    }

    /** strongSwan on gw-b with small fragments, forced fragmentation and the given cookie threshold. */
    private static Path strongSwanConf(Path dir, int cookieThreshold) throws Exception {
        Path ss = dir.resolve("ss");
        assertThat(sh(StrongSwanLab.strongswanScript(), "conf", ss.toString(), "192.0.2.2", "192.0.2.1",
                "10.2.0.0/16", "10.1.0.0/16", PSK, "aes128gcm16-prfsha256-x25519", "aes128gcm16-x25519").exit())
                .isZero();
        Path conf = ss.resolve("strongswan.conf");
        Files.writeString(conf, Files.readString(conf)
                .replace("  port = 500\n", "  port = 500\n  fragment_size = " + FRAGMENT + "\n  cookie_threshold = "
                        + cookieThreshold + "\n")
                .replace("      ike = 2\n", "      ike = 2\n      net = 2\n      flush_line = yes\n"));
        Path swanctl = ss.resolve("swanctl.conf");
        Files.writeString(swanctl, Files.readString(swanctl)
                .replace("    encap = yes\n", "    encap = yes\n    fragmentation = force\n"));
        return ss;
    }

    private static void runNode(Path dir, Path ss, String config, Cookies cookies, boolean strongSwanInitiates,
            Check check) throws Exception {
        String strongswan = StrongSwanLab.strongswanScript();
        Optional<Path> netns = Optional.of(NetNamespace.named(PREFIX + "-gwa"));
        IkeManager ike = new IkeManager(netns, 500, IkeSettings.DEFAULT.withFragmentPacketLimit(FRAGMENT), cookies);
        Dataplane dp = null;
        ControlPlane cp = null;
        try {
            assertThat(sh(strongswan, "start", PREFIX + "-gwb", ss.toString()).exit()).isZero();
            dp = Dataplane.start(Dataplane.Settings.defaults().withTunName("ikcf0").withWorkers(1)
                    .withCpus(List.of(0)).withNetns(netns.get()).withIkeSink(ike.sink()));
            ike.open(dp);
            cp = ControlPlane.start(Settings.defaults(dir.resolve("data")).withCluster("127.0.0.1", 0, List.of()),
                    new DataplanePorts(dp, Optional.of(ike)));
            cp.whenUp().toCompletableFuture().get(60, TimeUnit.SECONDS);
            ike.attach(cp);
            ControlPlane node = cp;
            if (!strongSwanInitiates) {
                decoyHalfOpen(dir);
                await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(log(ss))
                        .contains("parsed IKE_SA_INIT request 0"));
            }
            cp.commit(config, "test", "ike with strongSwan", Optional.empty()).toCompletableFuture()
                    .get(60, TimeUnit.SECONDS);
            if (strongSwanInitiates) {
                await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(events(node))
                        .contains("configured"));
                StrongSwanLab.Result r = sh(strongswan, "swanctl", PREFIX + "-gwb", ss.toString(), "--initiate",
                        "--child", "net");
                assertThat(r.exit()).as(r.output() + "\ncharon log:\n" + log(ss)).isZero();
            }
            await().atMost(Duration.ofSeconds(40)).pollInterval(Duration.ofMillis(200)).untilAsserted(() ->
                    assertThat(events(node)).as("journal of to-b; charon log:\n" + log(ss))
                            .contains("phase1-up", "child-sa-installed"));
            StrongSwanLab.Result ping = sh("ip", "netns", "exec", PREFIX + "-ha", "ping", "-c", "3", "-W", "2",
                    "10.2.0.10");
            assertThat(ping.exit()).as(ping.output() + "\ncharon log:\n" + log(ss) + "\ncounters " + dp.counters())
                    .isZero();

            String log = log(ss);
            // kept for whoever reads a failure: target/ikcf-charon-<who initiated>.log
            Files.writeString(Path.of("target", "ikcf-charon-" + (strongSwanInitiates ? "strongswan" : "node")
                    + "-initiates.log"), log);
            // IKE_AUTH crossed as fragments both ways: strongSwan split its own message and reassembled ours
            assertThat(log).containsPattern("splitting IKE message \\(\\d+ bytes\\) into [2-9] fragments");
            assertThat(Pattern.compile("generating IKE_AUTH (request|response) 1 \\[ EF\\(1/[2-9]\\) \\]")
                    .matcher(log).find()).as("strongSwan sent an IKE_AUTH fragment; log:\n" + log).isTrue();
            assertThat(log).containsPattern("received fragment #1 of [2-9], waiting for complete IKE message");
            assertThat(log).containsPattern("received fragment #[2-9] of [2-9], reassembled fragmented IKE message");
            assertThat(log).containsPattern("parsed IKE_AUTH (request|response) 1 \\[ EF\\(1/[2-9]\\) \\]");
            check.check(ike, log);
        } finally {
            ike.close();
            if (cp != null) {
                cp.close();
            }
            if (dp != null) {
                dp.close();
            }
            sh(strongswan, "stop", PREFIX + "-gwb", ss.toString());
        }
    }

    /**
     * Leaves one half-open IKE SA at strongSwan: an IKE_SA_INIT from gw-a's port 5500 (not the node's) whose answer
     * nobody takes up. strongSwan then counts one half-open SA, which its {@code cookie_threshold = 1} reaches.
     */
    private static void decoyHalfOpen(Path dir) throws Exception {
        Randomness random = Randomness.secure();
        byte[] ke = KeyExchanges.standard().generate(DhGroup.CURVE25519, random).publicValue();
        IkeMessage m = new IkeMessage(IkeHeader.request(random.nextLong() | 1, 0, ExchangeType.Known.IKE_SA_INIT, 0,
                true), List.of(SaPayload.of(Proposal.ike(1, Transform.encryption(EncryptionAlgorithm.AES_128_GCM),
                        Transform.prf(AuthAlgorithm.HMAC_SHA2_256), Transform.keyExchange(DhGroup.CURVE25519))),
                KePayload.of(DhGroup.CURVE25519, Octets.of(ke)), new NoncePayload(Octets.of(random.bytes(32)))));
        Path file = dir.resolve("decoy-ike-sa-init.bin");
        Files.write(file, Ikev2Codec.standard().encode(m));
        StrongSwanLab.Result r = sh("ip", "netns", "exec", PREFIX + "-gwa", "/usr/bin/python3", "-c",
                "import socket,sys\ns=socket.socket(socket.AF_INET,socket.SOCK_DGRAM)\ns.bind(('192.0.2.1',5500))\n"
                        + "s.sendto(open(sys.argv[1],'rb').read(),('192.0.2.2',500))\n", file.toString());
        assertThat(r.exit()).as(r.output()).isZero();
    }

    private static List<String> events(ControlPlane node) throws Exception {
        return node.events("to-b", Optional.empty(), Optional.empty(), Optional.empty()).toCompletableFuture()
                .get(10, TimeUnit.SECONDS).stream().map(JournalEvent::event).map(TunnelEvent::type).toList();
    }

    private static String log(Path ss) {
        try {
            return Files.readString(ss.resolve("charon.log"));
        } catch (java.io.IOException e) {
            return "(no charon log: " + e.getMessage() + ")";
        }
    }
}
