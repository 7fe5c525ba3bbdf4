package net.palisade.dataplane.worker;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import net.palisade.dataplane.esp.EspConstants;
import net.palisade.dataplane.esp.EspTransform;
import net.palisade.dataplane.esp.EspTransforms;
import net.palisade.dataplane.replay.ReplayWindow;
import net.palisade.dataplane.sa.InboundSa;
import net.palisade.dataplane.sa.Prefix;
import net.palisade.dataplane.sa.Selectors;
import net.palisade.dataplane.sa.SpiMap;
import net.palisade.model.Network;
import net.palisade.model.crypto.AuthAlgorithm;
import net.palisade.model.crypto.EncryptionAlgorithm;
import org.junit.jupiter.api.Test;

/**
 * A worker's inbound ESP path ({@link EspReceiver}: SPI, anti-replay, decryption, the inner packet's parse,
 * selectors, MSS clamp, TCP coalescing) driven by a fuzzer with a real SA: a script chooses, step by step, an inner
 * packet of its own (raw octets, or an IPv4 TCP/UDP/ICMP packet whose fields it chooses) sealed with the SA's keys under
 * a sequence number and next header of its choice, ESP octets of its own under the SA's SPI, a sealed packet with one
 * octet flipped, the last sealed packet again, or a flush. Whatever comes, the path never throws, and delivers no
 * more packets than it was given distinct authenticated sequence numbers (nothing forged, nothing replayed gets
 * through). The first octet picks the suite (AES-GCM or AES-CBC/HMAC, with or without ESN) and whether the TUN device
 * takes virtio-net headers (coalescing). In the suite the kept inputs replay
 * ({@code src/test/resources/net/palisade/dataplane/worker/EspInboundFuzzTestInputs/inbound/}); {@code
 * ops/bench/fuzz.sh 10 EspInbound} runs it coverage-guided.
 */
class EspInboundFuzzTest {
    private static final int SPI = 0x1000;
    /**
     * The transforms of each suite, made once (making one is most of an input's cost); their state is not the SA's:
     * the replay window is, and every input gets a new one.
     */
    private static final Map<Integer, EspTransform[]> TRANSFORMS = new java.util.concurrent.ConcurrentHashMap<>();

    /** The SA, both ends: the peer's sealing transform and our receiver's. */
    private record Sa(EspTransform seal, SpiMap<InboundBinding> inbound) {}

    private static Sa sa(int choice) {
        return sa(choice, true);
    }

    /** The SA of suite {@code choice}; with {@code cached} false, with transforms of its own. */
    private static Sa sa(int choice, boolean cached) {
        boolean gcm = (choice & 1) == 0;
        boolean esn = (choice & 2) != 0;
        EncryptionAlgorithm enc = gcm ? EncryptionAlgorithm.AES_128_GCM : EncryptionAlgorithm.AES_256;
        Optional<AuthAlgorithm> integ = gcm ? Optional.empty() : Optional.of(AuthAlgorithm.HMAC_SHA2_256);
        byte[] key = new byte[enc.keyMaterialBytes()];
        for (int i = 0; i < key.length; i++) {
            key[i] = (byte) (i * 3 + 5);
        }
        byte[] auth = integ.map(a -> {
            byte[] k = new byte[a.keyBytes()];
            java.util.Arrays.fill(k, (byte) 0x5a);
            return k;
        }).orElse(null);
        java.util.function.Function<Integer, EspTransform[]> make = c -> new EspTransform[] {
            EspTransforms.create(enc, integ, key, auth, esn), EspTransforms.create(enc, integ, key, auth, esn)};
        EspTransform[] both = cached ? TRANSFORMS.computeIfAbsent(choice & 3, make) : make.apply(choice);
        EspTransform out = both[0];
        EspTransform in = both[1];
        InboundSa sa = new InboundSa("fuzz", SPI, "fuzz", new ReplayWindow(64, esn),
                new Selectors(List.of(Prefix.of(Network.parse("10.1.0.0/16")).getFirst()),
                        List.of(Prefix.of(Network.parse("10.2.0.0/16")).getFirst())), 1360, 1340, 1);
        return new Sa(out, SpiMap.of(Map.of(SPI, new InboundBinding(sa, in))));
    }

    @FuzzTest(maxDuration = "10s")
    void inbound(byte[] script) throws Exception {
        if (script == null || script.length == 0) {
            return;
        }
        ByteBuffer in = ByteBuffer.wrap(script);
        int choice = in.get() & 0xff;
        Sa sa = sa(choice);
        int[] counts = new int[Counter.values().length];
        List<byte[]> written = new java.util.ArrayList<>();
        EspReceiver r = new EspReceiver(0, 9000, (choice & 4) != 0, (MemorySegment p, int n) -> {
            written.add(p.asSlice(0, n).toArray(ValueLayout.JAVA_BYTE));
            return true;
        }, new TunnelPings(), c -> counts[c.ordinal()]++);
        Set<Long> authenticated = new HashSet<>();
        byte[] last = null;
        long nextSeq = 1;
        int steps = 0;
        while (in.hasRemaining() && steps++ < 64) {
            int op = (in.get() & 0xff) % 6;
            switch (op) {
                case 0, 1, 3 -> {
                    byte[] inner = op == 1 ? ipv4(in) : bytes(in, next(in) * 4);
                    long seq = (next(in) & 1) == 0 ? nextSeq++ : (next(in) | ((long) next(in) << 8)) + 1;
                    int nextHeader = switch (next(in) % 4) {
                        case 0 -> EspConstants.NEXT_HEADER_IPV4;
                        case 1 -> EspConstants.NEXT_HEADER_IPV6;
                        case 2 -> EspConstants.NEXT_HEADER_NO_NEXT;
                        default -> next(in);
                    };
                    byte[] esp = new byte[sa.seal().sealedLength(inner.length) + 64];
                    int n;
                    try {
                        n = sa.seal().seal(SPI, seq, nextHeader, inner, 0, inner.length, esp, 0);
                    } catch (IllegalStateException e) {
                        continue; // our sealing refuses the same sequence number twice in a row (a reused IV)
                    }
                    byte[] packet = java.util.Arrays.copyOf(esp, n);
                    if (op == 3 && n > 0) {
                        packet[next(in) * 5 % n] ^= (byte) (1 + next(in) % 255);
                    } else {
                        authenticated.add(seq);
                        last = packet.clone();
                    }
                    r.esp(packet, packet.length, sa.inbound());
                }
                case 2 -> {
                    byte[] raw = bytes(in, next(in) * 2);
                    if (raw.length >= 4) {
                        ByteBuffer.wrap(raw).putInt(SPI);
                    }
                    r.esp(raw, raw.length, sa.inbound());
                }
                case 4 -> {
                    if (last != null) {
                        byte[] again = last.clone();
                        r.esp(again, again.length, sa.inbound()); // a replay: never delivered twice
                    }
                }
                default -> r.flush();
            }
            assertThat(counts[Counter.OPENED.ordinal()] + counts[Counter.PING_REPLIES.ordinal()])
                    .as("packets delivered, against distinct authenticated sequence numbers")
                    .isLessThanOrEqualTo(authenticated.size());
        }
        r.flush();
    }

    /** An IPv4 packet from 10.2.x.x to 10.1.x.x (mostly), protocol, flags and transport header of the script's. */
    private static byte[] ipv4(ByteBuffer in) {
        int payload = next(in) * 2;
        int protocol = switch (next(in) % 4) {
            case 0 -> 6;
            case 1 -> 17;
            case 2 -> 1;
            default -> next(in);
        };
        byte[] transport = bytes(in, Math.min(payload, in.remaining()));
        ByteBuffer p = ByteBuffer.allocate(20 + transport.length);
        p.put((byte) 0x45).put((byte) 0).putShort((short) (20 + transport.length)).putShort((short) next(in))
                .putShort((short) ((next(in) & 0xe0) << 8 | next(in))).put((byte) 64).put((byte) protocol)
                .putShort((short) 0);
        boolean inside = (next(in) & 7) != 0;
        p.put((byte) 10).put((byte) (inside ? 2 : next(in))).put((byte) next(in)).put((byte) next(in));
        p.put((byte) 10).put((byte) (inside ? 1 : next(in))).put((byte) next(in)).put((byte) next(in));
        p.put(transport);
        byte[] b = p.array();
        int sum = 0;
        for (int i = 0; i < 20; i += 2) {
            sum += ((b[i] & 0xff) << 8) | (b[i + 1] & 0xff);
        }
        sum = (sum & 0xffff) + (sum >>> 16);
        sum = (sum & 0xffff) + (sum >>> 16);
        b[10] = (byte) (~sum >>> 8);
        b[11] = (byte) ~sum;
        return b;
    }

    private static byte[] bytes(ByteBuffer in, int n) {
        byte[] b = new byte[Math.min(n, in.remaining())];
        in.get(b);
        return b;
    }

    private static int next(ByteBuffer in) {
        return in.hasRemaining() ? in.get() & 0xff : 0;
    }

    /** The harness reaches delivery: a sealed IPv4 packet inside the selectors comes out of the TUN side as sent. */
    @Test
    void aSealedPacketInsideTheSelectorsIsDeliveredAndItsReplayIsNot() throws Exception {
        for (int choice = 0; choice < 4; choice++) {
            Sa sa = sa(choice, false);
            int[] counts = new int[Counter.values().length];
            List<byte[]> written = new java.util.ArrayList<>();
            EspReceiver r = new EspReceiver(0, 9000, false, (MemorySegment p, int n) -> {
                written.add(p.asSlice(0, n).toArray(ValueLayout.JAVA_BYTE));
                return true;
            }, new TunnelPings(), c -> counts[c.ordinal()]++);
            // 10.2.0.5 -> 10.1.0.7, UDP, 8 octets of payload
            byte[] inner = {0x45, 0, 0, 36, 0, 1, 0, 0, 64, 17, 0, 0, 10, 2, 0, 5, 10, 1, 0, 7,
                0x30, 0x39, 0x30, 0x39, 0, 16, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8};
            byte[] esp = new byte[sa.seal().sealedLength(inner.length)];
            int n = sa.seal().seal(SPI, 1, EspConstants.NEXT_HEADER_IPV4, inner, 0, inner.length, esp, 0);
            r.esp(esp.clone(), n, sa.inbound());
            r.esp(esp.clone(), n, sa.inbound());
            assertThat(written).as("suite " + choice).hasSize(1);
            assertThat(written.getFirst()).isEqualTo(inner);
            assertThat(counts[Counter.OPENED.ordinal()]).isEqualTo(1);
            assertThat(counts[Counter.REPLAY.ordinal()]).isEqualTo(1);
        }
    }
}
