package net.palisade.controlplane.dataplane;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import net.palisade.dataplane.Dataplane;
import net.palisade.dataplane.worker.Counter;
import net.palisade.dataplane.worker.WorkerCounters;
import net.palisade.model.ManualTunnel;
import net.palisade.model.config.ConfigParser;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A real dataplane (TUN device, two pinned workers) in a network namespace of its own, controlled through one actor
 * per worker: counters and tunnels are read, and a removal reaches exactly that worker.
 */
class WorkerControlTest {
    private static final String NS = "palwc" + ProcessHandle.current().pid() % 100000;
    private static final ActorTestKit kit = ActorTestKit.create();
    private static Dataplane dataplane;

    @BeforeAll
    static void start() throws Exception {
        if (!"root".equals(System.getProperty("user.name"))) {
            org.junit.jupiter.api.Assumptions.assumeFalse(Boolean.getBoolean("palisade.skipRoot"), "not root");
            throw new AssertionError("WorkerControlTest needs root (a network namespace and a TUN device): run the tests as "
                    + "root, or pass -Dpalisade.skipRoot=true");
        }
        run("ip", "netns", "add", NS);
        run("ip", "-n", NS, "link", "set", "lo", "up");
        run("ip", "-n", NS, "addr", "add", "192.0.2.1/24", "dev", "lo");
        dataplane = Dataplane.start(Dataplane.Settings.defaults().withTunName("palwc0").withWorkers(2)
                .withCpus(List.of(0, 0)).withNetns(Path.of("/var/run/netns", NS)));
        ManualTunnel t = (ManualTunnel) ConfigParser.parse("""
                manual from 10.1.0.0/24 to 10.2.0.0/24 local 192.0.2.1 peer 192.0.2.2 spi 0x3001:0x3002 \\
                    enc aes-128-gcm enckey 0x000102030405060708090a0b0c0d0e0f10111213 udpencap label wc
                """, "test").orThrow().tunnels().get(0);
        dataplane.install(t);
    }

    @AfterAll
    static void stop() throws Exception {
        kit.shutdownTestKit();
        if (dataplane != null) {
            dataplane.close();
        }
        if (Files.exists(Path.of("/var/run/netns", NS))) {
            run("ip", "netns", "del", NS);
        }
    }

    private static void run(String... cmd) throws Exception {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as(String.join(" ", cmd) + ": " + out).isZero();
    }

    @Test
    void eachWorkerHasAnActorThatReadsAndChangesOnlyThatWorker() {
        List<ActorRef<WorkerControl.Command>> actors = WorkerControl.spawnAll(kit.system(), dataplane);
        assertThat(actors).hasSize(2);

        TestProbe<WorkerCounters> counters = kit.createTestProbe();
        for (int i = 0; i < 2; i++) {
            actors.get(i).tell(new WorkerControl.GetCounters(counters.getRef()));
            WorkerCounters c = counters.receiveMessage();
            assertThat(c.worker()).isEqualTo(i);
            assertThat(c.running()).isTrue();
            assertThat(c.get(Counter.ICV_FAILED)).isZero();
        }

        TestProbe<List<String>> tunnels = kit.createTestProbe();
        actors.get(0).tell(new WorkerControl.GetTunnels(tunnels.getRef()));
        assertThat(tunnels.receiveMessage()).containsExactly("wc");

        TestProbe<Boolean> removed = kit.createTestProbe();
        actors.get(1).tell(new WorkerControl.Remove("wc", removed.getRef()));
        assertThat(removed.receiveMessage()).isTrue();
        actors.get(1).tell(new WorkerControl.GetTunnels(tunnels.getRef()));
        assertThat(tunnels.receiveMessage()).isEmpty();
        actors.get(0).tell(new WorkerControl.GetTunnels(tunnels.getRef()));
        assertThat(tunnels.receiveMessage()).as("worker 0 untouched").containsExactly("wc");
    }
}
