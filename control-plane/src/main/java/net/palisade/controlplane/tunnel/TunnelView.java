package net.palisade.controlplane.tunnel;

import java.time.Instant;
import java.util.List;
import java.util.Optional;
import net.palisade.model.event.ChildSa;

/**
 * A tunnel as the API and CLI show it: state and the redacted spec. Holds no secret.
 *
 * @param label the tunnel
 * @param configured false for a label that is not (or no longer) in the running config
 * @param kind {@code ike} or {@code manual}; empty when not configured
 * @param status down / connecting / no-child-sa / up
 * @param admin up / down
 * @param peer the peer in use
 * @param ikeSa the IKE SA's name while phase 1 is up
 * @param sas the installed SAs (names and SPIs)
 * @param since time of the last event
 * @param lastFailure the last negotiation failure or DPD loss, until phase 1 comes up again
 * @param spec the config statement, secrets as {@code [redacted]}
 * @param specJson the spec as the API's JSON, secrets as {@code "[redacted]"}
 * @param reachability the tunnel's {@code ping} verdict: {@code reachable} or {@code unreachable}; empty without
 *     ping or before its first verdict
 * @param ikeSas every established IKE SA (name and peer), oldest first: several on an any-peer passive tunnel, one
 *     per peer; {@code ikeSa} and {@code peer} are the newest's
 */
public record TunnelView(String label, boolean configured, Optional<String> kind, TunnelStatus status,
        AdminState admin, Optional<String> peer, Optional<String> ikeSa, List<ChildSa> sas, Optional<Instant> since,
        Optional<String> lastFailure, Optional<String> spec, Optional<String> specJson, Optional<String> reachability,
        List<TunnelState.IkeSa> ikeSas) implements net.palisade.model.event.CborSerializable {
    public TunnelView {
        sas = List.copyOf(sas);
        reachability = reachability == null ? Optional.empty() : reachability;
        ikeSas = ikeSas == null ? ikeSa.map(n -> List.of(new TunnelState.IkeSa(n, peer.orElse(""))))
                .orElse(List.of()) : List.copyOf(ikeSas);
    }

    /** A view with one IKE SA at most, {@code ikeSa}. */
    public TunnelView(String label, boolean configured, Optional<String> kind, TunnelStatus status, AdminState admin,
            Optional<String> peer, Optional<String> ikeSa, List<ChildSa> sas, Optional<Instant> since,
            Optional<String> lastFailure, Optional<String> spec, Optional<String> specJson,
            Optional<String> reachability) {
        this(label, configured, kind, status, admin, peer, ikeSa, sas, since, lastFailure, spec, specJson,
                reachability, null);
    }

    /** A view without a ping verdict. */
    public TunnelView(String label, boolean configured, Optional<String> kind, TunnelStatus status, AdminState admin,
            Optional<String> peer, Optional<String> ikeSa, List<ChildSa> sas, Optional<Instant> since,
            Optional<String> lastFailure, Optional<String> spec, Optional<String> specJson) {
        this(label, configured, kind, status, admin, peer, ikeSa, sas, since, lastFailure, spec, specJson,
                Optional.empty());
    }
}
