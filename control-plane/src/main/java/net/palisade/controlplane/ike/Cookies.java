package net.palisade.controlplane.ike;

import java.net.InetAddress;
import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.Arrays;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import net.palisade.controlplane.ike.crypto.Randomness;
import net.palisade.model.wire.Octets;
import net.palisade.model.wire.ikev2.DecodeResult;
import net.palisade.model.wire.ikev2.ExchangeType;
import net.palisade.model.wire.ikev2.IkeHeader;
import net.palisade.model.wire.ikev2.IkeMessage;
import net.palisade.model.wire.ikev2.Ikev2Codec;
import net.palisade.model.wire.ikev2.NoncePayload;
import net.palisade.model.wire.ikev2.NotifyPayload;
import net.palisade.model.wire.ikev2.NotifyType;

/**
 * Stateless cookies of a responder (RFC 7296 section 2.6): while more than a threshold of IKE SAs are half-open, an
 * IKE_SA_INIT request without a valid COOKIE notify is answered with N(COOKIE) and creates no state. A cookie is
 * {@code <VersionIDofSecret> | SHA-256(Ni | IPi | SPIi | <secret>)}: a 4-octet secret version, then the 32-octet
 * hash. The secret comes from the injected randomness and is replaced every {@code rotation}; a cookie made with the
 * previous secret is still accepted (an initiator may have been answered just before the change), older ones are
 * not.
 *
 * <p>Counters ({@link #counters()}): {@code ikev2.cookie.sent} (challenges answered), {@code ikev2.cookie.accepted}
 * and {@code ikev2.cookie.rejected} (a COOKIE that did not verify: wrong address, SPI or nonce, or a retired
 * secret). Thread-safe: the manager calls it from the transport threads.
 */
public final class Cookies {
    /** Half-open responder IKE SAs above which cookies are demanded: strongSwan's default too. */
    public static final int DEFAULT_THRESHOLD = 30;

    /**
     * Half-open responder IKE SAs from one source address above which that source must return cookies, whatever the
     * total (strongSwan's {@code cookie_threshold_ip} is alike): requests spoofed with a peer's address trip it first.
     */
    public static final int PER_SOURCE_THRESHOLD = 5;

    /** How long a secret is the current one (it is accepted for twice as long). */
    public static final Duration DEFAULT_ROTATION = Duration.ofMinutes(2);

    private static final int SECRET_BYTES = 32;
    private static final int VERSION_BYTES = 4;

    private final InstantSource clock;
    private final Randomness random;
    private final Duration rotation;
    private final int threshold;
    private final IkeCounters counters = new IkeCounters();
    private SecretVersion current;
    private SecretVersion previous;

    /**
     * @param clock     when secrets are replaced
     * @param random    where secrets come from
     * @param rotation  how long a secret is the current one
     * @param threshold demand cookies while at least this many responder IKE SAs are half-open (0: always)
     */
    public Cookies(InstantSource clock, Randomness random, Duration rotation, int threshold) {
        this.clock = Objects.requireNonNull(clock, "clock");
        this.random = Objects.requireNonNull(random, "random");
        this.rotation = Objects.requireNonNull(rotation, "rotation");
        if (rotation.isNegative() || rotation.isZero()) {
            throw new IllegalArgumentException("cookie secret rotation must be positive, not " + rotation);
        }
        if (threshold < 0) {
            throw new IllegalArgumentException("cookie threshold must be 0 or more, not " + threshold);
        }
        this.threshold = threshold;
        this.current = new SecretVersion((int) random.nextLong(), random.bytes(SECRET_BYTES), clock.instant());
    }

    /** The system clock, a secure random source, the default rotation and {@code threshold}. */
    public static Cookies standard(int threshold) {
        return new Cookies(java.time.Clock.systemUTC(), Randomness.secure(), DEFAULT_ROTATION, threshold);
    }

    /** The number of half-open responder IKE SAs from which on cookies are demanded. */
    public int threshold() {
        return threshold;
    }

    /** From how many half-open responder IKE SAs of one source on cookies are demanded from it. */
    public int perSourceThreshold() {
        return Math.min(threshold, PER_SOURCE_THRESHOLD);
    }

    /** True if an IKE_SA_INIT request must carry a valid cookie while {@code halfOpen} SAs are half-open. */
    public boolean required(int halfOpen) {
        return halfOpen >= threshold;
    }

    /**
     * True if an IKE_SA_INIT request must carry a valid cookie while {@code halfOpen} SAs are half-open, {@code
     * fromSource} of them from the request's source.
     */
    public boolean required(int halfOpen, int fromSource) {
        return required(halfOpen) || fromSource >= perSourceThreshold();
    }

    /** The cookie for this initiator under the current secret. */
    public synchronized byte[] cookie(byte[] ni, InetAddress initiator, long spiI) {
        rotate();
        return make(current, ni, initiator, spiI);
    }

    /** True if {@code cookie} was made by {@link #cookie} for this initiator with the current or previous secret. */
    public synchronized boolean verify(byte[] cookie, byte[] ni, InetAddress initiator, long spiI) {
        rotate();
        if (cookie.length != VERSION_BYTES + SECRET_BYTES) {
            return false;
        }
        int version = ByteBuffer.wrap(cookie).getInt();
        for (SecretVersion s : new SecretVersion[] {current, previous}) {
            if (s != null && s.version() == version) {
                return MessageDigest.isEqual(make(s, ni, initiator, spiI), cookie);
            }
        }
        return false;
    }

    /** What to do with an IKE_SA_INIT request. */
    public sealed interface Verdict {
        /** Go on: create a responder session. */
        record Proceed() implements Verdict {}

        /** Send {@code response} (N(COOKIE) in clear) back to the initiator and keep no state. */
        record Challenge(byte[] response) implements Verdict {}

        /** Ignore the datagram (it does not even decode). */
        record Drop(String reason) implements Verdict {}
    }

    /**
     * Decides on an IKE_SA_INIT request {@code datagram} from {@code initiator} while {@code halfOpen} responder IKE
     * SAs are half-open: below the threshold it proceeds (a COOKIE, if any, is ignored, as RFC 7296 section 2.6
     * allows); above it, a request with a valid COOKIE proceeds and any other is answered with a fresh cookie.
     */
    public Verdict admit(Ikev2Codec codec, byte[] datagram, InetAddress initiator, int halfOpen) {
        return admit(codec, datagram, initiator, halfOpen, 0);
    }

    /**
     * As {@link #admit(Ikev2Codec, byte[], InetAddress, int)}, where {@code fromSource} of the half-open IKE SAs came
     * from {@code initiator}'s address: from {@link #perSourceThreshold()} of them on, that source needs a cookie.
     */
    public Verdict admit(Ikev2Codec codec, byte[] datagram, InetAddress initiator, int halfOpen, int fromSource) {
        if (!required(halfOpen, fromSource)) {
            return new Verdict.Proceed();
        }
        if (!(codec.decode(datagram) instanceof DecodeResult.Ok<IkeMessage> ok)) {
            return new Verdict.Drop("IKE_SA_INIT request does not decode");
        }
        IkeMessage m = ok.value();
        Optional<NoncePayload> nonce = m.first(NoncePayload.class);
        if (nonce.isEmpty()) {
            return new Verdict.Drop("IKE_SA_INIT request without a nonce");
        }
        byte[] ni = nonce.get().nonce().toByteArray();
        long spiI = m.header().initiatorSpi();
        Optional<NotifyPayload> offered = m.notify(NotifyType.Known.COOKIE);
        synchronized (this) {
            if (offered.isPresent()) {
                if (verify(offered.get().data().toByteArray(), ni, initiator, spiI)) {
                    counters.increment("ikev2.cookie.accepted");
                    return new Verdict.Proceed();
                }
                counters.increment("ikev2.cookie.rejected");
            }
            counters.increment("ikev2.cookie.sent");
            byte[] cookie = cookie(ni, initiator, spiI);
            return new Verdict.Challenge(codec.encode(IkeMessage.of(IkeHeader.response(spiI, 0,
                    ExchangeType.Known.IKE_SA_INIT, 0, false), NotifyPayload.of(NotifyType.Known.COOKIE,
                    Octets.of(cookie)))));
        }
    }

    /** A copy of the counters. */
    public synchronized Map<String, Long> counters() {
        return counters.snapshot();
    }

    /** Replaces the current secret once it has served {@code rotation}; the one before it is then forgotten. */
    private void rotate() {
        Instant now = clock.instant();
        Duration age = Duration.between(current.created(), now);
        if (age.compareTo(rotation) < 0) {
            return;
        }
        if (previous != null) {
            Arrays.fill(previous.secret(), (byte) 0);
        }
        // if nobody asked for a whole extra period, the secret that would have followed is already retired too
        previous = age.compareTo(rotation.multipliedBy(2)) < 0 ? current : null;
        if (previous == null) {
            Arrays.fill(current.secret(), (byte) 0);
        }
        current = new SecretVersion(current.version() + 1, random.bytes(SECRET_BYTES), now);
    }

    private static byte[] make(SecretVersion s, byte[] ni, InetAddress initiator, long spiI) {
        MessageDigest sha;
        try {
            sha = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing", e);
        }
        sha.update(ni);
        sha.update(initiator.getAddress());
        sha.update(ByteBuffer.allocate(8).putLong(spiI).array());
        sha.update(s.secret());
        return ByteBuffer.allocate(VERSION_BYTES + SECRET_BYTES).putInt(s.version()).put(sha.digest()).array();
    }

    /** One secret, its version ID and when it became current. Never printed. */
    private record SecretVersion(int version, byte[] secret, Instant created) {
        @Override
        public String toString() {
            return "SecretVersion[" + version + ", [redacted]]";
        }
    }

    @Override
    public String toString() {
        return "Cookies[threshold " + threshold + ", rotation " + rotation + "]";
    }
}
