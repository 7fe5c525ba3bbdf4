package net.palisade.controlplane.ike;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.InetAddress;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import net.palisade.controlplane.MutableClock;
import net.palisade.controlplane.ike.crypto.Randomness;
import net.palisade.controlplane.ike.crypto.SkCipher;
import net.palisade.model.crypto.AuthAlgorithm;
import net.palisade.model.crypto.EncryptionAlgorithm;
import net.palisade.model.wire.Octets;
import net.palisade.model.wire.ikev2.DecodeResult;
import net.palisade.model.wire.ikev2.ExchangeType;
import net.palisade.model.wire.ikev2.IdPayload;
import net.palisade.model.wire.ikev2.IdentificationType;
import net.palisade.model.wire.ikev2.IkeHeader;
import net.palisade.model.wire.ikev2.IkeMessage;
import net.palisade.model.wire.ikev2.Ikev2Codec;
import net.palisade.model.wire.ikev2.Payload;
import net.palisade.model.wire.ikev2.PayloadType;
import net.palisade.model.wire.ikev2.SkfPayload;
import net.palisade.model.wire.ikev2.VendorIdPayload;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** SKF fragments (RFC 7383): splitting, and reassembly under loss, duplication, reordering and tampering. */
class FragmentsTest {
    private static final Ikev2Codec CODEC = Ikev2Codec.standard();
    private static final IkeHeader HEADER = IkeHeader.request(0x0102030405060708L, 0x1112131415161718L,
            ExchangeType.Known.IKE_AUTH, 1, true);
    private static final int LIMIT = 300;

    private final MutableClock clock = new MutableClock(Instant.parse("2026-11-27T12:00:00Z"));
    private final Random random = new Random(3);
    private final Randomness randomness = random::nextBytes;
    private final IkeCounters counters = new IkeCounters();

    /** The same keys on both ends: one cipher seals, an independent instance opens. */
    private static SkCipher[] pair(boolean gcm) {
        byte[] ke = new byte[gcm ? 36 : 16];
        byte[] ka = new byte[gcm ? 0 : 32];
        new Random(11).nextBytes(ke);
        new Random(12).nextBytes(ka);
        EncryptionAlgorithm e = gcm ? EncryptionAlgorithm.AES_256_GCM : EncryptionAlgorithm.AES_128;
        Optional<AuthAlgorithm> a = gcm ? Optional.empty() : Optional.of(AuthAlgorithm.HMAC_SHA2_256);
        return new SkCipher[] {new SkCipher(e, a, ke, ka), new SkCipher(e, a, ke, ka)};
    }

    private List<Payload> bigMessage() {
        byte[] v = new byte[1500];
        random.nextBytes(v);
        return List.of(new IdPayload(true, IdentificationType.Known.ID_FQDN, Octets.of("gw-a.example".getBytes())),
                new VendorIdPayload(Octets.of(v)), new VendorIdPayload(Octets.of(new byte[] {1, 2, 3})));
    }

    private Fragments.Reassembler reassembler() {
        return new Fragments.Reassembler(CODEC, clock, counters, Fragments.Limits.DEFAULT);
    }

    @ParameterizedTest
    @ValueSource(booleans = {true, false})
    void splitFragmentsFitTheLimitAndAreNumbered(boolean gcm) {
        SkCipher[] c = pair(gcm);
        List<Payload> inner = bigMessage();
        List<byte[]> fragments = Fragments.split(c[0], CODEC, HEADER, inner, LIMIT, randomness);
        int chain = CODEC.encodeChain(inner).length;
        // every fragment carries as much as fits: header 28, SKF header 8, IV, ICV, pad length (and CBC padding)
        int capacity = gcm ? LIMIT - 28 - 8 - 8 - 16 - 1 : (LIMIT - 28 - 8 - 16 - 16) / 16 * 16 - 1;
        assertThat(fragments).hasSize((chain + capacity - 1) / capacity);
        for (int i = 0; i < fragments.size(); i++) {
            byte[] f = fragments.get(i);
            assertThat(f.length).isLessThanOrEqualTo(LIMIT);
            IkeMessage m = ((DecodeResult.Ok<IkeMessage>) CODEC.decode(f)).value();
            assertThat(m.header().messageId()).isEqualTo(1);
            assertThat(m.header().exchangeType()).isEqualTo(ExchangeType.Known.IKE_AUTH);
            SkfPayload skf = (SkfPayload) m.payloads().getFirst();
            assertThat(skf.fragmentNumber()).isEqualTo(i + 1);
            assertThat(skf.totalFragments()).isEqualTo(fragments.size());
            assertThat(skf.firstInner()).isEqualTo(i == 0 ? PayloadType.Known.IDI
                    : PayloadType.Known.NO_NEXT_PAYLOAD);
        }
        assertThat(fragments.subList(0, fragments.size() - 1)).allSatisfy(f -> assertThat(f.length)
                .isGreaterThan(LIMIT - 16));
    }

    @ParameterizedTest
    @ValueSource(booleans = {true, false})
    void reorderedAndDuplicatedFragmentsReassemble(boolean gcm) {
        SkCipher[] c = pair(gcm);
        List<Payload> inner = bigMessage();
        List<byte[]> fragments = new ArrayList<>(Fragments.split(c[0], CODEC, HEADER, inner, LIMIT, randomness));
        int n = fragments.size();
        List<byte[]> arriving = new ArrayList<>(fragments);
        arriving.addAll(fragments.subList(0, 2));
        Collections.shuffle(arriving, new Random(5));
        // make sure the whole set is only complete at the very end: move the last new one there
        Fragments.Reassembler r = reassembler();
        List<Fragments.Offer> offers = new ArrayList<>();
        for (byte[] f : arriving) {
            offers.add(r.offer(f, HEADER, c[1]));
        }
        List<Fragments.Offer.Complete> complete = offers.stream().filter(Fragments.Offer.Complete.class::isInstance)
                .map(Fragments.Offer.Complete.class::cast).toList();
        assertThat(complete).hasSize(1);
        assertThat(((DecodeResult.Ok<List<Payload>>) complete.getFirst().inner()).value()).isEqualTo(inner);
        assertThat(complete.getFirst().firstFragment()).isEqualTo(fragments.getFirst());
        long duplicates = offers.stream().filter(o -> o instanceof Fragments.Offer.Dropped d
                && d.counter().equals("ikev2.fragment.duplicate")).count();
        // the two copies are duplicates unless they came after the message was complete (then they start afresh)
        assertThat(duplicates + offers.subList(offers.indexOf(complete.getFirst()) + 1, offers.size()).stream()
                .filter(Fragments.Offer.Incomplete.class::isInstance).count()).isEqualTo(2);
        assertThat(counters.get("ikev2.fragment.received")).isEqualTo(n + 2 - duplicates);
    }

    @Test
    void aLostFragmentIsRecoveredFromTheRetransmission() {
        SkCipher[] c = pair(true);
        List<Payload> inner = bigMessage();
        List<byte[]> first = Fragments.split(c[0], CODEC, HEADER, inner, LIMIT, randomness);
        Fragments.Reassembler r = reassembler();
        for (int i = 0; i < first.size(); i++) {
            if (i != 2) {
                assertThat(r.offer(first.get(i), HEADER, c[1])).isInstanceOf(Fragments.Offer.Incomplete.class);
            }
        }
        // the sender retransmits every fragment (sealed anew): the held ones are duplicates, the lost one completes
        List<byte[]> again = Fragments.split(c[0], CODEC, HEADER, inner, LIMIT, randomness);
        assertThat(r.offer(again.get(0), HEADER, c[1])).isInstanceOf(Fragments.Offer.Dropped.class);
        Fragments.Offer o = r.offer(again.get(2), HEADER, c[1]);
        assertThat(o).isInstanceOf(Fragments.Offer.Complete.class);
        assertThat(((DecodeResult.Ok<List<Payload>>) ((Fragments.Offer.Complete) o).inner()).value())
                .isEqualTo(inner);
    }

    @ParameterizedTest
    @ValueSource(booleans = {true, false})
    void aTamperedFragmentIsNotKept(boolean gcm) {
        SkCipher[] c = pair(gcm);
        List<byte[]> fragments = Fragments.split(c[0], CODEC, HEADER, bigMessage(), LIMIT, randomness);
        Fragments.Reassembler r = reassembler();
        byte[] bad = fragments.get(1).clone();
        bad[bad.length - 40] ^= 0x01;
        assertThat(r.offer(bad, HEADER, c[1])).isEqualTo(new Fragments.Offer.Dropped(
                "ikev2.fragment.integrity_failed"));
        assertThat(r.held()).isZero();
        Fragments.Offer last = null;
        for (byte[] f : fragments) {
            last = r.offer(f, HEADER, c[1]);
        }
        assertThat(last).as("the genuine fragment 2 was not taken for a duplicate")
                .isInstanceOf(Fragments.Offer.Complete.class);
        // a fragment sealed under other keys is refused the same way
        byte[] other = new byte[36];
        SkCipher stranger = new SkCipher(EncryptionAlgorithm.AES_256_GCM, Optional.empty(), other, new byte[0]);
        byte[] forged = Fragments.split(stranger, CODEC, HEADER, bigMessage(), LIMIT, randomness).getFirst();
        assertThat(reassembler().offer(forged, HEADER, pair(true)[1])).isInstanceOf(Fragments.Offer.Dropped.class);
    }

    @Test
    void anIncompleteReassemblyTimesOut() {
        SkCipher[] c = pair(true);
        List<byte[]> fragments = Fragments.split(c[0], CODEC, HEADER, bigMessage(), LIMIT, randomness);
        Fragments.Reassembler r = reassembler();
        r.offer(fragments.get(0), HEADER, c[1]);
        r.offer(fragments.get(1), HEADER, c[1]);
        clock.advance(Fragments.Limits.DEFAULT.timeout());
        for (byte[] f : fragments.subList(2, fragments.size())) {
            assertThat(r.offer(f, HEADER, c[1])).isInstanceOf(Fragments.Offer.Incomplete.class);
        }
        assertThat(counters.get("ikev2.fragment.timeout")).isEqualTo(1);
        assertThat(r.held()).isEqualTo(fragments.size() - 2);
    }

    @Test
    void aLargerTotalRestartsAndASmallerOneIsDropped() {
        SkCipher[] c = pair(true);
        List<Payload> inner = bigMessage();
        List<byte[]> coarse = Fragments.split(c[0], CODEC, HEADER, inner, 700, randomness);
        List<byte[]> fine = Fragments.split(c[0], CODEC, HEADER, inner, LIMIT, randomness);
        assertThat(fine.size()).isGreaterThan(coarse.size());
        Fragments.Reassembler r = reassembler();
        r.offer(coarse.get(0), HEADER, c[1]);
        // the sender fell back to smaller fragments (RFC 7383 section 2.6.2): start again with them
        assertThat(r.offer(fine.get(0), HEADER, c[1])).isInstanceOf(Fragments.Offer.Incomplete.class);
        assertThat(counters.get("ikev2.fragment.restarted")).isEqualTo(1);
        assertThat(r.offer(coarse.get(1), HEADER, c[1])).isEqualTo(new Fragments.Offer.Dropped(
                "ikev2.fragment.stale_total"));
        Fragments.Offer last = null;
        for (byte[] f : fine.subList(1, fine.size())) {
            last = r.offer(f, HEADER, c[1]);
        }
        assertThat(((DecodeResult.Ok<List<Payload>>) ((Fragments.Offer.Complete) last).inner()).value())
                .isEqualTo(inner);
    }

    @Test
    void limitsOnCountAndSize() {
        SkCipher[] c = pair(true);
        List<byte[]> fragments = Fragments.split(c[0], CODEC, HEADER, bigMessage(), LIMIT, randomness);
        Fragments.Reassembler few = new Fragments.Reassembler(CODEC, clock, counters,
                new Fragments.Limits(fragments.size() - 1, 65_535, Duration.ofSeconds(30)));
        assertThat(few.offer(fragments.getFirst(), HEADER, c[1])).isEqualTo(new Fragments.Offer.Dropped(
                "ikev2.fragment.too_many"));
        Fragments.Reassembler small = new Fragments.Reassembler(CODEC, clock, counters,
                new Fragments.Limits(64, 600, Duration.ofSeconds(30)));
        List<Fragments.Offer> offers = fragments.stream().map(f -> small.offer(f, HEADER, c[1])).toList();
        assertThat(offers).contains(new Fragments.Offer.Dropped("ikev2.fragment.too_large"));
        assertThat(offers).noneMatch(Fragments.Offer.Complete.class::isInstance);
    }

    @Test
    void responsesAndRequestsReassembleSeparately() {
        SkCipher[] c = pair(true);
        IkeHeader response = IkeHeader.response(HEADER.initiatorSpi(), HEADER.responderSpi(),
                ExchangeType.Known.INFORMATIONAL, 7, false);
        List<byte[]> req = Fragments.split(c[0], CODEC, HEADER, bigMessage(), LIMIT, randomness);
        List<byte[]> resp = Fragments.split(c[0], CODEC, response, bigMessage(), LIMIT, randomness);
        Fragments.Reassembler r = reassembler();
        List<Fragments.Offer> offers = new ArrayList<>();
        for (int i = 0; i < Math.max(req.size(), resp.size()); i++) {
            if (i < req.size()) {
                offers.add(r.offer(req.get(i), HEADER, c[1]));
            }
            if (i < resp.size()) {
                offers.add(r.offer(resp.get(i), response, c[1]));
            }
        }
        assertThat(offers).filteredOn(Fragments.Offer.Complete.class::isInstance).hasSize(2);
    }

    @Test
    void limitsAreChecked() {
        SkCipher[] c = pair(true);
        assertThatThrownBy(() -> Fragments.split(c[0], CODEC, HEADER, bigMessage(), 60, randomness))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("no room");
        assertThat(Fragments.messageLimit(1280, InetAddress.ofLiteral("192.0.2.2"), true)).isEqualTo(1248);
        assertThat(Fragments.messageLimit(1280, InetAddress.ofLiteral("2001:db8::2"), false)).isEqualTo(1232);
    }
}
