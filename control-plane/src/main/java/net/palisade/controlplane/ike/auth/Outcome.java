package net.palisade.controlplane.ike.auth;

/**
 * The result of a check: {@link Passed} with what the check established, or {@link Failed} with a sentence for the
 * operator saying which check failed and why.
 *
 * @param <T> what a passed check yields
 */
public sealed interface Outcome<T> permits Outcome.Passed, Outcome.Failed {

    /**
     * The check passed.
     *
     * @param value what it established (the peer's certificate, for example)
     */
    record Passed<T>(T value) implements Outcome<T> {}

    /**
     * The check failed.
     *
     * @param detail which check failed and why, for {@code NegotiationFailed}'s detail
     */
    record Failed<T>(String detail) implements Outcome<T> {}

    /** A failed outcome. */
    static <T> Outcome<T> failed(String detail) {
        return new Failed<>(detail);
    }
}
