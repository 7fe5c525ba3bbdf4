package net.palisade.controlplane.ike;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class IkeSessionActorTest {
    @Test
    void anInitiatorRetriesLessOftenAfterEachFailureUpToFiveMinutes() {
        assertThat(IkeSessionActor.retryDelay(0)).isEqualTo(Duration.ofSeconds(5));
        assertThat(IkeSessionActor.retryDelay(1)).isEqualTo(Duration.ofSeconds(10));
        assertThat(IkeSessionActor.retryDelay(5)).isEqualTo(Duration.ofSeconds(160));
        assertThat(IkeSessionActor.retryDelay(6)).isEqualTo(Duration.ofMinutes(5));
        assertThat(IkeSessionActor.retryDelay(1000)).isEqualTo(Duration.ofMinutes(5));
    }
}
