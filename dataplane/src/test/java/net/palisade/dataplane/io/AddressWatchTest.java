package net.palisade.dataplane.io;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetAddress;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import net.palisade.dataplane.testkit.Root;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * {@link AddressWatch} in a fresh network namespace (see {@link NetnsThread}): the routes' preferred source must
 * follow this host's addresses as they change, without asking the kernel for all of them before every route.
 */
@ExtendWith(Root.class)
class AddressWatchTest {
    private static final InetAddress ADDED = InetAddress.ofLiteral("198.18.0.1");
    private static final InetAddress ADDED6 = InetAddress.ofLiteral("2001:2::1");

    private NetnsThread ns;
    private AddressWatch watch;

    @BeforeEach
    void namespace() throws Exception {
        ns = new NetnsThread("netns-address-watch");
        watch = ns.call(AddressWatch::open);
    }

    @AfterEach
    void cleanUp() throws Exception {
        ns.run(watch::close);
        ns.close();
    }

    private List<InetAddress> addresses() throws Exception {
        return ns.call(() -> watch.addresses().stream().map(InterfaceAddresses.Entry::address).toList());
    }

    @Test
    void readsTheAddressesOnceWhileNothingChanges() throws Exception {
        List<InetAddress> first = addresses();
        assertThat(first).contains(InetAddress.ofLiteral("127.0.0.1"));
        for (int i = 0; i < 5; i++) {
            assertThat(addresses()).isEqualTo(first);
        }
        assertThat(watch.reads()).as("getifaddrs calls").isEqualTo(1);
    }

    @Test
    void anAddressAddedOrRemovedIsSeenAtTheNextUse() throws Exception {
        assertThat(addresses()).doesNotContain(ADDED, ADDED6);
        ns.run(() -> {
            try (RtNetlink nl = RtNetlink.open()) {
                nl.addAddress(1, ADDED, 30); // lo
                nl.addAddress(1, ADDED6, 64);
            }
        });
        assertThat(addresses()).contains(ADDED, ADDED6);
        ns.run(() -> {
            try (RtNetlink nl = RtNetlink.open()) {
                nl.removeAddress(1, ADDED, 30);
            }
        });
        assertThat(addresses()).contains(ADDED6).doesNotContain(ADDED);
        assertThat(addresses()).contains(ADDED6).doesNotContain(ADDED);
        assertThat(watch.reads()).as("read again after each change, not at the unchanged use").isEqualTo(3);
    }

    @Test
    void aLinkGoingDownIsAChangeToo() throws Exception {
        addresses();
        ns.run(() -> {
            try (RtNetlink nl = RtNetlink.open()) {
                nl.setLinkUp(1, false);
            }
        });
        addresses();
        assertThat(watch.reads()).isEqualTo(2);
    }
}
