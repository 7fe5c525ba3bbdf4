package net.palisade.controlplane.lab;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The IKEv1 configurations {@link StrongSwan#ikev1Psk} writes are accepted by a real charon ({@code swanctl
 * --load-all} in a namespace) and mean what they say: two strongSwans bring IKEv1 up with them, and the aggressive
 * PSK switch is the one charon checks. These are the peers IKEv1 lab tests of Palisade stand against. Needs root and
 * strongSwan; skipped with {@code -Dpalisade.skipExternal=true}.
 */
class Ikev1SwanctlConfStrongSwanTest {
    private static final String PSK = "ikev1-conf-lab-psk-not-for-production";

    @RegisterExtension
    static final LabNamespaces LAB = LabNamespaces.of(Ikev1SwanctlConfStrongSwanTest.class);
    private static final String PREFIX = LAB.prefix();

    @Test
    void mainModeWithPfsDpdAndLifetimesLoadsAndComesUp(@TempDir Path dir) throws Exception {
        StrongSwan.Ikev1 options = StrongSwan.Ikev1.mainMode().pfs("modp2048")
                .dpd(Duration.ofSeconds(10), Duration.ofSeconds(30), "restart").rekeyTime(Duration.ofSeconds(60))
                .childRekeyTime(Duration.ofSeconds(20));
        try (StrongSwan b = StrongSwan.ikev1Psk(PREFIX + "-gwb", dir.resolve("b"), "192.0.2.2", "192.0.2.1",
                        "10.2.0.0/24", "10.1.0.0/24", PSK, options).start();
                StrongSwan a = StrongSwan.ikev1Psk(PREFIX + "-gwa", dir.resolve("a"), "192.0.2.1", "192.0.2.2",
                        "10.1.0.0/24", "10.2.0.0/24", PSK, options).start()) {
            String conns = a.swanctl("--list-conns").output();
            assertThat(conns).contains("lab: IKEv1, reauthentication every 60s, dpd delay 10s")
                    .contains("net: TUNNEL, rekeying every 20s, dpd action is start");
            a.initiate();
            assertThat(a.log()).contains("initiating Main Mode IKE_SA lab");
            assertThat(b.listSas()).as(b.log()).contains("ESTABLISHED, IKEv1")
                    .contains("INSTALLED, TUNNEL-in-UDP, ESP:AES_GCM_16-128/MODP_2048");
        }
    }

    @Test
    void aggressiveModeToAResponderForAnyPeerAndAnyId(@TempDir Path dir) throws Exception {
        StrongSwan.Ikev1 both = StrongSwan.Ikev1.mainMode().aggressive().ike("aes256-sha1-modp1536")
                .esp("aes256-sha1");
        try (StrongSwan b = StrongSwan.ikev1Psk(PREFIX + "-gwb", dir.resolve("b"), "192.0.2.2", "%any",
                        "10.2.0.0/24", "10.1.0.0/24", PSK, both.acceptAggressivePsk()).start();
                StrongSwan a = StrongSwan.ikev1Psk(PREFIX + "-gwa", dir.resolve("a"), "192.0.2.1", "192.0.2.2",
                        "10.1.0.0/24", "10.2.0.0/24", PSK, both.localId("dynamic-a.example")).start()) {
            a.initiate();
            assertThat(a.log()).contains("initiating Aggressive Mode IKE_SA lab");
            assertThat(b.listSas()).as(b.log()).contains("ESTABLISHED, IKEv1")
                    .contains("remote 'dynamic-a.example' @ 192.0.2.1")
                    .contains("AES_CBC-256/HMAC_SHA1_96/PRF_HMAC_SHA1/MODP_1536")
                    .contains("ESP:AES_CBC-256/HMAC_SHA1_96");
        }
    }

    @Test
    void withoutTheSwitchCharonRefusesAggressiveModePskAsResponder(@TempDir Path dir) throws Exception {
        try (StrongSwan b = StrongSwan.ikev1Psk(PREFIX + "-gwb", dir.resolve("b"), "192.0.2.2", "192.0.2.1",
                        "10.2.0.0/24", "10.1.0.0/24", PSK, StrongSwan.Ikev1.mainMode().aggressive()).start();
                StrongSwan a = StrongSwan.ikev1Psk(PREFIX + "-gwa", dir.resolve("a"), "192.0.2.1", "192.0.2.2",
                        "10.1.0.0/24", "10.2.0.0/24", PSK, StrongSwan.Ikev1.mainMode().aggressive()).start()) {
            Lab.Result r = a.swanctl("--initiate", "--child", "net", "--timeout", "5");
            assertThat(r.exit()).as(r.output()).isNotZero();
            assertThat(b.log()).contains("Aggressive Mode PSK disabled for security reasons");
            assertThat(b.listSas()).doesNotContain("ESTABLISHED");
        }
    }
}
