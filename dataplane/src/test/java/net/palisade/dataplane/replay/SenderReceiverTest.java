package net.palisade.dataplane.replay;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import net.palisade.dataplane.esp.EspOpenResult;
import net.palisade.dataplane.esp.EspOutcome;
import net.palisade.dataplane.esp.EspTransform;
import net.palisade.dataplane.esp.EspTransforms;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** Counter, transform and window together, as a worker drives them. */
class SenderReceiverTest {

    private static final byte[] KEY = new byte[20];

    private static int seqLow(byte[] packet) {
        return ((packet[4] & 0xff) << 24) | ((packet[5] & 0xff) << 16) | ((packet[6] & 0xff) << 8)
                | (packet[7] & 0xff);
    }

    /** check, open (ICV), update: the order RFC 4303 Sec. 3.4.3 requires. */
    private static EspOutcome receive(ReplayWindow w, EspTransform t, byte[] packet, EspOpenResult r) {
        long seq = w.check(seqLow(packet));
        if (seq == ReplayWindow.REJECT) {
            return null;
        }
        EspOutcome o = t.open(packet, 0, packet.length, seq, new byte[packet.length], 0, r);
        if (o == EspOutcome.OK && !w.update(seq)) {
            return null;
        }
        return o;
    }

    @Test
    @DisplayName("ESN traffic across 2^32, reordered within the window, all delivered once (RFC 4303 App. A)")
    void esnTrafficAcrossTheWrap() {
        EspTransform sender = EspTransforms.create("aes-128-gcm", "none", KEY, true);
        EspTransform receiver = EspTransforms.create("aes-128-gcm", "none", KEY, true);
        SequenceCounter counter = SequenceCounter.startingAfter(true, SequenceCounter.MAX_64, 0xFFFF_FE00L);
        ReplayWindow window = new ReplayWindow(256, true);
        EspOpenResult r = new EspOpenResult();
        byte[] payload = new byte[40];
        payload[0] = 0x45;

        List<byte[]> packets = new ArrayList<>();
        for (int i = 0; i < 1024; i++) {
            byte[] p = new byte[sender.sealedLength(payload.length)];
            sender.sealTunnel(0x1234, counter.next(), payload, 0, payload.length, p, 0);
            packets.add(p);
        }
        // Reorder within chunks smaller than the window.
        Random random = new Random(1);
        for (int i = 0; i < packets.size(); i += 128) {
            Collections.shuffle(packets.subList(i, i + 128), random);
        }
        for (byte[] p : packets) {
            assertThat(receive(window, receiver, p, r)).isEqualTo(EspOutcome.OK);
        }
        assertThat(window.highest()).isEqualTo(0xFFFF_FE00L + 1024);
        for (byte[] p : packets.subList(packets.size() - 100, packets.size())) {
            assertThat(receive(window, receiver, p, r)).as("replayed").isNull();
        }
        // Replays from far behind the window: App. A2.2 infers them into the next subspace, where their ICV
        // cannot verify; they are dropped and the window stays put.
        long top = window.highest();
        for (byte[] p : packets.subList(0, 10)) {
            EspOutcome o = receive(window, receiver, p, r);
            assertThat(o == null || o == EspOutcome.ICV_FAILED).as("old replay dropped").isTrue();
        }
        assertThat(window.highest()).isEqualTo(top);
    }

    @Test
    @DisplayName("RFC 4303 Sec. 3.4.3: a packet failing its ICV leaves the window where it was")
    void forgedPacketDoesNotMoveTheWindow() {
        EspTransform sender = EspTransforms.create("aes-128-gcm", "none", KEY, false);
        EspTransform receiver = EspTransforms.create("aes-128-gcm", "none", KEY, false);
        ReplayWindow window = new ReplayWindow(64, false);
        EspOpenResult r = new EspOpenResult();
        byte[] payload = new byte[20];
        payload[0] = 0x45;

        byte[] first = new byte[sender.sealedLength(20)];
        sender.sealTunnel(1, 10, payload, 0, 20, first, 0);
        assertThat(receive(window, receiver, first, r)).isEqualTo(EspOutcome.OK);

        // A forgery claiming sequence number 1,000,000: passes the cheap check, fails the ICV.
        byte[] forged = new byte[sender.sealedLength(20)];
        sender.sealTunnel(1, 1_000_000, payload, 0, 20, forged, 0);
        forged[forged.length - 1] ^= 1;
        assertThat(receive(window, receiver, forged, r)).isEqualTo(EspOutcome.ICV_FAILED);
        assertThat(window.highest()).isEqualTo(10);

        // Genuine packets behind it are still accepted, including the forged number's genuine packet.
        byte[] second = new byte[sender.sealedLength(20)];
        sender.sealTunnel(1, 5, payload, 0, 20, second, 0);
        assertThat(receive(window, receiver, second, r)).isEqualTo(EspOutcome.OK);
        byte[] genuine = new byte[sender.sealedLength(20)];
        sender.sealTunnel(1, 1_000_001, payload, 0, 20, genuine, 0);
        assertThat(receive(window, receiver, genuine, r)).isEqualTo(EspOutcome.OK);
        assertThat(window.highest()).isEqualTo(1_000_001);
    }
}
