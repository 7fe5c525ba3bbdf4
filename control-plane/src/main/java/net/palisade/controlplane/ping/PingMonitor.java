package net.palisade.controlplane.ping;

import java.time.Duration;
import java.time.Instant;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * The verdict of one tunnel's ping, pure: the caller gives the time with every input ({@link #tick}, {@link
 * #reply}) and sends the echoes it is told to. One echo every {@link #INTERVAL}; an echo without a reply by the next
 * one counts as lost; {@link #LOST_AFTER} lost in a row make the tunnel {@code unreachable}, any reply (also a late
 * one, to any of the last {@link #LOST_AFTER} echoes) makes it {@code reachable}. Each verdict is reported once, when
 * it changes; the first reply after the start is one.
 */
public final class PingMonitor {
    /** Time between two echoes. */
    public static final Duration INTERVAL = Duration.ofSeconds(3);
    /** Echoes lost in a row before the tunnel is unreachable (about 9 s after the first lost one). */
    public static final int LOST_AFTER = 3;

    /** What the ping says. */
    public enum Verdict { REACHABLE, UNREACHABLE }

    /**
     * What to do after a tick.
     *
     * @param send the sequence number of the echo to send now; empty: none yet
     * @param verdict the verdict, when it changed
     */
    public record Step(OptionalInt send, Optional<Verdict> verdict) {
        static final Step NOTHING = new Step(OptionalInt.empty(), Optional.empty());
    }

    private final Duration interval;
    private final int lostAfter;
    private Instant next;
    private int sequence;
    private boolean awaiting;
    private int lost;
    private Verdict verdict;

    /** With the documented {@link #INTERVAL} and {@link #LOST_AFTER}. */
    public PingMonitor() {
        this(INTERVAL, LOST_AFTER);
    }

    /** With another interval and count (tests, lab). */
    public PingMonitor(Duration interval, int lostAfter) {
        this.interval = Objects.requireNonNull(interval, "interval");
        if (interval.isNegative() || interval.isZero() || lostAfter < 1) {
            throw new IllegalArgumentException("interval must be positive and lostAfter at least 1");
        }
        this.lostAfter = lostAfter;
    }

    /** Time passes: an echo is due every interval (the first at once); the one before it, unanswered, is lost. */
    public Step tick(Instant now) {
        if (next != null && now.isBefore(next)) {
            return Step.NOTHING;
        }
        Optional<Verdict> changed = Optional.empty();
        if (awaiting) {
            lost++;
            if (lost >= lostAfter && verdict != Verdict.UNREACHABLE) {
                verdict = Verdict.UNREACHABLE;
                changed = Optional.of(verdict);
            }
        }
        sequence = (sequence + 1) & 0xffff;
        awaiting = true;
        next = now.plus(interval);
        return new Step(OptionalInt.of(sequence), changed);
    }

    /** An echo reply with {@code replySequence}: the verdict if it changed to reachable. Stale replies count not. */
    public Optional<Verdict> reply(int replySequence) {
        int age = (sequence - replySequence) & 0xffff;
        if (next == null || age > lostAfter) {
            return Optional.empty();
        }
        awaiting = false;
        lost = 0;
        if (verdict == Verdict.REACHABLE) {
            return Optional.empty();
        }
        verdict = Verdict.REACHABLE;
        return Optional.of(verdict);
    }

    /** Echoes lost in a row so far. */
    public int lost() {
        return lost;
    }

    /** The current verdict; empty before the first. */
    public Optional<Verdict> verdict() {
        return Optional.ofNullable(verdict);
    }
}
