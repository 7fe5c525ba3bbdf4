package net.palisade.dataplane.io;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** {@link Poller}, {@link InterfaceAddresses} and {@link NetNamespace} paths that need no root. */
class PollerTest {

    @Test
    void reportsReadableDescriptorsAndWakeUps() throws Exception {
        UdpEndpoint.Options noReuse = UdpEndpoint.Options.DEFAULT.withReusePort(false);
        InetAddress lo = InetAddress.ofLiteral("127.0.0.1");
        try (UdpEndpoint a = UdpEndpoint.bind(new InetSocketAddress(lo, 0), noReuse);
             UdpEndpoint b = UdpEndpoint.bind(new InetSocketAddress(lo, 0), noReuse);
             Poller poller = new Poller(2);
             Arena arena = Arena.ofConfined()) {
            int slotA = poller.add(a.fd());
            int slotB = poller.add(b.fd());
            assertThat(poller.await(0)).isZero();

            b.send(MemorySegment.ofArray(new byte[] {1, 2, 3}), 3, SockAddr.of(arena, a.localAddress()));
            assertThat(poller.await(5000)).isEqualTo(1);
            assertThat(poller.readable(slotA)).isTrue();
            assertThat(poller.readable(slotB)).isFalse();
            assertThat(poller.woken()).isFalse();

            // A wake-up from another thread ends a wait that nothing else would end.
            a.receive(arena.allocate(64), SockAddr.allocate(arena), 0);
            CompletableFuture<Integer> waiting = CompletableFuture.supplyAsync(() -> {
                try {
                    return poller.await(-1);
                } catch (ErrnoException e) {
                    throw new IllegalStateException(e);
                }
            });
            poller.wake();
            assertThat(waiting.get(10, TimeUnit.SECONDS)).isEqualTo(1);
            assertThat(poller.woken()).isTrue();
            assertThat(poller.await(0)).as("still woken until cleared").isEqualTo(1);
            poller.clearWake();
            assertThat(poller.await(0)).isZero();
            assertThatThrownBy(() -> poller.add(99)).isInstanceOf(IllegalStateException.class);
        }
    }

    @Test
    void listsInterfaceAddressesOfThisNamespace() throws Exception {
        assertThat(InterfaceAddresses.list()).anySatisfy(e -> {
            assertThat(e.interfaceName()).isEqualTo("lo");
            assertThat(e.address()).isEqualTo(InetAddress.ofLiteral("127.0.0.1"));
        });
    }

    @Test
    void enteringAMissingNamespaceFailsWithItsName() {
        assertThat(NetNamespace.named("x")).isEqualTo(Path.of("/var/run/netns/x"));
        assertThatThrownBy(() -> NetNamespace.enter(Path.of("/var/run/netns/palisade-no-such-namespace")))
                .isInstanceOf(ErrnoException.class).hasMessageContaining("palisade-no-such-namespace")
                .hasMessageContaining("ENOENT");
    }
}
