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
 * Sends SNMPv2c traps (SNMPv2-Trap-PDU) of tunnel changes to every receiver: varbinds {@code sysUpTime.0} (the
 * node's uptime), {@code snmpTrapOID.0} (the notification of {@link TunnelNotifications}), then the tunnel's label,
 * peer, cause and detail. Traps are not acknowledged (SNMPv2c): a receiver that is down misses them, which is counted
 * ({@link #failed()}) and logged, never retried. The community is read from a file, never from the command line.
 */
public final class SnmpTraps implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(SnmpTraps.class);

    private final Snmp snmp;
    private final List<CommunityTarget<UdpAddress>> targets;
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
        if (receivers.isEmpty()) {
            throw new IllegalArgumentException("no trap receiver");
        }
        this.uptimeMillis = Objects.requireNonNull(uptimeMillis, "uptimeMillis");
        this.targets = receivers.stream().map(r -> {
            CommunityTarget<UdpAddress> t = new CommunityTarget<>(new UdpAddress(r.getAddress(), r.getPort()),
                    new OctetString(community));
            t.setVersion(SnmpConstants.version2c);
            return t;
        }).toList();
        this.snmp = new Snmp(new DefaultUdpTransportMapping());
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

    /** Sends the trap of {@code e} to every receiver, if {@code e} is notified. */
    public void send(TunnelEvent e) {
        TunnelNotifications.of(e).ifPresent(this::send);
    }

    /** Sends {@code n} to every receiver. */
    public void send(TunnelNotifications.Notification n) {
        PDU pdu = new PDU();
        pdu.setType(PDU.TRAP);
        pdu.add(new VariableBinding(SnmpConstants.sysUpTime, new TimeTicks(uptimeMillis.getAsLong() / 10)));
        pdu.add(new VariableBinding(SnmpConstants.snmpTrapOID, new OID(n.kind().oid())));
        pdu.add(new VariableBinding(new OID(TunnelNotifications.LABEL), new OctetString(n.label())));
        pdu.add(new VariableBinding(new OID(TunnelNotifications.PEER), new OctetString(n.peer())));
        pdu.add(new VariableBinding(new OID(TunnelNotifications.CAUSE), new OctetString(n.cause())));
        pdu.add(new VariableBinding(new OID(TunnelNotifications.DETAIL), new OctetString(n.detail())));
        for (CommunityTarget<UdpAddress> t : targets) {
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
        stream = node.liveEvents(OptionalLong.empty())
                .viaMat(KillSwitches.single(), Keep.right())
                .toMat(Sink.foreach(j -> send(j.event())), Keep.left())
                .run(node.system());
        log.info("SNMP traps (v2c) to {}", targets.stream().map(t -> t.getAddress().toString()).toList());
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
