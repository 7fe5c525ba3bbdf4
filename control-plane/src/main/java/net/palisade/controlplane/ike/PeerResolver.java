package net.palisade.controlplane.ike;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.StandardProtocolFamily;
import java.net.UnknownHostException;
import java.nio.channels.DatagramChannel;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.function.LongSupplier;
import net.palisade.dataplane.io.NetNamespace;
import net.palisade.model.Host;
import net.palisade.model.IkeTunnel;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Where the IKE layer's names and routes are looked up: peers' host names through the {@link IkeManager.Resolver},
 * and our source address towards a peer from the kernel's routes, both inside the dataplane's network namespace.
 *
 * <p>Threads: lookups run on two namespace threads of their own. {@link #endpoints} and {@link #refreshNames} never
 * wait; {@link #localFor} waits for a route lookup (a system call, no network traffic) and is called only by the
 * {@link IkeDispatcher}'s thread, never by a dataplane worker ({@link net.palisade.dataplane.worker.IkeSink} must not
 * block).
 *
 * <p>A passive tunnel's peer names are resolved when it starts and again, at most every {@link #NAME_REFRESH}, when an
 * IKE_SA_INIT comes from an address no tunnel accepts: that request is dropped, and the peer's retransmission is
 * matched against the new answer ({@link #isPeer}).
 */
final class PeerResolver implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(PeerResolver.class);

    /** How often a peer name is resolved again at most (for a request from an unknown address). */
    static final Duration NAME_REFRESH = Duration.ofSeconds(5);

    private final int port;
    private final Optional<Path> netns;
    private final IkeManager.Resolver resolver;
    private final LongSupplier nanoTime;
    private final ExecutorService nsThread;
    private final ExecutorService resolveThread;
    /** The addresses of tunnels' peer names as requests are matched, and when each was last looked up (nanoTime). */
    private final Map<String, List<InetAddress>> names = new ConcurrentHashMap<>();
    private final Map<String, Long> asked = new ConcurrentHashMap<>();
    /**
     * Route sources looked up lately, by peer address: a peer's IKE_SA_INITs come in bursts (a restart, a load
     * generator), and each lookup is a thread hop and four system calls on the dispatch thread. A route change shows
     * after {@link #ROUTE_SOURCE_TTL} at most (until then a new responder answers from the old source address, and
     * the peer retransmits).
     */
    private final Map<InetAddress, RouteSource> routeSources = new ConcurrentHashMap<>();

    private final java.util.concurrent.atomic.AtomicLong routeLookups = new java.util.concurrent.atomic.AtomicLong();

    /** How long a looked-up route source is used. */
    static final Duration ROUTE_SOURCE_TTL = Duration.ofSeconds(2);
    /** Route sources kept at most. */
    static final int ROUTE_SOURCES = 4096;

    /**
     * @param netns    the namespace to look up in; empty: the caller's
     * @param port     the IKE port of both ends of an initiator's IKE SA
     * @param resolver how host names become addresses
     * @param nanoTime the clock of {@link #NAME_REFRESH}
     */
    PeerResolver(Optional<Path> netns, int port, IkeManager.Resolver resolver, LongSupplier nanoTime) {
        this.netns = Objects.requireNonNull(netns, "netns");
        this.port = port;
        this.resolver = Objects.requireNonNull(resolver, "resolver");
        this.nanoTime = Objects.requireNonNull(nanoTime, "nanoTime");
        this.nsThread = Executors.newSingleThreadExecutor(r -> inNamespaceThread(netns, r, "palisade-ike-ns"));
        this.resolveThread = Executors.newSingleThreadExecutor(r -> inNamespaceThread(netns, r,
                "palisade-ike-resolve"));
    }

    /** A daemon thread that enters {@code netns} (if any) before it runs {@code r}. */
    static Thread inNamespaceThread(Optional<Path> netns, Runnable r, String name) {
        Thread t = new Thread(() -> {
            try {
                if (netns.isPresent()) {
                    NetNamespace.enter(netns.get());
                }
            } catch (IOException e) {
                log.error("cannot enter network namespace {}: {}", netns.get(), e.getMessage());
                return;
            }
            r.run();
        }, name);
        t.setDaemon(true);
        return t;
    }

    /** A call that may fail with an I/O error. */
    interface IoCall<T> {
        T call() throws IOException;
    }

    /** Runs {@code call} in the namespace and waits for it (sockets are bound to the namespace they are made in). */
    <T> T inNamespace(IoCall<T> call) throws IOException {
        try {
            return nsThread.submit(call::call).get();
        } catch (ExecutionException e) {
            if (e.getCause() instanceof IOException io) {
                throw io;
            }
            throw new IOException(e.getCause());
        } catch (RejectedExecutionException e) {
            throw new IOException("IKE is shut down");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        }
    }

    /**
     * The endpoints of a new initiator IKE SA with {@code peer}, looked up now on the resolver's thread: the name
     * resolved (an address of {@code local}'s family when {@code local} is an address), our address {@code local} or
     * the route's source. Never waits.
     */
    CompletionStage<IkeSessionActor.Endpoints> endpoints(IkeTunnel tunnel, Host peer) {
        CompletableFuture<IkeSessionActor.Endpoints> out = new CompletableFuture<>();
        try {
            resolveThread.execute(() -> {
                try {
                    InetAddress remote = peer.ip().isPresent() ? peer.ip().get() : pick(tunnel, peer,
                            resolver.resolve(peer.dnsName().orElseThrow()));
                    InetAddress local;
                    Optional<Host> configured = tunnel.local();
                    if (configured.isPresent() && configured.get().ip().isPresent()) {
                        local = configured.get().ip().get();
                    } else if (configured.isPresent()) {
                        local = resolver.resolve(configured.get().dnsName().orElseThrow()).stream()
                                .filter(a -> a.getClass() == remote.getClass()).findFirst()
                                .orElseThrow(() -> new UnknownHostException("local " + configured.get()
                                        + " has no address of the peer's family"));
                    } else {
                        local = routeSource(remote);
                    }
                    out.complete(new IkeSessionActor.Endpoints(new InetSocketAddress(local, port),
                            new InetSocketAddress(remote, port)));
                } catch (IOException | RuntimeException e) {
                    out.completeExceptionally(e);
                }
            });
        } catch (RejectedExecutionException e) {
            out.completeExceptionally(new IOException("IKE is shut down"));
        }
        return out;
    }

    /** The address of {@code peer} to use: the first of {@code local}'s family when that is fixed, else the first. */
    private static InetAddress pick(IkeTunnel tunnel, Host peer, List<InetAddress> addresses)
            throws UnknownHostException {
        Optional<Class<?>> family = tunnel.local().flatMap(Host::ip).map(Object::getClass);
        return addresses.stream().filter(a -> family.map(f -> f == a.getClass()).orElse(true)).findFirst()
                .orElseThrow(() -> new UnknownHostException(peer + (addresses.isEmpty() ? ""
                        : ": no address of the family of local " + tunnel.local().get())));
    }

    /**
     * Our address for a responder IKE SA of {@code tunnel} with {@code peer}: {@code local} if it is an address, else
     * the kernel's route source. Waits for the lookup: call it from a control-plane thread only.
     */
    InetAddress localFor(IkeTunnel tunnel, InetAddress peer) throws IOException {
        Optional<InetAddress> configured = tunnel.local().flatMap(Host::ip);
        if (configured.isPresent()) {
            return configured.get();
        }
        long now = nanoTime.getAsLong();
        RouteSource known = routeSources.get(peer);
        if (known != null && now - known.at() < ROUTE_SOURCE_TTL.toNanos()) {
            return known.source();
        }
        InetAddress source = inNamespace(() -> routeSource(peer));
        routeLookups.incrementAndGet();
        if (routeSources.size() >= ROUTE_SOURCES) {
            routeSources.clear(); // a flood from random sources: start over rather than grow
        }
        routeSources.put(peer, new RouteSource(source, now));
        return source;
    }

    /** Route sources looked up in the kernel so far (not answered from {@link #routeSources}). */
    long routeLookups() {
        return routeLookups.get();
    }

    /** Route sources known now. */
    int routeSourcesCached() {
        return routeSources.size();
    }

    /** Our route source towards a peer, and when it was looked up ({@code nanoTime}). */
    private record RouteSource(InetAddress source, long at) {}

    /** The kernel's source address towards {@code peer} (a connected UDP socket's; nothing is sent). */
    private InetAddress routeSource(InetAddress peer) throws IOException {
        try (DatagramChannel c = DatagramChannel.open(peer instanceof java.net.Inet6Address
                ? StandardProtocolFamily.INET6 : StandardProtocolFamily.INET)) {
            c.connect(new InetSocketAddress(peer, port));
            return ((InetSocketAddress) c.getLocalAddress()).getAddress();
        }
    }

    /** Whether {@code address} is {@code peer}: the address itself, or one its name resolved to lately. */
    boolean isPeer(Host peer, InetAddress address) {
        return peer.ip().map(address::equals)
                .orElseGet(() -> names.getOrDefault(peer.dnsName().orElseThrow(), List.of()).contains(address));
    }

    /** Forgets when {@code tunnel}'s peer names were last resolved, so the next refresh asks for them at once. */
    void forget(IkeTunnel tunnel) {
        tunnel.peers().stream().flatMap(p -> p.dnsName().stream()).forEach(asked::remove);
    }

    /**
     * Resolves the peer names of {@code tunnels} again in the background, each at most every {@link #NAME_REFRESH},
     * so that a request from an address a name has moved to is accepted when the peer retransmits. Returns whether
     * any lookup was started. Never waits.
     */
    boolean refreshNames(Collection<IkeTunnel> tunnels) {
        boolean started = false;
        long now = nanoTime.getAsLong();
        for (IkeTunnel t : tunnels) {
            for (Host p : t.peers()) {
                if (p.dnsName().isEmpty()) {
                    continue;
                }
                String name = p.dnsName().get();
                Long last = asked.get(name);
                if (last != null && now - last < NAME_REFRESH.toNanos()) {
                    continue;
                }
                asked.put(name, now);
                started = true;
                try {
                    resolveThread.execute(() -> {
                        try {
                            names.put(name, List.copyOf(resolver.resolve(name)));
                        } catch (IOException | RuntimeException e) {
                            names.remove(name);
                            log.warn("tunnel {}: peer {}: the name does not resolve ({})", t.label(), name,
                                    e.toString());
                        }
                    });
                } catch (RejectedExecutionException e) {
                    return false;
                }
            }
        }
        return started;
    }

    @Override
    public void close() {
        nsThread.shutdownNow();
        resolveThread.shutdownNow();
    }

    /** Why {@code peer} cannot be reached, for the journal. */
    static String unavailable(Host peer, Throwable error) {
        Throwable e = error instanceof CompletionException && error.getCause() != null ? error.getCause() : error;
        if (e instanceof UnknownHostException) {
            return "peer " + peer + ": the name does not resolve"
                    + (e.getMessage() == null || e.getMessage().equals(peer.toString()) ? ""
                    : " (" + e.getMessage() + ")");
        }
        return "peer " + peer + ": no local address to reach it from ("
                + (e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage()) + ")";
    }
}
