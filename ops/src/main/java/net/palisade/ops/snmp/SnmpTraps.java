package net.palisade.ops.snmp;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Objects;
import java.util.OptionalLong;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;
import net.palisade.controlplane.ControlPlane;
import net.palisade.model.event.TunnelEvent;
import org.apache.pekko.stream.KillSwitches;
import org.apache.pekko.stream.UniqueKillSwitch;
import org.apache.pekko.stream.javadsl.Keep;
import org.apache.pekko.stream.javadsl.Sink;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.snmp4j.CommunityTarget;
import org.snmp4j.PDU;
import org.snmp4j.Snmp;
import org.snmp4j.mp.SnmpConstants;
import org.snmp4j.smi.OID;
import org.snmp4j.smi.OctetString;
import org.snmp4j.smi.TimeTicks;
import org.snmp4j.smi.UdpAddress;
import org.snmp4j.smi.VariableBinding;
import org.snmp4j.transport.DefaultUdpTransportMapping;

/**
 * Sends traps (SNMPv2-Trap-PDU) of tunnel changes to every receiver: varbinds {@code sysUpTime.0} (the node's
 * uptime), {@code snmpTrapOID.0} (the notification of {@link TunnelNotifications}), then the tunnel's label, peer,
 * cause and detail. SNMPv2c with a community, or SNMPv3 (USM, authPriv: HMAC-SHA-256 and AES-128) with this node as
 * the authoritative engine ({@link Security.V3#engineId}). Traps are not acknowledged: a receiver that is down misses
 * them, which is counted ({@link #failed()}) and logged, never retried. Community and passphrases are read from
 * files, never from the command line.
 */
public final class SnmpTraps implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(SnmpTraps.class);

    /** How the traps are protected. */
    public sealed interface Security {
        /** SNMPv2c: the community, in clear on the wire. */
        record V2c(String community) implements Security {
            @Override
            public String toString() {
                return "V2c[community=[redacted]]";
            }
        }

        /**
         * SNMPv3, USM authPriv: usmHMAC192SHA256AuthProtocol (RFC 7860, net-snmp's {@code SHA-256}) and usmAesCfb128Protocol
         * (RFC 3826, {@code AES}).
         *
         * @param user the USM user name
         * @param auth the authentication passphrase (8 characters or more, RFC 3414)
         * @param priv the privacy passphrase (8 characters or more)
         * @param engineId this node's snmpEngineID: the receiver localizes the user's keys with it
         */
        record V3(String user, String auth, String priv, byte[] engineId) implements Security {
            public V3 {
                if (user.isEmpty() || auth.length() < 8 || priv.length() < 8) {
                    throw new IllegalArgumentException("SNMPv3 needs a user name and passphrases of 8 characters or"
                            + " more (RFC 3414)");
                }
                engineId = engineId.clone();
            }

            @Override
            public String toString() {
                return "V3[user=" + user + ", auth=[redacted], priv=[redacted], engineId="
                        + java.util.HexFormat.of().formatHex(engineId) + "]";
            }
        }
    }

    /**
     * An snmpEngineID of RFC 3411's text format: {@code 0x80}, the enterprise number 32473 (RFC 5612's, as in the MIB),
     * {@code 04}, then up to 27 octets of {@code name} (e.g. the host name).
     */
    public static byte[] engineId(String name) {
        byte[] text = name.getBytes(StandardCharsets.UTF_8);
        int n = Math.max(1, Math.min(27, text.length));
        byte[] id = new byte[5 + n];
        id[0] = (byte) 0x80;
        id[2] = 0x7e;
        id[3] = (byte) 0xd9;
        id[4] = 4;
        System.arraycopy(text.length == 0 ? new byte[] {'-'} : text, 0, id, 5, n);
        return id;
    }

    private final Snmp snmp;
    private final List<? extends org.snmp4j.Target<UdpAddress>> targets;
    private final boolean v3;
    private final LongSupplier uptimeMillis;
    private final AtomicLong sent = new AtomicLong();
    private final AtomicLong failed = new AtomicLong();
    private volatile UniqueKillSwitch stream;

    /**
     * @param receivers where traps go (UDP; 162 is the standard port)
     * @param community the SNMPv2c community
     * @param uptimeMillis the node's uptime, for {@code sysUpTime.0}
     */
    public SnmpTraps(List<InetSocketAddress> receivers, String community, LongSupplier uptimeMillis)
            throws IOException {
        this(receivers, new Security.V2c(community), uptimeMillis);
    }

    /**
     * @param receivers where traps go (UDP; 162 is the standard port)
     * @param security SNMPv2c or SNMPv3
     * @param uptimeMillis the node's uptime, for {@code sysUpTime.0}
     */
    public SnmpTraps(List<InetSocketAddress> receivers, Security security, LongSupplier uptimeMillis)
            throws IOException {
        if (receivers.isEmpty()) {
            throw new IllegalArgumentException("no trap receiver");
        }
        this.uptimeMillis = Objects.requireNonNull(uptimeMillis, "uptimeMillis");
        List<UdpAddress> to = receivers.stream().map(r -> new UdpAddress(r.getAddress(), r.getPort())).toList();
        switch (security) {
            case Security.V2c c -> {
                this.v3 = false;
                this.targets = to.stream().map(a -> {
                    CommunityTarget<UdpAddress> t = new CommunityTarget<>(a, new OctetString(c.community()));
                    t.setVersion(SnmpConstants.version2c);
                    return t;
                }).toList();
                this.snmp = new Snmp(new DefaultUdpTransportMapping());
            }
            case Security.V3 u -> {
                this.v3 = true;
                // our own dispatcher and USM: snmp4j's global SecurityModels stay untouched
                org.snmp4j.security.USM usm = new org.snmp4j.security.USM(
                        org.snmp4j.security.SecurityProtocols.getInstance().addDefaultProtocols(),
                        new OctetString(u.engineId()), 0);
                usm.addUser(new org.snmp4j.security.UsmUser(new OctetString(u.user()),
                        org.snmp4j.security.AuthHMAC192SHA256.ID, new OctetString(u.auth()),
                        org.snmp4j.security.PrivAES128.ID, new OctetString(u.priv())));
                org.snmp4j.MessageDispatcherImpl dispatcher = new org.snmp4j.MessageDispatcherImpl();
                dispatcher.addMessageProcessingModel(new org.snmp4j.mp.MPv3(usm));
                this.targets = to.stream().map(a -> {
                    org.snmp4j.UserTarget<UdpAddress> t = new org.snmp4j.UserTarget<>(a, new OctetString(u.user()),
                            u.engineId(), org.snmp4j.security.SecurityLevel.AUTH_PRIV);
                    t.setVersion(SnmpConstants.version3);
                    return t;
                }).toList();
                this.snmp = new Snmp(dispatcher, new DefaultUdpTransportMapping());
            }
        }
    }

    /**
     * Reads the community from {@code file}: its content without surrounding white space, one word.
     *
     * @throws IllegalArgumentException naming the file (never its content) when it is empty or more than a word
     */
    public static String community(Path file) throws IOException {
        String c = Files.readString(file, StandardCharsets.UTF_8).strip();
        if (c.isEmpty() || c.chars().anyMatch(ch -> Character.isWhitespace(ch) || Character.isISOControl(ch))) {
            throw new IllegalArgumentException("--snmp-community-file: " + file + " must hold the community, one word");
        }
        return c;
    }

    /**
     * Reads SNMPv3 passphrases from {@code file}: the authentication passphrase on its first line, the privacy one
     * on its second.
     *
     * @throws IllegalArgumentException naming the file (never its content) when it does not hold two lines
     */
    public static Security.V3 v3(String user, Path file, byte[] engineId) throws IOException {
        List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8).stream().map(String::strip)
                .filter(l -> !l.isEmpty()).toList();
        if (lines.size() != 2) {
            throw new IllegalArgumentException("--snmp-v3-secrets-file: " + file + " must hold two lines: the"
                    + " authentication passphrase, then the privacy passphrase");
        }
        return new Security.V3(user, lines.get(0), lines.get(1), engineId);
    }

    /** Sends the trap of {@code e} to every receiver, if {@code e} is notified. */
    public void send(TunnelEvent e) {
        TunnelNotifications.of(e).ifPresent(this::send);
    }

    /** Sends {@code n} to every receiver. */
    public void send(TunnelNotifications.Notification n) {
        PDU pdu = v3 ? new org.snmp4j.ScopedPDU() : new PDU();
        pdu.setType(PDU.TRAP);
        pdu.add(new VariableBinding(SnmpConstants.sysUpTime, new TimeTicks(uptimeMillis.getAsLong() / 10)));
        pdu.add(new VariableBinding(SnmpConstants.snmpTrapOID, new OID(n.kind().oid())));
        pdu.add(new VariableBinding(new OID(TunnelNotifications.LABEL), new OctetString(n.label())));
        pdu.add(new VariableBinding(new OID(TunnelNotifications.PEER), new OctetString(n.peer())));
        pdu.add(new VariableBinding(new OID(TunnelNotifications.CAUSE), new OctetString(n.cause())));
        pdu.add(new VariableBinding(new OID(TunnelNotifications.DETAIL), new OctetString(n.detail())));
        for (org.snmp4j.Target<UdpAddress> t : targets) {
            try {
                snmp.send(pdu, t);
                sent.incrementAndGet();
            } catch (IOException ex) {
                failed.incrementAndGet();
                log.warn("SNMP trap {} of tunnel {} to {} not sent: {}", n.kind().mibName(), n.label(),
                        t.getAddress(), ex.getMessage());
            }
        }
    }

    /** Sends the traps of every tunnel event the node journals from now on, until {@link #close()}. */
    public SnmpTraps follow(ControlPlane node) {
        // a live stream that falls behind the journal is cut off (LiveEvents): read on from the last event sent
        AtomicLong last = new AtomicLong(-1);
        stream = org.apache.pekko.stream.javadsl.RestartSource.withBackoff(
                        org.apache.pekko.stream.RestartSettings.create(java.time.Duration.ofMillis(100),
                                java.time.Duration.ofSeconds(5), 0.2),
                        () -> node.liveEvents(last.get() < 0 ? OptionalLong.empty() : OptionalLong.of(last.get())))
                .viaMat(KillSwitches.single(), Keep.right())
                .toMat(Sink.foreach(j -> {
                    send(j.event());
                    last.set(j.offset());
                }), Keep.left())
                .run(node.system());
        log.info("SNMP traps ({}) to {}", v3 ? "v3, authPriv SHA-256/AES" : "v2c",
                targets.stream().map(t -> t.getAddress().toString()).toList());
        return this;
    }

    /** Traps handed to the network. */
    public long sent() {
        return sent.get();
    }

    /** Traps the network refused to send. */
    public long failed() {
        return failed.get();
    }

    @Override
    public void close() {
        UniqueKillSwitch s = stream;
        if (s != null) {
            s.shutdown();
        }
        try {
            snmp.close();
        } catch (IOException e) {
            log.debug("closing the SNMP socket: {}", e.getMessage());
        }
    }
}
