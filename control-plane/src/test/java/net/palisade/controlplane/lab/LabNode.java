package net.palisade.controlplane.lab;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import net.palisade.controlplane.ControlPlane;
import net.palisade.controlplane.JournalEvent;
import net.palisade.controlplane.Node;
import net.palisade.controlplane.ike.Cookies;
import net.palisade.controlplane.ike.IkeManager;
import net.palisade.controlplane.ike.IkeSettings;
import net.palisade.dataplane.Dataplane;
import net.palisade.dataplane.io.NetNamespace;
import net.palisade.model.event.TunnelEvent;

/**
 * A real Palisade node in a gateway namespace of the lab, assembled by {@link Node} exactly as {@code palisade run}
 * assembles it (dataplane with its workers and sequence reservations, IKE, a single-node {@link ControlPlane}), with
 * its data in a folder of the test. Only settings differ from a user's node: the namespace, the TUN name, the data
 * folder, a free cluster port, and the IKE settings, cookie policy or resolver a test asks for. {@link #close()} stops IKE (which deletes its SAs at the peers), the control plane and the dataplane,
 * in that order.
 */
public final class LabNode implements AutoCloseable {
    private final Node node;
    private final IkeManager ike;
    private final Dataplane dataplane;
    private final ControlPlane controlPlane;

    /**
     * How to start a node.
     *
     * @param gateway the namespace's name after the prefix, e.g. {@code gwa}
     * @param tunName the dataplane's TUN device
     * @param dataDir the control plane's data folder, under the test's folder
     * @param settings IKE settings (fragment limit, NAT-T keepalive)
     * @param cookies when IKE demands cookies
     * @param resolver how peer names resolve
     */
    public record Options(String gateway, String tunName, String dataDir, IkeSettings settings, Cookies cookies,
            IkeManager.Resolver resolver) {
        /**
         * gw-a, TUN {@code PREFIX0}, data in {@code data}, the default IKE settings, cookies and resolver.
         *
         * @param prefix the lab's namespace prefix
         * @return the defaults
         */
        public static Options defaults(String prefix) {
            return new Options("gwa", prefix + "0", "data", IkeSettings.DEFAULT,
                    Cookies.standard(Cookies.DEFAULT_THRESHOLD), IkeManager.Resolver.SYSTEM);
        }

        /** @param g the gateway namespace after the prefix @return a copy with it */
        public Options withGateway(String g) {
            return new Options(g, tunName, dataDir, settings, cookies, resolver);
        }

        /** @param t the TUN device's name @return a copy with it */
        public Options withTunName(String t) {
            return new Options(gateway, t, dataDir, settings, cookies, resolver);
        }

        /** @param d the data folder's name @return a copy with it */
        public Options withDataDir(String d) {
            return new Options(gateway, tunName, d, settings, cookies, resolver);
        }

        /** @param s the IKE settings @return a copy with them */
        public Options withSettings(IkeSettings s) {
            return new Options(gateway, tunName, dataDir, s, cookies, resolver);
        }

        /** @param c the cookie policy @return a copy with it */
        public Options withCookies(Cookies c) {
            return new Options(gateway, tunName, dataDir, settings, c, resolver);
        }

        /** @param r how names resolve @return a copy with it */
        public Options withResolver(IkeManager.Resolver r) {
            return new Options(gateway, tunName, dataDir, settings, cookies, r);
        }
    }

    private LabNode(Node node) {
        this.node = node;
        this.ike = node.ike().orElseThrow();
        this.dataplane = node.dataplane().orElseThrow();
        this.controlPlane = node.controlPlane();
    }

    /**
     * Starts a node on gw-a with the defaults ({@link Options#defaults}).
     *
     * @param prefix the lab's namespace prefix
     * @param dir the test's folder
     * @return the running node, no configuration committed yet
     * @throws Exception when a part does not start
     */
    public static LabNode start(String prefix, Path dir) throws Exception {
        return start(prefix, dir, Options.defaults(prefix));
    }

    /**
     * Starts a node as {@code options} say; whatever started is stopped again when a later part fails.
     *
     * @param prefix the lab's namespace prefix
     * @param dir the test's folder
     * @param options where and how
     * @return the running node, no configuration committed yet
     * @throws Exception when a part does not start
     */
    public static LabNode start(String prefix, Path dir, Options options) throws Exception {
        Node node = Node.builder(dir.resolve(options.dataDir()))
                .netns(NetNamespace.named(prefix + "-" + options.gateway())).tunName(options.tunName())
                .ike(options.settings()).cookies(options.cookies()).resolver(options.resolver())
                // the lab runs one node per gateway namespace in one JVM: a free cluster port each
                .cluster("127.0.0.1", 0, List.of())
                .start();
        if (node.ike().isEmpty()) {
            String why = node.ikeOff().orElse("");
            node.close();
            throw new IllegalStateException("the lab node on " + options.gateway() + " runs without IKE: " + why);
        }
        return new LabNode(node);
    }

    /**
     * Commits {@code config} (the configuration language) as user "test" and waits for the commit.
     *
     * @param config the whole configuration
     * @throws Exception when the commit fails or takes over 60 s
     */
    public void commit(String config) throws Exception {
        controlPlane.commit(config, "test", "lab", Optional.empty()).toCompletableFuture().get(60, TimeUnit.SECONDS);
    }

    /**
     * @param label a tunnel's label
     * @return the tunnel's journal, oldest first
     * @throws Exception when it cannot be read within 10 s
     */
    public List<JournalEvent> events(String label) throws Exception {
        return controlPlane.events(label, Optional.empty(), Optional.empty(), Optional.empty()).toCompletableFuture()
                .get(10, TimeUnit.SECONDS);
    }

    /**
     * @param label a tunnel's label
     * @return the tunnel's events, oldest first
     * @throws Exception when they cannot be read within 10 s
     */
    public List<TunnelEvent> journal(String label) throws Exception {
        return events(label).stream().map(JournalEvent::event).toList();
    }

    /**
     * @param label a tunnel's label
     * @return the types of the tunnel's events ({@code phase1-up}, ...), oldest first
     * @throws Exception when they cannot be read within 10 s
     */
    public List<String> eventTypes(String label) throws Exception {
        return journal(label).stream().map(TunnelEvent::type).toList();
    }

    /**
     * @param label a tunnel's label
     * @return the peer of each {@code phase1-up}, oldest first
     * @throws Exception when the journal cannot be read within 10 s
     */
    public List<String> phase1Peers(String label) throws Exception {
        return journal(label).stream().filter(TunnelEvent.Phase1Up.class::isInstance)
                .map(e -> ((TunnelEvent.Phase1Up) e).peer()).toList();
    }

    /**
     * Waits up to {@code atMost}, polling every 200 ms, until the journal of {@code label} holds events of every
     * type in {@code types}.
     *
     * @param label a tunnel's label
     * @param atMost how long to wait
     * @param why what a failure message shows besides the journal (e.g. charon's log), read when it fails
     * @param types the event types expected
     */
    public void awaitEvents(String label, Duration atMost, Supplier<String> why, String... types) {
        await().atMost(atMost).pollInterval(Duration.ofMillis(200)).untilAsserted(() ->
                assertThat(eventTypes(label)).as("journal of " + label + "; " + why.get()).contains(types));
    }

    /** @return the node's IKE */
    public IkeManager ike() {
        return ike;
    }

    /** @return the node's dataplane */
    public Dataplane dataplane() {
        return dataplane;
    }

    /** @return the node's control plane */
    public ControlPlane controlPlane() {
        return controlPlane;
    }

    /** Stops IKE (deleting its SAs at the peers), then the control plane, then the dataplane. */
    @Override
    public void close() {
        node.close();
    }
}
