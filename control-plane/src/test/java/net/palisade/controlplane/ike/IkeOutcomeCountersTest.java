package net.palisade.controlplane.ike;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetSocketAddress;
import java.util.Optional;
import net.palisade.model.crypto.AuthAlgorithm;
import net.palisade.model.crypto.DhGroup;
import net.palisade.model.crypto.EncryptionAlgorithm;
import net.palisade.model.event.FailureReason;
import org.junit.jupiter.api.Test;

/** Each outcome a session reports is counted under its name, failures and downs by their reason. */
class IkeOutcomeCountersTest {
    @Test
    void countsOutcomesByKindAndReason() {
        IkeOutcomeCounters c = new IkeOutcomeCounters();
        IkeSaId id = new IkeSaId(1, 2);
        c.count(new IkeOutput.Phase1Up(new InetSocketAddress(500), id, EncryptionAlgorithm.AES_128_GCM,
                Optional.empty(), AuthAlgorithm.HMAC_SHA2_256, DhGroup.CURVE25519));
        c.count(new IkeOutput.NegotiationFailed(FailureReason.NO_PROPOSAL_CHOSEN, "none"));
        c.count(new IkeOutput.NegotiationFailed(FailureReason.NO_PROPOSAL_CHOSEN, "none"));
        c.count(new IkeOutput.Phase1Down(id, Optional.of(FailureReason.TIMEOUT), "dpd"));
        c.count(new IkeOutput.Phase1Down(id, Optional.empty(), "deleted"));
        c.count(new IkeOutput.ChildSaDeleted(3, 4));
        c.count(new IkeOutput.PeerAlive());
        c.dpdLost();
        assertThat(c.snapshot()).containsExactlyInAnyOrderEntriesOf(java.util.Map.of("ike.sa-up", 1L,
                "ike.negotiation-failed.NO_PROPOSAL_CHOSEN", 2L, "ike.sa-down.TIMEOUT", 1L, "ike.sa-down.DELETE", 1L,
                "ike.child-sa-deleted", 1L, "ike.dpd-lost", 1L));
    }
}
