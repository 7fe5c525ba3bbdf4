package net.palisade.controlplane.ike.lab;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import net.palisade.controlplane.ike.IkeManager;
import net.palisade.controlplane.ike.IkeSettings;
import net.palisade.controlplane.ike.auth.TestPki;
import net.palisade.controlplane.lab.Lab;
import net.palisade.controlplane.lab.LabNamespaces;
import net.palisade.controlplane.lab.LabNode;
import net.palisade.controlplane.lab.StrongSwan;
import net.palisade.model.event.TunnelEvent;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.parallel.Execution;
import org.junit.jupiter.api.parallel.ExecutionMode;
import org.junit.jupiter.api.parallel.ResourceLock;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.io.TempDir;

/**
 * Certificate authentication against Debian's strongSwan 5.9.8 in the namespace lab ({@code ops/lab/netns.sh},
 * prefix "ikct"): a real node on gw-a (control plane, dataplane, {@link IkeManager}) with {@code cert ... key ...
 * ca ...} and DN identities, strongSwan on gw-b with {@code auth = pubkey} ({@code strongswan.sh conf-cert}). The
 * certificates (one CA, RSA-2048 or ECDSA P-256 end entities) are made by the test. Each way round and with each key
 * type, strongSwan must log that it verified our signature, the node must journal phase1-up and
 * child-sa-installed, and host-a's ping must reach host-b through the tunnel. A strongSwan certificate of another
 * CA must be refused, with a journaled reason. These cases run strongSwan with {@code fragmentation = no}; the
 * fragmented cases turn RFC 7383 fragmentation on at both ends with a 576-octet limit, so that each side's
 * certificate IKE_AUTH crosses as fragments. Needs root and strongSwan; skipped with
 * {@code -Dpalisade.skipExternal=true}. Namespace its own prefix.
 */
@Execution(ExecutionMode.CONCURRENT) // beside the other classes: see junit-platform.properties
@ResourceLock("IkeCertStrongSwanTest")
class IkeCertStrongSwanTest {
    /** IKE packet limit of the fragmented cases, both ends: the IPv4 size every path carries. */
    private static final int FRAGMENT = 576;
    private static final String OUR_DN = "C=SE, O=Palisade Lab, CN=gw-a";
    private static final String THEIR_DN = "C=SE, O=Palisade Lab, CN=gw-b";
    private static TestPki.Issued ca;

    @RegisterExtension
    static final LabNamespaces LAB = LabNamespaces.of(IkeCertStrongSwanTest.class);
    private static final String PREFIX = LAB.prefix();

    @BeforeAll
    static void lab() throws Exception {
        ca = TestPki.ca("C=SE, O=Palisade Lab, CN=Lab CA", TestPki.rsa(2048));
    }

    @ParameterizedTest(name = "strongSwan initiates {0}, ours {1}, theirs {2}")
    @CsvSource({
        "false, rsa,   rsa,   RSA_EMSA_PKCS1_SHA2_256",
        "true,  ecdsa, ecdsa, ECDSA_WITH_SHA256_DER",
        "false, ecdsa, rsa,   ECDSA_WITH_SHA256_DER",
        "true,  rsa,   ecdsa, RSA_EMSA_PKCS1_SHA2_256"})
    void certificateTunnelWithStrongSwanCarriesPing(boolean strongSwanInitiates, String ourKey, String theirKey,
            String scheme, @TempDir Path dir) throws Exception {
        TestPki.Issued ours = TestPki.endEntity(ca, OUR_DN, keys(ourKey), List.of());
        TestPki.Issued theirs = TestPki.endEntity(ca, THEIR_DN, keys(theirKey), List.of());
        withNodeAndStrongSwan(dir, ours, theirs, strongSwanInitiates, Optional.empty(), (node, ss) -> {
            await().atMost(Duration.ofSeconds(40)).pollInterval(Duration.ofMillis(200)).untilAsserted(() ->
                    assertThat(node.eventTypes("to-b")).as("journal of to-b: " + node.journal("to-b")
                            + "\ncharon log:\n" + ss.log())
                            .contains("phase1-up", "child-sa-installed"));
            // strongSwan verified our certificate and our RFC 7427 signature, and we verified its
            assertThat(ss.log()).contains("authentication of '" + OUR_DN + "' with " + scheme + " successful")
                    .contains("CHILD_SA net{1} established");

            Lab.Result ping = Lab.ping(PREFIX + "-ha", "10.2.0.10");
            assertThat(ping.exit()).as(ping.output() + "\ncharon log:\n" + ss.log() + "\ncounters "
                    + node.dataplane().counters())
                    .isZero();
        });
    }

    @Test
    void aStrongSwanCertificateFromAnotherCaIsRefusedAndJournaled(@TempDir Path dir) throws Exception {
        TestPki.Issued rogueCa = TestPki.ca("C=SE, O=Palisade Lab, CN=Lab CA", TestPki.rsa(2048));
        TestPki.Issued ours = TestPki.endEntity(ca, OUR_DN, keys("ecdsa"), List.of());
        TestPki.Issued theirs = TestPki.endEntity(rogueCa, THEIR_DN, keys("rsa"), List.of());
        withNodeAndStrongSwan(dir, ours, theirs, false, Optional.empty(), (node, ss) -> {
            await().atMost(Duration.ofSeconds(40)).pollInterval(Duration.ofMillis(200)).untilAsserted(() ->
                    assertThat(node.journal("to-b")).as("charon log:\n" + ss.log())
                            .filteredOn(TunnelEvent.NegotiationFailed.class::isInstance)
                            .map(e -> (TunnelEvent.NegotiationFailed) e).first()
                            .satisfies(f -> {
                                assertThat(f.reason().name()).isEqualTo("AUTHENTICATION_FAILED");
                                assertThat(f.detail()).startsWith("the peer's certificate \"CN=gw-b, O=Palisade "
                                        + "Lab, C=SE\"").contains("does not chain to a CA of our ca file");
                            }));
            assertThat(node.eventTypes("to-b")).doesNotContain("child-sa-installed");
        });
    }

    @ParameterizedTest(name = "fragmented, strongSwan initiates {0}, ours {1}, theirs {2}")
    @CsvSource({
        "false, rsa,   rsa,   RSA_EMSA_PKCS1_SHA2_256",
        "true,  ecdsa, rsa,   ECDSA_WITH_SHA256_DER"})
    void certificateIkeAuthCrossesAsFragmentsBothWaysAndTheTunnelCarriesPing(boolean strongSwanInitiates,
            String ourKey, String theirKey, String scheme, @TempDir Path dir) throws Exception {
        TestPki.Issued ours = TestPki.endEntity(ca, OUR_DN, keys(ourKey), List.of());
        TestPki.Issued theirs = TestPki.endEntity(ca, THEIR_DN, keys(theirKey), List.of());
        withNodeAndStrongSwan(dir, ours, theirs, strongSwanInitiates, Optional.of(FRAGMENT), (node, ss) -> {
            await().atMost(Duration.ofSeconds(40)).pollInterval(Duration.ofMillis(200)).untilAsserted(() ->
                    assertThat(node.eventTypes("to-b")).as("journal of to-b: " + node.journal("to-b")
                            + "\ncharon log:\n" + ss.log())
                            .contains("phase1-up", "child-sa-installed"));
            Lab.Result ping = Lab.ping(PREFIX + "-ha", "10.2.0.10");
            assertThat(ping.exit()).as(ping.output() + "\ncharon log:\n" + ss.log() + "\ncounters "
                    + node.dataplane().counters())
                    .isZero();

            String log = ss.log();
            Files.writeString(Path.of("target", "ikcg-charon-" + (strongSwanInitiates ? "strongswan" : "node")
                    + "-initiates.log"), log); // for whoever reads a failure
            assertThat(log).as(log).contains("authentication of '" + OUR_DN + "' with " + scheme + " successful")
                    .contains("CHILD_SA net{1} established");
            // strongSwan split its certificate IKE_AUTH into fragments of at most 576 octets and sent them ...
            assertThat(log).containsPattern("splitting IKE message \\(\\d+ bytes\\) into [2-9] fragments")
                    .containsPattern("generating IKE_AUTH (request|response) 1 \\[ EF\\(1/[2-9]\\) \\]");
            // ... and received ours as fragments, which it put back together
            assertThat(log).containsPattern("parsed IKE_AUTH (request|response) 1 \\[ EF\\(1/[2-9]\\) \\]")
                    .containsPattern("received fragment #[1-9] of [2-9], reassembled fragmented IKE message");
            // every IKE message on port 4500 fits the limit with the IP and UDP headers and the non-ESP marker
            List<String> packets = log.lines().filter(l -> l.contains("sending packet:")
                    || l.contains("received packet:")).filter(l -> l.contains("[4500]") && l.endsWith(" bytes)"))
                    .toList();
            assertThat(packets).as(log).hasSizeGreaterThan(2);
            for (String line : packets) {
                Matcher m = Pattern.compile("\\((\\d+) bytes\\)").matcher(line);
                assertThat(m.find()).as(line).isTrue();
                assertThat(Integer.parseInt(m.group(1)) + 20 + 8 + 4).as(line).isLessThanOrEqualTo(FRAGMENT);
            }
        });
    }

    /** What a test does once strongSwan and the node run. */
    private interface LabBody {
        void run(LabNode node, StrongSwan ss) throws Exception;
    }

    /**
     * Starts strongSwan on gw-b with {@code theirs} and our CA, and a node on gw-a with {@code ours}, commits the
     * tunnel (passive if strongSwan initiates, which it then does), runs {@code body}, and stops everything. With
     * {@code fragment}, both ends fragment IKE messages (RFC 7383) larger than that many octets of IP packet
     * (strongSwan: {@code fragmentation = yes}, {@code charon.fragment_size}); without, strongSwan has
     * {@code fragmentation = no}.
     */
    private static void withNodeAndStrongSwan(Path dir, TestPki.Issued ours, TestPki.Issued theirs,
            boolean strongSwanInitiates, Optional<Integer> fragment, LabBody body) throws Exception {
        Path pal = Files.createDirectories(dir.resolve("palisade"));
        Path cert = TestPki.write(pal, "gw-a.pem", TestPki.pem(ours.cert()));
        Path key = TestPki.write(pal, "gw-a.key", TestPki.pkcs8(ours.keys()));
        Path caFile = TestPki.write(pal, "ca.pem", TestPki.pem(ca.cert()));
        Path dirSs = dir.resolve("ss");
        TestPki.write(Files.createDirectories(dirSs.resolve("x509")), "gw.pem", TestPki.pem(theirs.cert()));
        TestPki.write(Files.createDirectories(dirSs.resolve("private")), "gw.key", TestPki.pkcs8(theirs.keys()));
        TestPki.write(Files.createDirectories(dirSs.resolve("x509ca")), "ca.pem", TestPki.pem(ca.cert()));

        StrongSwan conf = StrongSwan.cert(PREFIX + "-gwb", dirSs, "192.0.2.2", "192.0.2.1", "10.2.0.0/16",
                "10.1.0.0/16", THEIR_DN, OUR_DN, "aes128gcm16-prfsha256-x25519", "aes128gcm16-x25519")
                .editConf(c -> c.replace("      ike = 2\n", "      ike = 2\n      cfg = 2\n"));
        if (fragment.isPresent()) {
            String text = Files.readString(dirSs.resolve("swanctl.conf"));
            assertThat(text).contains("    fragmentation = no\n");
            conf.editSwanctl(c -> c.replace("    fragmentation = no\n", "    fragmentation = yes\n"));
            text = Files.readString(dirSs.resolve("strongswan.conf"));
            assertThat(text).contains("  port = 500\n");
            conf.editConf(c -> c.replace("  port = 500\n", "  port = 500\n  fragment_size = " + fragment.get()
                    + "\n"));
        }
        String config = "ike " + (strongSwanInitiates ? "passive " : "") + "from 10.1.0.0/24 to 10.2.0.0/24 peer "
                + "192.0.2.2 cert " + cert + " key " + key + " ca " + caFile + " srcid \"" + OUR_DN + "\" dstid \""
                + THEIR_DN + "\" label to-b\n";

        LabNode.Options options = LabNode.Options.defaults(PREFIX).withTunName("ikct0");
        if (fragment.isPresent()) {
            options = options.withSettings(IkeSettings.DEFAULT.withFragmentPacketLimit(fragment.get()));
        }
        try (StrongSwan ss = conf.start(); LabNode node = LabNode.start(PREFIX, dir, options)) {
            String loaded = Files.readString(dirSs.resolve("load.out"));
            assertThat(loaded).as(loaded).contains("loaded certificate", "loaded connection 'lab'");
            node.commit(config);
            if (strongSwanInitiates) {
                ss.initiateOnceConfigured(node, "to-b");
            }
            body.run(node, ss);
        }
    }

    private static KeyPair keys(String type) {
        return type.equals("rsa") ? TestPki.rsa(2048) : TestPki.ec("secp256r1");
    }
}
