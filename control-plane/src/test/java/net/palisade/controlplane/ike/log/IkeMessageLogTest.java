package net.palisade.controlplane.ike.log;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import net.palisade.model.wire.Octets;
import net.palisade.model.wire.ikev2.AuthMethod;
import net.palisade.model.wire.ikev2.AuthPayload;
import net.palisade.model.wire.ikev2.ExchangeType;
import net.palisade.model.wire.ikev2.IdPayload;
import net.palisade.model.wire.ikev2.IkeHeader;
import net.palisade.model.wire.ikev2.KePayload;
import net.palisade.model.wire.ikev2.NoncePayload;
import org.junit.jupiter.api.Test;

/**
 * The log keeps the last 64 messages per tunnel, each tunnel apart, and shows no nonce, key exchange value or AUTH
 * data. Whether the summaries say what the peer sent is {@code IkeLogStrongSwanTest}'s (strongSwan's log judges).
 */
class IkeMessageLogTest {
    private static final InetSocketAddress PEER = new InetSocketAddress(InetAddress.getLoopbackAddress(), 500);

    @Test
    void keepsTheLast64PerTunnelAndNoSecretOctets() {
        IkeMessageLog log = new IkeMessageLog(Clock.fixed(Instant.parse("2026-12-06T08:00:00Z"), ZoneOffset.UTC));
        byte[] nonce = new byte[32];
        java.util.Arrays.fill(nonce, (byte) 0xab);
        byte[] ke = new byte[32];
        java.util.Arrays.fill(ke, (byte) 0xcd);
        for (int i = 0; i < 70; i++) {
            IkeHeader h = IkeHeader.request(1, 2, ExchangeType.Known.INFORMATIONAL, i, true);
            log.message("a", true, PEER, h, List.of(new NoncePayload(Octets.of(nonce)), new KePayload(31, Octets.of(ke)),
                    new AuthPayload(AuthMethod.Known.SHARED_KEY_MIC, Octets.of(nonce)),
                    IdPayload.fqdn(true, "gw-a.example")));
        }
        log.message("b", false, PEER, IkeHeader.request(1, 2, ExchangeType.Known.INFORMATIONAL, 0, true), List.of());

        List<IkeMessageLog.Entry> a = log.of("a");
        assertThat(a).hasSize(64);
        assertThat(a.getFirst().summary().line()).isEqualTo("INFORMATIONAL request 6 [ Ni KE AUTH IDi ]");
        assertThat(a.getLast().summary().line()).startsWith("INFORMATIONAL request 69 ");
        assertThat(a.getLast().summary().details()).containsExactly("KE CURVE_25519", "AUTH SHARED_KEY_MIC",
                "IDi ID_FQDN gw-a.example");
        assertThat(a.toString()).doesNotContainIgnoringCase("abab").doesNotContainIgnoringCase("cdcd");
        assertThat(log.of("b")).hasSize(1);
        assertThat(log.of("c")).isEmpty();
    }
}
