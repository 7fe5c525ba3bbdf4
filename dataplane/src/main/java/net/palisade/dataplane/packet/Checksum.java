package net.palisade.dataplane.packet;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;

/**
 * The Internet checksum (RFC 1071) and its incremental update (RFC 1624).
 */
public final class Checksum {
    private static final VarHandle LONG_BE = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.BIG_ENDIAN);

    private Checksum() {
    }

    /**
     * One's complement sum of {@code length} octets from {@code offset} as 16-bit big-endian words (an odd last
     * octet is padded with zero), added to {@code initial}; not folded, not complemented.
     */
    public static long sum(byte[] b, int offset, int length, long initial) {
        long sum = initial;
        int i = offset;
        int end = offset + length;
        // Eight octets at a time as two 32-bit halves: a one's complement sum of 32-bit words folds to the same
        // 16-bit sum (RFC 1071 Section 2 (B)). Each step adds less than 2^33, so 64 KB cannot overflow the long.
        for (; i + 7 < end; i += 8) {
            long v = (long) LONG_BE.get(b, i);
            sum += (v >>> 32) + (v & 0xffff_ffffL);
        }
        for (; i + 1 < end; i += 2) {
            sum += ((b[i] & 0xff) << 8) | (b[i + 1] & 0xff);
        }
        if (i < end) {
            sum += (b[i] & 0xff) << 8;
        }
        return sum;
    }

    /** Folds a sum to 16 bits and complements it: the value to put in a checksum field. */
    public static int finish(long sum) {
        return (int) (~fold(sum) & 0xffff);
    }

    /** Folds a sum to 16 bits (end-around carry) without complementing it. */
    public static int fold(long sum) {
        while ((sum >>> 16) != 0) {
            sum = (sum & 0xffff) + (sum >>> 16);
        }
        return (int) sum;
    }

    /** The checksum of a buffer whose checksum field holds zero. */
    public static int compute(byte[] b, int offset, int length) {
        return finish(sum(b, offset, length, 0));
    }

    /**
     * RFC 1624 equation 3: the new checksum after one 16-bit word of the covered data changed from {@code oldWord}
     * to {@code newWord}: {@code HC' = ~(~HC + ~m + m')}.
     */
    public static int update(int checksum, int oldWord, int newWord) {
        long sum = (~checksum & 0xffff) + (~oldWord & 0xffff) + (newWord & 0xffff);
        return finish(sum);
    }

    /** Sum of the IPv4 pseudo-header (RFC 793 / 768): addresses, protocol and upper-layer length. */
    public static long pseudoHeader4(byte[] b, int ipOffset, int protocol, int upperLength) {
        long sum = sum(b, ipOffset + 12, 8, 0);
        return sum + protocol + upperLength;
    }

    /** Sum of the IPv6 pseudo-header (RFC 8200 Section 8.1). */
    public static long pseudoHeader6(byte[] b, int ipOffset, int nextHeader, int upperLength) {
        long sum = sum(b, ipOffset + 8, 32, 0);
        return sum + (upperLength >>> 16) + (upperLength & 0xffff) + nextHeader;
    }

    static int u16(byte[] b, int off) {
        return ((b[off] & 0xff) << 8) | (b[off + 1] & 0xff);
    }

    static void put16(byte[] b, int off, int v) {
        b[off] = (byte) (v >>> 8);
        b[off + 1] = (byte) v;
    }

    static int i32(byte[] b, int off) {
        return ((b[off] & 0xff) << 24) | ((b[off + 1] & 0xff) << 16) | ((b[off + 2] & 0xff) << 8) | (b[off + 3] & 0xff);
    }

    static long i64(byte[] b, int off) {
        return ((long) i32(b, off) << 32) | (i32(b, off + 4) & 0xffff_ffffL);
    }
}
