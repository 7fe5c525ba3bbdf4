package net.palisade.controlplane.ike;

import java.net.InetAddress;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import net.palisade.model.IkeTunnel;
import net.palisade.model.IpFamily;
import net.palisade.model.wire.ikev2.IdPayload;
import net.palisade.model.wire.ikev2.TrafficSelector;

/**
 * Which tunnel a responder's IKE SA belongs to when several accept the peer's address (two tunnels to one peer, an
 * any-peer {@code passive} tunnel beside others), decided at IKE_AUTH from what the peer sent, as strongSwan picks
 * a peer config: its IDi against each tunnel's {@code dstid} (a tunnel without one accepts any identity), the IKE
 * algorithms IKE_SA_INIT settled on against each tunnel's, and its proposed selectors against each tunnel's flows.
 * The result is an order to try authentication in: the PSK or certificate of the first tunnel whose check passes
 * authenticates the peer. Pure.
 *
 * <p>Order: tunnels whose flows hold the proposed selectors whole, then those that overlap them, then the rest (an
 * IKE SA with a refused Child SA, as with a single tunnel); within each, a {@code dstid} that names the peer before
 * none, an IDr that names us before one that does not, then the order given (the dispatcher's: passive tunnels
 * naming the peer first).
 */
final class TunnelChoice {

    private TunnelChoice() {
    }

    /** How well one tunnel's flows hold the peer's proposed selectors. */
    enum Fit { INSIDE, OVERLAPS, OUTSIDE }

    /**
     * The tunnels among {@code candidates} that may hold this IKE SA, best first; empty if no tunnel accepts the
     * identity (or the algorithms).
     *
     * @param idi      the peer's identity
     * @param idr      the identity the peer wants of us, if it sent one
     * @param tsi      the peer's proposed TSi (its side), empty if it sent none
     * @param tsr      the peer's proposed TSr (our side), empty if it sent none
     * @param accepts  whether a tunnel accepts the IKE algorithms already negotiated
     * @param local    our address (our identity without {@code srcid})
     * @param remote   the peer's address
     */
    static List<IkeTunnel> rank(List<IkeTunnel> candidates, IdPayload idi, Optional<IdPayload> idr,
            List<TrafficSelector> tsi, List<TrafficSelector> tsr, java.util.function.Predicate<IkeTunnel> accepts,
            InetAddress local, InetAddress remote) {
        IpFamily family = net.palisade.model.IpAddresses.family(remote);
        record Ranked(IkeTunnel tunnel, Fit fit, boolean dstId, boolean idrMatches, int order) {}
        List<Ranked> ok = new ArrayList<>();
        for (int i = 0; i < candidates.size(); i++) {
            IkeTunnel t = candidates.get(i);
            if (t.dstId().isPresent() && !Identities.matches(idi, t.dstId(), remote)) {
                continue;
            }
            if (!accepts.test(t)) {
                continue;
            }
            boolean idrMatches = idr.isEmpty() || Identities.matches(idr.get(), t.srcId(), local);
            ok.add(new Ranked(t, fit(t, tsi, tsr, family), t.dstId().isPresent(), idrMatches, i));
        }
        ok.sort(Comparator.comparing(Ranked::fit).thenComparing(r -> !r.dstId()).thenComparing(r -> !r.idrMatches())
                .thenComparingInt(Ranked::order));
        return ok.stream().map(Ranked::tunnel).toList();
    }

    /** How {@code t}'s flows hold the peer's proposal: TSi within its {@code to}, TSr within its {@code from}. */
    static Fit fit(IkeTunnel t, List<TrafficSelector> tsi, List<TrafficSelector> tsr, IpFamily family) {
        List<TrafficSelector> theirs = SelectorPolicy.of(t.to(), family);
        List<TrafficSelector> ours = SelectorPolicy.of(t.from(), family);
        if (tsi.isEmpty() || tsr.isEmpty()) {
            return Fit.OUTSIDE;
        }
        if (SelectorPolicy.narrow(tsi, theirs).equals(tsi) && SelectorPolicy.narrow(tsr, ours).equals(tsr)) {
            return Fit.INSIDE;
        }
        return !SelectorPolicy.narrow(tsi, theirs).isEmpty() && !SelectorPolicy.narrow(tsr, ours).isEmpty()
                ? Fit.OVERLAPS : Fit.OUTSIDE;
    }

    /** The labels of {@code tunnels}, for a log line or a failure's detail. */
    static String labels(List<IkeTunnel> tunnels) {
        return String.join(", ", tunnels.stream().map(IkeTunnel::label).toList());
    }
}
