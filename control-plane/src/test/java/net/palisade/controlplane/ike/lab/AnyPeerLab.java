package net.palisade.controlplane.ike.lab;

import static org.assertj.core.api.Assertions.assertThat;

import net.palisade.controlplane.lab.Lab;
import net.palisade.controlplane.lab.StrongSwan;

/** What the any-peer lab tests add to the lab: more gateways on its internet, and their daemons' logs. */
final class AnyPeerLab {
    private AnyPeerLab() {}

    /**
     * A gateway namespace {@code namespace} on the lab's internet bridge at {@code address} (its veth there is
     * {@code port}), with forwarding on; a leftover of an aborted run is removed first.
     */
    static void addGateway(String prefix, String namespace, String port, String address) throws Exception {
        Lab.sh("ip", "netns", "del", namespace);
        must("ip", "netns", "add", namespace);
        must("ip", "-n", namespace, "link", "set", "lo", "up");
        must("ip", "link", "add", "wan", "netns", namespace, "type", "veth", "peer", "name", port, "netns",
                prefix + "-inet");
        must("ip", "-n", namespace, "link", "set", "wan", "up");
        must("ip", "-n", prefix + "-inet", "link", "set", port, "up");
        must("ip", "-n", prefix + "-inet", "link", "set", port, "master", "br0");
        must("ip", "-n", namespace, "addr", "add", address, "dev", "wan");
        must("ip", "netns", "exec", namespace, "sysctl", "-qw", "net.ipv4.ip_forward=1");
    }

    /** Runs {@code command}, which must succeed. */
    static void must(String... command) throws Exception {
        Lab.Result r = Lab.sh(command);
        assertThat(r.exit()).as(String.join(" ", command) + ": " + r.output()).isZero();
    }

    /**
     * Kills {@code site}'s charon with signal 9 (no Delete reaches the node) and starts it again on ports 1500 and
     * 4501, so the NAT in front of it maps it anew, and has it initiate.
     */
    static void restartOnOtherPorts(StrongSwan site) throws Exception {
        String pid = java.nio.file.Files.readString(site.dir().resolve("charon.pid")).strip();
        assertThat(Lab.sh("kill", "-9", pid).exit()).isZero();
        site.close();
        site.editConf(c -> c.replace("port = 500", "port = 1500").replace("port_nat_t = 4500", "port_nat_t = 4501"));
        site.start();
        site.initiate();
    }

    /** Each running daemon's charon log, for a failure's message. */
    static String logs(StrongSwan... peers) {
        StringBuilder b = new StringBuilder();
        for (StrongSwan p : peers) {
            if (p != null) {
                b.append("\ncharon log of ").append(p.namespace()).append(":\n").append(p.log());
            }
        }
        return b.toString();
    }
}
