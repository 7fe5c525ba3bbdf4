package net.palisade.controlplane.ike.lab;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import net.palisade.controlplane.ike.auth.TestPki;
import net.palisade.controlplane.lab.Lab;
import net.palisade.controlplane.lab.LabNamespaces;
import net.palisade.controlplane.lab.LabNode;
import net.palisade.controlplane.lab.StrongSwan;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * IKEv1 main mode with RSA certificates against strongSwan 5.9.8 ({@code strongswan.sh conf-cert} turned to
 * {@code version = 1}), each side initiating: strongSwan must log that it verified our signature, the node must
 * journal phase1-up and child-sa-installed, and host-a's ping must reach host-b. The certificates (one CA, RSA-2048
 * end entities) are made by the test. Needs root and strongSwan; skipped with {@code -Dpalisade.skipExternal=true}.
 */
class Ikev1CertStrongSwanTest {
    private static final String OUR_DN = "C=SE, O=Palisade Lab, CN=gw-a";
    private static final String THEIR_DN = "C=SE, O=Palisade Lab, CN=gw-b";

    @RegisterExtension
    static final LabNamespaces LAB = LabNamespaces.of(Ikev1CertStrongSwanTest.class);
    private static final String PREFIX = LAB.prefix();

    @ParameterizedTest(name = "strongSwan initiates: {0}")
    @ValueSource(booleans = {false, true})
    void mainModeWithRsaCertificatesCarriesPing(boolean strongSwanInitiates, @TempDir Path dir) throws Exception {
        TestPki.Issued ca = TestPki.ca("C=SE, O=Palisade Lab, CN=Lab CA", TestPki.rsa(2048));
        TestPki.Issued ours = TestPki.endEntity(ca, OUR_DN, TestPki.rsa(2048), List.of());
        TestPki.Issued theirs = TestPki.endEntity(ca, THEIR_DN, TestPki.rsa(2048), List.of());
        Path pal = Files.createDirectories(dir.resolve("palisade"));
        Path cert = TestPki.write(pal, "gw-a.pem", TestPki.pem(ours.cert()));
        Path key = TestPki.write(pal, "gw-a.key", TestPki.pkcs8(ours.keys()));
        Path caFile = TestPki.write(pal, "ca.pem", TestPki.pem(ca.cert()));
        Path dirSs = dir.resolve("ss");
        TestPki.write(Files.createDirectories(dirSs.resolve("x509")), "gw.pem", TestPki.pem(theirs.cert()));
        TestPki.write(Files.createDirectories(dirSs.resolve("private")), "gw.key", TestPki.pkcs8(theirs.keys()));
        TestPki.write(Files.createDirectories(dirSs.resolve("x509ca")), "ca.pem", TestPki.pem(ca.cert()));
        StrongSwan conf = StrongSwan.cert(PREFIX + "-gwb", dirSs, "192.0.2.2", "192.0.2.1", "10.2.0.0/16",
                "10.1.0.0/16", THEIR_DN, OUR_DN, "aes128-sha256-modp2048", "aes128gcm16-modp2048");
        assertThat(Files.readString(dirSs.resolve("swanctl.conf"))).contains("    version = 2\n");
        conf.editSwanctl(c -> c.replace("    version = 2\n", "    version = 1\n"));
        String config = "ike " + (strongSwanInitiates ? "passive " : "") + "main from 10.1.0.0/16 to 10.2.0.0/16"
                + " peer 192.0.2.2 quick group modp2048 cert " + cert + " key " + key + " ca " + caFile + " srcid \""
                + OUR_DN + "\" dstid \"" + THEIR_DN + "\" label to-b\n";
        try (StrongSwan ss = conf.start(); LabNode node = LabNode.start(PREFIX, dir)) {
            node.commit(config);
            if (strongSwanInitiates) {
                ss.initiateOnceConfigured(node, "to-b");
            }
            node.awaitEvents("to-b", Duration.ofSeconds(40), () -> "charon log:\n" + ss.log(), "phase1-up",
                    "child-sa-installed");
            assertThat(ss.log()).contains("authentication of '" + OUR_DN + "' with RSA")
                    .contains("successful").contains("CHILD_SA net{1} established");
            assertThat(ss.listSas()).contains("ESTABLISHED, IKEv1");
            Lab.Result ping = Lab.ping(PREFIX + "-ha", "10.2.0.10");
            assertThat(ping.exit()).as(ping.output() + "\ncharon log:\n" + ss.log()).isZero();
        }
    }
}
