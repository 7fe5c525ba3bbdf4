package net.palisade.dataplane.esp;

import static net.palisade.dataplane.esp.Bytes.hex;
import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import net.palisade.dataplane.replay.ReplayWindow;
import net.palisade.dataplane.sa.ManualKeying;
import net.palisade.dataplane.sa.OutboundSa;
import net.palisade.dataplane.sa.Prefix;
import net.palisade.dataplane.sa.SaEvents;
import net.palisade.dataplane.sa.SaKeys;
import net.palisade.dataplane.sa.SequenceReservations;
import net.palisade.model.DirectionalKeys;
import net.palisade.model.Network;
import net.palisade.model.crypto.EncryptionAlgorithm;
import net.palisade.model.secret.Secret;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A Child SA pair built as IKE installs it ({@link SaKeys} with {@code esn}), its outbound counter started just below
 * 2^32, sends across the boundary: the peer's SA with ESN infers the high half (RFC 4303 Appendix A), authenticates it
 * (RFC 4106 section 5: in the AAD) and delivers every packet once; scapy, an independent ESP implementation, opens the
 * packets after the boundary only with the high half 1. The same SA without ESN stops at 2^32-1.
 *
 * <p>The counter starts high through {@link SequenceReservations} (the last number reserved before a restart), the
 * way a manual SA continues after one: no test-only hook is needed.
 */
class EsnSaPairTest {
    private static final long START = (1L << 32) - 3;
    private static final int SPI_A = 0x1000;
    private static final int SPI_B = 0x2000;

    @BeforeAll
    static void scapy() throws Exception {
        ScapyInteropTest.requireScapy();
    }

    private static final byte[] A_TO_B = key(1);
    private static final byte[] B_TO_A = key(2);

    private static byte[] key(long seed) {
        byte[] k = new byte[net.palisade.model.crypto.EncryptionAlgorithm.AES_128_GCM.keyMaterialBytes()];
        new Random(seed).nextBytes(k);
        return k;
    }

    /** Side A: receives on SPI_A, sends to SPI_B; side B the mirror image. */
    private static ManualKeying.Prepared side(boolean a, boolean esn, List<String> events) {
        SequenceReservations restarted = new SequenceReservations() {
            @Override
            public long lastReserved(String label, int spi) {
                return START - 1;
            }

            @Override
            public void reserve(String label, int spi, long upTo) {}
        };
        SaEvents sink = new SaEvents() {
            @Override
            public void outboundSoftLimit(String label, long spi) {
                events.add("soft " + label);
            }

            @Override
            public void outboundExhausted(String label, long spi) {
                events.add("exhausted " + label);
            }
        };
        DirectionalKeys keys = a
                ? new DirectionalKeys(Secret.ofBytes(B_TO_A), Secret.ofBytes(A_TO_B))
                : new DirectionalKeys(Secret.ofBytes(A_TO_B), Secret.ofBytes(B_TO_A));
        List<Prefix> siteA = Prefix.of(Network.parse("10.1.0.0/16"));
        List<Prefix> siteB = Prefix.of(Network.parse("10.2.0.0/16"));
        SaKeys k = new SaKeys(a ? "a" : "b", InetAddress.ofLiteral(a ? "192.0.2.1" : "198.51.100.2"),
                new InetSocketAddress(a ? "198.51.100.2" : "192.0.2.1", 4500),
                net.palisade.model.crypto.EncryptionAlgorithm.AES_128_GCM, Optional.empty(), a ? SPI_A : SPI_B,
                a ? SPI_B : SPI_A, keys, Optional.empty(), a ? siteA : siteB, a ? siteB : siteA, esn);
        ManualKeying.Prepared p = ManualKeying.prepare(k, new ManualKeying.Params(1, ReplayWindow.DEFAULT_SIZE, 1500,
                1400, sink, restarted));
        // the receiver has had every packet up to START - 1, as after 2^32 - 4 packets (RFC 4303 Appendix A infers
        // the high half from the window, so a fresh window cannot place a first packet just below 2^32)
        assertThat(p.sas().inbound().replayUpdate(START - 1)).isTrue();
        return p;
    }

    private record Sent(long sequence, byte[] esp, byte[] inner) {}

    private static Sent send(ManualKeying.Prepared from, int n) {
        OutboundSa out = from.sas().outbound();
        long seq = out.nextSequence();
        if (seq == OutboundSa.EXHAUSTED) {
            return null;
        }
        EspTransform seal = from.outboundTransforms().getFirst();
        byte[] inner = Bytes.ipv4Icmp(84, 0x0a010001, 0x0a020001, 0x1234, n);
        byte[] esp = new byte[seal.sealedLength(inner.length)];
        int len = seal.sealTunnel(out.spi(), seq, inner, 0, inner.length, esp, 0);
        return new Sent(seq, java.util.Arrays.copyOf(esp, len), inner);
    }

    /** What the receiving worker does: replay check on the wire's low half, open, then update the window. */
    private static EspOutcome receive(ManualKeying.Prepared at, byte[] esp) {
        long seq = at.sas().inbound().replayCheck(Bytes.int32(esp, 4));
        if (seq == ReplayWindow.REJECT) {
            return null;
        }
        EspTransform open = at.inboundTransforms().getFirst();
        byte[] plain = new byte[open.openedLength(esp.length)];
        EspOutcome o = open.open(esp, 0, esp.length, seq, plain, 0, new EspOpenResult());
        if (o == EspOutcome.OK && !at.sas().inbound().replayUpdate(seq)) {
            return null;
        }
        return o;
    }

    @Test
    void anEsnPairCrossesTwoToThe32BothSidesAgreeingAndScapyToo() throws Exception {
        List<String> events = new ArrayList<>();
        ManualKeying.Prepared a = side(true, true, events);
        ManualKeying.Prepared b = side(false, true, events);
        assertThat(a.sas().outbound().udpEncapsulation()).isTrue();
        List<Sent> sent = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            sent.add(send(a, i));
        }
        assertThat(sent).extracting(Sent::sequence).containsExactly(START, START + 1, START + 2, START + 3,
                START + 4, START + 5);
        assertThat(START + 3).isEqualTo(1L << 32);
        // on the wire only the low half: ..., 0xfffffffe, 0xffffffff, 0, 1, 2 (RFC 4303 section 2.2)
        assertThat(sent).extracting(s -> Integer.toUnsignedLong(Bytes.int32(s.esp(), 4)))
                .containsExactly(0xffff_fffdL, 0xffff_fffeL, 0xffff_ffffL, 0L, 1L, 2L);
        // delivered out of order across the boundary, each once
        for (int i : new int[] {0, 1, 3, 2, 5, 4}) {
            assertThat(receive(b, sent.get(i).esp())).as("packet %d", i).isEqualTo(EspOutcome.OK);
        }
        assertThat(b.sas().inbound().highestSequence()).isEqualTo(START + 5);
        // a replay of a packet before the boundary, and one after it, are dropped
        assertThat(receive(b, sent.get(1).esp())).isNull();
        assertThat(receive(b, sent.get(4).esp())).isNull();
        assertThat(events).isEmpty();

        // scapy opens the packet with sequence number 2^32 + 1 only as high half 1, low half 1
        Sent after = sent.get(4);
        Map<String, String> req = ScapyInteropTest.baseRequest(EncryptionAlgorithm.AES_128_GCM,
                Optional.empty(), A_TO_B, null, SPI_B, after.sequence(), true);
        req.put("op", "open");
        req.put("esp", hex(after.esp()));
        assertThat(req).containsEntry("seq", "1").containsEntry("esn", "1");
        assertThat(ScapyInteropTest.scapy(req).get("inner")).isEqualTo(hex(after.inner()));
    }

    @Test
    void aPeerWithoutEsnCannotAuthenticateTheHighHalfAndAnSaWithoutEsnStopsAt2To32Minus1() {
        List<String> events = new ArrayList<>();
        ManualKeying.Prepared a = side(true, true, events);
        ManualKeying.Prepared b32 = side(false, false, events);
        List<Sent> sent = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            sent.add(send(a, i));
        }
        // the GCM AAD differs (SPI || seq vs SPI || seq high || seq low): nothing opens on a 32-bit SA
        assertThat(receive(b32, sent.get(0).esp())).isEqualTo(EspOutcome.ICV_FAILED);

        ManualKeying.Prepared a32 = side(true, false, events);
        assertThat(send(a32, 0).sequence()).isEqualTo(START);
        assertThat(send(a32, 1).sequence()).isEqualTo(START + 1);
        assertThat(send(a32, 2).sequence()).isEqualTo(0xffff_ffffL);
        assertThat(send(a32, 3)).as("RFC 4303 3.3.3: no cycling to 0 without ESN").isNull();
        assertThat(events).containsExactly("exhausted a");
    }
}
