package net.palisade.dataplane.sa;

import java.util.List;
import net.palisade.dataplane.esp.EspOpenResult;
import net.palisade.dataplane.esp.EspOutcome;
import net.palisade.dataplane.esp.EspTransform;
import net.palisade.dataplane.replay.ReplayWindow;
import net.palisade.model.ManualTunnel;
import net.palisade.model.crypto.AuthAlgorithm;
import net.palisade.model.config.ConfigParser;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class ManualKeyingTest {
    private static final String K1 = "0x000102030405060708090a0b0c0d0e0f10111213";
    private static final String K2 = "0x202122232425262728292a2b2c2d2e2f30313233";

    static ManualTunnel parse(String text) {
        return (ManualTunnel) ConfigParser.parse(text, "test.conf").orThrow().tunnels().getFirst();
    }

    private static ManualKeying.Params params(int workers) {
        return new ManualKeying.Params(workers, 1024, 1500, 1435, null);
    }

    @Test
    void gcmOverUdpFromConfigText() {
        ManualTunnel a = parse("manual from 10.1.0.0/24 fd00:1::/64 to 10.2.0.0/24 10.3.0.0/24 "
                + "fd00:2::/64 local 192.0.2.1 peer 192.0.2.2 spi 0x1000:0x1001 enc aes-128-gcm enckey " + K1 + ":"
                + K2 + " udpencap label a");
        ManualKeying.Prepared p = ManualKeying.prepare(a, params(3));
        TunnelSas sas = p.sas();
        assertThat(sas.outbound().spi()).isEqualTo(0x1001);
        assertThat(sas.inbound().spi()).isEqualTo(0x1000);
        assertThat(sas.outbound().peer().getPort()).isEqualTo(4500);
        assertThat(sas.outbound().udpEncapsulation()).isTrue();
        assertThat(sas.outbound().transformName()).isEqualTo("aes-128-gcm");
        // 1500 - 20 - 8 - 8 (ESP) - 8 (IV) - 16 (ICV) = 1440 for ciphertext = payload + 2, aligned to 4 -> 1438
        assertThat(sas.outbound().maxInnerLength()).isEqualTo(1438);
        assertThat(sas.inbound().maxMss4()).isEqualTo(1435 - 40);
        assertThat(sas.inbound().replayWindowSize()).isEqualTo(ReplayWindow.DEFAULT_SIZE);
        assertThat(p.outboundTransforms()).hasSize(3).doesNotHaveDuplicates();
        assertThat(p.inboundTransforms()).hasSize(3);
        assertThat(sas.policies()).extracting(Object::toString).containsExactly(
                "FlowPair[local=10.1.0.0/24, remote=10.2.0.0/24]", "FlowPair[local=10.1.0.0/24, remote=10.3.0.0/24]",
                "FlowPair[local=fd00:1:0:0:0:0:0:0/64, remote=fd00:2:0:0:0:0:0:0/64]");
    }

    private static final net.palisade.model.crypto.EncryptionAlgorithm GCM_128 =
            net.palisade.model.crypto.EncryptionAlgorithm.AES_128_GCM;

    @Test
    void explicitKeysAsIkeNegotiatesThemBuildTheSameSasAsTheManualTunnel() {
        ManualTunnel a = parse("manual from 10.1.0.0/24 to 10.2.0.0/24 local 192.0.2.1 peer 192.0.2.2 "
                + "spi 0x1000:0x1001 enc aes-128-gcm enckey " + K1 + ":" + K2 + " udpencap label a");
        ManualKeying.Prepared manual = ManualKeying.prepare(a, params(2));
        ManualKeying.Prepared keyed = ManualKeying.prepare(new SaKeys("a",
                java.net.InetAddress.ofLiteral("192.0.2.1"), new java.net.InetSocketAddress("192.0.2.2", 4500),
                GCM_128, java.util.Optional.empty(), 0x1000, 0x1001, a.encKey(), java.util.Optional.empty(),
                Prefix.of(net.palisade.model.Network.parse("10.1.0.0/24")),
                Prefix.of(net.palisade.model.Network.parse("10.2.0.0/24"))), params(2));
        assertThat(keyed.sas().toString()).isEqualTo(manual.sas().toString());
        assertThat(keyed.sas().policies()).isEqualTo(manual.sas().policies());
        assertThat(keyed.sas().inbound().selectors()).isEqualTo(manual.sas().inbound().selectors());
        // the mirror image (keys swapped) opens what it seals
        ManualKeying.Prepared mirror = ManualKeying.prepare(new SaKeys("b",
                java.net.InetAddress.ofLiteral("192.0.2.2"), new java.net.InetSocketAddress("192.0.2.1", 4500),
                GCM_128, java.util.Optional.empty(), 0x1001, 0x1000,
                new net.palisade.model.DirectionalKeys(a.encKey().outbound(), a.encKey().inbound()),
                java.util.Optional.empty(), Prefix.of(net.palisade.model.Network.parse("10.2.0.0/24")),
                Prefix.of(net.palisade.model.Network.parse("10.1.0.0/24"))), params(1));
        EspTransform seal = keyed.outboundTransforms().getFirst();
        EspTransform open = mirror.inboundTransforms().getFirst();
        byte[] inner = PrefixAndSpdTest.ipv4("10.1.0.10", "10.2.0.10");
        byte[] esp = new byte[seal.sealedLength(inner.length)];
        int n = seal.sealTunnel(keyed.sas().outbound().spi(), 1, inner, 0, inner.length, esp, 0);
        byte[] plain = new byte[open.openedLength(n)];
        EspOpenResult r = new EspOpenResult();
        assertThat(open.open(esp, 0, n, 1, plain, 0, r)).isEqualTo(EspOutcome.OK);
        assertThat(r.payloadLength()).isEqualTo(inner.length);
    }

    @Test
    void mirrorImagesTalkToEachOther() {
        ManualTunnel a = parse("manual from 10.1.0.0/24 to 10.2.0.0/24 local 192.0.2.1 peer 192.0.2.2 "
                + "spi 0x1000:0x1001 enc aes-128 enckey 0x" + "11".repeat(16) + ":0x" + "22".repeat(16)
                + " auth hmac-sha2-256 authkey 0x" + "33".repeat(32) + ":0x" + "44".repeat(32) + " label a");
        ManualTunnel b = parse("manual from 10.2.0.0/24 to 10.1.0.0/24 local 192.0.2.2 peer 192.0.2.1 "
                + "spi 0x1001:0x1000 enc aes-128 enckey 0x" + "22".repeat(16) + ":0x" + "11".repeat(16)
                + " auth hmac-sha2-256 authkey 0x" + "44".repeat(32) + ":0x" + "33".repeat(32) + " label b");
        ManualKeying.Prepared pa = ManualKeying.prepare(a, params(1));
        ManualKeying.Prepared pb = ManualKeying.prepare(b, params(1));
        assertThat(pa.sas().outbound().udpEncapsulation()).as("no udpencap: raw ESP").isFalse();
        assertThat(pa.sas().outbound().peer().getPort()).isZero();
        assertThat(pa.sas().outbound().transformName()).as("the config's keywords").isEqualTo("aes-128/hmac-sha2-256");
        // raw ESP over IPv4: 1500 - 20 - 8 - 16 (IV) - 16 (ICV) = 1440, ciphertext multiple of 16 -> 1438
        assertThat(pa.sas().outbound().maxInnerLength()).isEqualTo(1438);

        EspTransform seal = pa.outboundTransforms().getFirst();
        EspTransform open = pb.inboundTransforms().getFirst();
        byte[] inner = PrefixAndSpdTest.ipv4("10.1.0.10", "10.2.0.10");
        byte[] esp = new byte[seal.sealedLength(inner.length)];
        int n = seal.sealTunnel(pa.sas().outbound().spi(), 1, inner, 0, inner.length, esp, 0);
        byte[] plain = new byte[open.openedLength(n)];
        EspOpenResult r = new EspOpenResult();
        assertThat(open.open(esp, 0, n, 1, plain, 0, r)).isEqualTo(EspOutcome.OK);
        assertThat(r.payloadLength()).isEqualTo(inner.length);
        // and the other way, with the other key, fails
        EspTransform wrong = pa.inboundTransforms().getFirst();
        assertThat(wrong.open(esp, 0, n, 1, plain, 0, r)).isEqualTo(EspOutcome.ICV_FAILED);
    }

    @Test
    void overheadNumbersInTheDocumentation() {
        var gcm = net.palisade.model.crypto.EncryptionAlgorithm.AES_128_GCM;
        var cbc = net.palisade.model.crypto.EncryptionAlgorithm.AES_256;
        java.util.Optional<AuthAlgorithm> none = java.util.Optional.empty();
        assertThat(EspOverhead.worstCase(gcm, none, false, true)).isEqualTo(65);
        assertThat(EspOverhead.worstCase(cbc, java.util.Optional.of(AuthAlgorithm.HMAC_SHA2_256), false, true))
                .isEqualTo(85);
        int worst = 0;
        for (var e : net.palisade.model.crypto.EncryptionAlgorithm.values()) {
            if (e.aead()) {
                worst = Math.max(worst, EspOverhead.worstCase(e, none, true, true));
            }
            for (var i : AuthAlgorithm.values()) {
                if (!e.aead()) {
                    worst = Math.max(worst, EspOverhead.worstCase(e, java.util.Optional.of(i), true, true));
                }
            }
        }
        assertThat(worst).isEqualTo(EspOverhead.WORST_CASE);
    }

    @Test
    void maxInnerLengthIsExactForEveryLength() {
        ManualTunnel a = parse("manual from 10.1.0.0/24 to 10.2.0.0/24 local 192.0.2.1 peer 192.0.2.2 "
                + "spi 0x1000:0x1001 enc aes-128-gcm enckey " + K1 + " udpencap label a");
        EspTransform t = ManualKeying.prepare(a, params(1)).outboundTransforms().getFirst();
        for (int mtu = 576; mtu <= 9000; mtu += 7) {
            int max = EspOverhead.maxInnerLength(t, mtu, false, true);
            assertThat(28 + t.sealedLength(max)).isLessThanOrEqualTo(mtu);
            assertThat(28 + t.sealedLength(max + 1)).isGreaterThan(mtu);
        }
    }

    @Test
    void policiesPairOnlyMatchingFamiliesAndExpandAny() {
        ManualTunnel a = parse("manual from any to 10.2.0.0/24 fd00:2::/64 local 192.0.2.1 peer 192.0.2.2 "
                + "spi 0x1000:0x1001 enc aes-128-gcm enckey " + K1 + " udpencap label a");
        List<FlowPair> p = ManualKeying.policies(a);
        assertThat(p).extracting(f -> f.local().length() + "->" + f.remote()).containsExactly(
                "0->10.2.0.0/24", "0->fd00:2:0:0:0:0:0:0/64");
    }
}
