package net.palisade.dataplane.packet;

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
}
