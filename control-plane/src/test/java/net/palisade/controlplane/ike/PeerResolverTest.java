package net.palisade.controlplane.ike;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetAddress;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;
import net.palisade.model.Host;
import net.palisade.model.IkeTunnel;
import net.palisade.model.crypto.DhGroup;
import org.junit.jupiter.api.Test;

/** Our source address towards a peer, as a responder without a configured {@code local} answers from. */
class PeerResolverTest {
    private final AtomicLong nanos = new AtomicLong();

    private static IkeTunnel withLocal(Optional<Host> local) {
        IkeTunnel t = IkeLoop.gcm("s", DhGroup.CURVE25519);
        return new IkeTunnel(t.label(), t.mode(), t.exchange(), t.from(), t.to(), local, t.peers(),
                t.ikeSa(), t.childSa(), t.srcId(), t.dstId(), t.authentication(), t.dpd(), t.ping());
    }

    private static IkeTunnel withoutLocal() {
        return withLocal(Optional.empty());
    }

    @Test
    void theKernelsRouteSourceAndAConfiguredLocal() throws Exception {
        try (PeerResolver r = new PeerResolver(Optional.empty(), 500, name -> List.of(), nanos::get)) {
            // the kernel's answer, not ours: a loopback peer is reached from the loopback address
            assertThat(r.localFor(withoutLocal(), InetAddress.getByName("127.0.0.2")))
                    .isEqualTo(InetAddress.getByName("127.0.0.1"));
            InetAddress ours = InetAddress.getByName("192.0.2.9");
            assertThat(r.localFor(withLocal(Optional.of(Host.of(ours))), InetAddress.getByName("127.0.0.2")))
                    .isEqualTo(ours);
            assertThat(r.routeLookups()).isEqualTo(1);
        }
    }

    @Test
    void aLookedUpSourceServesItsPeerForTheTtlOnly() throws Exception {
        try (PeerResolver r = new PeerResolver(Optional.empty(), 500, name -> List.of(), nanos::get)) {
            InetAddress peer = InetAddress.getByName("127.0.0.2");
            assertThat(r.localFor(withoutLocal(), peer)).isEqualTo(InetAddress.getByName("127.0.0.1"));
            assertThat(r.routeSourcesCached()).isEqualTo(1);
            nanos.addAndGet(PeerResolver.ROUTE_SOURCE_TTL.toNanos() - 1);
            assertThat(r.localFor(withoutLocal(), peer)).isEqualTo(InetAddress.getByName("127.0.0.1"));
            assertThat(r.routeLookups()).isEqualTo(1);
            nanos.addAndGet(1);
            assertThat(r.localFor(withoutLocal(), peer)).isEqualTo(InetAddress.getByName("127.0.0.1"));
            assertThat(r.routeLookups()).isEqualTo(2);
        }
    }
}
