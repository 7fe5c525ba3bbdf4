package net.palisade.dataplane;

import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import net.palisade.dataplane.worker.IkeSink;
import net.palisade.model.ManualTunnel;
import net.palisade.model.TunnelSpec;
import net.palisade.model.config.ConfigParser;

/**
 * Mirror-image manual tunnel configs for gw-a and gw-b of the {@link Lab}, and a {@link Dataplane} started in each
 * gateway's namespace — both in this JVM, each on its own threads that entered their namespace.
 */
final class GatewayPair implements AutoCloseable {

    /** Deterministic key material of {@code bytes} octets, different per tag. */
    static String key(String tag, int bytes) {
        byte[] k = new byte[bytes];
        int h = tag.hashCode();
        for (int i = 0; i < bytes; i++) {
            k[i] = (byte) (h * 31 + i * 7 + 0x5a);
            h = h * 1103515245 + 12345;
        }
        return "0x" + HexFormat.of().formatHex(k);
    }

    /**
     * One tunnel, both ends.
     *
     * @param enc e.g. aes-128-gcm or aes-128
     * @param auth null for AEAD, else e.g. hmac-sha2-256
     * @param udpEncap ESP-in-UDP, else raw ESP
     * @param netsA site a's networks (gw-a's {@code from}, gw-b's {@code to})
     * @param netsB site b's networks
     * @param outer6 IPv6 outer addresses (2001:db8:ff::1 and ::2) instead of 192.0.2.1 and .2
     * @param wrongKeyOnB gw-b gets a different inbound encryption key than gw-a sends with
     */
    record Spec(String enc, String auth, boolean udpEncap, String netsA, String netsB, boolean outer6,
            boolean wrongKeyOnB) {
        static Spec gcm() {
            return new Spec("aes-128-gcm", null, true, "10.1.0.0/24", "10.2.0.0/24", false, false);
        }

        Spec withEnc(String e, String a) {
            return new Spec(e, a, udpEncap, netsA, netsB, outer6, wrongKeyOnB);
        }

        Spec rawEsp() {
            return new Spec(enc, auth, false, netsA, netsB, outer6, wrongKeyOnB);
        }

        Spec withNets(String a, String b) {
            return new Spec(enc, auth, udpEncap, a, b, outer6, wrongKeyOnB);
        }

        Spec outerIpv6() {
            return new Spec(enc, auth, udpEncap, netsA, netsB, true, wrongKeyOnB);
        }

        Spec withWrongKeyOnB() {
            return new Spec(enc, auth, udpEncap, netsA, netsB, outer6, true);
        }

        int encKeyBytes() {
            return switch (enc) {
                case "aes-128-gcm" -> 20;
                case "aes-256-gcm", "chacha20-poly1305" -> 36;
                case "aes-128" -> 16;
                case "aes-256" -> 32;
                case "3des" -> 24;
                default -> throw new IllegalArgumentException(enc);
            };
        }

        int authKeyBytes() {
            return switch (auth) {
                case "hmac-sha1" -> 20;
                case "hmac-sha2-256" -> 32;
                case "hmac-sha2-384" -> 48;
                case "hmac-sha2-512" -> 64;
                default -> throw new IllegalArgumentException(auth);
            };
        }

        String addressA() {
            return outer6 ? "2001:db8:ff::1" : "192.0.2.1";
        }

        String addressB() {
            return outer6 ? "2001:db8:ff::2" : "192.0.2.2";
        }

        /** gw-a's config text: inbound SPI 0x1000, outbound 0x1001. */
        String configA() {
            return statement(netsA, netsB, addressA(), addressB(), "0x1000:0x1001", "b2a", "a2b", false);
        }

        /** gw-b's config text, the mirror image. */
        String configB() {
            return statement(netsB, netsA, addressB(), addressA(), "0x1001:0x1000", "a2b", "b2a", wrongKeyOnB);
        }

        private String statement(String from, String to, String local, String peer, String spi, String inTag,
                String outTag, boolean wrongInboundKey) {
            String inKey = key("enc" + (wrongInboundKey ? "wrong" : "") + inTag, encKeyBytes());
            StringBuilder s = new StringBuilder("manual from " + from + " to " + to + " local " + local + " peer "
                    + peer + " spi " + spi + " enc " + enc + " enckey " + inKey + ":" + key("enc" + outTag,
                    encKeyBytes()));
            if (auth != null) {
                s.append(" auth ").append(auth).append(" authkey ").append(key("auth" + inTag, authKeyBytes()))
                        .append(':').append(key("auth" + outTag, authKeyBytes()));
            }
            if (udpEncap) {
                s.append(" udpencap");
            }
            return s.append(" label lab\n").toString();
        }
    }

    /**
     * How to start the pair.
     *
     * @param workers workers per gateway
     * @param tunMtu 0 for {@link Dataplane#tunMtuFor}, else this TUN MTU
     * @param cpusA CPUs for gw-a's workers (empty: the default)
     * @param cpusB CPUs for gw-b's workers
     * @param ikeSinkB gw-b's IKE sink
     */
    record Options(int workers, int tunMtu, List<Integer> cpusA, List<Integer> cpusB, IkeSink ikeSinkB,
            boolean udpOffloads, boolean tunOffloads) {
        static Options defaults() {
            return new Options(1, 0, List.of(), List.of(), IkeSink.DISCARD, true, true);
        }

        Options withTunOffloads(boolean on) {
            return new Options(workers, tunMtu, cpusA, cpusB, ikeSinkB, udpOffloads, on);
        }

        Options withWorkers(int n) {
            return new Options(n, tunMtu, cpusA, cpusB, ikeSinkB, udpOffloads, tunOffloads);
        }

        Options withTunMtu(int mtu) {
            return new Options(workers, mtu, cpusA, cpusB, ikeSinkB, udpOffloads, tunOffloads);
        }

        Options withCpus(List<Integer> a, List<Integer> b) {
            return new Options(workers, tunMtu, a, b, ikeSinkB, udpOffloads, tunOffloads);
        }

        Options withIkeSinkB(IkeSink sink) {
            return new Options(workers, tunMtu, cpusA, cpusB, sink, udpOffloads, tunOffloads);
        }

        Options withUdpOffloads(boolean on) {
            return new Options(workers, tunMtu, cpusA, cpusB, ikeSinkB, on, tunOffloads);
        }
    }

    static List<ManualTunnel> parse(String text, String source) {
        List<ManualTunnel> out = new ArrayList<>();
        for (TunnelSpec t : ConfigParser.parse(text, source).orThrow().tunnels()) {
            out.add((ManualTunnel) t);
        }
        return out;
    }

    final Lab lab;
    final Spec spec;
    final Dataplane a;
    final Dataplane b;

    private GatewayPair(Lab lab, Spec spec, Dataplane a, Dataplane b) {
        this.lab = lab;
        this.spec = spec;
        this.a = a;
        this.b = b;
    }

    static GatewayPair start(Lab lab, Spec spec) throws Exception {
        return start(lab, spec, Options.defaults());
    }

    /** Starts a dataplane in gw-a and one in gw-b and installs {@code spec} in both. */
    static GatewayPair start(Lab lab, Spec spec, Options options) throws Exception {
        return start(lab, spec, spec.configA(), spec.configB(), options);
    }

    /** Starts a dataplane in gw-a and one in gw-b with the tunnels of the config texts given ({@link #spec} null). */
    static GatewayPair start(Lab lab, String configA, String configB, Options options) throws Exception {
        return start(lab, null, configA, configB, options);
    }

    private static GatewayPair start(Lab lab, Spec spec, String configA, String configB, Options options)
            throws Exception {
        List<ManualTunnel> ta = parse(configA, "gw-a.conf");
        List<ManualTunnel> tb = parse(configB, "gw-b.conf");
        Dataplane a = null;
        Dataplane b = null;
        try {
            a = Dataplane.start(settings(lab, "gwa", options, ta, options.cpusA(), null));
            b = Dataplane.start(settings(lab, "gwb", options, tb, options.cpusB(), options.ikeSinkB()));
            for (ManualTunnel t : ta) {
                a.install(t);
            }
            for (ManualTunnel t : tb) {
                b.install(t);
            }
            return new GatewayPair(lab, spec, a, b);
        } catch (Exception | Error e) {
            if (a != null) {
                a.close();
            }
            if (b != null) {
                b.close();
            }
            throw e;
        }
    }

    private static DataplaneSettings settings(Lab lab, String role, Options o, List<ManualTunnel> tunnels,
            List<Integer> cpus, IkeSink sink) {
        int mtu = o.tunMtu() > 0 ? o.tunMtu() : Dataplane.tunMtuFor(1500, tunnels);
        DataplaneSettings s = DataplaneSettings.defaults().withTunName("pal0").withWorkers(o.workers())
                .withTunMtu(mtu).withNetns(lab.nsPath(role)).withIkeSink(sink)
                .withUdpOffloads(o.udpOffloads(), o.udpOffloads()).withTunOffloads(o.tunOffloads());
        return cpus.isEmpty() ? s : s.withCpus(cpus);
    }

    /** gw-b's tunnel as configured, e.g. to reinstall it with other keys. */
    ManualTunnel tunnelB(Spec other) {
        return parse(other.configB(), "gw-b.conf").getFirst();
    }

    @Override
    public void close() {
        a.close();
        b.close();
    }
}
