package net.palisade.controlplane.ike;

import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.util.Optional;
import net.palisade.model.IdType;
import net.palisade.model.Identity;
import net.palisade.model.wire.ikev1.Ikev1IdType;
import net.palisade.model.wire.ikev1.Ikev1Payload;

/**
 * The ID of an aggressive-mode message 1 compared with a tunnel's {@code dstid}, so the dispatcher can pick the
 * tunnel (and so its pre-shared key) before anything is authenticated. Only a choice among tunnels: the engine checks
 * the ID against the chosen tunnel's dstid again when it authenticates the peer.
 */
final class Ikev1Ids {
    private Ikev1Ids() {}

    /** An address ID as its literal, an FQDN or USER_FQDN as its text; empty for other types. */
    static Optional<String> text(Ikev1Payload.Id id) {
        if (!(id.idType() instanceof Ikev1IdType.Known k)) {
            return Optional.empty();
        }
        return switch (k) {
            case ID_IPV4_ADDR, ID_IPV6_ADDR -> id.address().map(InetAddress::getHostAddress);
            case ID_FQDN, ID_USER_FQDN -> Optional.of(new String(id.data().toByteArray(), StandardCharsets.US_ASCII));
            default -> Optional.empty();
        };
    }

    /** Whether {@code want} names the ID {@code text} (names without regard to case, addresses by value). */
    static boolean same(Identity want, String text) {
        if (want.type() == IdType.IPV4 || want.type() == IdType.IPV6) {
            Optional<InetAddress> a = literal(want.value());
            return a.isPresent() && a.equals(literal(text));
        }
        return want.value().equalsIgnoreCase(text);
    }

    private static Optional<InetAddress> literal(String s) {
        try {
            return Optional.of(InetAddress.ofLiteral(s));
        } catch (IllegalArgumentException e) {
            return Optional.empty();
        }
    }
}
