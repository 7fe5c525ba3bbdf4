package net.palisade.model.wire.ikev2;

import java.util.Objects;
import net.palisade.model.wire.Octets;

/**
 * Encrypted and Authenticated Fragment payload, SKF (RFC 7383 section 2.5): one fragment of an SK payload. Fragment
 * 1's Next Payload names the first inner payload; the other fragments send 0 there. The decoder checks
 * {@code 1 <= fragmentNumber <= totalFragments}.
 *
 * @param firstInner     type of the first inner payload (fragment 1), else {@link PayloadType.Known#NO_NEXT_PAYLOAD}
 * @param fragmentNumber 1-based fragment number
 * @param totalFragments number of fragments
 * @param content        IV, ciphertext and ICV of this fragment
 */
public record SkfPayload(PayloadType firstInner, int fragmentNumber, int totalFragments, Octets content)
        implements Payload {

    /** Validates the numbering. */
    public SkfPayload {
        Objects.requireNonNull(firstInner, "firstInner");
        Objects.requireNonNull(content, "content");
        if (totalFragments < 1 || totalFragments > 0xffff || fragmentNumber < 1 || fragmentNumber > totalFragments) {
            throw new IllegalArgumentException("fragment " + fragmentNumber + " of " + totalFragments);
        }
    }

    @Override
    public PayloadType type() {
        return PayloadType.Known.SKF;
    }
}
