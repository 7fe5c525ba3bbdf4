package net.palisade.ops.snmp;

import java.util.Objects;
import java.util.Optional;
import net.palisade.model.event.TunnelEvent;

/**
 * Which journal events are notified, as what: the OIDs of {@code docs/mib/PALISADE-MIB.txt} (under the documentation
 * enterprise number 32473 of RFC 5612: Palisade has none of its own yet, and uses no other vendor's).
 */
public final class TunnelNotifications {
    private TunnelNotifications() {}

    /** {@code palisadeMIB}: {@code enterprises.32473.7}. */
    public static final String MIB = "1.3.6.1.4.1.32473.7";
    /** {@code palisadeTunnelLabel}, {@code ...Peer}, {@code ...Cause}, {@code ...Detail}: the objects every trap carries. */
    public static final String LABEL = MIB + ".1.1";
    public static final String PEER = MIB + ".1.2";
    public static final String CAUSE = MIB + ".1.3";
    public static final String DETAIL = MIB + ".1.4";

    /** The notifications, with their OIDs under {@code palisadeNotifications} ({@code palisadeMIB.0}). */
    public enum Kind {
        TUNNEL_UP("palisadeTunnelUp", 1),
        TUNNEL_DOWN("palisadeTunnelDown", 2),
        DPD_LOST("palisadeTunnelDpdLost", 3),
        PEER_SWITCHED("palisadeTunnelPeerSwitched", 4),
        PING_LOST("palisadeTunnelPingLost", 5),
        PING_OK("palisadeTunnelPingOk", 6);

        private final String mibName;
        private final int arc;

        Kind(String mibName, int arc) {
            this.mibName = mibName;
            this.arc = arc;
        }

        /** The notification's name in the MIB. */
        public String mibName() {
            return mibName;
        }

        /** The notification's OID, the value of {@code snmpTrapOID.0}. */
        public String oid() {
            return MIB + ".0." + arc;
        }
    }

    /** One notification: what and the four objects. No field ever holds key material. */
    public record Notification(Kind kind, String label, String peer, String cause, String detail) {
        public Notification {
            Objects.requireNonNull(kind, "kind");
            Objects.requireNonNull(label, "label");
            Objects.requireNonNull(peer, "peer");
            Objects.requireNonNull(cause, "cause");
            Objects.requireNonNull(detail, "detail");
        }
    }

    /** The notification of {@code e}, if it is one of the notified events. */
    public static Optional<Notification> of(TunnelEvent e) {
        String cause = e.cause().toString();
        return Optional.ofNullable(switch (e) {
            case TunnelEvent.Phase1Up u -> new Notification(Kind.TUNNEL_UP, e.label(), u.peer(), cause, u.ikeSa());
            case TunnelEvent.Phase1Down d -> new Notification(Kind.TUNNEL_DOWN, e.label(), "", cause, d.reason());
            case TunnelEvent.DpdLost d -> new Notification(Kind.DPD_LOST, e.label(), d.peer(), cause, "");
            case TunnelEvent.PeerSwitched s -> new Notification(Kind.PEER_SWITCHED, e.label(), s.to(), cause,
                    s.from().map(f -> "from " + f).orElse(""));
            case TunnelEvent.PingLost p -> new Notification(Kind.PING_LOST, e.label(), p.to(), cause,
                    p.lost() + " echoes from " + p.from() + " unanswered");
            case TunnelEvent.PingOk p -> new Notification(Kind.PING_OK, e.label(), p.to(), cause,
                    "echo from " + p.from() + " answered");
            default -> null;
        });
    }
}
