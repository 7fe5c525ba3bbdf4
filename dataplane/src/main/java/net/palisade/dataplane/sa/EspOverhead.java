package net.palisade.dataplane.sa;

import java.util.Optional;
import net.palisade.dataplane.esp.EspConstants;
import net.palisade.dataplane.esp.EspTransform;
import net.palisade.model.crypto.AuthAlgorithm;
import net.palisade.model.crypto.EncryptionAlgorithm;

/**
 * How many octets ESP adds to an inner packet, and so which inner packets still fit the underlay MTU.
 *
 * <p>Worst case per packet = outer IP header (20 IPv4, 40 IPv6) + UDP header (8, ESP-in-UDP only) + ESP header (8)
 * + IV + padding + pad length and next header (2) + ICV, where padding is at most the cipher block minus one (AES-CBC
 * 15, 3DES 7) or 3 for the AEAD transforms (4-octet alignment). For example:
 * <ul>
 *   <li>AES-GCM, IPv4, UDP: 20 + 8 + 8 + 8 + 3 + 2 + 16 = <b>65</b> (TUN MTU 1435 on a 1500 underlay);</li>
 *   <li>AES-CBC + HMAC-SHA2-256, IPv4, UDP: 20 + 8 + 8 + 16 + 15 + 2 + 16 = <b>85</b> (1415);</li>
 *   <li>the worst this dataplane implements, AES-CBC + HMAC-SHA2-512 over IPv6 with UDP:
 *       40 + 8 + 8 + 16 + 15 + 2 + 32 = <b>{@value #WORST_CASE}</b> (1379).</li>
 * </ul>
 */
public final class EspOverhead {
    /** The largest overhead of any transform here, IPv6 outer header, UDP encapsulation included. */
    public static final int WORST_CASE = 121;

    private static final int UDP_HEADER = 8;

    private EspOverhead() {
    }

    /** Outer IP header, plus UDP for ESP-in-UDP. */
    public static int outerHeaders(boolean ipv6Outer, boolean udpEncapsulation) {
        return (ipv6Outer ? 40 : 20) + (udpEncapsulation ? UDP_HEADER : 0);
    }

    /** The worst-case overhead of a transform (see the class comment). */
    public static int worstCase(EncryptionAlgorithm encryption, Optional<AuthAlgorithm> integrity,
            boolean ipv6Outer, boolean udpEncapsulation) {
        int padding = Math.max(encryption.blockBytes(), EspConstants.MIN_ALIGNMENT) - 1;
        int icv = encryption.aead() ? encryption.icvBytes() : integrity.map(AuthAlgorithm::icvBytes).orElse(0);
        return outerHeaders(ipv6Outer, udpEncapsulation) + EspConstants.HEADER_LENGTH + encryption.ivBytes()
                + padding + EspConstants.TRAILER_LENGTH + icv;
    }

    /**
     * The longest inner packet whose ESP packet, with outer headers, fits {@code underlayMtu} (exact, from the
     * transform's own length arithmetic).
     */
    public static int maxInnerLength(EspTransform transform, int underlayMtu, boolean ipv6Outer,
            boolean udpEncapsulation) {
        int outer = outerHeaders(ipv6Outer, udpEncapsulation);
        int length = underlayMtu - outer - EspConstants.HEADER_LENGTH - transform.ivLength() - transform.icvLength()
                - EspConstants.TRAILER_LENGTH;
        while (length > 0 && outer + transform.sealedLength(length) > underlayMtu) {
            length--;
        }
        return Math.max(length, 0);
    }
}
