package net.palisade.dataplane.packet;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.util.Objects;

/**
 * The Internet checksum (RFC 1071) and its incremental update (RFC 1624).
 */
public final class Checksum {
    private static final VarHandle INT_LE = MethodHandles.byteArrayViewVarHandle(int[].class, ByteOrder.LITTLE_ENDIAN);

    private Checksum() {
    }

    /**
     * One's complement sum of {@code length} octets from {@code offset} as 16-bit big-endian words (an odd last
     * octet is padded with zero), added to {@code initial}; not folded, not complemented. The value returned is
     * congruent to that sum modulo 0xffff (and zero only if the data and {@code initial} are all zero): what
     * {@link #fold} and {@link #finish} make of it is the 16-bit one's complement sum.
     */
    public static long sum(byte[] b, int offset, int length, long initial) {
        Objects.checkFromIndexSize(offset, length, b.length);
        int i = offset;
        int end = offset + length;
        // The bulk as 32-bit little-endian words, zero-extended, into four independent sums (sixteen octets a
        // step: no byte swap, no carry chain from one load to the next). Summing in the other byte order gives
        // the byte-swapped one's complement sum (RFC 1071 Section 2 (B)), and a sum of 32-bit words folds to the
        // same 16-bit sum as one of 16-bit words (2 (C)); so the four are added, folded to 16 bits, swapped back.
        // Each step adds less than 2^32 to each sum: 64 KB cannot overflow them.
        long s0 = 0;
        long s1 = 0;
        long s2 = 0;
        long s3 = 0;
        for (; i + 15 < end; i += 16) {
            s0 += (int) INT_LE.get(b, i) & 0xffff_ffffL;
            s1 += (int) INT_LE.get(b, i + 4) & 0xffff_ffffL;
            s2 += (int) INT_LE.get(b, i + 8) & 0xffff_ffffL;
            s3 += (int) INT_LE.get(b, i + 12) & 0xffff_ffffL;
        }
        for (; i + 3 < end; i += 4) {
            s0 += (int) INT_LE.get(b, i) & 0xffff_ffffL;
        }
        long sum = initial;
        long swapped = s0 + s1 + s2 + s3;
        if (swapped != 0) {
            int f = fold(swapped);
            sum += ((f & 0xff) << 8) | (f >>> 8);
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
