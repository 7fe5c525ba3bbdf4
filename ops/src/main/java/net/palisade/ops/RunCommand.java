package net.palisade.ops;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import net.palisade.api.ApiServer;
import net.palisade.api.ApiTls;
import net.palisade.api.TokenFile;
import net.palisade.controlplane.ControlPlane;
import net.palisade.controlplane.Node;
import net.palisade.controlplane.RejectedException;
import net.palisade.controlplane.ike.Cookies;
import net.palisade.controlplane.ike.Fragments;
import net.palisade.controlplane.ike.IkeManager;
import net.palisade.controlplane.ike.IkeSettings;
import net.palisade.controlplane.ike.log.IkeMessageLog;
import net.palisade.controlplane.ike.auth.CredentialException;
import net.palisade.dataplane.Dataplane;
import net.palisade.model.config.ConfigResult;
import net.palisade.ops.debug.WiresharkKeys;
import net.palisade.ops.snmp.SnmpTraps;
import org.apache.pekko.http.javadsl.ServerBinding;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code palisade run}: one gateway node — dataplane (TUN device, ESP workers), control plane (cluster node,
 * journal, tunnel entities, config store) and the HTTP API, in that order, stopped in reverse.
 */
@Command(name = "run", description = "Start a gateway node and its HTTP API. Stops on SIGINT/SIGTERM.")
final class RunCommand implements Callable<Integer> {
    private static final Logger log = LoggerFactory.getLogger(RunCommand.class);

    enum DataplaneMode { auto, on, off }

    @Spec CommandSpec spec;

    @Option(names = "--config", paramLabel = "FILE",
            description = "configuration file; committed (author 'file') when its content differs from what it was at the last start"
                    + " (default: /etc/palisade/palisade.conf if it exists)")
    Path config;

    @Option(names = "--data", paramLabel = "DIR",
            description = "data directory: journal, node key, API token (default: /var/lib/palisade as root, else ~/.local/share/palisade)")
    Path data;

    @Option(names = "--api", paramLabel = "HOST:PORT", defaultValue = Defaults.API,
            description = "where the HTTP API listens (default: ${DEFAULT-VALUE})")
    String api;

    @Option(names = "--api-tls-cert", paramLabel = "FILE",
            description = "serve the API over HTTPS (TLS 1.3/1.2) with this PEM certificate chain, the node's first;"
                    + " with --api-tls-key. Both files are read again when they change")
    Path apiTlsCert;

    @Option(names = "--api-tls-key", paramLabel = "FILE",
            description = "the unencrypted PEM private key of --api-tls-cert (keep it mode 0600)")
    Path apiTlsKey;

    @Option(names = "--metrics-public",
            description = "serve /metrics without the API token (for a scraper that cannot send one; the page names"
                    + " every tunnel and its traffic)")
    boolean metricsPublic;

    @Option(names = "--token-file", paramLabel = "FILE",
            description = "bearer token for the API, created with a random token (mode 0600) when missing (default: DIR/api-token)")
    Path tokenFile;

    @Option(names = "--cluster", paramLabel = "HOST:PORT", defaultValue = "127.0.0.1:25520",
            description = "this node's cluster address (default: ${DEFAULT-VALUE})")
    String cluster;

    @Option(names = "--seed", paramLabel = "HOST:PORT", description = "a node of the pair to join, HOST:PORT of its --cluster address (repeatable; give both nodes"
                    + " the same list); needs --journal-url (docs/ha.md)")
    List<String> seeds = new ArrayList<>();

    @Option(names = "--journal-url", paramLabel = "JDBC-URL",
            description = "journal database (default: embedded H2 in DIR); a jdbc:postgresql: URL for a shared journal")
    String journalUrl;

    @Option(names = "--journal-user", paramLabel = "USER")
    String journalUser;

    @Option(names = "--journal-password-file", paramLabel = "FILE", description = "file holding the journal password")
    Path journalPasswordFile;

    @Option(names = "--dataplane", paramLabel = "MODE", defaultValue = "auto",
            description = "auto (on when root), on, off: whether to run the ESP dataplane (needs CAP_NET_ADMIN) (default: ${DEFAULT-VALUE})")
    DataplaneMode dataplaneMode;

    @Option(names = "--tun", paramLabel = "NAME", defaultValue = "pal0", description = "TUN device (default: ${DEFAULT-VALUE})")
    String tun;

    @Option(names = "--workers", paramLabel = "N", defaultValue = "0", description = "ESP workers; 0 = one per CPU (default)")
    int workers;

    @Option(names = "--cpus", paramLabel = "LIST", split = ",",
            description = "CPUs to pin the ESP workers to, e.g. 2,3: worker i on the (i mod count)-th; default CPU i")
    List<Integer> cpus = List.of();

    @Option(names = "--ike-cookie-threshold", paramLabel = "N", defaultValue = "" + Cookies.DEFAULT_THRESHOLD,
            description = "demand IKE cookies (RFC 7296 2.6) while at least N responder IKE SAs are half-open;"
                    + " 0 = always (default: ${DEFAULT-VALUE})")
    int ikeCookieThreshold;

    @Option(names = "--ike-fragment-size", paramLabel = "BYTES", defaultValue = "" + Fragments.DEFAULT_PACKET_LIMIT,
            description = "largest IP packet of an IKE message before it is sent as RFC 7383 fragments,"
                    + " " + Fragments.MIN_PACKET_LIMIT + "-65535 (default: ${DEFAULT-VALUE})")
    int ikeFragmentSize;

    @Option(names = "--snmp-trap", paramLabel = "HOST:PORT",
            description = "send SNMPv2c traps of tunnel changes here (repeatable; docs/mib/PALISADE-MIB.txt)")
    List<String> snmpTraps = new ArrayList<>();

    @Option(names = "--snmp-community-file", paramLabel = "FILE",
            description = "file holding the SNMPv2c community of the traps")
    Path snmpCommunityFile;

    @Option(names = "--snmp-v3-user", paramLabel = "NAME", description = "send SNMPv3 traps (authPriv) as this USM user")
    String snmpV3User;

    @Option(names = "--snmp-v3-secrets-file", paramLabel = "FILE",
            description = "file holding the SNMPv3 authentication passphrase, then the privacy passphrase, a line each")
    Path snmpV3SecretsFile;

    @Option(names = "--wireshark-keys", paramLabel = "DIR",
            description = "debugging only: append the keys of every IKEv2 SA and ESP SA this node negotiates to"
                    + " Wireshark's decryption tables in DIR (WIRESHARK_CONFIG_DIR=DIR tshark -r capture.pcap);"
                    + " whoever reads them can decrypt the tunnels' traffic (docs/security.md). Off by default")
    Path wiresharkKeys;

    /** Largest {@code --ike-cookie-threshold}: far more half-open IKE SAs than a gateway ever holds. */
    static final int MAX_COOKIE_THRESHOLD = 1_000_000;

    @Override
    public Integer call() throws Exception {
        var err = spec.commandLine().getErr();
        Defaults.HostPort listen;
        Defaults.HostPort clusterAt;
        IkeSettings ikeSettings;
        List<java.net.InetSocketAddress> trapReceivers;
        try {
            listen = Defaults.hostPort("--api", api);
            clusterAt = Defaults.hostPort("--cluster", cluster);
            for (String seed : seeds) {
                try {
                    net.palisade.controlplane.Settings.seedAddress(seed);
                } catch (IllegalArgumentException e) {
                    throw new IllegalArgumentException("--seed: " + e.getMessage());
                }
            }
            if (!seeds.isEmpty() && journalUrl == null) {
                // a pair shares one history and one lease: both live in the database the two nodes share
                throw new IllegalArgumentException("--seed: a gateway pair needs a journal both nodes share;"
                        + " give --journal-url jdbc:postgresql://... (the default, embedded H2, is this node's alone)");
            }
            ikeSettings = ikeSettings(ikeFragmentSize);
            checkCookieThreshold(ikeCookieThreshold);
            if (cpus.stream().anyMatch(c -> c < 0)) {
                throw new IllegalArgumentException("--cpus: CPU numbers are 0 or more, not " + cpus);
            }
            trapReceivers = trapReceivers(snmpTraps, snmpCommunityFile, snmpV3User, snmpV3SecretsFile);
        } catch (IllegalArgumentException e) {
            err.println("run: " + e.getMessage());
            return 2;
        }
        Optional<ApiTls> apiTls = Optional.empty();
        if (apiTlsCert != null || apiTlsKey != null) {
            if (apiTlsCert == null || apiTlsKey == null) {
                err.println("run: --api-tls-cert and --api-tls-key go together (the certificate and its key)");
                return 2;
            }
            try {
                apiTls = Optional.of(ApiTls.load(apiTlsCert, apiTlsKey));
            } catch (CredentialException e) {
                err.println("run: API TLS: " + e.getMessage());
                return 2;
            }
        }
        Path dataDir = data != null ? data : Defaults.dataDir();
        Files.createDirectories(dataDir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        Path tokenPath = tokenFile != null ? tokenFile : dataDir.resolve("api-token");
        TokenFile token;
        try {
            token = TokenFile.loadOrCreate(tokenPath);
        } catch (IOException e) {
            err.println("run: " + e.getMessage());
            return 2;
        }

        // Read and check the configuration file before anything starts.
        Optional<Path> configPath = config != null ? Optional.of(config) : Defaults.configFile();
        Optional<String> configText = Optional.empty();
        if (configPath.isPresent()) {
            ConfigResult result = ConfigCommand.load(configPath.get(), err);
            if (!result.ok()) {
                err.printf("run: %s has %d error(s); nothing started%n", configPath.get(), result.errors().size());
                return 1;
            }
            configText = Optional.of(Files.readString(configPath.get(), StandardCharsets.UTF_8));
        }

        boolean root = "root".equals(System.getProperty("user.name"));
        boolean withDataplane = dataplaneMode == DataplaneMode.on || dataplaneMode == DataplaneMode.auto && root;
        if (!withDataplane) {
            log.info("dataplane off{}: tunnels are configured and journaled but carry no traffic",
                    dataplaneMode == DataplaneMode.auto ? " (not root; --dataplane on to insist)" : "");
        }
        IkeMessageLog ikeLog = new IkeMessageLog(java.time.Clock.systemUTC());
        Node.Builder builder = Node.builder(dataDir).dataplane(withDataplane).tunName(tun).workers(workers).cpus(cpus)
                .ike(ikeSettings.withTrace(ikeLog)).cookies(Cookies.standard(ikeCookieThreshold))
                .cluster(clusterAt.host(), clusterAt.port(), seeds);
        if (journalUrl != null) {
            try {
                builder.journal(JournalOptions.postgres(journalUrl, journalUser, journalPasswordFile));
            } catch (IllegalArgumentException e) {
                err.println("run: " + e.getMessage());
                return 2;
            }
        }
        Optional<WiresharkKeys> keyTables = Optional.empty();
        if (wiresharkKeys != null) {
            try {
                keyTables = Optional.of(WiresharkKeys.open(wiresharkKeys));
            } catch (IOException e) {
                err.println("run: --wireshark-keys: cannot write to " + wiresharkKeys + ": " + e.getMessage());
                return 2;
            }
            builder.keyLog(keyTables.get());
            log.warn("WARNING: --wireshark-keys {}: the keys of every IKEv2 SA and ESP SA this node negotiates are"
                    + " written there; whoever reads those files can decrypt the tunnels' traffic. For debugging"
                    + " only: remove the option and the files when done", wiresharkKeys.toAbsolutePath());
        }
        Node running;
        try {
            running = builder.start();
        } catch (Node.StartException e) {
            err.println(switch (e.part()) {
                case DATAPLANE -> "run: the dataplane did not start: " + e.getMessage()
                        + (root ? "" : " (it needs root or CAP_NET_ADMIN; --dataplane off runs without it)");
                case CONTROL_PLANE -> "run: the control plane did not start: " + rootMessage(e.getCause());
            });
            return 2;
        }
        if (running.ike().isPresent()) {
            log.info("IKE: cookies demanded from {} half-open IKE SA(s) on, fragments above {}-byte packets",
                    ikeCookieThreshold, ikeFragmentSize);
        }
        ControlPlane node = running.controlPlane();
        Optional<Dataplane> dataplane = running.dataplane();
        if (!trapReceivers.isEmpty()) {
            try {
                long started = System.currentTimeMillis();
                SnmpTraps.Security security;
                if (snmpV3User != null) {
                    byte[] engineId = SnmpTraps.engineId(net.palisade.controlplane.ike.SystemHostName.get());
                    security = SnmpTraps.v3(snmpV3User, snmpV3SecretsFile, engineId);
                    log.info("SNMPv3 engine ID 0x{} (the receiver's createUser -e needs it)",
                            java.util.HexFormat.of().formatHex(engineId));
                } else {
                    security = new SnmpTraps.Security.V2c(SnmpTraps.community(snmpCommunityFile));
                }
                new SnmpTraps(trapReceivers, security, () -> System.currentTimeMillis() - started).follow(node);
            } catch (IOException | IllegalArgumentException e) {
                err.println("run: SNMP traps: " + e.getMessage());
                running.close();
                return 2;
            }
        }

        CountDownLatch stopped = new CountDownLatch(1);
        AtomicBoolean ready = new AtomicBoolean(false);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            log.info("stopping");
            running.close();
            stopped.countDown();
        }, "palisade-shutdown"));

        if (configText.isPresent()) {
            try {
                var rev = node.loadFile(configText.get(), configPath.get().toString()).toCompletableFuture().get(60, TimeUnit.SECONDS);
                log.info("configuration {}: running revision {} ({} tunnel(s))", configPath.get(), rev.id(), rev.tunnels());
            } catch (Exception e) {
                err.println("run: " + configPath.get() + " was not applied: " + rootMessage(e));
                System.exit(1);
            }
        } else {
            log.info("no configuration file given and {} does not exist: running the journal's last configuration", Defaults.SYSTEM_CONFIG);
        }

        ServerBinding binding;
        try {
            ApiServer server = new ApiServer(token, node, () -> dataplane.map(Dataplane::counters), ready::get);
            apiTls.ifPresent(server::tls);
            dataplane.ifPresent(d -> server.captures(net.palisade.dataplane.capture.Captures.of(d)));
            running.ike().ifPresent(i -> server.ikeLog(ikeLog).ikeHalfOpen(i::halfOpen));
            binding = server
                    .metricsPublic(metricsPublic)
                    .ikeCounters(() -> running.ike().map(IkeManager::counters).orElse(Map.of()))
                    .bind(node.system(), listen.host(), listen.port())
                    .toCompletableFuture().get(30, TimeUnit.SECONDS);
        } catch (Exception e) {
            err.println("run: cannot listen on " + api + ": " + rootMessage(e));
            System.exit(2);
            return 2;
        }
        ready.set(true);
        if (apiTls.isEmpty() && !binding.localAddress().getAddress().isLoopbackAddress()) {
            log.warn("the API listens on {} without TLS: its bearer token and every answer cross the network in clear;"
                    + " give it --api-tls-cert/--api-tls-key, or keep --api on loopback and reach it through SSH",
                    binding.localAddress());
        }
        log.info("node {} up: API {}://{}:{} (token in {}), data in {}, dataplane {}", node.nodeName(),
                apiTls.isPresent() ? "https" : "http",
                binding.localAddress().getHostString(), binding.localAddress().getPort(), tokenPath, dataDir,
                dataplane.map(d -> "on " + d.tunName() + " with " + d.workers().size() + " worker(s)").orElse("off"));
        node.system().getWhenTerminated().toCompletableFuture().join();
        stopped.await(30, TimeUnit.SECONDS);
        return 0;
    }

    /** The default IKE settings with {@code --ike-fragment-size}; refuses a size out of range. */
    static IkeSettings ikeSettings(int fragmentSize) {
        if (fragmentSize < Fragments.MIN_PACKET_LIMIT || fragmentSize > 65_535) {
            throw new IllegalArgumentException("--ike-fragment-size: must be " + Fragments.MIN_PACKET_LIMIT
                    + "-65535 bytes (the largest IP packet of an IKE fragment), not " + fragmentSize);
        }
        return IkeSettings.DEFAULT.withFragmentPacketLimit(fragmentSize);
    }

    /**
     * The trap receivers of {@code --snmp-trap}; with them a community file (v2c) or a v3 user and secrets file,
     * exactly one of the two; neither without them.
     */
    static List<java.net.InetSocketAddress> trapReceivers(List<String> traps, Path communityFile, String v3User,
            Path v3Secrets) {
        if ((v3User == null) != (v3Secrets == null)) {
            throw new IllegalArgumentException("--snmp-v3-user and --snmp-v3-secrets-file go together");
        }
        boolean v3 = v3User != null;
        if (traps.isEmpty() && (communityFile != null || v3)) {
            throw new IllegalArgumentException((v3 ? "--snmp-v3-user" : "--snmp-community-file")
                    + ": without --snmp-trap there is nothing to send");
        }
        if (!traps.isEmpty() && (communityFile == null) == !v3) {
            throw new IllegalArgumentException(v3 ? "--snmp-trap: give --snmp-community-file (v2c) or --snmp-v3-user"
                    + " (v3), not both" : "--snmp-trap: needs --snmp-community-file FILE (v2c) or --snmp-v3-user NAME"
                    + " --snmp-v3-secrets-file FILE (v3); secrets never on the command line");
        }
        return traps.stream().map(t -> {
            Defaults.HostPort hp = Defaults.hostPort("--snmp-trap", t);
            return new java.net.InetSocketAddress(hp.host(), hp.port());
        }).peek(a -> {
            if (a.isUnresolved()) {
                throw new IllegalArgumentException("--snmp-trap: cannot resolve " + a.getHostString());
            }
        }).toList();
    }

    /** Refuses an {@code --ike-cookie-threshold} out of range. */
    static void checkCookieThreshold(int threshold) {
        if (threshold < 0 || threshold > MAX_COOKIE_THRESHOLD) {
            throw new IllegalArgumentException("--ike-cookie-threshold: must be 0-" + MAX_COOKIE_THRESHOLD
                    + " half-open IKE SAs (0 = always demand a cookie), not " + threshold);
        }
    }

    private static String rootMessage(Throwable e) {
        Throwable t = e;
        while (t.getCause() != null && (t instanceof java.util.concurrent.ExecutionException
                || t instanceof java.util.concurrent.CompletionException)) {
            t = t.getCause();
        }
        if (t instanceof RejectedException r && !r.diagnostics().isEmpty()) {
            return r.getMessage() + ": " + r.diagnostics();
        }
        return t.getMessage();
    }
}
