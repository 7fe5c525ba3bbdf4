package net.palisade.model.config;

import static net.palisade.model.config.TestSupport.ike;
import static net.palisade.model.config.TestSupport.manual;
import static net.palisade.model.config.TestSupport.warnings;
import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import net.palisade.model.Host;
import net.palisade.model.IkeAuth;
import net.palisade.model.IkeExchange;
import net.palisade.model.IkeMode;
import net.palisade.model.IkeTunnel;
import net.palisade.model.ManualTunnel;
import net.palisade.model.Network;
import net.palisade.model.Spi;
import net.palisade.model.crypto.EncryptionAlgorithm;
import net.palisade.model.secret.Secret;
import org.junit.jupiter.api.Test;

/** The example lines from the OpenBSD/firewall documentation, and what each must mean. */
class ExampleLinesTest {

    @Test
    void dynamicAggressiveWithPeerPskAndPing() {
        IkeTunnel t = ike("ike dynamic from 10.1.0.0/16 to 10.2.0.0/16 peer 192.0.2.2 aggressive quick psk \"badpassword\" ping");
        assertThat(t.mode()).isEqualTo(IkeMode.DYNAMIC);
        assertThat(t.exchange()).isEqualTo(IkeExchange.IKEV1_AGGRESSIVE);
        assertThat(t.exchange().version()).isEqualTo(1);
        assertThat(t.from()).containsExactly(Network.parse("10.1.0.0/16"));
        assertThat(t.to()).containsExactly(Network.parse("10.2.0.0/16"));
        assertThat(t.peers()).containsExactly(Host.parse("192.0.2.2"));
        assertThat(t.local()).isEmpty();
        assertThat(t.authentication()).isEqualTo(new IkeAuth.Psk(Secret.ofText("badpassword")));
        assertThat(t.ping()).isTrue();
        // dynamic: DPD on by default
        assertThat(t.dpd()).contains(Duration.ofSeconds(30));
        // a bare quick means default phase-2 transforms
        assertThat(t.childSa().enc()).containsExactly(EncryptionAlgorithm.AES_128_GCM, EncryptionAlgorithm.AES_256_GCM);
        assertThat(t.label()).startsWith("auto-");
    }

    @Test
    void passiveAggressiveWithoutPeerAcceptsAnyPeer() {
        IkeTunnel t = ike("ike passive from 10.2.0.0/16 to 10.1.0.0/16 aggressive quick psk \"badpassword\" ping");
        assertThat(t.mode()).isEqualTo(IkeMode.PASSIVE);
        assertThat(t.exchange()).isEqualTo(IkeExchange.IKEV1_AGGRESSIVE);
        assertThat(t.peers()).isEmpty();
        assertThat(t.from()).containsExactly(Network.parse("10.2.0.0/16"));
        assertThat(t.to()).containsExactly(Network.parse("10.1.0.0/16"));
        assertThat(t.ping()).isTrue();
        assertThat(t.dpd()).isEmpty();
    }

    private static final String SHORT_PSK = "shorter than 16 bytes: anyone who records one exchange can try to"
            + " guess it offline; use a long random psk (palisade key generate aes-256 prints one)";

    @Test
    void aggressiveWithPskWarnsAboutOfflineGuessing() {
        assertThat(warnings("ike passive from 10.2.0.0/16 to 10.1.0.0/16 aggressive quick psk \"badpassword\" ping"))
                .containsExactly("t.conf:1:45: warning: aggressive: aggressive mode with a psk lets an eavesdropper "
                        + "guess the psk offline; prefer IKEv2 or main mode, and use a long random psk",
                        "t.conf:1:66: warning: psk: " + SHORT_PSK);
    }

    @Test
    void hostToHostIkev2WithLabel() {
        IkeTunnel t = ike("ike from 10.9.1.1 to 10.9.2.1 peer 198.51.100.7 psk \"secret\" label tunnel1");
        assertThat(t.label()).isEqualTo("tunnel1");
        assertThat(t.mode()).isEqualTo(IkeMode.ACTIVE);
        assertThat(t.exchange()).isEqualTo(IkeExchange.IKEV2);
        assertThat(t.from()).containsExactly(Network.parse("10.9.1.1"));
        assertThat(t.from().getFirst().isHost()).isTrue();
        assertThat(t.from().getFirst()).isNotEqualTo(Network.parse("10.9.1.1/32"));
        assertThat(t.to()).containsExactly(Network.parse("10.9.2.1"));
        assertThat(t.peers()).containsExactly(Host.parse("198.51.100.7"));
        assertThat(t.authentication()).isEqualTo(new IkeAuth.Psk(Secret.ofText("secret")));
        assertThat(t.ping()).isFalse();
        assertThat(t.dpd()).isEmpty();
        // the documentation's example PSK is six characters: accepted, with the advice to use a long random one
        assertThat(warnings("ike from 10.9.1.1 to 10.9.2.1 peer 198.51.100.7 psk \"secret\" label tunnel1"))
                .containsExactly("t.conf:1:53: warning: psk: " + SHORT_PSK);
    }

    @Test
    void manualGcmWithTwoSpisAndOneKey() {
        ManualTunnel t = manual("manual from 10.1.0.0/16 to 10.2.0.0/16 local 192.0.2.1 peer 192.0.2.2 spi 256:0x101 "
                + "enc aes-128-gcm enckey 0x6b6b6b6b6b6b6b6b6b6b6b6b6b6b6b6b6b6b6b6b label m1");
        assertThat(t.label()).isEqualTo("m1");
        assertThat(t.from()).containsExactly(Network.parse("10.1.0.0/16"));
        assertThat(t.to()).containsExactly(Network.parse("10.2.0.0/16"));
        assertThat(t.local()).isEqualTo(Host.parse("192.0.2.1"));
        assertThat(t.peer()).isEqualTo(Host.parse("192.0.2.2"));
        assertThat(t.spi().inbound()).isEqualTo(new Spi(256));
        assertThat(t.spi().outbound()).isEqualTo(new Spi(257));
        assertThat(t.enc()).isEqualTo(EncryptionAlgorithm.AES_128_GCM);
        byte[] k = new byte[20];
        java.util.Arrays.fill(k, (byte) 0x6b);
        assertThat(t.encKey().inbound()).isEqualTo(Secret.ofBytes(k));
        assertThat(t.encKey().outbound()).isEqualTo(Secret.ofBytes(k));
        assertThat(t.auth()).isEmpty();
        assertThat(t.authKey()).isEmpty();
        // no udpencap: raw ESP
        assertThat(t.udpEncapPort()).isEqualTo(OptionalInt.empty());
    }

    @Test
    void allFourExamplesTogetherInOneBlock() {
        var config = TestSupport.ok("""
                ipsec {
                  ike dynamic from 10.1.0.0/16 to 10.2.0.0/16 peer 192.0.2.2 aggressive quick psk "badpassword" ping
                  ike passive from 10.2.0.0/16 to 10.1.0.0/16 aggressive quick psk "badpassword" ping
                  ike from 10.9.1.1 to 10.9.2.1 peer 198.51.100.7 psk "secret" label tunnel1
                  manual from 10.1.0.0/16 to 10.2.0.0/16 local 192.0.2.1 peer 192.0.2.2 spi 256:0x101 enc aes-128-gcm enckey 0x6b6b6b6b6b6b6b6b6b6b6b6b6b6b6b6b6b6b6b6b label m1
                }
                """);
        assertThat(config.tunnels()).hasSize(4);
        assertThat(config.tunnel("tunnel1")).isPresent();
        assertThat(config.tunnel("m1")).map(t -> t.type()).isEqualTo(Optional.of("manual"));
        assertThat(config.tunnels().stream().map(t -> t.label()).distinct()).hasSize(4);
        // the manual tunnel repeats the first tunnel's flow: allowed, with a warning naming the first line
        assertThat(warnings("""
                ike dynamic from 10.1.0.0/16 to 10.2.0.0/16 peer 192.0.2.2 aggressive quick psk "badpassword" ping
                manual from 10.1.0.0/16 to 10.2.0.0/16 local 192.0.2.1 peer 192.0.2.2 spi 256:0x101 enc aes-128-gcm enckey 0x6b6b6b6b6b6b6b6b6b6b6b6b6b6b6b6b6b6b6b6b label m1
                """)).contains("t.conf:2:13: warning: from: flow 10.1.0.0/16 to 10.2.0.0/16 is also used by the tunnel "
                + "at line 1; which tunnel carries it depends on policy order");
        assertThat(List.of(config.tunnels().get(0).type(), config.tunnels().get(3).type())).containsExactly("ike", "manual");
    }
}
