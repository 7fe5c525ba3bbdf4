package net.palisade.controlplane.ikev1;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.List;
import net.palisade.model.wire.Octets;
import org.junit.jupiter.api.Test;

/** The vendor IDs are the MD5 of the strings their documents name (RFC 3947 section 3.1, the NAT-T drafts). */
class VendorIdsTest {

    private static Octets md5(String s) throws Exception {
        return Octets.of(MessageDigest.getInstance("MD5").digest(s.getBytes(StandardCharsets.US_ASCII)));
    }

    @Test
    void natTVendorIdsAreTheMd5OfTheirNames() throws Exception {
        assertThat(VendorIds.NAT_T_RFC).isEqualTo(md5("RFC 3947"));
        assertThat(VendorIds.NAT_T_DRAFT_03).isEqualTo(md5("draft-ietf-ipsec-nat-t-ike-03"));
        assertThat(VendorIds.NAT_T_DRAFT_02).isEqualTo(md5("draft-ietf-ipsec-nat-t-ike-02"));
        assertThat(VendorIds.NAT_T_DRAFT_02N).isEqualTo(md5("draft-ietf-ipsec-nat-t-ike-02\n"));
    }

    @Test
    void theRfcWinsOverTheDrafts() {
        assertThat(VendorIds.natT(List.of(VendorIds.NAT_T_DRAFT_02, VendorIds.NAT_T_RFC))).isEqualTo(
                VendorIds.NatT.RFC);
        assertThat(VendorIds.natT(List.of(VendorIds.NAT_T_DRAFT_02N))).isEqualTo(VendorIds.NatT.DRAFT);
        assertThat(VendorIds.natT(List.of(VendorIds.DPD))).isEqualTo(VendorIds.NatT.NONE);
    }
}
