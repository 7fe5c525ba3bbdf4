package net.palisade.dataplane.sa;

import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import net.palisade.dataplane.esp.EspTransform;
import net.palisade.dataplane.esp.EspTransforms;
import net.palisade.dataplane.packet.MssClamp;
import net.palisade.dataplane.replay.ReplayWindow;
import net.palisade.model.DirectionalKeys;
import net.palisade.model.ManualTunnel;
import net.palisade.model.Network;
import net.palisade.model.crypto.AuthAlgorithm;
import net.palisade.model.crypto.EncryptionAlgorithm;
import net.palisade.model.secret.Secret;

/**
 * Turns a {@link ManualTunnel} of the shared model, or the {@link SaKeys} of a negotiated pair, into the
 * dataplane's SAs, policies and per-worker transforms.
 *
 * <p>Manual tunnels and IKE Child SAs alike arrive as {@link SaKeys}, with the shared model's algorithms
 * ({@link EncryptionAlgorithm}, {@link AuthAlgorithm}), which {@link EspTransforms} takes as they are. Keys are
 * revealed once per direction, turned into one transform per worker, and the revealed copy is wiped at once
 * (the JCE key objects keep their own copies, which Java cannot wipe; see {@link Secret}).
 */
public final class ManualKeying {

    /**
     * What installing a tunnel needs to know about the dataplane it goes into.
     *
     * @param workers number of workers (one transform per SA each)
     * @param replayWindow anti-replay window size in packets
     * @param underlayMtu the MTU of the path to the peer
     * @param tunMtu the TUN device's MTU (no inner packet is longer)
     * @param events where sequence-space limits are reported
     * @param sequences durable sequence-number reservations (manual keys outlive the process)
     */
    public record Params(int workers, int replayWindow, int underlayMtu, int tunMtu, SaEvents events,
            SequenceReservations sequences) {
        public Params(int workers, int replayWindow, int underlayMtu, int tunMtu, SaEvents events) {
            this(workers, replayWindow, underlayMtu, tunMtu, events, SequenceReservations.NONE);
        }
    }

    /**
     * A tunnel ready to install: the shared SAs and, per worker, the outbound and inbound transforms.
     */
    public record Prepared(TunnelSas sas, List<EspTransform> outboundTransforms, List<EspTransform> inboundTransforms) {
        public Prepared {
            outboundTransforms = List.copyOf(outboundTransforms);
            inboundTransforms = List.copyOf(inboundTransforms);
        }
    }

    private ManualKeying() {
    }

    /**
     * Builds the SAs of {@code tunnel}.
     *
     * @throws IllegalArgumentException if an address is a name, an algorithm is unknown to the dataplane or a key
     *     has the wrong length
     */
    public static Prepared prepare(ManualTunnel tunnel, Params params) {
        InetAddress local = tunnel.local().ip().orElseThrow(
                () -> new IllegalArgumentException(tunnel.label() + ": local must be an IP address for manual keying"));
        InetAddress peer = tunnel.peer().ip().orElseThrow(
                () -> new IllegalArgumentException(tunnel.label() + ": peer must be an IP address for manual keying"));
        List<Prefix> localPrefixes = new ArrayList<>();
        List<Prefix> remotePrefixes = new ArrayList<>();
        tunnel.from().forEach(net -> localPrefixes.addAll(Prefix.of(net)));
        tunnel.to().forEach(net -> remotePrefixes.addAll(Prefix.of(net)));
        return prepare(new SaKeys(tunnel.label(), local, new InetSocketAddress(peer, tunnel.udpEncapPort().orElse(0)),
                tunnel.enc(), tunnel.auth(), tunnel.spi().inbound().toInt(),
                tunnel.spi().outbound().toInt(), tunnel.encKey(), tunnel.authKey(), localPrefixes, remotePrefixes),
                params);
    }

    /** Builds the SAs of an explicitly keyed pair (see {@link #prepare(ManualTunnel, Params)}). */
    public static Prepared prepare(SaKeys keys, Params params) {
        InetAddress local = keys.local();
        InetAddress peer = keys.peer().getAddress();
        if ((local instanceof Inet6Address) != (peer instanceof Inet6Address)) {
            throw new IllegalArgumentException(keys.label() + ": local and peer differ in family");
        }
        boolean ipv6Outer = peer instanceof Inet6Address;
        EncryptionAlgorithm enc = keys.encryption();
        Optional<AuthAlgorithm> integ = keys.integrity();
        // as IKE negotiated it; a manual tunnel's keys carry none: RFC 4303 makes 32-bit the default
        boolean esn = keys.esn();
        int n = params.workers();
        List<EspTransform> out = transforms(enc, integ, keys.encKey(), keys.authKey().orElse(null), false, n, esn);
        List<EspTransform> in = transforms(enc, integ, keys.encKey(), keys.authKey().orElse(null), true, n, esn);

        boolean udp = keys.peer().getPort() != 0;
        int maxInner = EspOverhead.maxInnerLength(out.getFirst(), params.underlayMtu(), ipv6Outer, udp);
        int clampTo = Math.min(maxInner, params.tunMtu());
        String name = out.getFirst().name();
        OutboundSa outbound = new OutboundSa(keys.label(), keys.outboundSpi(), local, keys.peer(), name, esn,
                maxInner, n, params.events(), params.sequences(), keys.origin(), keys.journaledUpTo());
        InboundSa inbound = new InboundSa(keys.label(), keys.inboundSpi(), name,
                new ReplayWindow(params.replayWindow(), esn),
                new Selectors(keys.localPrefixes(), keys.remotePrefixes()),
                MssClamp.mssFor(clampTo, false), MssClamp.mssFor(clampTo, true), n);
        return new Prepared(new TunnelSas(keys.label(), outbound, inbound,
                policies(keys.localPrefixes(), keys.remotePrefixes())), out, in);
    }

    /** Each {@code from} network with each {@code to} network of the same family, {@code from} order first. */
    static List<FlowPair> policies(ManualTunnel tunnel) {
        List<FlowPair> pairs = new ArrayList<>();
        for (Network from : tunnel.from()) {
            for (Prefix l : Prefix.of(from)) {
                for (Network to : tunnel.to()) {
                    for (Prefix r : Prefix.of(to)) {
                        if (l.ipv6() == r.ipv6()) {
                            pairs.add(new FlowPair(l, r));
                        }
                    }
                }
            }
        }
        return pairs;
    }

    /** Each local prefix with each remote prefix of the same family, local order first. */
    static List<FlowPair> policies(List<Prefix> local, List<Prefix> remote) {
        List<FlowPair> pairs = new ArrayList<>();
        for (Prefix l : local) {
            for (Prefix r : remote) {
                if (l.ipv6() == r.ipv6()) {
                    pairs.add(new FlowPair(l, r));
                }
            }
        }
        return pairs;
    }

    private static List<EspTransform> transforms(EncryptionAlgorithm enc, Optional<AuthAlgorithm> integ,
            DirectionalKeys encKeys, DirectionalKeys authKeys, boolean inbound, int count, boolean esn) {
        byte[] encKey = (inbound ? encKeys.inbound() : encKeys.outbound()).revealBytes();
        byte[] authKey = authKeys == null ? null : (inbound ? authKeys.inbound() : authKeys.outbound()).revealBytes();
        try {
            List<EspTransform> list = new ArrayList<>(count);
            for (int i = 0; i < count; i++) {
                list.add(EspTransforms.create(enc, integ, encKey, authKey, esn));
            }
            return list;
        } finally {
            Arrays.fill(encKey, (byte) 0);
            if (authKey != null) {
                Arrays.fill(authKey, (byte) 0);
            }
        }
    }
}
