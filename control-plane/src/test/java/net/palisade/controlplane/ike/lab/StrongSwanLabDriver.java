package net.palisade.controlplane.ike.lab;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import net.palisade.controlplane.ike.IkeEnvironment;
import net.palisade.controlplane.ike.IkeInput;
import net.palisade.controlplane.ike.IkeOutput;
import net.palisade.controlplane.ike.IkeSession;
import net.palisade.controlplane.ike.IkeSettings;
import net.palisade.controlplane.ike.IkeState;
import net.palisade.model.ChildSaSpec;
import net.palisade.model.Host;
import net.palisade.model.IkeAuth;
import net.palisade.model.IkeExchange;
import net.palisade.model.IkeMode;
import net.palisade.model.IkeSaSpec;
import net.palisade.model.IkeTunnel;
import net.palisade.model.Network;
import net.palisade.model.crypto.AuthAlgorithm;
import net.palisade.model.crypto.DhGroup;
import net.palisade.model.crypto.EncryptionAlgorithm;
import net.palisade.model.secret.Secret;

/**
 * A throw-away UDP driver for one {@link IkeSession} against a real strongSwan in the namespace lab (run inside a
 * gateway namespace by {@code IkeStrongSwanInteropTest}): sockets on ports 500 and 4500 (with the non-ESP marker),
 * timers from the session, a liveness check once the Child SA is up, then Delete. Prints one line per event.
 * Not the production transport, which belongs to the next step (an actor and Netty).
 *
 * <p>Arguments: {@code initiator|responder LOCAL_IP PEER_IP LOCAL_NET REMOTE_NET PSK ENC INTEG|- GROUP ESP_GROUP}
 * (ESP_GROUP {@code none} for no PFS). Sequence: negotiate, liveness check, Child SA rekey, Delete.
 */
public final class StrongSwanLabDriver {
    private final DatagramChannel c500;
    private final DatagramChannel c4500;
    private Instant timer;
    private boolean childUp;
    private boolean alive;
    private boolean rekeyed;

    private StrongSwanLabDriver(InetAddress me) throws Exception {
        c500 = DatagramChannel.open().bind(new InetSocketAddress(me, 500));
        c4500 = DatagramChannel.open().bind(new InetSocketAddress(me, 4500));
        c500.configureBlocking(false);
        c4500.configureBlocking(false);
    }

    /** Runs one negotiation; see the class comment for arguments. */
    public static void main(String[] args) throws Exception {
        boolean initiator = args[0].equals("initiator");
        InetAddress me = InetAddress.getByName(args[1]);
        InetAddress peer = InetAddress.getByName(args[2]);
        IkeTunnel t = new IkeTunnel("lab", IkeMode.ACTIVE, IkeExchange.IKEV2, List.of(Network.parse(args[3])),
                List.of(Network.parse(args[4])), Optional.empty(), List.of(Host.of(peer)),
                new IkeSaSpec(List.of(EncryptionAlgorithm.fromKeyword(args[6])),
                        args[7].equals("-") ? List.of() : List.of(AuthAlgorithm.fromKeyword(args[7])),
                        List.of(AuthAlgorithm.HMAC_SHA2_256), List.of(DhGroup.fromKeyword(args[8])),
                        Duration.ofHours(8)),
                new ChildSaSpec(List.of(args.length > 10 ? EncryptionAlgorithm.fromKeyword(args[10])
                        : EncryptionAlgorithm.AES_128_GCM), List.of(),
                        List.of(DhGroup.fromKeyword(args[9])), Duration.ofHours(1)),
                Optional.empty(), Optional.empty(), new IkeAuth.Psk(Secret.ofText(args[5])), Optional.empty(), false);
        InetSocketAddress local = new InetSocketAddress(me, 500);
        InetSocketAddress remote = new InetSocketAddress(peer, 500);
        IkeEnvironment env = IkeEnvironment.standard(Clock.systemUTC());
        IkeSession s = initiator ? IkeSession.initiator(t, local, remote, env)
                : IkeSession.responder(t, local, remote, env, IkeSettings.DEFAULT);
        new StrongSwanLabDriver(me).run(s, initiator);
    }

    private void run(IkeSession s, boolean initiator) throws Exception {
        Selector selector = Selector.open();
        c500.register(selector, SelectionKey.OP_READ);
        c4500.register(selector, SelectionKey.OP_READ);
        System.out.println("READY");
        System.out.flush();
        if (initiator) {
            apply(s.handle(new IkeInput.Start()));
        }
        Instant end = Instant.now().plusSeconds(40);
        boolean checked = false;
        boolean closing = false;
        boolean rekeying = false;
        while (Instant.now().isBefore(end) && s.state() != IkeState.CLOSED) {
            long wait = timer == null ? 200 : Math.max(1, Duration.between(Instant.now(), timer).toMillis());
            selector.select(Math.min(wait, 200));
            for (SelectionKey k : selector.selectedKeys()) {
                DatagramChannel ch = (DatagramChannel) k.channel();
                ByteBuffer b = ByteBuffer.allocate(65536);
                SocketAddress from;
                while ((from = ch.receive(b)) != null) {
                    b.flip();
                    byte[] d = new byte[b.remaining()];
                    b.get(d);
                    b.clear();
                    if (ch == c4500) {
                        if (d.length < 4 || d[0] != 0 || d[1] != 0 || d[2] != 0 || d[3] != 0) {
                            continue; // ESP: the dataplane's business
                        }
                        d = Arrays.copyOfRange(d, 4, d.length);
                    }
                    apply(s.handle(new IkeInput.Received(d, (InetSocketAddress) from,
                            (InetSocketAddress) ch.getLocalAddress())));
                }
            }
            selector.selectedKeys().clear();
            if (timer != null && !Instant.now().isBefore(timer)) {
                timer = null;
                apply(s.handle(new IkeInput.Tick()));
            }
            if (childUp && !checked) {
                checked = true;
                apply(s.handle(new IkeInput.CheckLiveness()));
            }
            if (alive && !rekeying) {
                rekeying = true;
                apply(s.handle(new IkeInput.RekeyChild()));
            }
            if (rekeyed && !closing) {
                closing = true;
                apply(s.handle(new IkeInput.Close()));
            }
        }
        System.out.println("FINAL " + s.state() + " " + s.counters());
        System.out.flush();
    }

    private void apply(IkeSession.Step step) throws Exception {
        for (IkeOutput o : step.outputs()) {
            switch (o) {
                case IkeOutput.Send send -> {
                    byte[] d = send.datagram();
                    if (send.isNatKeepalive()) {
                        c4500.send(ByteBuffer.wrap(d), send.to());
                    } else if (send.from().getPort() == 4500) {
                        byte[] m = new byte[d.length + 4];
                        System.arraycopy(d, 0, m, 4, d.length);
                        c4500.send(ByteBuffer.wrap(m), send.to());
                    } else {
                        c500.send(ByteBuffer.wrap(d), send.to());
                    }
                }
                case IkeOutput.SetTimer st -> timer = st.at();
                case IkeOutput.ChildSaInstalled c -> {
                    childUp = true;
                    System.out.println("CHILD " + Long.toHexString(c.inboundSpi()) + " "
                            + Long.toHexString(c.outboundSpi()) + " "
                            + c.inbound().encryption().revealHex().substring(2)
                            + " " + c.outbound().encryption().revealHex().substring(2) + " " + c.udpEncapsulation());
                }
                case IkeOutput.ChildSaRekeyed r -> {
                    IkeOutput.ChildSaInstalled c = r.replacement();
                    System.out.println("REKEYED " + Long.toHexString(c.inboundSpi()) + " "
                            + Long.toHexString(c.outboundSpi()) + " "
                            + c.inbound().encryption().revealHex().substring(2)
                            + " " + c.outbound().encryption().revealHex().substring(2));
                }
                case IkeOutput.ChildSaDeleted d -> {
                    rekeyed = true;
                    System.out.println("DELETED " + Long.toHexString(d.inboundSpi()));
                }
                case IkeOutput.PeerAlive p -> {
                    alive = true;
                    System.out.println("ALIVE");
                }
                default -> System.out.println("EVENT " + o);
            }
        }
        System.out.flush();
    }
}
