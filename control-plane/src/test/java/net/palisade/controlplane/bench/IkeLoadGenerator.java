package net.palisade.controlplane.bench;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.StandardProtocolFamily;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.LongAdder;
import net.palisade.controlplane.ike.IkeEnvironment;
import net.palisade.controlplane.ike.IkeInput;
import net.palisade.controlplane.ike.IkeOutput;
import net.palisade.controlplane.ike.IkeSession;
import net.palisade.controlplane.ike.IkeSettings;
import net.palisade.controlplane.ike.IkeState;
import net.palisade.controlplane.ikev1.Ikev1Engine;
import net.palisade.controlplane.ike.crypto.KeyExchange;
import net.palisade.controlplane.ike.crypto.KeyExchanges;
import net.palisade.controlplane.ike.crypto.Randomness;
import net.palisade.controlplane.ikev1.Ikev1State;
import net.palisade.model.crypto.DhGroup;
import net.palisade.model.wire.ikev2.Ikev2Codec;
import net.palisade.model.IkeTunnel;
import net.palisade.model.config.ConfigParser;
import net.palisade.model.config.ConfigResult;

/**
 * IKE setup-rate load generator ("Palisade initiating"): {@code C} concurrent initiator {@link IkeSession}s, each on
 * its own source address with real UDP sockets on ports 500 and 4500, loop IKE_SA_INIT + IKE_AUTH (with the first
 * Child SA) until the Child SA is installed, then delete the IKE SA (INFORMATIONAL Delete, answered), and again, for
 * a fixed time. Prints setups per second, setup latency percentiles and failures by reason.
 *
 * <p>When the proposal words make the tunnel IKEv1 ({@code main ...}), each initiator is the product's IKEv1 engine
 * ({@link Ikev1Engine}) instead: main mode (6 messages) and one quick mode (3) until the ESP SA pair is installed,
 * then an informational Delete of the ESP SAs and of the ISAKMP SA (IKEv1 deletes are not answered), and again.
 * {@code --settle-ms MS} keeps each new SA up for MS before the Delete (see {@link Options#settle}); the latency
 * does not include it, the rate does.
 *
 * <p>Run it inside the initiating gateway's namespace, with the source addresses already on an interface:
 * <pre>
 *   IkeLoadGenerator --responder 192.0.2.2 --source 192.0.2.100 --concurrency 8 --seconds 20 --warmup 3 \
 *       --psk-file FILE [--proposal "enc aes-128-gcm prf hmac-sha2-256 group curve25519"] [--name strongswan]
 *   IkeLoadGenerator ... --proposal "main enc aes-128 auth hmac-sha2-256 group ecp256 quick enc aes-128-gcm group none"
 * </pre>
 * Initiator {@code i} (from 0) uses source address {@code source + i} and proposes traffic selectors
 * {@code 10.100.i.0/24 -> 10.2.0.0/24}: its tunnel is {@code ike from 10.100.i.0/24 to 10.2.0.0/24 peer RESPONDER
 * PROPOSAL psk ... label bench-i}, parsed and defaulted exactly as a node's configuration is. The PSK is read from a
 * file and never printed.
 *
 * <p>The last line of output is machine-readable: {@code ike-load: name=... setups=N seconds=S rate=R p50_ms=...
 * p99_ms=... failures=... generator_cpu_s=... warmup_setups=... [responder_cpu_s=...]}: the generator's own CPU time
 * during the measured run (it may share cores with the responder) and, with {@code --responder-pid}, the responder's CPU time during the
 * measured run only. Figures are printed, never asserted.
 */
public final class IkeLoadGenerator {
    private static final int NON_ESP_MARKER = 4;
    private static final Duration SETUP_TIMEOUT = Duration.ofSeconds(10);
    private static final Duration DELETE_TIMEOUT = Duration.ofSeconds(5);

    /**
     * What to run.
     *
     * @param name        a name for the responder in the output
     * @param responder   the responder's address (port 500)
     * @param firstSource the first initiator's source address; the others follow it
     * @param concurrency how many initiators run at once
     * @param duration    how long to start new setups
     * @param warmup      how long to run the same loop first without counting
     * @param proposal    config words for the IKE and Child SA proposals
     * @param psk         the pre-shared key
     * @param responderPid the responder's process (same machine), whose CPU time during the measured run is
     *                     reported; 0 for none
     * @param settle      how long an initiator keeps a new SA up (answering the peer) before it deletes it: IKEv1's
     *                    quick mode message 3 is not answered, and a multi-threaded responder (strongSwan) may handle
     *                    a Delete sent right after it first, so that it never installs that ESP SA pair; zero for
     *                    none (IKEv2's responder installs the Child SA before its last message)
     * @param readyKeys   how many X25519 key pairs (private value and public value) the initiators' first
     *                    messages of the measured run take ready-made; 0 for none (see {@link #makeReadyKeys})
     */
    record Options(String name, InetAddress responder, InetAddress firstSource, int concurrency, Duration duration,
            Duration warmup, String proposal, String psk, long responderPid, Duration settle, int readyKeys) {}

    private final Options options;
    private final List<Long> latenciesNanos = new ArrayList<>();
    private final Map<String, LongAdder> failures = new ConcurrentHashMap<>();
    private final LongAdder deleteTimeouts = new LongAdder();
    private final ConcurrentLinkedQueue<KeyExchange> readyKeys = new ConcurrentLinkedQueue<>();
    private final LongAdder readyKeysTaken = new LongAdder();
    private volatile boolean measuring;

    private IkeLoadGenerator(Options options) {
        this.options = options;
    }

    /** Parses the options (see the class description), runs, prints the figures. */
    public static void main(String[] args) throws Exception {
        Options o = parse(args);
        tunnel(o, 0); // fails here, before any thread starts, when the proposal words do not parse
        IkeLoadGenerator g = new IkeLoadGenerator(o);
        System.out.println(g.run());
    }

    private static Options parse(String[] args) throws IOException {
        String name = "responder";
        InetAddress responder = null;
        InetAddress source = null;
        int concurrency = 4;
        int seconds = 10;
        int warmup = 0;
        long responderPid = 0;
        int settleMs = 0;
        Integer readyKeys = null;
        String proposal = "enc aes-128-gcm prf hmac-sha2-256 group curve25519";
        String psk = null;
        for (int i = 0; i < args.length; i++) {
            String v = i + 1 < args.length ? args[i + 1] : null;
            switch (args[i]) {
                case "--name" -> name = v;
                case "--responder" -> responder = InetAddress.ofLiteral(v);
                case "--source" -> source = InetAddress.ofLiteral(v);
                case "--concurrency" -> concurrency = Integer.parseInt(v);
                case "--seconds" -> seconds = Integer.parseInt(v);
                case "--warmup" -> warmup = Integer.parseInt(v);
                case "--responder-pid" -> responderPid = Long.parseLong(v);
                case "--settle-ms" -> settleMs = Integer.parseInt(v);
                case "--ready-keys" -> readyKeys = Integer.parseInt(v);
                case "--proposal" -> proposal = v;
                case "--psk-file" -> psk = Files.readString(Path.of(v), StandardCharsets.UTF_8).strip();
                default -> throw new IllegalArgumentException("unknown option " + args[i]
                        + "; usage: --responder ADDR --source ADDR --psk-file FILE [--concurrency C] [--seconds S]"
                        + " [--warmup S] [--proposal WORDS] [--name NAME] [--responder-pid PID] [--settle-ms MS]"
                        + " [--ready-keys N]");
            }
            i++;
        }
        if (responder == null || source == null || psk == null) {
            throw new IllegalArgumentException("--responder, --source and --psk-file are required");
        }
        // enough for 8,000 setups a second (about twice the fastest responder's rate here; more fall back to
        // keys made as the setup runs, counted in the output)
        int ready = readyKeys != null ? readyKeys : warmup > 0 ? 8_000 * seconds : 0;
        return new Options(name, responder, source, concurrency, Duration.ofSeconds(seconds),
                Duration.ofSeconds(warmup), proposal, psk, responderPid, Duration.ofMillis(settleMs), ready);
    }

    /** The tunnel initiator {@code i} negotiates, from the same config language a node reads. */
    static IkeTunnel tunnel(Options o, int i) {
        String text = "ike from 10.100." + i + ".0/24 to 10.2.0.0/24 peer " + o.responder().getHostAddress() + " "
                + o.proposal() + " psk \"" + o.psk() + "\" label bench-" + i + "\n";
        return parseTunnel(text, "bench");
    }

    /** The one IKE tunnel of config {@code text}, read as the file {@code source}; refused with its errors. */
    static IkeTunnel parseTunnel(String text, String source) {
        ConfigResult r = ConfigParser.parse(text, source);
        if (!r.ok()) {
            throw new IllegalArgumentException(source + " tunnel does not parse: " + r.errors());
        }
        return (IkeTunnel) r.orThrow().tunnels().getFirst();
    }

    /**
     * Makes {@link Options#readyKeys} X25519 key pairs, each private value from the platform's strong random source
     * and its public value computed, for the measured run's first messages: one per setup, none used twice, so the
     * responder sees what it sees without them (a fresh public value every setup). It takes the load generator's
     * public-value computation (about 25 us a setup, Bouncy Castle) out of the measured window: on two vCPUs the
     * generator's CPU is taken from the responder's, whichever responder it is. Runs during the warm-up, on one
     * thread, and is joined before the measured run starts. The agreement with the responder's value stays in the
     * setup (it needs the responder's value).
     */
    private void makeReadyKeys() {
        Randomness random = Randomness.secure();
        for (int i = 0; i < options.readyKeys(); i++) {
            KeyExchange k = KeyExchanges.generate(DhGroup.CURVE25519, random);
            k.publicValue(); // computed now, kept by the key exchange for its one use
            readyKeys.add(k);
        }
    }

    /** The initiators' key exchanges: a ready one in the measured run while there are some, else a new one. */
    private KeyExchange keyExchange(DhGroup group, Randomness random) {
        if (measuring && group == DhGroup.CURVE25519) {
            KeyExchange k = readyKeys.poll();
            if (k != null) {
                readyKeysTaken.increment();
                return k;
            }
        }
        return KeyExchanges.generate(group, random);
    }

    private String run() throws InterruptedException, IOException {
        String warm = "warmup_setups=0";
        Thread maker = null;
        if (options.readyKeys() > 0 && tunnel(options, 0).ikeSa().groups().contains(DhGroup.CURVE25519)) {
            maker = Thread.ofPlatform().name("ready-keys").start(this::makeReadyKeys);
        }
        if (!options.warmup().isZero()) {
            // the same loop, figures thrown away: JIT compilation on both sides, the responder's caches filled
            runPhase(options.warmup());
            synchronized (latenciesNanos) {
                warm = "warmup_setups=" + latenciesNanos.size();
            }
            synchronized (latenciesNanos) {
                latenciesNanos.clear();
            }
            failures.clear();
            deleteTimeouts.reset();
        }
        if (maker != null) {
            maker.join();
        }
        measuring = true;
        double cpu0 = responderCpuSeconds();
        double jit0 = responderJitSeconds();
        String line = runPhase(options.duration());
        measuring = false;
        double cpu = responderCpuSeconds() - cpu0;
        double jit = responderJitSeconds() - jit0;
        return line + " " + warm + " ready_keys_used=" + readyKeysTaken.sum() + (options.responderPid() == 0 ? ""
                : String.format(Locale.ROOT, " responder_cpu_s=%.2f responder_jit_cpu_s=%.2f", cpu, jit));
    }

    /**
     * CPU of the responder's JIT compiler threads (HotSpot names them {@code C1/C2 CompilerThread<n>}), part of
     * responder_cpu_s: while it is large the window measures a JVM still compiling, not its steady state.
     */
    private double responderJitSeconds() throws IOException {
        if (options.responderPid() == 0) {
            return 0;
        }
        long ticks = 0;
        try (var tasks = Files.list(Path.of("/proc/" + options.responderPid() + "/task"))) {
            for (Path task : (Iterable<Path>) tasks::iterator) {
                String stat;
                try {
                    stat = Files.readString(task.resolve("stat"));
                } catch (IOException gone) {
                    continue; // the thread ended meanwhile
                }
                String name = stat.substring(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
                if (name.contains("CompilerThre")) {
                    String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
                    ticks += Long.parseLong(f[11]) + Long.parseLong(f[12]);
                }
            }
        }
        return ticks / 100.0;
    }

    /** utime + stime of the responder process from /proc (in USER_HZ = 1/100 s ticks); 0 without a pid. */
    private double responderCpuSeconds() throws IOException {
        if (options.responderPid() == 0) {
            return 0;
        }
        String stat = Files.readString(Path.of("/proc/" + options.responderPid() + "/stat"));
        String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        return (Long.parseLong(f[11]) + Long.parseLong(f[12])) / 100.0; // fields 14 and 15 of proc(5)
    }

    private String runPhase(Duration duration) throws InterruptedException {
        double ownCpu0 = ownCpuSeconds();
        long start = System.nanoTime();
        long end = start + duration.toNanos();
        List<Thread> threads = new ArrayList<>();
        LongAdder setups = new LongAdder();
        for (int i = 0; i < options.concurrency(); i++) {
            int index = i;
            threads.add(Thread.ofPlatform().name("initiator-" + i).start(() -> initiatorLoop(index, end, setups)));
        }
        for (Thread t : threads) {
            t.join();
        }
        // the rate is over the window itself: a setup still in flight at its end (up to SETUP_TIMEOUT after it)
        // neither counts nor stretches the window, so one late timeout does not dilute the figure
        double seconds = duration.toNanos() / 1e9;
        long inWindow = setups.sum();
        long[] sorted;
        synchronized (latenciesNanos) {
            sorted = latenciesNanos.stream().mapToLong(Long::longValue).sorted().toArray();
        }
        Map<String, Long> failed = new TreeMap<>();
        failures.forEach((k, v) -> failed.put(k, v.sum()));
        String failText = failed.isEmpty() ? "none" : failed.toString().replace(" ", "");
        return String.format(Locale.ROOT,
                "ike-load: name=%s setups=%d seconds=%.1f rate=%.1f p50_ms=%.1f p99_ms=%.1f max_ms=%.1f"
                        + " concurrency=%d failures=%s delete_timeouts=%d generator_cpu_s=%.1f",
                options.name(), inWindow, seconds, inWindow / seconds, pct(sorted, 50), pct(sorted, 99),
                sorted.length == 0 ? 0.0 : sorted[sorted.length - 1] / 1e6, options.concurrency(), failText,
                deleteTimeouts.sum(), ownCpuSeconds() - ownCpu0);
    }

    private static double ownCpuSeconds() {
        return ProcessHandle.current().info().totalCpuDuration().map(d -> d.toMillis() / 1e3).orElse(Double.NaN);
    }

    private static double pct(long[] sorted, int p) {
        if (sorted.length == 0) {
            return 0;
        }
        int i = (int) Math.ceil(p / 100.0 * sorted.length) - 1;
        return sorted[Math.max(0, Math.min(sorted.length - 1, i))] / 1e6;
    }

    private void fail(String reason) {
        failures.computeIfAbsent(reason, k -> new LongAdder()).increment();
    }

    /** One initiator: setups back to back on its own source address until {@code end}. */
    private void initiatorLoop(int index, long end, LongAdder setups) {
        InetAddress source = offset(options.firstSource(), index);
        IkeTunnel tunnel = tunnel(options, index);
        InetSocketAddress remote = new InetSocketAddress(options.responder(), 500);
        IkeEnvironment env = new IkeEnvironment(Clock.systemUTC(), Randomness.secure(), this::keyExchange,
                Ikev2Codec.standard());
        try (Endpoint ep = new Endpoint(source)) {
            while (System.nanoTime() < end) {
                Initiator s = Initiator.of(tunnel, ep.local500, remote, env);
                long t0 = System.nanoTime();
                Outcome up = ep.drive(s, new IkeInput.Start(), SETUP_TIMEOUT, Goal.SETUP);
                if (up.failure() != null) {
                    fail(up.failure());
                    // which IKE SA, so that the responder's log can be searched for it
                    System.err.printf("ike-load: %s from %s, initiator SPI(s) %s%n", up.failure(),
                            source.getHostAddress(), s.initiatorSpis());
                    ep.drain();
                    continue;
                }
                long took = System.nanoTime() - t0;
                synchronized (latenciesNanos) {
                    latenciesNanos.add(took);
                }
                if (System.nanoTime() <= end) {
                    setups.increment();
                }
                if (!options.settle().isZero()) {
                    Outcome quiet = ep.drive(s, null, options.settle(), Goal.QUIET);
                    if (quiet.failure() != null) {
                        fail("after setup: " + quiet.failure());
                    }
                }
                Outcome down = ep.drive(s, new IkeInput.Close(), DELETE_TIMEOUT, Goal.CLOSED);
                if (down.failure() != null) {
                    deleteTimeouts.increment();
                }
            }
        } catch (IOException e) {
            fail("io: " + e.getMessage());
        }
    }

    private static InetAddress offset(InetAddress a, int n) {
        byte[] b = a.getAddress();
        int v = ((b[0] & 0xff) << 24 | (b[1] & 0xff) << 16 | (b[2] & 0xff) << 8 | (b[3] & 0xff)) + n;
        try {
            return InetAddress.getByAddress(new byte[] {(byte) (v >>> 24), (byte) (v >>> 16), (byte) (v >>> 8),
                (byte) v});
        } catch (java.net.UnknownHostException e) {
            throw new IllegalArgumentException(e);
        }
    }

    /** One initiator's engine, IKEv2 or IKEv1, seen through the inputs and outputs both engines share. */
    private interface Initiator {
        /** Handles one input; the outputs in order. */
        List<IkeOutput> handle(IkeInput input);

        /** True once the IKE (ISAKMP) SA is closed. */
        boolean closed();

        /** The initiator SPIs (IKEv1: cookies) so far, in hex, for the responder's log. */
        List<String> initiatorSpis();

        static Initiator of(IkeTunnel tunnel, InetSocketAddress local, InetSocketAddress remote, IkeEnvironment env) {
            if (tunnel.exchange().ikev1()) {
                Ikev1Engine e = Ikev1Engine.initiator(tunnel, local, remote, env, IkeSettings.DEFAULT);
                return new Initiator() {
                    private Ikev1State state = e.state();

                    @Override
                    public List<IkeOutput> handle(IkeInput input) {
                        var step = e.handle(input);
                        state = step.state();
                        return step.outputs();
                    }

                    @Override
                    public boolean closed() {
                        return state == Ikev1State.CLOSED;
                    }

                    @Override
                    public List<String> initiatorSpis() {
                        return e.initiatorCookies().stream().map(Long::toHexString).toList();
                    }
                };
            }
            IkeSession s = IkeSession.initiator(tunnel, local, remote, env);
            return new Initiator() {
                private IkeState state = IkeState.IDLE;

                @Override
                public List<IkeOutput> handle(IkeInput input) {
                    IkeSession.Step step = s.handle(input);
                    state = step.state();
                    return step.outputs();
                }

                @Override
                public boolean closed() {
                    return state == IkeState.CLOSED;
                }

                @Override
                public List<String> initiatorSpis() {
                    return s.initiatorSpis().stream().map(Long::toHexString).toList();
                }
            };
        }
    }

    /** What a drive waits for. */
    private enum Goal {
        /** A Child SA (IKEv1: an ESP SA pair) installed. */
        SETUP,
        /** The IKE (ISAKMP) SA closed. */
        CLOSED,
        /** The timeout, answering the peer meanwhile (a retransmitted message) without anything going down. */
        QUIET
    }

    /**
     * How one drive ended.
     *
     * @param failure null when the goal was reached, else the reason
     */
    private record Outcome(String failure) {}

    /** The two UDP sockets of one initiator and the loop that drives a session over them. */
    private static final class Endpoint implements AutoCloseable {
        final InetSocketAddress local500;
        final InetSocketAddress local4500;
        final DatagramChannel c500;
        final DatagramChannel c4500;
        final Selector selector;
        final ByteBuffer buf = ByteBuffer.allocate(65536);

        Endpoint(InetAddress source) throws IOException {
            local500 = new InetSocketAddress(source, 500);
            local4500 = new InetSocketAddress(source, 4500);
            c500 = DatagramChannel.open(StandardProtocolFamily.INET).bind(local500);
            c4500 = DatagramChannel.open(StandardProtocolFamily.INET).bind(local4500);
            selector = Selector.open();
            for (DatagramChannel c : List.of(c500, c4500)) {
                c.configureBlocking(false);
                c.register(selector, SelectionKey.OP_READ, c);
            }
        }

        /**
         * Feeds {@code first} (if not null), then datagrams and ticks, until the goal: {@link Goal#SETUP} a Child SA
         * installed, {@link Goal#CLOSED} the IKE SA closed (phase 1 down or state CLOSED), {@link Goal#QUIET} the
         * timeout passed with the SA still up.
         */
        Outcome drive(Initiator s, IkeInput first, Duration timeout, Goal goal) throws IOException {
            boolean setup = goal != Goal.CLOSED;
            long deadline = System.nanoTime() + timeout.toNanos();
            Instant timer = null;
            IkeInput input = first;
            while (true) {
                if (input != null) {
                    // every output of the step is carried out before the goal counts: IKEv1's quick mode message 3
                    // may follow the ESP SAs' installation in the same step
                    Outcome done = null;
                    for (IkeOutput o : s.handle(input)) {
                        switch (o) {
                            case IkeOutput.Send send -> send(send);
                            case IkeOutput.SetTimer t -> timer = t.at();
                            case IkeOutput.ChildSaInstalled c -> {
                                if (goal == Goal.SETUP && done == null) {
                                    done = new Outcome(null);
                                }
                            }
                            case IkeOutput.NegotiationFailed f -> {
                                if (done == null) {
                                    done = new Outcome(f.reason().name().toLowerCase(Locale.ROOT));
                                }
                            }
                            case IkeOutput.Phase1Down d -> {
                                if (done == null) {
                                    done = new Outcome(setup ? "phase1-down" : null);
                                }
                            }
                            default -> { }
                        }
                    }
                    if (done != null) {
                        return done;
                    }
                    if (s.closed()) {
                        return new Outcome(setup ? "closed" : null);
                    }
                    input = null;
                }
                long now = System.nanoTime();
                if (now >= deadline) {
                    return new Outcome(goal == Goal.QUIET ? null : "timeout");
                }
                long waitMs = Math.max(1, (deadline - now) / 1_000_000);
                if (timer != null) {
                    long untilTimer = Duration.between(Instant.now(), timer).toMillis();
                    if (untilTimer <= 0) {
                        timer = null;
                        input = new IkeInput.Tick();
                        continue;
                    }
                    waitMs = Math.min(waitMs, untilTimer);
                }
                selector.select(waitMs);
                for (SelectionKey k : selector.selectedKeys()) {
                    DatagramChannel c = (DatagramChannel) k.attachment();
                    IkeInput.Received r = receive(c);
                    if (r != null) {
                        input = r;
                        break;
                    }
                }
                selector.selectedKeys().clear();
                if (input == null && timer != null && !Instant.now().isBefore(timer)) {
                    timer = null;
                    input = new IkeInput.Tick();
                }
            }
        }

        /** One datagram from {@code c} as an input, or null (nothing, ESP, a NAT-T keepalive). */
        private IkeInput.Received receive(DatagramChannel c) throws IOException {
            buf.clear();
            InetSocketAddress from = (InetSocketAddress) c.receive(buf);
            if (from == null) {
                return null;
            }
            buf.flip();
            byte[] d = new byte[buf.remaining()];
            buf.get(d);
            if (c == c4500) {
                if (d.length < NON_ESP_MARKER + 28 || d[0] != 0 || d[1] != 0 || d[2] != 0 || d[3] != 0) {
                    return null;
                }
                return new IkeInput.Received(Arrays.copyOfRange(d, NON_ESP_MARKER, d.length), from, local4500);
            }
            return new IkeInput.Received(d, from, local500);
        }

        private void send(IkeOutput.Send s) throws IOException {
            if (s.from().getPort() == 4500) {
                ByteBuffer b = ByteBuffer.allocate(NON_ESP_MARKER + s.datagram().length);
                b.put(new byte[NON_ESP_MARKER]).put(s.datagram()).flip();
                c4500.send(b, s.to());
            } else {
                c500.send(ByteBuffer.wrap(s.datagram()), s.to());
            }
        }

        /** Throws away whatever is queued (late answers of a failed session). */
        void drain() throws IOException {
            while (receive(c500) != null || receive(c4500) != null) {
                // discard
            }
        }

        @Override
        public void close() throws IOException {
            selector.close();
            c500.close();
            c4500.close();
        }
    }
}
