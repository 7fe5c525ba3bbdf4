package net.palisade.controlplane.ikev1;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;

/**
 * The raw octets of a payload chain as received: RFC 2409 hashes cover payload bodies ({@code SAi_b}, {@code IDii_b})
 * and message tails exactly as the peer encoded them, which a decoded-then-encoded copy need not reproduce. Only
 * called on chains the codec has already accepted, so the lengths are known to fit.
 */
final class Ikev1Raw {

    /**
     * One payload of a chain.
     *
     * @param type   its payload type
     * @param start  offset of its generic header
     * @param length its length, generic header included
     */
    record Slot(int type, int start, int length) {
        byte[] body(byte[] chain) {
            return Arrays.copyOfRange(chain, start + 4, start + length);
        }
    }

    private Ikev1Raw() {
    }

    /** The payloads of the chain at {@code offset} whose first type is {@code first}. */
    static List<Slot> walk(byte[] buf, int offset, int first) {
        List<Slot> out = new ArrayList<>();
        int pos = offset;
        int type = first;
        while (type != 0 && pos + 4 <= buf.length) {
            int length = ((buf[pos + 2] & 0xff) << 8) | (buf[pos + 3] & 0xff);
            if (length < 4 || pos + length > buf.length) {
                break;
            }
            out.add(new Slot(type, pos, length));
            type = buf[pos] & 0xff;
            pos += length;
        }
        return out;
    }

    /** The body of the first payload of {@code type}. */
    static Optional<byte[]> body(byte[] buf, List<Slot> chain, int type) {
        return chain.stream().filter(s -> s.type() == type).findFirst().map(s -> s.body(buf));
    }

    /** The octets after the first payload (the HASH payload of quick mode and informational messages). */
    static byte[] afterFirst(byte[] buf, List<Slot> chain) {
        if (chain.isEmpty()) {
            return new byte[0];
        }
        Slot last = chain.getLast();
        return Arrays.copyOfRange(buf, chain.getFirst().start() + chain.getFirst().length(),
                last.start() + last.length());
    }
}
