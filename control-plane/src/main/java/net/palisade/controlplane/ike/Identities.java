package net.palisade.controlplane.ike;

import java.io.IOException;
import java.net.InetAddress;
import java.util.Optional;
import net.palisade.model.Identity;
import net.palisade.model.IpAddresses;
import net.palisade.model.wire.Octets;
import net.palisade.model.wire.ikev2.IdPayload;
import org.bouncycastle.asn1.x500.X500Name;

/**
 * IKE identities (RFC 7296 section 3.5): ours from {@code srcid} or our address, the one we require of the peer from
 * {@code dstid} or its address. Comparison is on ID type and data, as sent.
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

    /** True if {@code received} names {@code expected} (or {@code address} when nothing is configured). */
    static boolean matches(IdPayload received, Optional<Identity> expected, InetAddress address) {
        IdPayload want = payload(received.initiator(), expected, address);
        return want.idType().value() == received.idType().value() && want.data().equals(received.data());
    }
}
