package net.palisade.controlplane.ike;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.Set;
import net.palisade.controlplane.ike.crypto.KeyExchanges;
import net.palisade.controlplane.ike.crypto.Randomness;
import net.palisade.model.wire.ikev2.Ikev2Codec;
import org.junit.jupiter.api.Test;

/** Our inbound Child SA SPIs are drawn around the reserved range and around the SPIs the dataplane receives on. */
class IkeEnvironmentTest {
    /** Hands out the given longs in order. */
    private static Randomness scripted(Long... values) {
        Deque<Long> next = new ArrayDeque<>(List.of(values));
        return new Randomness() {
            @Override
            public void nextBytes(byte[] out) {
                throw new AssertionError("not used");
            }

            @Override
            public long nextLong() {
                return next.removeFirst();
            }
        };
    }

    private static IkeEnvironment env(Randomness random, Set<Long> inUse) {
        return new IkeEnvironment(InstantSource.fixed(Instant.EPOCH), random, KeyExchanges.standard(),
                Ikev2Codec.standard(), IkeEnvironment.CredentialSource.FILES, inUse::contains);
    }

    @Test
    void anSpiAnInstalledSaReceivesOnIsDrawnAgain() {
        IkeEnvironment env = env(scripted(0xc0de0001L, 0x0000_0005L, 0xffff_ffff_c0de0002L, 0xc0de0003L),
                Set.of(0xc0de0001L, 0xc0de0002L));
        // in use, reserved (< 256), in use once its upper 32 bits are dropped, then free
        assertThat(env.childSpi()).isEqualTo(0xc0de0003L);
    }

    @Test
    void withoutADataplaneOnlyTheReservedRangeIsSkipped() {
        IkeEnvironment env = new IkeEnvironment(InstantSource.fixed(Instant.EPOCH), scripted(255L, 256L),
                KeyExchanges.standard(), Ikev2Codec.standard());
        assertThat(env.childSpi()).isEqualTo(256L);
    }

    @Test
    void aDataplaneThatSaysEverySpiIsUsedDoesNotHangTheEngine() {
        Long[] draws = new Long[70];
        for (int i = 0; i < draws.length; i++) {
            draws[i] = 0x1000L + i;
        }
        IkeEnvironment env = new IkeEnvironment(InstantSource.fixed(Instant.EPOCH), scripted(draws),
                KeyExchanges.standard(), Ikev2Codec.standard(), IkeEnvironment.CredentialSource.FILES, spi -> true);
        assertThat(env.childSpi()).isBetween(0x1000L, 0x1000L + 69);
    }
}
