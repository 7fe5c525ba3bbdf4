package net.palisade.dataplane.sa;

import java.util.HashMap;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class SpiMapTest {

    @Test
    void findsEverySpiAndNothingElse() {
        Random random = new Random(4303);
        Map<Integer, String> entries = new HashMap<>();
        for (int i = 0; i < 500; i++) {
            int spi = i < 250 ? 0x1000 + i : random.nextInt(); // sequential SPIs and random ones, negative too
            entries.put(spi, "sa" + spi);
        }
        SpiMap<String> map = SpiMap.of(entries);
        assertThat(map.size()).isEqualTo(entries.size());
        entries.forEach((k, v) -> assertThat(map.get(k)).isEqualTo(v));
        int misses = 0;
        for (int i = 0; i < 10_000; i++) {
            int probe = random.nextInt();
            if (!entries.containsKey(probe)) {
                assertThat(map.get(probe)).isNull();
                misses++;
            }
        }
        assertThat(misses).isPositive();
        assertThat(SpiMap.<String>empty().get(0x1000)).isNull();
    }
}
