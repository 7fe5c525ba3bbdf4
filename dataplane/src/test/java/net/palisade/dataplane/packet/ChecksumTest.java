package net.palisade.dataplane.packet;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class ChecksumTest {

    @Test
    void rfc1071SectionThreeExample() {
        // RFC 1071 Section 3: the one's complement sum of 0001 f203 f4f5 f6f7 is ddf2, so the checksum is 220d.
        byte[] data = {0x00, 0x01, (byte) 0xf2, 0x03, (byte) 0xf4, (byte) 0xf5, (byte) 0xf6, (byte) 0xf7};
        assertThat(Checksum.compute(data, 0, data.length)).isEqualTo(0x220d);
        assertThat(TestPackets.checksum(new byte[0], data)).isEqualTo(0x220d);
    }

    @Test
    void oddLengthPadsWithZero() {
        byte[] data = {0x12, 0x34, 0x56};
        // 0x1234 + 0x5600 = 0x6834 -> ~ = 0x97cb
        assertThat(Checksum.compute(data, 0, 3)).isEqualTo(0x97cb);
    }

    @Test
    void rfc1624UpdateEqualsFullRecomputation() {
        Random random = new Random(1624);
        for (int trial = 0; trial < 20_000; trial++) {
            byte[] data = new byte[2 + 2 * random.nextInt(30)];
            random.nextBytes(data);
            if (trial % 50 == 0) {
                java.util.Arrays.fill(data, (byte) 0); // sums of zero: the -0 / +0 corner of RFC 1624
            }
            int word = 2 * random.nextInt(data.length / 2);
            int before = Checksum.compute(data, 0, data.length);
            int oldWord = TestPackets.u16(data, word);
            int newWord = trial % 7 == 0 ? 0 : random.nextInt(0x10000);
            data[word] = (byte) (newWord >>> 8);
            data[word + 1] = (byte) newWord;
            int full = TestPackets.checksum(new byte[0], data);
            int incremental = Checksum.update(before, oldWord, newWord);
            // 0x0000 and 0xffff are the same number in one's complement; RFC 1624 eq. 3 yields the form a full
            // computation yields except when the data sums to zero, where both are valid.
            if (full != incremental) {
                assertThat(full + incremental).as("trial %d", trial).isEqualTo(0xffff);
            }
        }
    }

    @Test
    void oneWordByHand() {
        // Data of one word 0x5555: checksum ~0x5555 = 0xaaaa. The word becomes 0x3285: checksum ~0x3285 = 0xcd7a.
        // RFC 1624 eq. 3: ~(~0xaaaa + ~0x5555 + 0x3285) = ~(0x5555 + 0xaaaa + 0x3285) = ~(0x13284, folded 0x3285)
        // = 0xcd7a.
        assertThat(Checksum.update(0xaaaa, 0x5555, 0x3285)).isEqualTo(0xcd7a);
    }

    /**
     * The word-at-a-time sum (little-endian 32-bit words, four sums, swapped back) against a plain RFC 1071 loop over
     * 16-bit words and against the loop it replaced (big-endian 64-bit words as two halves): every offset parity,
     * every length from 0 to 200 and random ones up to 64 KB, random, all-zero and all-0xff data, with and without an
     * initial sum.
     */
    @Test
    void wordAtATimeSumAgreesWithAPlainLoopAndTheFormerCode() {
        Random random = new Random(1071);
        byte[] data = new byte[65536 + 64];
        for (int trial = 0; trial < 6000; trial++) {
            switch (trial % 10) {
                case 0 -> Arrays.fill(data, (byte) 0);
                case 1 -> Arrays.fill(data, (byte) 0xff);
                default -> random.nextBytes(data);
            }
            int length = trial < 1600 ? trial % 200 : random.nextInt(trial % 3 == 0 ? 65536 : 3000);
            int offset = random.nextInt(64);
            long initial = trial % 4 == 0 ? 0 : random.nextInt(1 << 20);
            long sum = Checksum.sum(data, offset, length, initial);
            int plain = plainSum(data, offset, length, initial);
            assertThat(Checksum.fold(sum)).as("trial %d, %d octets at %d", trial, length, offset).isEqualTo(plain);
            assertThat(Checksum.fold(sum)).isEqualTo(Checksum.fold(formerSum(data, offset, length, initial)));
            assertThat(Checksum.finish(sum)).isEqualTo(~plain & 0xffff);
            if (initial == 0 && length > 0 && length % 2 == 0) {
                byte[] copy = Arrays.copyOfRange(data, offset, offset + length);
                assertThat(Checksum.compute(data, offset, length)).isEqualTo(TestPackets.checksum(new byte[0], copy));
            }
        }
    }

    @Test
    void sumOfNothingIsTheInitialValueAndRangesAreChecked() {
        assertThat(Checksum.sum(new byte[8], 8, 0, 1234)).isEqualTo(1234);
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> Checksum.sum(new byte[8], 4, 5, 0))
                .isInstanceOf(IndexOutOfBoundsException.class);
    }

    /** RFC 1071 as written: 16-bit big-endian words, the odd last octet padded, end-around carry. */
    private static int plainSum(byte[] b, int offset, int length, long initial) {
        long sum = initial;
        for (int i = 0; i < length; i += 2) {
            int hi = b[offset + i] & 0xff;
            int lo = i + 1 < length ? b[offset + i + 1] & 0xff : 0;
            sum += (hi << 8) | lo;
        }
        while ((sum >>> 16) != 0) {
            sum = (sum & 0xffff) + (sum >>> 16);
        }
        return (int) sum;
    }

    private static final VarHandle LONG_BE = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.BIG_ENDIAN);

    /** Checksum.sum before the word-at-a-time loop (e54c5b8), kept here as a second reference. */
    private static long formerSum(byte[] b, int offset, int length, long initial) {
        long sum = initial;
        int i = offset;
        int end = offset + length;
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
}
