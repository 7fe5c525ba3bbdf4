package net.palisade.controlplane.lab;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;

/**
 * Three site gateways for the any-peer lab tests, all on the lab's internet: the lab's gw-b (192.0.2.2, network
 * 10.2.1.0/24) and gw-c (192.0.2.3, 10.2.2.0/24), and a gw-d added for the test (192.0.2.4, 10.2.3.0/24, with
 * forwarding on), each holding the .1 of its network. {@link #close} removes gw-d.
 */
public final class ThreeSites implements AutoCloseable {
    /** A site: its gateway's namespace and address, its network, and the address there that is pinged. */
    public record Site(String namespace, String address, String network, String host) {}

    private final String prefix;
    private final List<Site> sites;

    private ThreeSites(String prefix) {
        this.prefix = prefix;
        this.sites = List.of(
                new Site(prefix + "-gwb", "192.0.2.2", "10.2.1.0/24", "10.2.1.1"),
                new Site(prefix + "-gwc", "192.0.2.3", "10.2.2.0/24", "10.2.2.1"),
                new Site(prefix + "-gwd", "192.0.2.4", "10.2.3.0/24", "10.2.3.1"));
    }

    /** Sets the three up in the lab of {@code prefix} (a leftover gw-d of an aborted run is removed first). */
    public static ThreeSites set(String prefix) throws Exception {
        ThreeSites t = new ThreeSites(prefix);
        String gwd = t.sites.get(2).namespace();
        Lab.sh("ip", "netns", "del", gwd);
        try {
            must("ip", "netns", "add", gwd);
            must("ip", "-n", gwd, "link", "set", "lo", "up");
            must("ip", "link", "add", "wan", "netns", gwd, "type", "veth", "peer", "name", "wan-d", "netns",
                    prefix + "-inet");
            must("ip", "-n", gwd, "link", "set", "wan", "up");
            must("ip", "-n", prefix + "-inet", "link", "set", "wan-d", "up");
            must("ip", "-n", prefix + "-inet", "link", "set", "wan-d", "master", "br0");
            must("ip", "-n", gwd, "addr", "add", "192.0.2.4/24", "dev", "wan");
            must("ip", "netns", "exec", gwd, "sysctl", "-qw", "net.ipv4.ip_forward=1");
            must("ip", "netns", "exec", t.sites.get(0).namespace(), "ip", "addr", "replace", "10.2.1.1/24", "dev",
                    "lan");
            must("ip", "netns", "exec", t.sites.get(1).namespace(), "ip", "addr", "replace", "10.2.2.1/24", "dev",
                    "lan");
            must("ip", "netns", "exec", gwd, "ip", "addr", "replace", "10.2.3.1/24", "dev", "lo");
        } catch (Exception | Error e) {
            t.close();
            throw e;
        }
        return t;
    }

    /** The three, b, c and d. */
    public List<Site> sites() {
        return sites;
    }

    /** gw-d's namespace. */
    public String gatewayD() {
        return sites.get(2).namespace();
    }

    /** Removes gw-d. */
    @Override
    public void close() throws Exception {
        Lab.sh("ip", "netns", "del", gatewayD());
    }

    private static void must(String... command) throws Exception {
        Lab.Result r = Lab.sh(command);
        assertThat(r.exit()).as(String.join(" ", command) + ": " + r.output()).isZero();
    }
}
