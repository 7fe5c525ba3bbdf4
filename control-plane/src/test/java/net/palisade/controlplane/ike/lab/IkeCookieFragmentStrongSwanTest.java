package net.palisade.controlplane.ike.lab;

import static net.palisade.controlplane.lab.Lab.sh;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.regex.Pattern;
import net.palisade.controlplane.ike.Cookies;
import net.palisade.controlplane.ike.IkeManager;
import net.palisade.controlplane.ike.IkeSettings;
import net.palisade.controlplane.ike.crypto.KeyExchanges;
import net.palisade.controlplane.ike.crypto.Randomness;
import net.palisade.controlplane.lab.Lab;
import net.palisade.controlplane.lab.LabNamespaces;
import net.palisade.controlplane.lab.LabNode;
import net.palisade.controlplane.lab.StrongSwan;
import net.palisade.model.crypto.AuthAlgorithm;
import net.palisade.model.crypto.DhGroup;
import net.palisade.model.crypto.EncryptionAlgorithm;
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
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Cookies (RFC 7296 section 2.6) and IKE fragmentation (RFC 7383) against Debian's strongSwan in the namespace lab
 * (its own prefix): both sides limit IKE packets to {@link #FRAGMENT} octets (strongSwan's {@code charon.fragment_size}
 * and {@code fragmentation = force}, our {@link IkeSettings#fragmentPacketLimit()}), so IKE_AUTH crosses as SKF
 * fragments both ways; the responder demands a cookie. charon's log is the judge of what flowed. Needs root and
 * strongSwan; skipped with {@code -Dpalisade.skipExternal=true}.
 */
class IkeCookieFragmentStrongSwanTest {
    private static final String PSK = "cookie-fragment-lab-psk-not-for-production";
    private static final int FRAGMENT = 200;

    @RegisterExtension
    static final LabNamespaces LAB = LabNamespaces.of(IkeCookieFragmentStrongSwanTest.class);
    private static final String PREFIX = LAB.prefix();

    /** strongSwan initiates to a passive tunnel of a node that demands cookies from the first IKE_SA_INIT on. */
    @Test
    void strongSwanAnswersOurCookieAndFragmentsFlowBothWays(@TempDir Path dir) throws Exception {
        StrongSwan ss = strongSwanConf(dir, 30);
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
        StrongSwan ss = strongSwanConf(dir, 1);
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
    private static StrongSwan strongSwanConf(Path dir, int cookieThreshold) throws Exception {
        return StrongSwan.psk(PREFIX + "-gwb", dir.resolve("ss"), "192.0.2.2", "192.0.2.1", "10.2.0.0/16",
                "10.1.0.0/16", PSK, "aes128gcm16-prfsha256-x25519", "aes128gcm16-x25519")
                .editConf(c -> c
                        .replace("  port = 500\n", "  port = 500\n  fragment_size = " + FRAGMENT
                                + "\n  cookie_threshold = " + cookieThreshold + "\n")
                        .replace("      ike = 2\n", "      ike = 2\n      net = 2\n"))
                .editSwanctl(c -> c.replace("    encap = yes\n", "    encap = yes\n    fragmentation = force\n"));
    }

    private static void runNode(Path dir, StrongSwan conf, String config, Cookies cookies,
            boolean strongSwanInitiates, Check check) throws Exception {
        try (StrongSwan ss = conf.start(); LabNode node = LabNode.start(PREFIX, dir, LabNode.Options.defaults(PREFIX)
                .withSettings(IkeSettings.DEFAULT.withFragmentPacketLimit(FRAGMENT)).withCookies(cookies))) {
            if (!strongSwanInitiates) {
                decoyHalfOpen(dir);
                await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(ss.log())
                        .contains("parsed IKE_SA_INIT request 0"));
            }
            node.commit(config);
            if (strongSwanInitiates) {
                ss.initiateOnceConfigured(node, "to-b");
            }
            node.awaitEvents("to-b", Duration.ofSeconds(40), () -> "charon log:\n" + ss.log(), "phase1-up",
                    "child-sa-installed");
            Lab.Result ping = Lab.ping(PREFIX + "-ha", "10.2.0.10");
            assertThat(ping.exit()).as(ping.output() + "\ncharon log:\n" + ss.log() + "\ncounters "
                    + node.dataplane().counters()).isZero();

            String log = ss.log();
            // kept for whoever reads a failure: target/ikcf-charon-<who initiated>.log
            Files.writeString(Path.of("target", "ikcf-charon-" + (strongSwanInitiates ? "strongswan" : "node")
                    + "-initiates.log"), log);
            // IKE_AUTH crossed as fragments both ways: strongSwan split its own message and reassembled ours
            assertThat(log).containsPattern("splitting IKE message \\(\\d+ bytes\\) into [2-9] fragments");
            assertThat(Pattern.compile("generating IKE_AUTH (request|response) 1 \\[ EF\\(1/[2-9]\\) \\]")
                    .matcher(log).find()).as("strongSwan sent an IKE_AUTH fragment; log:\n" + log).isTrue();
            // in either order: charon hands datagrams to a pool of threads, so our second fragment is sometimes
            // processed first (seen under load)
            assertThat(log).containsPattern("received fragment #[1-9] of [2-9], waiting for complete IKE message");
            assertThat(log).containsPattern("received fragment #[1-9] of [2-9], reassembled fragmented IKE message");
            assertThat(log).containsPattern("parsed IKE_AUTH (request|response) 1 \\[ EF\\(1/[2-9]\\) \\]");
            check.check(node.ike(), log);
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
        Lab.Result r = sh("ip", "netns", "exec", PREFIX + "-gwa", "/usr/bin/python3", "-c",
                "import socket,sys\ns=socket.socket(socket.AF_INET,socket.SOCK_DGRAM)\ns.bind(('192.0.2.1',5500))\n"
                        + "s.sendto(open(sys.argv[1],'rb').read(),('192.0.2.2',500))\n", file.toString());
        assertThat(r.exit()).as(r.output()).isZero();
    }
}
