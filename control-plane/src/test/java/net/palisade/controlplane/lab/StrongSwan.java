package net.palisade.controlplane.lab;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.UnaryOperator;

/**
 * One Debian strongSwan daemon (charon) in a namespace of the lab, configured in a folder of its own by
 * {@code ops/lab/strongswan.sh}: made by {@link #psk}, {@link #cert} or {@link #ikev1Psk} (which also turn on
 * {@code flush_line}, so the log can be read while charon runs), adjusted with {@link #editConf} and
 * {@link #editSwanctl}, then {@link #start()}ed; {@link #close()} stops it. Its log is the judge of what crossed
 * the wire.
 */
public final class StrongSwan implements AutoCloseable {
    private final String namespace;
    private final Path dir;

    private StrongSwan(String namespace, Path dir) {
        this.namespace = namespace;
        this.dir = dir;
    }

    /**
     * A PSK site-to-site configuration ({@code strongswan.sh conf}): connection "lab", child "net",
     * {@code encap = yes}, log level 2 for {@code ike}.
     *
     * @param namespace where charon will run, e.g. {@code PREFIX + "-gwb"}
     * @param dir the folder for its configuration, sockets and log
     * @param local its own address
     * @param remote the peer's address
     * @param localTs its networks (comma-separated)
     * @param remoteTs the peer's networks (comma-separated)
     * @param psk the pre-shared key
     * @param proposals none, or the IKE proposal and then the ESP proposal
     * @return the configured, not yet started daemon
     * @throws Exception when the script fails
     */
    public static StrongSwan psk(String namespace, Path dir, String local, String remote, String localTs,
            String remoteTs, String psk, String... proposals) throws Exception {
        return configured(namespace, dir, List.of("conf", dir.toString(), local, remote, localTs, remoteTs, psk),
                proposals);
    }

    /**
     * An IKEv1 PSK site-to-site configuration ({@code strongswan.sh conf-v1}): connection "lab", child "net",
     * {@code version = 1}, {@code encap = yes}, main mode unless {@code options} say otherwise.
     *
     * @param namespace where charon will run
     * @param dir the folder for its configuration, sockets and log
     * @param local its own address
     * @param remote the peer's address, or {@code %any}: a responder for any peer and any ID
     * @param localTs its networks (comma-separated)
     * @param remoteTs the peer's networks (comma-separated)
     * @param psk the pre-shared key
     * @param options what differs from the defaults (see {@link Ikev1})
     * @return the configured, not yet started daemon
     * @throws Exception when the script fails (e.g. a value it refuses)
     */
    public static StrongSwan ikev1Psk(String namespace, Path dir, String local, String remote, String localTs,
            String remoteTs, String psk, Ikev1 options) throws Exception {
        return configured(namespace, dir, List.of("conf-v1", dir.toString(), local, remote, localTs, remoteTs, psk),
                options.words().toArray(String[]::new));
    }

    /**
     * The IKEv1 settings of {@link #ikev1Psk}, as {@code KEY=VALUE} words of {@code strongswan.sh conf-v1}; each
     * method returns a copy with one more. Defaults: main mode, {@code aes128-sha256-modp2048}, ESP
     * {@code aes128gcm16} without PFS, the addresses as IDs, no DPD, strongSwan's lifetimes, log level 2.
     *
     * @param words the settings so far
     */
    public record Ikev1(List<String> words) {
        /** @return main mode with the defaults */
        public static Ikev1 mainMode() {
            return new Ikev1(List.of());
        }

        /** @return aggressive mode instead of main mode */
        public Ikev1 aggressive() {
            return with("aggressive", "yes");
        }

        /**
         * @return charon accepts aggressive mode with a PSK as responder
         *     ({@code i_dont_care_about_security_and_use_aggressive_mode_psk}; it refuses without)
         */
        public Ikev1 acceptAggressivePsk() {
            return with("aggressive_psk_responder", "yes");
        }

        /**
         * @param proposal the phase-1 proposal, e.g. {@code aes256-sha1-modp1536}
         * @return with it
         */
        public Ikev1 ike(String proposal) {
            return with("ike", proposal);
        }

        /**
         * @param proposal the ESP proposal without a group, e.g. {@code aes256-sha1}
         * @return with it
         */
        public Ikev1 esp(String proposal) {
            return with("esp", proposal);
        }

        /**
         * @param group the quick mode PFS group, e.g. {@code modp2048}
         * @return with PFS
         */
        public Ikev1 pfs(String group) {
            return with("pfs", group);
        }

        /**
         * @param id its own identity, e.g. an FQDN
         * @return with it
         */
        public Ikev1 localId(String id) {
            return with("local_id", id);
        }

        /**
         * @param id the identity it expects of the peer
         * @return with it
         */
        public Ikev1 remoteId(String id) {
            return with("remote_id", id);
        }

        /**
         * RFC 3706 DPD.
         *
         * @param delay how long without traffic before R-U-THERE
         * @param timeout how long without an answer before the peer is declared dead
         * @param action {@code clear}, {@code trap} or {@code restart}
         * @return with DPD
         */
        public Ikev1 dpd(Duration delay, Duration timeout, String action) {
            return with("dpd_delay", delay.toSeconds() + "s").with("dpd_timeout", timeout.toSeconds() + "s")
                    .with("dpd_action", action);
        }

        /**
         * @param time when phase 1 is renewed (IKEv1 re-authenticates: it cannot rekey an ISAKMP SA)
         * @return with it
         */
        public Ikev1 rekeyTime(Duration time) {
            return with("rekey_time", time.toSeconds() + "s");
        }

        /**
         * @param time how long phase 1 may outlive its rekey time while the re-authentication is under way (strongSwan's
         *             default: a tenth of the rekey time, i.e. 2 s for a 20-s rekey time, less than its first
         *             retransmission at 4 s; with its default rekey time of 4 h it is 24 minutes)
         * @return with it
         */
        public Ikev1 overTime(Duration time) {
            return with("over_time", time.toSeconds() + "s");
        }

        /**
         * @param time when the quick mode SAs are replaced
         * @return with it
         */
        public Ikev1 childRekeyTime(Duration time) {
            return with("child_rekey_time", time.toSeconds() + "s");
        }

        /**
         * @param level charon's log level for {@code ike} and {@code chd}; 4 prints keys (test keys only)
         * @return with it
         */
        public Ikev1 logLevel(int level) {
            return with("log", Integer.toString(level));
        }

        private Ikev1 with(String key, String value) {
            List<String> all = new ArrayList<>(words);
            all.add(key + "=" + value);
            return new Ikev1(List.copyOf(all));
        }
    }

    /**
     * A certificate configuration ({@code strongswan.sh conf-cert}, {@code auth = pubkey}); expects
     * {@code dir/x509/gw.pem}, {@code dir/private/gw.key} and {@code dir/x509ca/ca.pem} to be there.
     *
     * @param namespace where charon will run
     * @param dir the folder for its configuration, certificates, sockets and log
     * @param local its own address
     * @param remote the peer's address
     * @param localTs its networks
     * @param remoteTs the peer's networks
     * @param localId its identity (a DN)
     * @param remoteId the identity it expects of the peer
     * @param proposals none, or the IKE proposal and then the ESP proposal
     * @return the configured, not yet started daemon
     * @throws Exception when the script fails
     */
    public static StrongSwan cert(String namespace, Path dir, String local, String remote, String localTs,
            String remoteTs, String localId, String remoteId, String... proposals) throws Exception {
        return configured(namespace, dir, List.of("conf-cert", dir.toString(), local, remote, localTs, remoteTs,
                localId, remoteId), proposals);
    }

    private static StrongSwan configured(String namespace, Path dir, List<String> args, String... proposals)
            throws Exception {
        List<String> command = new ArrayList<>(List.of(Lab.strongswanScript()));
        command.addAll(args);
        command.addAll(List.of(proposals));
        Lab.Result r = Lab.sh(command.toArray(String[]::new));
        assertThat(r.exit()).as(r.output()).isZero();
        StrongSwan s = new StrongSwan(namespace, dir);
        // charon writes its log line by line: the tests read it while it runs (conf-v1 sets this itself)
        return s.editConf(c -> c.contains("flush_line") ? c
                : c.replace("      ike = 2\n", "      ike = 2\n      flush_line = yes\n"));
    }

    /**
     * Rewrites {@code strongswan.conf} (e.g. log levels, {@code fragment_size}, {@code cookie_threshold}).
     *
     * @param edit from the present text to the new text
     * @return this
     * @throws IOException when the file cannot be read or written
     */
    public StrongSwan editConf(UnaryOperator<String> edit) throws IOException {
        return edit(dir.resolve("strongswan.conf"), edit);
    }

    /**
     * Rewrites {@code swanctl.conf} (e.g. lifetimes, {@code fragmentation}, {@code encap}).
     *
     * @param edit from the present text to the new text
     * @return this
     * @throws IOException when the file cannot be read or written
     */
    public StrongSwan editSwanctl(UnaryOperator<String> edit) throws IOException {
        return edit(dir.resolve("swanctl.conf"), edit);
    }

    /**
     * Takes {@code encap = yes} out of the connection: NAT detection alone decides (a real NAT on the path, or our
     * {@code encap}). kernel-libipsec then has ESP only if something makes it encapsulate.
     *
     * @return this
     * @throws IOException when the file cannot be read or written
     */
    public StrongSwan withoutEncap() throws IOException {
        editSwanctl(c -> c.replace("    encap = yes\n", ""));
        assertThat(Files.readString(dir.resolve("swanctl.conf"))).doesNotContainPattern("(?m)^\\s*encap\\s*=");
        return this;
    }

    private StrongSwan edit(Path file, UnaryOperator<String> edit) throws IOException {
        Files.writeString(file, edit.apply(Files.readString(file)));
        return this;
    }

    /**
     * Starts charon in its namespace and loads the configuration ({@code strongswan.sh start}); when that fails,
     * stops whatever started, so {@code try (StrongSwan s = StrongSwan.psk(...).start())} leaves nothing behind.
     *
     * @return this
     * @throws Exception when the script cannot run or fails
     */
    public StrongSwan start() throws Exception {
        try {
            Lab.Result r = Lab.sh(Lab.strongswanScript(), "start", namespace, dir.toString());
            assertThat(r.exit()).as(r.output()).isZero();
            return this;
        } catch (Exception | Error e) {
            close();
            throw e;
        }
    }

    /**
     * Runs {@code swanctl} against this daemon.
     *
     * @param args swanctl's arguments, e.g. {@code "--initiate", "--child", "net"}
     * @return its exit status and output
     * @throws Exception when it cannot run
     */
    public Lab.Result swanctl(String... args) throws Exception {
        List<String> command = new ArrayList<>(List.of(Lab.strongswanScript(), "swanctl", namespace,
                dir.toString()));
        command.addAll(List.of(args));
        return Lab.sh(command.toArray(String[]::new));
    }

    /**
     * Has strongSwan initiate child "net" (and with it the IKE SA), and checks that swanctl says it succeeded.
     *
     * @throws Exception when swanctl cannot run
     */
    public void initiate() throws Exception {
        Lab.Result r = swanctl("--initiate", "--child", "net");
        assertThat(r.exit()).as(r.output() + "\ncharon log:\n" + log()).isZero();
    }

    /**
     * Waits up to 30 s until {@code node} journals its tunnel {@code label} as configured, then {@link #initiate()}s:
     * strongSwan initiating to a (passive) tunnel of the node.
     *
     * @param node the node strongSwan initiates to
     * @param label the tunnel's label at the node
     * @throws Exception when swanctl cannot run
     */
    public void initiateOnceConfigured(LabNode node, String label) throws Exception {
        node.awaitEvents(label, Duration.ofSeconds(30), () -> "charon log:\n" + log(), "configured");
        initiate();
    }

    /**
     * What {@code swanctl --list-sas} prints.
     *
     * @return its output
     * @throws Exception when swanctl cannot run
     */
    public String listSas() throws Exception {
        return swanctl("--list-sas").output();
    }

    /** @return charon's log so far, or why there is none */
    public String log() {
        try {
            return Files.readString(dir.resolve("charon.log"));
        } catch (IOException e) {
            return "(no charon log: " + e.getMessage() + ")";
        }
    }

    /** @return the folder of its configuration and log */
    public Path dir() {
        return dir;
    }

    /** @return the namespace it runs in */
    public String namespace() {
        return namespace;
    }

    /** Stops charon ({@code strongswan.sh stop}); nothing happens when it was not running. */
    @Override
    public void close() throws IOException {
        try {
            Lab.sh(Lab.strongswanScript(), "stop", namespace, dir.toString());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while stopping charon in " + namespace, e);
        }
    }
}
