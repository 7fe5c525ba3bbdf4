package net.palisade.model.wire.ikev2;

import java.util.Optional;
import java.util.function.Function;
import net.palisade.model.wire.Octets;

/**
 * The outcome of a decode, which tells the engine what it may do.
 *
 * <ul>
 *   <li>{@link Ok}: the value.
 *   <li>{@link ProtectedError}: the message is rejected, and the RFC allows answering the request with the notify
 *       given here: INVALID_SYNTAX or UNSUPPORTED_CRITICAL_PAYLOAD for the inner payloads of an SK payload whose
 *       integrity check passed, and UNSUPPORTED_CRITICAL_PAYLOAD for an unencrypted message without SK (an
 *       IKE_SA_INIT request, answered in clear as RFC 7296 sections 2.5 and 2.21.1 describe). Never answer a
 *       response.
 *   <li>{@link UnprotectedError}: drop silently and count. Anything wrong before an integrity check (length,
 *       version, structure of an unencrypted message) lands here: answering would let a forger provoke traffic.
 * </ul>
 *
 * <p>Both errors carry a {@link RejectReason} (whose {@link RejectReason#counter()} names the counter to increment)
 * and a detail string for the log.
 *
 * @param <T> the decoded value's type
 */
public sealed interface DecodeResult<T> {

    /** The decoded value, if this is {@link Ok}. */
    Optional<T> toOptional();

    /** True for {@link Ok}. */
    boolean isOk();

    /** The value; for an error, throws naming the reason (for tests and code that already checked). */
    T orElseThrow();

    /** The same outcome with the value mapped; errors pass through. */
    <U> DecodeResult<U> map(Function<? super T, ? extends U> f);

    /**
     * A successful decode.
     *
     * @param value the decoded value
     */
    record Ok<T>(T value) implements DecodeResult<T> {
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
        public <U> DecodeResult<U> map(Function<? super T, ? extends U> f) {
            return new Ok<>(f.apply(value));
        }
    }

    /** A rejected message: the reason, its counter and a detail. */
    sealed interface Rejected<T> extends DecodeResult<T> {
        /** Which branch rejected it. */
        RejectReason reason();

        /** What exactly was wrong, for the log; never contains key material (the codec never sees any). */
        String detail();

        /** The counter to increment: {@code reason().counter()}. */
        default String counter() {
            return reason().counter();
        }

        @Override
        default Optional<T> toOptional() {
            return Optional.empty();
        }

        @Override
        default boolean isOk() {
            return false;
        }

        @Override
        default T orElseThrow() {
            throw new IllegalStateException(reason() + ": " + detail());
        }
    }

    /**
     * Rejected, and the request may be answered with a notify of {@code notifyType} carrying {@code notifyData}.
     *
     * @param reason     the reject branch
     * @param detail     what was wrong
     * @param notifyType INVALID_SYNTAX or UNSUPPORTED_CRITICAL_PAYLOAD
     * @param notifyData the notify's data: the one-octet payload type for UNSUPPORTED_CRITICAL_PAYLOAD, else empty
     */
    record ProtectedError<T>(RejectReason reason, String detail, NotifyType notifyType, Octets notifyData)
            implements Rejected<T> {
        /** The Notify payload to put in the answer. */
        public NotifyPayload answer() {
            return NotifyPayload.of(notifyType, notifyData);
        }

        @Override
        public <U> DecodeResult<U> map(Function<? super T, ? extends U> f) {
            return new ProtectedError<>(reason, detail, notifyType, notifyData);
        }
    }

    /**
     * Rejected: drop the datagram without answering, and count it.
     *
     * @param reason the reject branch
     * @param detail what was wrong
     */
    record UnprotectedError<T>(RejectReason reason, String detail) implements Rejected<T> {
        @Override
        public <U> DecodeResult<U> map(Function<? super T, ? extends U> f) {
            return new UnprotectedError<>(reason, detail);
        }
    }
}
