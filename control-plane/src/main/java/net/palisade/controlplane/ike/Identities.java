package net.palisade.controlplane.ike;

import java.io.IOException;
import java.net.InetAddress;
import java.util.Optional;
import javax.security.auth.x500.X500Principal;
import net.palisade.model.Identity;
import net.palisade.model.IpAddresses;
import net.palisade.model.wire.Octets;
import net.palisade.model.wire.ikev2.IdPayload;
import net.palisade.model.wire.ikev2.IdentificationType;
import org.bouncycastle.asn1.x500.X500Name;

/**
 * IKE identities (RFC 7296 section 3.5): ours from {@code srcid}, else our certificate's subject (with certificates)
 * or our address; the one we require of the peer from {@code dstid} (without it, none: whoever the PSK or the
 * certificate authenticates). Comparison is on ID type and
 * data, as sent, except distinguished names, which are compared as names (RFC 5280 section 7.1: attribute by
 * attribute, ignoring case and the string type), since a DN written in the config and the same DN in a certificate
 * may be encoded differently.
 */
final class Identities {

    private Identities() {
    }

    /** The ID payload for {@code identity}, or for {@code address} when there is none. */
    static IdPayload payload(boolean initiator, Optional<Identity> identity, InetAddress address) {
        if (identity.isEmpty()) {
            return IdPayload.address(initiator, address);
        }
        Identity id = identity.get();
        return switch (id.type()) {
            case IPV4, IPV6 -> IdPayload.address(initiator, IpAddresses.parse(id.value()).orElseThrow());
            case FQDN -> IdPayload.fqdn(initiator, id.value());
            case USER_FQDN -> IdPayload.rfc822(initiator, id.value());
            case DN -> {
                try {
                    yield IdPayload.derDn(initiator, Octets.of(new X500Name(id.value()).getEncoded()));
                } catch (IOException e) {
                    throw new IllegalArgumentException("cannot encode DN identity", e);
                }
            }
        };
    }

    /** ID_DER_ASN1_DN with a certificate's subject, in the certificate's own encoding. */
    static IdPayload dn(boolean initiator, X500Principal subject) {
        return IdPayload.derDn(initiator, Octets.of(subject.getEncoded()));
    }

    /** True if {@code received} names {@code expected} (or {@code address} when nothing is configured). */
    static boolean matches(IdPayload received, Optional<Identity> expected, InetAddress address) {
        IdPayload want = payload(received.initiator(), expected, address);
        return want.idType().value() == received.idType().value()
                && (want.data().equals(received.data()) || sameDn(want, received));
    }

    /** True if both are ID_DER_ASN1_DN naming the same distinguished name. */
    static boolean sameDn(IdPayload a, IdPayload b) {
        if (a.idType() != IdentificationType.Known.ID_DER_ASN1_DN
                || b.idType() != IdentificationType.Known.ID_DER_ASN1_DN) {
            return false;
        }
        try {
            return X500Name.getInstance(a.data().toByteArray()).equals(X500Name.getInstance(b.data().toByteArray()));
        } catch (RuntimeException e) {
            return false;
        }
    }
}
