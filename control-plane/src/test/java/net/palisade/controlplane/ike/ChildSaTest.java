package net.palisade.controlplane.ike;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Instant;
import java.util.List;
import java.util.Optional;
import net.palisade.model.crypto.EncryptionAlgorithm;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The Child SA state machine: the allowed paths, and every change it must refuse. */
class ChildSaTest {
    private static final Instant T0 = Instant.parse("2026-11-27T12:00:00Z");

    private static ChildSa child() {
        return new ChildSa(0x1001, 0x2002, new ChildSuite(EncryptionAlgorithm.AES_128_GCM, Optional.empty()),
                List.of(), List.of(), T0, T0.plusSeconds(2880), T0.plusSeconds(3600));
    }

    /** Brings a new Child SA to {@code state} along an allowed path. */
    private static ChildSa in(ChildSa.State state) {
        ChildSa c = child();
        switch (state) {
            case INSTALLED -> { }
            case REKEY_REMOTE -> c.transition(ChildSa.State.REKEY_REMOTE, "test");
            case REKEY_LOCAL -> c.transition(ChildSa.State.REKEY_LOCAL, "test");
            case REKEYED -> {
                c.transition(ChildSa.State.REKEY_LOCAL, "test");
                c.transition(ChildSa.State.REKEYED, "test");
            }
            case DELETE_LOCAL -> c.transition(ChildSa.State.DELETE_LOCAL, "test");
            case DELETED -> c.transition(ChildSa.State.DELETED, "test");
        }
        assertThat(c.state()).isEqualTo(state);
        return c;
    }

    @Test
    void ourRekeyThenOurDeleteOfTheReplacedSa() {
        ChildSa c = child();
        assertThat(c.state()).isEqualTo(ChildSa.State.INSTALLED);
        assertThat(c.busy()).isFalse();
        c.transition(ChildSa.State.REKEY_LOCAL, "soft lifetime");
        assertThat(c.busy()).isTrue();
        c.transition(ChildSa.State.DELETE_LOCAL, "replaced by our rekey");
        c.transition(ChildSa.State.DELETED, "our delete answered");
        assertThat(c.state()).isEqualTo(ChildSa.State.DELETED);
    }

    @Test
    void deferredRekeyReturnsToInstalledAndMayBeRekeyedAgain() {
        ChildSa c = in(ChildSa.State.REKEY_LOCAL);
        c.transition(ChildSa.State.INSTALLED, "TEMPORARY_FAILURE");
        assertThat(c.busy()).isFalse();
        c.transition(ChildSa.State.REKEY_LOCAL, "retry");
        assertThat(c.state()).isEqualTo(ChildSa.State.REKEY_LOCAL);
    }

    @Test
    void saTheRekeyedPeerWillDeleteStaysOursToRekeyUntilItDoes() {
        ChildSa c = in(ChildSa.State.REKEY_REMOTE);
        assertThat(c.busy()).as("the peer's delete may never come").isFalse();
        c.transition(ChildSa.State.REKEY_LOCAL, "soft lifetime");
        assertThat(c.busy()).isTrue();
    }

    @ParameterizedTest(name = "{0} -> {1} is refused")
    @CsvSource({
        "INSTALLED, INSTALLED",
        "INSTALLED, REKEYED",
        "REKEY_REMOTE, REKEY_REMOTE",
        "REKEY_REMOTE, INSTALLED",
        "REKEY_LOCAL, REKEY_LOCAL",
        "REKEY_LOCAL, REKEY_REMOTE",
        "REKEYED, INSTALLED",
        "REKEYED, REKEY_LOCAL",
        "REKEYED, DELETE_LOCAL",
        "DELETE_LOCAL, INSTALLED",
        "DELETE_LOCAL, REKEY_LOCAL",
        "DELETE_LOCAL, DELETE_LOCAL",
        "DELETED, INSTALLED",
        "DELETED, REKEY_LOCAL",
        "DELETED, DELETE_LOCAL",
        "DELETED, DELETED",
    })
    void illegalTransitionIsRefusedAndLeavesTheStateAsItWas(ChildSa.State from, ChildSa.State to) {
        ChildSa c = in(from);
        assertThatThrownBy(() -> c.transition(to, "test"))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining(from + " -> " + to + " is not allowed")
                .hasMessageContaining("1001/2002");
        assertThat(c.state()).isEqualTo(from);
    }

    @Test
    void nothingFollowsDeleted() {
        for (ChildSa.State next : ChildSa.State.values()) {
            assertThat(ChildSa.State.DELETED.canMoveTo(next)).as("DELETED -> %s", next).isFalse();
        }
    }
}
