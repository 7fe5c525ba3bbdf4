package net.palisade.model.wire.ikev1;

import java.util.Optional;
import java.util.function.Function;

/**
 * The outcome of an IKEv1 decode: the value, or a reject with its reason (and counter) and a detail. IKEv1 has no
 * safe way to answer a malformed message that failed before authentication, so every reject means: drop and count.
 *
 * @param <T> the decoded value's type
 */
public sealed interface Ikev1DecodeResult<T> permits Ikev1DecodeResult.Ok, Ikev1DecodeResult.Rejected {

    /** The value, if decoded. */
    Optional<T> toOptional();

    /** True if decoded. */
    boolean isOk();

    /** The value; for a reject, throws naming the reason. */
    T orElseThrow();

    /** The same outcome with the value mapped. */
    <U> Ikev1DecodeResult<U> map(Function<? super T, ? extends U> f);

    /**
     * Decoded.
     *
     * @param value the value
     */
    record Ok<T>(T value) implements Ikev1DecodeResult<T> {
        @Override
        public Optional<T> toOptional() {
            return Optional.of(value);
        }

        @Override
        public boolean isOk() {
            return true;
        }

        @Override
        public T orElseThrow() {
            return value;
        }

        @Override
        public <U> Ikev1DecodeResult<U> map(Function<? super T, ? extends U> f) {
            return new Ok<>(f.apply(value));
        }
    }

    /**
     * Rejected: drop and count.
     *
     * @param reason the reject branch
     * @param detail what was wrong
     */
    record Rejected<T>(Ikev1RejectReason reason, String detail) implements Ikev1DecodeResult<T> {
        /** The counter to increment. */
        public String counter() {
            return reason.counter();
        }

        @Override
        public Optional<T> toOptional() {
            return Optional.empty();
        }

        @Override
        public boolean isOk() {
            return false;
        }

        @Override
        public T orElseThrow() {
            throw new IllegalStateException(reason + ": " + detail);
        }

        @Override
        public <U> Ikev1DecodeResult<U> map(Function<? super T, ? extends U> f) {
            return new Rejected<>(reason, detail);
        }
    }
}
