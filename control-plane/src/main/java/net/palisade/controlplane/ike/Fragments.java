package net.palisade.controlplane.ike;

import java.io.ByteArrayOutputStream;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import net.palisade.controlplane.ike.crypto.Randomness;
import net.palisade.controlplane.ike.crypto.SkCipher;
import net.palisade.model.wire.ikev2.DecodeResult;
import net.palisade.model.wire.ikev2.EncryptedRegions;
import net.palisade.model.wire.ikev2.IkeHeader;
import net.palisade.model.wire.ikev2.Ikev2Codec;
import net.palisade.model.wire.ikev2.Payload;
import net.palisade.model.wire.ikev2.PayloadType;

/**
 * IKE fragmentation (RFC 7383): {@link #split} cuts a protected message into SKF fragments, each encrypted and
 * integrity-protected on its own; a {@link Reassembler} puts the fragments of one message back together. Used only
 * when both peers sent IKEV2_FRAGMENTATION_SUPPORTED, for IKE_AUTH and later exchanges, and only for a message
 * larger than the limit.
 *
 * <p>The limit is on the whole IP packet, like strongSwan's {@code fragment_size}: {@link #messageLimit} takes off
 * the IP and UDP headers and the non-ESP marker of port 4500.
 */
public final class Fragments {
    /** Largest IP packet of a fragment by default (IPv4 and IPv6 alike): strongSwan's default too. */
    public static final int DEFAULT_PACKET_LIMIT = 1280;

    /** The smallest packet limit accepted: a fragment must have room for some payload after its headers. */
    public static final int MIN_PACKET_LIMIT = 128;

    private Fragments() {}

    /**
     * The largest IKE message (header included) that fits in an IP packet of {@code packetLimit} octets towards
     * {@code peer}: less 20 (IPv4) or 40 (IPv6) octets of IP header, 8 of UDP, and 4 of non-ESP marker on port 4500.
     */
    public static int messageLimit(int packetLimit, InetAddress peer, boolean port4500) {
        return packetLimit - (peer instanceof Inet4Address ? 20 : 40) - 8 - (port4500 ? 4 : 0);
    }

    /**
     * {@code inner} protected with {@code cipher} under {@code header}, cut into SKF fragments of at most
     * {@code messageLimit} octets each (RFC 7383 section 2.5): the unpadded inner chain is cut into pieces, each
     * piece padded and sealed with its own IV and ICV, numbered 1 to n; fragment 1 names the first inner payload.
     *
     * @throws IllegalArgumentException if the limit leaves no room for payload or the message needs more than 65535
     *                                  fragments
     */
    public static List<byte[]> split(SkCipher cipher, Ikev2Codec codec, IkeHeader header, List<Payload> inner,
            int messageLimit, Randomness random) {
        int capacity = cipher.fragmentCapacity(messageLimit);
        if (capacity < 1) {
            throw new IllegalArgumentException("a fragment of " + messageLimit + " octets has no room for payload");
        }
        byte[] chain = codec.encodeChain(inner);
        int total = Math.max(1, (chain.length + capacity - 1) / capacity);
        if (total > 0xffff) {
            throw new IllegalArgumentException(chain.length + " octets need " + total + " fragments; at most 65535");
        }
        PayloadType first = inner.isEmpty() ? PayloadType.Known.NO_NEXT_PAYLOAD : inner.getFirst().type();
        List<byte[]> out = new ArrayList<>(total);
        for (int i = 0; i < total; i++) {
            byte[] chunk = Arrays.copyOfRange(chain, i * capacity, Math.min(chain.length, (i + 1) * capacity));
            out.add(cipher.sealFragment(codec, header, first, i + 1, total, chunk, random));
        }
        return out;
    }

    /**
     * Limits of a reassembly.
     *
     * @param maxFragments largest Total Fragments accepted
     * @param maxBytes     largest reassembled inner chain in octets
     * @param timeout      a reassembly not complete this long after its first fragment is dropped
     */
    public record Limits(int maxFragments, int maxBytes, Duration timeout) {
        /** 64 fragments, 64 KB, 30 seconds (the usual retransmission span). */
        public static final Limits DEFAULT = new Limits(64, 65_535, Duration.ofSeconds(30));

        /** Checks the limits are positive. */
        public Limits {
            Objects.requireNonNull(timeout, "timeout");
            if (maxFragments < 1 || maxFragments > 0xffff || maxBytes < 1 || timeout.isNegative()
                    || timeout.isZero()) {
                throw new IllegalArgumentException("fragment limits must be positive (at most 65535 fragments)");
            }
        }
    }

    /** What became of one offered fragment. */
    public sealed interface Offer {
        /** Kept; more fragments are needed. */
        record Incomplete(int have, int total) implements Offer {}

        /** Not kept; {@code counter} was incremented. */
        record Dropped(String counter) implements Offer {}

        /**
         * Every fragment is in: the inner payloads of the whole message (or the protected error decoding them gave).
         *
         * @param firstFragment the datagram of fragment 1 (to recognise a retransmission)
         */
        record Complete(DecodeResult<List<Payload>> inner, byte[] firstFragment) implements Offer {}
    }

    /**
     * Reassembles the fragmented messages one IKE SA receives (RFC 7383 section 2.6): one reassembly per direction
     * (requests and responses), each for one message ID. A fragment is kept only after its integrity check passed;
     * duplicates are ignored; Total Fragments and the reassembled size are bounded; an incomplete reassembly is
     * dropped after the timeout; an authenticated fragment with a larger Total Fragments than the one stored starts
     * the reassembly again, one with a smaller value is dropped (section 2.6.2).
     *
     * <p>Counters ({@code ikev2.fragment.*}): {@code received}, {@code duplicate}, {@code integrity_failed},
     * {@code malformed}, {@code too_many}, {@code too_large}, {@code timeout}, {@code restarted},
     * {@code stale_total}, {@code reassembled}. Not thread-safe: one belongs to one engine.
     */
    public static final class Reassembler {
        private final Ikev2Codec codec;
        private final InstantSource clock;
        private final IkeCounters counters;
        private final Limits limits;
        private Assembly requests;
        private Assembly responses;

        /**
         * @param codec    decodes the fragments and the reassembled inner payloads
         * @param clock    for the reassembly timeout
         * @param counters where fragments and drops are counted (the engine's)
         * @param limits   fragment count, size and time limits
         */
        public Reassembler(Ikev2Codec codec, InstantSource clock, IkeCounters counters, Limits limits) {
            this.codec = Objects.requireNonNull(codec, "codec");
            this.clock = Objects.requireNonNull(clock, "clock");
            this.counters = Objects.requireNonNull(counters, "counters");
            this.limits = Objects.requireNonNull(limits, "limits");
        }

        /**
         * Offers one received SKF message {@code datagram} with header {@code header}, checked with {@code inbound}.
         */
        public Offer offer(byte[] datagram, IkeHeader header, SkCipher inbound) {
            expire();
            if (!(codec.encryptedRegions(datagram, inbound.ivBytes(), inbound.icvBytes())
                    instanceof DecodeResult.Ok<EncryptedRegions> ok) || !ok.value().fragment()) {
                return drop("malformed");
            }
            EncryptedRegions r = ok.value();
            int number = r.fragmentNumber();
            int total = r.totalFragments();
            if (total > limits.maxFragments()) {
                return drop("too_many");
            }
            Assembly a = header.response() ? responses : requests;
            boolean same = a != null && a.messageId == header.messageId();
            if (same && total == a.total && a.chunks[number - 1] != null) {
                return drop("duplicate");
            }
            if (same && total < a.total) {
                return drop("stale_total");
            }
            Optional<SkCipher.Opened> opened = inbound.open(codec, datagram);
            if (opened.isEmpty()) {
                return drop("integrity_failed");
            }
            byte[] plain = opened.get().plaintext();
            if (!(codec.unpaddedLength(plain) instanceof DecodeResult.Ok<Integer> length)) {
                return drop("malformed");
            }
            counters.increment("ikev2.fragment.received");
            if (same && total > a.total) {
                counters.increment("ikev2.fragment.restarted");
                same = false;
            }
            if (!same) {
                a = new Assembly(header.messageId(), total, clock.instant());
                if (header.response()) {
                    responses = a;
                } else {
                    requests = a;
                }
            }
            if (a.bytes + length.value() > limits.maxBytes()) {
                forget(header.response());
                return drop("too_large");
            }
            a.chunks[number - 1] = Arrays.copyOf(plain, length.value());
            a.bytes += length.value();
            a.have++;
            if (number == 1) {
                a.firstInner = opened.get().firstInner();
                a.firstFragment = datagram.clone();
            }
            if (a.have < a.total) {
                return new Offer.Incomplete(a.have, a.total);
            }
            forget(header.response());
            ByteArrayOutputStream chain = new ByteArrayOutputStream(a.bytes);
            for (byte[] c : a.chunks) {
                chain.writeBytes(c);
            }
            counters.increment("ikev2.fragment.reassembled");
            byte[] whole = chain.toByteArray();
            return new Offer.Complete(codec.decodeInnerChain(header, a.firstInner, whole, whole.length),
                    a.firstFragment);
        }

        /** Drops reassemblies older than the timeout (also done on every offer). */
        public void expire() {
            Instant now = clock.instant();
            if (requests != null && !now.isBefore(requests.started.plus(limits.timeout()))) {
                requests = null;
                counters.increment("ikev2.fragment.timeout");
            }
            if (responses != null && !now.isBefore(responses.started.plus(limits.timeout()))) {
                responses = null;
                counters.increment("ikev2.fragment.timeout");
            }
        }

        /** Fragments held for requests and responses together. */
        public int held() {
            return (requests == null ? 0 : requests.have) + (responses == null ? 0 : responses.have);
        }

        private void forget(boolean response) {
            if (response) {
                responses = null;
            } else {
                requests = null;
            }
        }

        private Offer drop(String what) {
            String counter = "ikev2.fragment." + what;
            counters.increment(counter);
            return new Offer.Dropped(counter);
        }

        /** The fragments of one message received so far. */
        private static final class Assembly {
            final long messageId;
            final int total;
            final Instant started;
            final byte[][] chunks;
            PayloadType firstInner = PayloadType.Known.NO_NEXT_PAYLOAD;
            byte[] firstFragment;
            int have;
            int bytes;

            Assembly(long messageId, int total, Instant started) {
                this.messageId = messageId;
                this.total = total;
                this.started = started;
                this.chunks = new byte[total][];
            }
        }
    }
}
