package net.palisade.controlplane.tunnel;

import java.net.InetAddress;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import net.palisade.dataplane.Dataplane;
import net.palisade.dataplane.sa.Prefix;
import net.palisade.model.IkeTunnel;
import net.palisade.model.Network;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The routes each IKE tunnel started on this node holds through the TUN device to its configured {@code to}
 * networks, from its start to its stop ({@link Dataplane#holdRoutes(List)}): between its Child SAs (before the
 * first, after a Delete or DPD, while an IKE SA is negotiated again, after a pair's takeover) traffic for those
 * networks reaches the workers, which drop it and count it as {@code no_sa}, instead of following the host's other
 * routes in clear. Not held: a {@code to} of length 0 (a default route through the tunnel, as for SAs), and a
 * {@code to} that holds one of the tunnel's peer addresses (IKE and ESP to the peer would go into the TUN device);
 * both are logged. The peers' host names are not resolved for this: a name is not checked.
 *
 * <p>The tunnel entities call from their own threads; the kernel calls run on one thread of their own, in batches
 * (what the entities queued while the last batch ran, in one round of the dataplane's control thread: a hub's
 * 10,000 tunnels starting went in rounds of about 8, 0.6 ms a tunnel with the waits for the dataplane's lock), and
 * the entities never wait for them. Only the last wish per tunnel counts: a stop and a start queued together become
 * the start's hold, which changes only the difference to the hold in place.
 */
final class RouteHolds {
    private static final Logger log = LoggerFactory.getLogger(RouteHolds.class);

    private final Dataplane dataplane;
    private final ExecutorService lane = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "palisade-route-holds");
        t.setDaemon(true);
        return t;
    });
    /** Per tunnel, what to hold (empty: release), waiting for the lane; guarded by this. */
    private final Map<String, Optional<Dataplane.RouteHold>> pending = new LinkedHashMap<>();
    private boolean draining; // guarded by this

    RouteHolds(Dataplane dataplane) {
        this.dataplane = dataplane;
    }

    /** Holds (or adjusts) the routes of {@code tunnel} to its configured remote networks. */
    void hold(IkeTunnel tunnel) {
        put(tunnel.label(), Optional.of(holdFor(tunnel)));
    }

    /** Releases the routes {@code label} holds; those its SAs still claim stay until the SAs go. */
    void release(String label) {
        put(label, Optional.empty());
    }

    private synchronized void put(String label, Optional<Dataplane.RouteHold> hold) {
        pending.remove(label); // the newest wish last in line
        pending.put(label, hold);
        if (!draining) {
            draining = true;
            lane.execute(this::drain);
        }
    }

    private void drain() {
        int tunnels = 0;
        int rounds = 0;
        long busy = 0;
        while (true) {
            List<Dataplane.RouteHold> batch = new ArrayList<>();
            synchronized (this) {
                if (pending.isEmpty()) {
                    draining = false;
                    break;
                }
                pending.forEach((label, h) -> batch.add(h.orElseGet(
                        () -> new Dataplane.RouteHold(label, List.of(), List.of()))));
                pending.clear();
            }
            long start = System.nanoTime();
            try {
                List<Exception> failed = dataplane.holdRoutes(batch);
                for (int i = 0; i < batch.size(); i++) {
                    if (failed.get(i) != null) {
                        log.error("tunnel {}: cannot hold its routes to {}: {}", batch.get(i).label(),
                                batch.get(i).remote(), failed.get(i).getMessage());
                    }
                }
            } catch (java.io.IOException | RuntimeException e) {
                // a closed dataplane (the node stopping): its TUN device took the routes with it
                log.warn("cannot hold or release the routes of {} tunnel(s): {}", batch.size(), e.getMessage());
            }
            busy += System.nanoTime() - start;
            tunnels += batch.size();
            rounds++;
        }
        if (tunnels >= 100) { // a config commit or a node's start: how long its routes took
            log.info("routes of {} tunnels held or released in {} ms ({} rounds of the dataplane)", tunnels,
                    busy / 1_000_000, rounds);
        }
    }

    /** The hold of {@code tunnel}: its {@code to} networks but those not to hold (see the class comment). */
    static Dataplane.RouteHold holdFor(IkeTunnel tunnel) {
        List<Prefix> local = new ArrayList<>();
        tunnel.from().forEach(n -> local.addAll(Prefix.of(n)));
        List<Prefix> remote = new ArrayList<>();
        for (Network n : tunnel.to()) {
            for (Prefix p : Prefix.of(n)) {
                Optional<InetAddress> peer = tunnel.peers().stream().flatMap(h -> h.ip().stream())
                        .filter(p::contains).findFirst();
                if (p.length() == 0) {
                    log.warn("tunnel {}: no route held for {}: a default route through the tunnel would capture "
                            + "the ESP packets too; route it yourself (a blackhole route) if traffic must not leave "
                            + "in clear between its SAs", tunnel.label(), n);
                } else if (peer.isPresent()) {
                    log.warn("tunnel {}: no route held for {}: it holds the peer {}, whose IKE and ESP packets "
                            + "would go into the tunnel", tunnel.label(), n, peer.get().getHostAddress());
                } else if (!remote.contains(p)) {
                    remote.add(p);
                }
            }
        }
        return new Dataplane.RouteHold(tunnel.label(), local, remote);
    }
}
