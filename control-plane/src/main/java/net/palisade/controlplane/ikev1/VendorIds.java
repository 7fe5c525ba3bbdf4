package net.palisade.controlplane.ikev1;

import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import net.palisade.model.wire.Octets;

/**
 * The Vendor IDs Palisade sends and recognises: RFC 3947 NAT traversal and the drafts peers still announce, and RFC
 * 3706 dead peer detection. Each is the MD5 of a string its document names, copied here from the documents.
 */
final class VendorIds {
    /** RFC 3947 section 3.1: MD5("RFC 3947"). */
    static final Octets NAT_T_RFC = hex("4a131c81070358455c5728f20e95452f");
    /** draft-ietf-ipsec-nat-t-ike-03. */
    static final Octets NAT_T_DRAFT_03 = hex("7d9419a65310ca6f2c179d9215529d56");
    /** draft-ietf-ipsec-nat-t-ike-02 (with the trailing newline, as most peers send it). */
    static final Octets NAT_T_DRAFT_02N = hex("90cb80913ebb696e086381b5ec427b1f");
    /** draft-ietf-ipsec-nat-t-ike-02. */
    static final Octets NAT_T_DRAFT_02 = hex("cd60464335df21f87cfdb2fc68b6a448");
    /** RFC 3706 section 7: the DPD vendor ID, major 1, minor 0. */
    static final Octets DPD = hex("afcad71368a1f1c96b8696fc77570100");

    /** What we send in the first messages of phase 1. */
    static final List<Octets> OURS = List.of(NAT_T_RFC, NAT_T_DRAFT_03, NAT_T_DRAFT_02N, NAT_T_DRAFT_02, DPD);

    /** Which NAT traversal both peers speak. */
    enum NatT {
        /** Neither draft nor RFC: no NAT traversal. */
        NONE,
        /** A draft only: NAT-D is payload 130, UDP encapsulation mode 61443. */
        DRAFT,
        /** RFC 3947: NAT-D is payload 20, UDP encapsulation mode 3. */
        RFC
    }

    private VendorIds() {
    }

    /** The NAT traversal the peer announced in {@code ids}. */
    static NatT natT(List<Octets> ids) {
        if (ids.contains(NAT_T_RFC)) {
            return NatT.RFC;
        }
        if (ids.contains(NAT_T_DRAFT_03) || ids.contains(NAT_T_DRAFT_02N) || ids.contains(NAT_T_DRAFT_02)) {
            return NatT.DRAFT;
        }
        return NatT.NONE;
    }

    /** A name for the log of a vendor ID we know, if we know it. */
    static Optional<String> known(Octets id) {
        if (id.equals(NAT_T_RFC)) {
            return Optional.of("RFC 3947 NAT-T");
        }
        if (id.equals(NAT_T_DRAFT_03) || id.equals(NAT_T_DRAFT_02N) || id.equals(NAT_T_DRAFT_02)) {
            return Optional.of("draft NAT-T");
        }
        if (id.equals(DPD)) {
            return Optional.of("DPD");
        }
        return Optional.empty();
    }

    private static Octets hex(String s) {
        return Octets.of(HexFormat.of().parseHex(s));
    }
}
