package net.palisade.model.wire.ikev2;

/**
 * Size limits the decoder enforces before it builds anything. The defaults are generous for real peers (a strongSwan
 * IKE_SA_INIT with every algorithm it knows has about 20 transforms in 1 proposal) and small enough that a hostile
 * datagram cannot make the decoder allocate much more than the datagram itself.
 *
 * @param maxDatagram            largest datagram in octets (65535: the UDP payload limit)
 * @param maxPayloads            payloads in one chain (outer or inner)
 * @param maxProposals           proposals in one SA payload (at most 255)
 * @param maxTransforms          transforms in one proposal (at most 255)
 * @param maxAttributes          attributes in one transform
 * @param maxSelectors           selectors in one TS payload (at most 255)
 * @param maxConfigAttributes    attributes in one CP payload
 */
public record Ikev2Limits(int maxDatagram, int maxPayloads, int maxProposals, int maxTransforms, int maxAttributes,
        int maxSelectors, int maxConfigAttributes) {

    /** 64 KB datagrams, 128 payloads, 64 proposals, 64 transforms, 16 attributes, 64 selectors, 64 CP attributes. */
    public static final Ikev2Limits DEFAULT = new Ikev2Limits(65_535, 128, 64, 64, 16, 64, 64);

    /** Every limit must be positive; the datagram limit at most 65535 and at least a header. */
    public Ikev2Limits {
        if (maxDatagram < IkeHeader.LENGTH || maxDatagram > 65_535) {
            throw new IllegalArgumentException("maxDatagram must be 28-65535, not " + maxDatagram);
        }
        if (maxPayloads < 1 || maxProposals < 1 || maxTransforms < 1 || maxAttributes < 1 || maxSelectors < 1
                || maxConfigAttributes < 1) {
            throw new IllegalArgumentException("limits must be positive");
        }
        if (maxProposals > 255 || maxTransforms > 255 || maxSelectors > 255) {
            throw new IllegalArgumentException("proposal, transform and selector counts are one octet: at most 255");
        }
    }
}
