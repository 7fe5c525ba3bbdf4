package net.palisade.controlplane.ike;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.StandardProtocolFamily;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.DatagramChannel;
import java.util.Objects;
import net.palisade.dataplane.Dataplane;
import net.palisade.dataplane.worker.IkeSink;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The node's IKE sockets: port 500 is one dual-stack socket of ours (IPv4 and IPv6; IPv4 only where the kernel has no
 * IPv6), port 4500 is the dataplane's (its workers hand what arrives there behind the non-ESP marker to the same
 * sink). One thread receives on port 500.
 */
final class UdpIkeTransport implements IkeTransport {
    private static final Logger log = LoggerFactory.getLogger(UdpIkeTransport.class);

    private final Dataplane dataplane;
    private final DatagramChannel c500;
    private final int port;
    private final SendFailures failures = new SendFailures();
    private volatile boolean closed;

    private UdpIkeTransport(Dataplane dataplane, DatagramChannel c500, int port) {
        this.dataplane = Objects.requireNonNull(dataplane, "dataplane");
        this.c500 = c500;
        this.port = port;
    }

    /**
     * Opens {@code port} (in the namespace of {@code ns}) and starts handing what arrives on it to {@code sink}, with
     * the wildcard address as the local one.
     */
    static UdpIkeTransport open(PeerResolver ns, int port, Dataplane dataplane, IkeSink sink) throws IOException {
        DatagramChannel c = ns.inNamespace(() -> {
            DatagramChannel six = null;
            try {
                six = DatagramChannel.open(StandardProtocolFamily.INET6);
                return six.bind(new InetSocketAddress(InetAddress.ofLiteral("::"), port));
            } catch (UnsupportedOperationException | IOException e) {
                if (six != null) {
                    six.close();
                }
                log.info("IKE: no IPv6 socket on port {} ({}); IPv4 only", port, e.toString());
                return DatagramChannel.open(StandardProtocolFamily.INET)
                        .bind(new InetSocketAddress(InetAddress.ofLiteral("0.0.0.0"), port));
            }
        });
        UdpIkeTransport t = new UdpIkeTransport(dataplane, c, port);
        Thread r = new Thread(() -> t.receiveLoop(sink), "palisade-ike-" + port);
        r.setDaemon(true);
        r.start();
        return t;
    }

    private void receiveLoop(IkeSink sink) {
        ByteBuffer b = ByteBuffer.allocate(65536);
        InetSocketAddress local = new InetSocketAddress(InetAddress.ofLiteral("0.0.0.0"), port);
        while (!closed) {
            try {
                b.clear();
                InetSocketAddress from = (InetSocketAddress) c500.receive(b);
                b.flip();
                byte[] d = new byte[b.remaining()];
                b.get(d);
                sink.ike(from, local, d);
            } catch (ClosedChannelException e) {
                return;
            } catch (IOException | RuntimeException e) {
                log.warn("IKE receive on {}: {}", port, e.toString());
            }
        }
    }

    @Override
    public void send(IkeOutput.Send s) {
        try {
            boolean sent = true;
            if (s.isNatKeepalive()) {
                sent = dataplane.sendNatKeepalive(s.to());
            } else if (s.from().getPort() == dataplane.settings().udpPort()) {
                sent = dataplane.sendIke(s.to(), s.datagram());
            } else {
                c500.send(ByteBuffer.wrap(s.datagram()), s.to());
            }
            if (!sent) {
                failed(s, "refused by the kernel (its errno in the dataplane's UDP send errors)");
                return;
            }
            long failed = failures.succeeded(s.to());
            if (failed > 0) {
                log.info("IKE send to {} works again ({} sends to it failed)", s.to(), failed);
            }
        } catch (IOException | RuntimeException e) {
            failed(s, e.toString());
        }
    }

    /** {@code s} did not leave ({@code why}): logged if it is the first such send to its destination, counted. */
    private void failed(IkeOutput.Send s, String why) {
        if (failures.failed(s.to())) {
            log.warn("IKE send to {}: {} (further failures to it are counted, ike.send-failed, until a send to it"
                    + " succeeds)", s.to(), why);
        }
    }

    @Override
    public java.util.Map<String, Long> counters() {
        return failures.counters();
    }

    @Override
    public void close() {
        closed = true;
        try {
            c500.close();
        } catch (IOException e) {
            // closing anyway
        }
    }
}
