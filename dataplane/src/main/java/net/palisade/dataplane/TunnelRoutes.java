package net.palisade.dataplane;

import java.io.IOException;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import net.palisade.dataplane.io.AddressWatch;
import net.palisade.dataplane.io.ErrnoException;
import net.palisade.dataplane.io.InterfaceAddresses;
import net.palisade.dataplane.io.IpPrefix;
import net.palisade.dataplane.io.TunDevice;
import net.palisade.dataplane.sa.Prefix;
import net.palisade.dataplane.sa.TunnelSas;

/**
 * The routes a dataplane adds through its TUN device to its tunnels' remote networks. Two tunnels may need the same
 * prefix (a rekey's pairs, overlapping flows): the route is added by the first and removed with the last. A route
 * that existed before (added by someone else) is left alone. Kernel calls run in the dataplane's network namespace:
 * on the calling thread if it is in it, else on the dataplane's control thread ({@link #kernel}); callers hold the
 * dataplane's lock. Besides its SAs' shares, an IKE tunnel holds routes to its configured remote networks from its
 * start to its stop ({@link #hold}): between its SAs, traffic for them then reaches the workers, which drop it (no
 * SA), instead of following the host's other routes in clear.
 */
final class TunnelRoutes {
    private static final System.Logger LOG = System.getLogger(TunnelRoutes.class.getName());

    private final Kernel tun;
    /** The dataplane's control thread, where kernel calls run. */
    private final ExecutorService control;
    /** Routes this dataplane added, by remote prefix, with the tunnels that need them. */
    private final Map<IpPrefix, List<String>> routes = new HashMap<>();
    private final Map<String, List<IpPrefix>> routesByTunnel = new HashMap<>();
    private boolean ipv6Enabled;
    /** This host's addresses, read once for a round of changes ({@link #cacheAddresses}); null: read each time. */
    private List<InterfaceAddresses.Entry> addresses;
    private boolean caching;
    /**
     * This host's addresses kept until the kernel says they changed; opened in the dataplane's namespace at the first
     * route ({@link #kernel}; null until then, and for good if it cannot be opened: then getifaddrs each time).
     */
    private AddressWatch watch;
    private boolean watchFailed;

    TunnelRoutes(TunDevice tun, ExecutorService control) {
        this(new Kernel() {
            @Override
            public String name() {
                return tun.name();
            }

            @Override
            public void addRoute(IpPrefix prefix, InetAddress source) throws IOException {
                tun.addRoute(prefix, source);
            }

            @Override
            public void removeRoute(IpPrefix prefix) throws IOException {
                tun.removeRoute(prefix);
            }

            @Override
            public void enableIpv6() throws IOException {
                tun.enableIpv6();
            }
        }, control);
    }

    /** @param tun where the routes go: the TUN device's, or a test's table */
    TunnelRoutes(Kernel tun, ExecutorService control) {
        this.tun = tun;
        this.control = control;
    }

    /** The TUN device's route calls ({@link TunDevice}). */
    interface Kernel {
        String name();

        void addRoute(IpPrefix prefix, InetAddress source) throws IOException;

        void removeRoute(IpPrefix prefix) throws IOException;

        void enableIpv6() throws IOException;
    }

    /**
     * From now on until called with false, this host's interface addresses (for the routes' preferred source) are
     * read once and kept: for a round of many changes, during which they do not change.
     */
    void cacheAddresses(boolean on) {
        caching = on;
        addresses = null;
    }

    /** Inside {@link #kernel}: in the dataplane's namespace, under its lock. */
    private List<InterfaceAddresses.Entry> addresses() throws IOException {
        if (!caching) {
            return readAddresses();
        }
        if (addresses == null) {
            addresses = readAddresses();
        }
        return addresses;
    }

    private List<InterfaceAddresses.Entry> readAddresses() throws IOException {
        if (watch == null && !watchFailed) {
            try {
                watch = AddressWatch.open();
            } catch (IOException | RuntimeException e) {
                watchFailed = true;
                LOG.log(System.Logger.Level.WARNING, "no address notifications (" + e.getMessage()
                        + "): this host's addresses are read for every route");
            }
        }
        return watch != null ? watch.addresses() : InterfaceAddresses.list();
    }

    /**
     * Runs a kernel call for a route: on the calling thread if it is in the dataplane's network namespace, else on
     * the control thread ({@link ControlThread#call}), which entered it. The calling thread holds the dataplane's lock
     * either way, so the calls stay one at a time; the TUN device's netlink socket and the address watch belong to
     * the namespace they were opened in whichever thread uses them, and the one namespace-dependent call left, the
     * address list read again after a change (getifaddrs opens its socket in the caller's), then sees the same one.
     * A node without {@code --netns} saves two hand-offs per IKE Child SA (its route added and removed): the IKE
     * outcome lane waited for the control thread, which was woken for each.
     */
    private <T> T kernel(java.util.concurrent.Callable<T> task) throws IOException {
        return sameNamespace.get() ? ControlThread.callHere(task) : ControlThread.call(control, task);
    }

    /** The control thread's network namespace ("net:[inode]"), read once on it; null until then. */
    private volatile String controlNamespace;
    /** Whether the calling thread is in the control thread's network namespace (threads enter one only as they start). */
    private final ThreadLocal<Boolean> sameNamespace = ThreadLocal.withInitial(this::inControlNamespace);

    private boolean inControlNamespace() {
        try {
            String control = controlNamespace;
            if (control == null) {
                control = ControlThread.call(this.control, TunnelRoutes::currentNamespace);
                controlNamespace = control;
            }
            return control.equals(currentNamespace());
        } catch (IOException | RuntimeException e) {
            return false; // cannot tell: the control thread, as before
        }
    }

    private static String currentNamespace() throws IOException {
        return java.nio.file.Files.readSymbolicLink(java.nio.file.Path.of("/proc/thread-self/ns/net")).toString();
    }

    /** Forgets every route (the TUN device is going away, and its routes with it). */
    void clear() {
        routes.clear();
        routesByTunnel.clear();
    }

    /** Closes the address watch; on the control thread (or once it has ended). */
    void closeWatch() {
        if (watch != null) {
            watch.close();
            watch = null;
        }
    }

    /**
     * Routes {@code label} to the remote networks of {@code sas} that it has no route for yet (sharing a route
     * another tunnel, or the tunnel's own hold, added); each prefix it takes a share of is added to {@code claimed}.
     */
    void claim(String label, TunnelSas sas, List<IpPrefix> claimed) throws IOException {
        claim(label, sas.inbound().selectors().local(), sas.inbound().selectors().remote(), claimed);
    }

    /** {@link #claim(String, TunnelSas, List)} for an SA of {@code label} with these selectors. */
    void claim(String label, List<Prefix> local, List<Prefix> remote, List<IpPrefix> claimed) throws IOException {
        claim(label, label, local, remote, claimed);
    }

    /**
     * Holds routes for tunnel {@code label} to {@code remote} (its configured remote networks) whether or not it has
     * an SA: its SAs' claims of the same prefixes share them ({@link #claim}), so removing the SAs leaves them, and
     * traffic for those networks reaches the workers, which drop it while no SA's policy matches it. Called again,
     * only the difference changes: new prefixes are added first, then those no longer held are given up (a route
     * an SA still claims stays). An empty {@code remote} releases the hold ({@link #unhold}).
     */
    void hold(String label, List<Prefix> local, List<Prefix> remote) throws IOException {
        String key = holdKey(label);
        if (remote.isEmpty()) {
            remove(key);
            return;
        }
        claim(key, label, local, remote, new ArrayList<>());
        prune(key, remote);
    }

    /** Gives up the hold of {@code label} ({@link #hold}); a route one of its SAs still claims stays until it goes. */
    void unhold(String label) throws IOException {
        remove(holdKey(label));
    }

    /** The prefixes tunnel {@code label} holds ({@link #hold}), for tests and logs. */
    List<IpPrefix> held(String label) {
        return List.copyOf(routesByTunnel.getOrDefault(holdKey(label), List.of()));
    }

    /** The share of a tunnel's hold in the routes, beside the share of its SAs (keyed by the label itself). */
    private static String holdKey(String label) {
        return label + "\u0000hold";
    }

    /** Takes shares for {@code key} (a tunnel's SAs or its hold) in routes to {@code remotes}; logs as {@code label}. */
    private void claim(String key, String label, List<Prefix> local, List<Prefix> remotes, List<IpPrefix> claimed)
            throws IOException {
        List<IpPrefix> mine = routesByTunnel.computeIfAbsent(key, k -> new ArrayList<>());
        for (Prefix remote : remotes) {
            if (remote.length() == 0) {
                LOG.log(System.Logger.Level.WARNING, label + ": no route added for " + remote
                        + " (a default route through the tunnel would capture the ESP packets too)");
                continue;
            }
            IpPrefix prefix = remote.toIpPrefix();
            if (mine.contains(prefix)) {
                continue;
            }
            List<String> users = routes.get(prefix);
            if (users != null) {
                users.add(key);
                mine.add(prefix);
                claimed.add(prefix);
                continue;
            }
            boolean added = kernel(() -> {
                if (remote.ipv6() && !ipv6Enabled) {
                    tun.enableIpv6();
                    ipv6Enabled = true;
                }
                InetAddress source = preferredSource(local, remote.ipv6());
                try {
                    tun.addRoute(prefix, source);
                    return true;
                } catch (ErrnoException e) {
                    if (e.errno() == 17 /* EEXIST */) {
                        LOG.log(System.Logger.Level.WARNING, label + ": a route to " + prefix
                                + " exists already; leaving it as it is");
                        return false;
                    }
                    throw e;
                }
            });
            if (added) {
                List<String> list = new ArrayList<>();
                list.add(key);
                routes.put(prefix, list);
                mine.add(prefix);
                claimed.add(prefix);
            }
        }
    }

    /** Gives up the routes of {@code label} to prefixes outside {@code remotePrefixes} (what its pairs still need). */
    void prune(String label, java.util.Collection<Prefix> remotePrefixes) throws IOException {
        List<IpPrefix> mine = routesByTunnel.get(label);
        if (mine == null) {
            return;
        }
        java.util.Set<IpPrefix> needed = new java.util.HashSet<>();
        for (Prefix p : remotePrefixes) {
            if (p.length() > 0) {
                needed.add(p.toIpPrefix());
            }
        }
        release(label, mine.stream().filter(p -> !needed.contains(p)).toList());
    }

    void remove(String label) throws IOException {
        List<IpPrefix> mine = routesByTunnel.get(label);
        if (mine != null) {
            release(label, List.copyOf(mine));
        }
        routesByTunnel.remove(label);
    }

    /** Gives up the share of {@code label} in these routes; a route nobody shares any more is removed. */
    void release(String label, List<IpPrefix> prefixes) throws IOException {
        List<IpPrefix> mine = routesByTunnel.get(label);
        IOException first = null;
        for (IpPrefix prefix : prefixes) {
            if (mine != null) {
                mine.remove(prefix);
            }
            List<String> users = routes.get(prefix);
            if (users == null) {
                continue;
            }
            users.remove(label);
            if (users.isEmpty()) {
                routes.remove(prefix);
                try {
                    kernel(() -> {
                        tun.removeRoute(prefix);
                        return null;
                    });
                } catch (IOException e) {
                    first = first == null ? e : first;
                }
            }
        }
        if (first != null) {
            throw first;
        }
    }

    /** An address of this box (not on the TUN device) inside one of {@code local} of the family; else null. */
    private InetAddress preferredSource(List<Prefix> local, boolean ipv6) throws IOException {
        for (InterfaceAddresses.Entry e : addresses()) {
            InetAddress a = e.address();
            if (e.interfaceName().equals(tun.name()) || (a instanceof Inet6Address) != ipv6 || a.isLinkLocalAddress()
                    || a.isLoopbackAddress()) {
                continue;
            }
            for (Prefix p : local) {
                if (p.length() > 0 && p.contains(a)) {
                    return a;
                }
            }
        }
        return null;
    }
}
