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
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;
import net.palisade.controlplane.ike.Fragments;
import net.palisade.controlplane.ike.IkeEnvironment;
import net.palisade.controlplane.ike.IkeInput;
import net.palisade.controlplane.ike.IkeOutput;
import net.palisade.controlplane.ike.IkeSession;
import net.palisade.controlplane.ike.IkeSettings;
import net.palisade.controlplane.ike.IkeState;
import net.palisade.model.IkeTunnel;

/**
 * The spokes of a hub ({@code ops/bench/ike-hub.sh}): N long-lived IKEv2 initiators, each the product's
 * {@link IkeSession} on its own source address with its own UDP sockets on ports 500 and 4500, driven by a few event
 * loop threads (one {@link Selector} each) instead of a thread per peer. Every initiator brings its IKE SA and first
 * Child SA up once and then keeps it: it answers the hub's liveness checks and sends its own ({@code dpd}); when its
 * IKE SA goes (the hub restarted and its liveness check went unanswered, a Delete, a failed setup) it negotiates
 * again after {@code --retry-ms}. At most {@code --window} setups are in flight at once (over all threads), as a
 * hub's spokes come up at their own pace rather than all in one millisecond.
 *
 * <pre>
 *   IkeHubGenerator --responder 192.0.2.2 --source 10.200.0.1 --peers 10000 --psk-file FILE \
 *       [--threads 2] [--window 64] [--dpd 10] [--retry-ms 2000] [--proposal WORDS] [--mark-file F] [--name N]
 * </pre>
 * Peer {@code i} (from 0) uses source address {@code source + i} (the addresses must be local: an AnyIP route such
 * as {@code ip route add local 10.200.0.0/16 dev lo} makes a whole range bindable) and negotiates
 * {@code ike from SITE(i) to 10.2.0.0/24 peer RESPONDER PROPOSAL dpd D psk ... label hub-i}, parsed as a node
 * parses its configuration; {@code SITE(i)} is {@link #site}. The PSK is read from a file and never printed.
 * Initiators retransmit after 1, 2 and 4 s (RFC 7296 leaves the schedule to the implementation), so a hub that
 * went away is noticed about {@code dpd + 7} s after its last message.
 *
 * <p>Output, one line a second: {@code ike-hub: at=EPOCH_MS up=U fresh=F setups=S downs=D inflight=I
 * failures={reason=n,...}} where {@code up} counts initiators holding an IKE SA with its Child SA and {@code fresh}
 * those of them whose SA came up after the mark: the generator's start, or the epoch milliseconds last written to
 * {@code --mark-file} (read every second; the script writes the instant it killed the hub). The first time
 * {@code fresh} reaches N after a mark it prints {@code ike-hub: all-up at=EPOCH_MS after_mark_s=X
 * first_after_mark_s=Y} (Y: when the first of them came up). It runs until
 * killed. Figures are printed, never asserted.
 */
public final class IkeHubGenerator {
    private static final int NON_ESP_MARKER = 4;
    /** A setup not finished by then is abandoned (the engine's own retransmissions end sooner). */
    private static final long SETUP_GIVE_UP_MS = 30_000;
    private static final List<Duration> RETRANSMIT = List.of(Duration.ofSeconds(1), Duration.ofSeconds(2),
            Duration.ofSeconds(4));

    /**
     * What to run.
     *
     * @param name        a name for the responder in the output
     * @param responder   the hub's address (port 500)
     * @param firstSource the first peer's source address; the others follow it
     * @param firstIndex  the index of this process's first peer (several processes share the peers when one may not
     *                    open two sockets for each)
     * @param peers       how many peers (initiators) from {@code firstIndex}; all of them below {@value #MAX_PEERS}
     * @param threads     event loop threads; peer {@code i} belongs to thread {@code i % threads}
     * @param window      setups in flight at most, over all threads
     * @param dpd         the peers' own liveness check interval
     * @param retryMs     pause before a peer negotiates again after its IKE SA went or its setup failed
     * @param proposal    config words for the IKE and Child SA proposals
     * @param psk         the pre-shared key
     * @param markFile    where the script writes the instant (epoch ms) from which {@code fresh} counts; may be null
     * @param traffic     what to send through the first peers' tunnels once all are up
     */
    record Options(String name, InetAddress responder, InetAddress firstSource, int firstIndex, int peers, int threads,
            int window,
            int dpd, long retryMs, String proposal, String psk, Path markFile, Traffic traffic) {}

    /**
     * Echoes through the tunnels of this process's first {@code peers} peers ({@link SpokeTraffic}), {@code after} seconds after
     * every peer first came up, for {@code seconds}, {@code pps} echoes a second per peer of {@code payload} octets,
     * to {@code target} (a host behind the hub). No traffic when {@code peers} is 0.
     */
    record Traffic(int peers, int pps, int payload, int after, int seconds, InetAddress target) {}

    /** Peer networks are carved from 10.100.0.0 .. 10.239.255.0 in /24s. */
    static final int MAX_PEERS = 140 * 256;

    private final Options options;
    private final Map<String, LongAdder> failures = new ConcurrentHashMap<>();
    private final LongAdder setups = new LongAdder();
    private final LongAdder downs = new LongAdder();
    private final List<Loop> loops = new ArrayList<>();
    private final SpokeTraffic.Totals trafficTotals = new SpokeTraffic.Totals();

    private IkeHubGenerator(Options options) {
        this.options = options;
    }

    /** Parses the options (see the class description) and runs until killed. */
    public static void main(String[] args) throws Exception {
        Options o = parse(args);
        tunnel(o, o.firstIndex()); // fails here, before any socket is opened, when the proposal words do not parse
        new IkeHubGenerator(o).run();
    }

    private static Options parse(String[] args) throws IOException {
        String name = "hub";
        InetAddress responder = null;
        InetAddress source = null;
        int peers = 1000;
        int firstIndex = 0;
        int threads = 2;
        int window = 64;
        int dpd = 10;
        long retryMs = 2000;
        String proposal = "enc aes-128-gcm prf hmac-sha2-256 group curve25519";
        String psk = null;
        Path mark = null;
        int trafficPeers = 0;
        int pps = 20;
        int payload = 56;
        int after = 5;
        int trafficSeconds = 30;
        InetAddress target = InetAddress.ofLiteral("10.2.0.10");
        for (int i = 0; i < args.length; i++) {
            String v = i + 1 < args.length ? args[i + 1] : null;
            switch (args[i]) {
                case "--name" -> name = v;
                case "--responder" -> responder = InetAddress.ofLiteral(v);
                case "--source" -> source = InetAddress.ofLiteral(v);
                case "--peers" -> peers = Integer.parseInt(v);
                case "--first-index" -> firstIndex = Integer.parseInt(v);
                case "--threads" -> threads = Integer.parseInt(v);
                case "--window" -> window = Integer.parseInt(v);
                case "--dpd" -> dpd = Integer.parseInt(v);
                case "--retry-ms" -> retryMs = Long.parseLong(v);
                case "--proposal" -> proposal = v;
                case "--psk-file" -> psk = Files.readString(Path.of(v), StandardCharsets.UTF_8).strip();
                case "--mark-file" -> mark = Path.of(v);
                case "--traffic" -> trafficPeers = Integer.parseInt(v);
                case "--traffic-pps" -> pps = Integer.parseInt(v);
                case "--traffic-payload" -> payload = Integer.parseInt(v);
                case "--traffic-after" -> after = Integer.parseInt(v);
                case "--traffic-seconds" -> trafficSeconds = Integer.parseInt(v);
                case "--traffic-target" -> target = InetAddress.ofLiteral(v);
                default -> throw new IllegalArgumentException("unknown option " + args[i]
                        + "; usage: --responder ADDR --source ADDR --psk-file FILE [--peers N] [--first-index I]"
                        + " [--threads T]"
                        + " [--window W] [--dpd S] [--retry-ms MS] [--proposal WORDS] [--mark-file F] [--name N]"
                        + " [--traffic K [--traffic-pps R] [--traffic-payload B] [--traffic-after S]"
                        + " [--traffic-seconds S] [--traffic-target ADDR]]");
            }
            i++;
        }
        if (responder == null || source == null || psk == null) {
            throw new IllegalArgumentException("--responder, --source and --psk-file are required");
        }
        if (peers < 1 || firstIndex < 0 || firstIndex + peers > MAX_PEERS || threads < 1 || window < threads || dpd < 1 || retryMs < 0
                || trafficPeers < 0 || trafficPeers > peers || pps < 1 || pps > 10_000 || payload < 8
                || payload > 1400 || after < 0 || trafficSeconds < 1) {
            throw new IllegalArgumentException("--first-index + --peers up to " + MAX_PEERS + ", --peers >= 1,"
                    + " --threads >= 1, --window >= threads,"
                    + " --dpd >= 1, --retry-ms >= 0, --traffic 0..peers, --traffic-pps 1..10000,"
                    + " --traffic-payload 8..1400, --traffic-after >= 0, --traffic-seconds >= 1");
        }
        return new Options(name, responder, source, firstIndex, peers, threads, window, dpd, retryMs, proposal, psk, mark,
                new Traffic(trafficPeers, pps, payload, after, trafficSeconds, target));
    }

    /** Peer {@code i}'s own network: 10.(100 + i / 256).(i % 256).0/24. */
    static String site(int i) {
        return "10." + (100 + i / 256) + "." + (i % 256) + ".0/24";
    }

    /** The first address of peer {@code i}'s network: the source of its echoes. */
    static InetAddress siteHost(int i) {
        return InetAddress.ofLiteral("10." + (100 + i / 256) + "." + (i % 256) + ".1");
    }

    /** The tunnel peer {@code i} negotiates, from the same config language a node reads. */
    static IkeTunnel tunnel(Options o, int i) {
        String text = "ike from " + site(i) + " to 10.2.0.0/24 peer " + o.responder().getHostAddress() + " "
                + o.proposal() + " psk \"" + o.psk() + "\" dpd " + o.dpd() + " label hub-" + i + "\n";
        return IkeLoadGenerator.parseTunnel(text, "hub");
    }

    private void run() throws Exception {
        long start = System.currentTimeMillis();
        for (int t = 0; t < options.threads(); t++) {
            loops.add(new Loop(options.window() / options.threads()));
        }
        List<Peer> all = new ArrayList<>();
        for (int k = 0; k < options.peers(); k++) {
            int i = options.firstIndex() + k;
            Peer p = new Peer(i, tunnel(options, i), offset(options.firstSource(), i));
            if (k < options.traffic().peers()) {
                p.traffic = new SpokeTraffic(trafficTotals, siteHost(i), options.traffic().target(), i,
                        options.traffic().payload());
            }
            all.add(p);
            loops.get(k % options.threads()).add(p);
        }
        System.out.printf(Locale.ROOT, "ike-hub: name=%s peers=%d threads=%d window=%d dpd=%d sockets open at=%d%n",
                options.name(), options.peers(), options.threads(), options.window(), options.dpd(),
                System.currentTimeMillis());
        for (int t = 0; t < loops.size(); t++) {
            Thread.ofPlatform().name("hub-loop-" + t).daemon(true).start(loops.get(t));
        }
        long mark = start;
        boolean reported = false;
        long trafficEnd = 0;
        boolean trafficReported = options.traffic().peers() == 0;
        while (true) {
            Thread.sleep(1000);
            long m = readMark(mark);
            if (m != mark) {
                mark = m;
                reported = false;
            }
            int up = 0;
            int fresh = 0;
            long firstFresh = Long.MAX_VALUE;
            for (Peer p : all) {
                long since = p.upSince;
                if (since != 0) {
                    up++;
                    if (since >= mark) {
                        fresh++;
                        firstFresh = Math.min(firstFresh, since);
                    }
                }
            }
            int inflight = loops.stream().mapToInt(l -> l.inflight).sum();
            long now = System.currentTimeMillis();
            Map<String, Long> failed = new TreeMap<>();
            failures.forEach((k, v) -> failed.put(k, v.sum()));
            System.out.printf(Locale.ROOT, "ike-hub: at=%d up=%d fresh=%d setups=%d downs=%d inflight=%d failures=%s%n",
                    now, up, fresh, setups.sum(), downs.sum(), inflight,
                    failed.isEmpty() ? "none" : failed.toString().replace(" ", ""));
            if (!reported && fresh == options.peers()) {
                long last = all.stream().mapToLong(p -> p.upSince).max().orElse(now);
                // the first of them says when the peers began to come back (after a restart: when their DPD noticed)
                System.out.printf(Locale.ROOT, "ike-hub: all-up at=%d after_mark_s=%.1f first_after_mark_s=%.1f%n",
                        last, (last - mark) / 1e3, (firstFresh - mark) / 1e3);
                reported = true;
                if (!trafficReported && trafficEnd == 0) {
                    long from = now + options.traffic().after() * 1000L;
                    trafficEnd = from + options.traffic().seconds() * 1000L;
                    for (Loop l : loops) {
                        l.traffic(from, trafficEnd);
                    }
                    System.out.printf(Locale.ROOT, "ike-hub: traffic through %d tunnels from at=%d for %d s%n",
                            options.traffic().peers(), from, options.traffic().seconds());
                }
            }
            if (!trafficReported && trafficEnd != 0 && now > trafficEnd + 2000) {
                System.out.println(trafficTotals.line(options.traffic().seconds()));
                trafficReported = true;
            }
            System.out.flush();
        }
    }

    /** The mark in the mark file, or {@code current} when there is none (yet). */
    private long readMark(long current) throws IOException {
        if (options.markFile() == null) {
            return current;
        }
        try {
            String s = Files.readString(options.markFile()).strip();
            return s.isEmpty() ? current : Long.parseLong(s);
        } catch (NoSuchFileException | NumberFormatException e) {
            return current;
        }
    }

    private void fail(String reason) {
        failures.computeIfAbsent(reason, k -> new LongAdder()).increment();
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

    /** One spoke: its sockets, its current session, and where it stands. */
    private static final class Peer {
        final int index;
        final IkeTunnel tunnel;
        final InetAddress source;
        DatagramChannel c500;
        DatagramChannel c4500;
        InetSocketAddress local500;
        InetSocketAddress local4500;
        IkeSession session;
        /** A setup is running (counted in the loop's in-flight window). */
        boolean setting;
        long setupStarted;
        /** Epoch ms the current IKE SA's Child SA came up; 0 while there is none. Read by the progress thread. */
        volatile long upSince;
        /** Increments with every timer set, so that a superseded timer entry is skipped. */
        long timerSeq;
        /** The epoch ms of the current timer entry. */
        long timerAt;
        /** Echoes through this peer's tunnel, or null for a peer without traffic. */
        SpokeTraffic traffic;
        /** Echoes sent in the current traffic window. */
        long echoes;

        Peer(int index, IkeTunnel tunnel, InetAddress source) {
            this.index = index;
            this.tunnel = tunnel;
            this.source = source;
        }
    }

    /** A session timer, or a start that waits for its retry pause ({@code seq} -1). */
    private record Timer(long at, Peer peer, long seq) {}

    /** One event loop: its peers' sockets on one selector, their timers, its share of the in-flight window. */
    private final class Loop implements Runnable {
        private final Selector selector;
        private final int window;
        private final List<Peer> peers = new ArrayList<>();
        private final ArrayDeque<Peer> ready = new ArrayDeque<>();
        private final PriorityQueue<Timer> timers = new PriorityQueue<>((a, b) -> Long.compare(a.at(), b.at()));
        private final IkeEnvironment env = IkeEnvironment.standard(Clock.systemUTC());
        /** Encapsulation forced: the traffic is ESP in UDP (strongSwan's kernel-libipsec speaks nothing else). */
        private final IkeSettings settings = new IkeSettings(true, RETRANSMIT, Fragments.DEFAULT_PACKET_LIMIT);
        private final List<Peer> sending = new ArrayList<>();
        private volatile long trafficFrom;
        private volatile long trafficTo;
        private final ByteBuffer buf = ByteBuffer.allocate(65536);
        volatile int inflight;
        private long lastSweep;

        Loop(int window) throws IOException {
            this.selector = Selector.open();
            this.window = window;
        }

        /** Opens {@code p}'s sockets on this loop's selector and queues its first setup. */
        void add(Peer p) throws IOException {
            p.local500 = new InetSocketAddress(p.source, 500);
            p.local4500 = new InetSocketAddress(p.source, 4500);
            p.c500 = DatagramChannel.open(StandardProtocolFamily.INET).bind(p.local500);
            p.c4500 = DatagramChannel.open(StandardProtocolFamily.INET).bind(p.local4500);
            for (DatagramChannel c : List.of(p.c500, p.c4500)) {
                c.configureBlocking(false);
                c.register(selector, SelectionKey.OP_READ, p);
            }
            peers.add(p);
            ready.add(p);
            if (p.traffic != null) {
                sending.add(p);
            }
        }

        /** Sends the peers' echoes from {@code from} to {@code to} (epoch ms). */
        void traffic(long from, long to) {
            trafficTo = to;
            trafficFrom = from;
        }

        /** Each sending peer's echoes due by {@code now}; the time until the next is due (ms), or 1000. */
        private long sendEchoes(long now) throws IOException {
            long from = trafficFrom;
            if (from == 0 || now < from) {
                return from == 0 ? 1000 : from - now;
            }
            if (now >= trafficTo) {
                return 1000;
            }
            long due = (now - from) * options.traffic().pps() / 1000;
            for (Peer p : sending) {
                while (p.echoes < due) {
                    p.echoes++;
                    ByteBuffer packet = p.traffic.echo();
                    if (packet != null) {
                        p.c4500.send(packet, new InetSocketAddress(options.responder(), 4500));
                    }
                }
            }
            return Math.max(1, 1000 / options.traffic().pps());
        }

        @Override
        public void run() {
            try {
                while (true) {
                    long now = System.currentTimeMillis();
                    while (inflight < window && !ready.isEmpty()) {
                        start(ready.poll(), now);
                    }
                    long wait = sending.isEmpty() ? 1000 : sendEchoes(now);
                    Timer next = timers.peek();
                    if (next != null) {
                        wait = Math.min(wait, next.at() - now);
                    }
                    wait = Math.max(1, wait);
                    selector.select(wait);
                    for (SelectionKey k : selector.selectedKeys()) {
                        Peer p = (Peer) k.attachment();
                        DatagramChannel c = (DatagramChannel) k.channel();
                        IkeInput.Received r;
                        while ((r = receive(p, c)) != null) {
                            handle(p, r);
                        }
                    }
                    selector.selectedKeys().clear();
                    now = System.currentTimeMillis();
                    while (!timers.isEmpty() && timers.peek().at() <= now) {
                        Timer t = timers.poll();
                        if (t.seq() == -1) {
                            ready.add(t.peer());
                        } else if (t.seq() == t.peer().timerSeq && t.peer().session != null) {
                            handle(t.peer(), new IkeInput.Tick());
                        }
                    }
                    if (now - lastSweep >= 1000) {
                        lastSweep = now;
                        giveUpStuck(now);
                    }
                }
            } catch (IOException e) {
                fail("io: " + e.getMessage());
                e.printStackTrace();
            }
        }

        /** A new session for {@code p}: IKE_SA_INIT goes out now. */
        private void start(Peer p, long now) throws IOException {
            p.session = IkeSession.initiator(p.tunnel, p.local500, new InetSocketAddress(options.responder(), 500),
                    env, settings);
            p.setting = true;
            p.setupStarted = now;
            inflight++;
            handle(p, new IkeInput.Start());
        }

        /** Setups that neither finished nor failed in {@link #SETUP_GIVE_UP_MS} are abandoned and retried. */
        private void giveUpStuck(long now) {
            for (Peer p : peers) {
                if (p.setting && now - p.setupStarted > SETUP_GIVE_UP_MS) {
                    fail("setup-stuck");
                    ended(p, now);
                }
            }
        }

        private void handle(Peer p, IkeInput input) throws IOException {
            IkeSession s = p.session;
            if (s == null) {
                return; // a late datagram for a session already ended: its retry starts a new one
            }
            IkeSession.Step step = s.handle(input);
            long now = System.currentTimeMillis();
            boolean down = false;
            boolean failed = false;
            for (IkeOutput o : step.outputs()) {
                switch (o) {
                    case IkeOutput.Send send -> send(p, send);
                    case IkeOutput.ChildSaInstalled c -> {
                        if (p.traffic != null && !p.traffic.installed(c)) {
                            fail("traffic-needs-udp-encapsulation");
                        }
                        c.wipeKeys();
                        if (p.setting) {
                            p.setting = false;
                            inflight--;
                            p.upSince = now;
                            setups.increment();
                        }
                    }
                    case IkeOutput.NegotiationFailed f -> {
                        failed = true;
                        fail(f.reason().name().toLowerCase(Locale.ROOT));
                    }
                    case IkeOutput.Phase1Down d -> down = true;
                    default -> { }
                }
            }
            if (s == p.session && (down || step.state() == IkeState.CLOSED)) {
                if (p.upSince != 0) {
                    downs.increment();
                } else if (!down && !failed) {
                    fail("closed-in-setup");
                }
                ended(p, now);
                return;
            }
            // the session's own deadline, rounded up to the millisecond: a Tick a little before it would find nothing
            // due, and the engine announces an unchanged deadline only once (SetTimer)
            var next = s.nextTimer();
            if (next.isPresent()) {
                long at = next.get().getEpochSecond() * 1000 + (next.get().getNano() + 999_999) / 1_000_000;
                if (at <= now && input instanceof IkeInput.Tick) {
                    at = now + 50; // a deadline the engine keeps in the past (waiting on something else): no spinning
                }
                if (at != p.timerAt || input instanceof IkeInput.Tick) {
                    p.timerAt = at;
                    p.timerSeq++;
                    timers.add(new Timer(at, p, p.timerSeq));
                }
            }
        }

        /** {@code p}'s session is over: it negotiates again after the retry pause. */
        private void ended(Peer p, long now) {
            if (p.setting) {
                p.setting = false;
                inflight--;
            }
            p.upSince = 0;
            p.session = null;
            if (p.traffic != null) {
                p.traffic.down();
            }
            p.timerSeq++;
            p.timerAt = 0;
            timers.add(new Timer(now + options.retryMs(), p, -1));
        }

        /** One datagram from {@code c} as an input, or null when nothing is queued; ESP and keepalives skipped. */
        private IkeInput.Received receive(Peer p, DatagramChannel c) throws IOException {
            while (true) {
                buf.clear();
                InetSocketAddress from = (InetSocketAddress) c.receive(buf);
                if (from == null) {
                    return null;
                }
                buf.flip();
                byte[] d = new byte[buf.remaining()];
                buf.get(d);
                if (c == p.c4500) {
                    boolean esp = d.length >= 8 && (d[0] != 0 || d[1] != 0 || d[2] != 0 || d[3] != 0);
                    if (esp && p.traffic != null) {
                        p.traffic.inbound(d);
                    }
                    if (esp || d.length < NON_ESP_MARKER + 28) {
                        continue;
                    }
                    return new IkeInput.Received(Arrays.copyOfRange(d, NON_ESP_MARKER, d.length), from, p.local4500);
                }
                return new IkeInput.Received(d, from, p.local500);
            }
        }

        private void send(Peer p, IkeOutput.Send s) throws IOException {
            if (s.from().getPort() == 4500) {
                ByteBuffer b = ByteBuffer.allocate(NON_ESP_MARKER + s.datagram().length);
                b.put(new byte[NON_ESP_MARKER]).put(s.datagram()).flip();
                p.c4500.send(b, s.to());
            } else {
                p.c500.send(ByteBuffer.wrap(s.datagram()), s.to());
            }
        }
    }
}
