package net.palisade.controlplane.cluster;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import net.palisade.controlplane.ControlPlane;
import net.palisade.controlplane.Fixtures;
import net.palisade.controlplane.Settings;
import net.palisade.controlplane.tunnel.TunnelPorts;
import net.palisade.model.event.Cause;

/**
 * The pair member {@link PairTest} kills with SIGKILL: a node on the test PostgreSQL at {@code args[1]} (cluster
 * port), seeds {@code args[2]} (comma-separated, {@code -} for none), data in {@code args[0]}. Prints {@code UP},
 * then {@code ACTIVE <epoch>} / {@code STANDBY} on role changes and {@code PORT <call>} for every call its
 * tunnels' ports get; with {@code args[3] == commit} it commits the fixture config once active.
 */
public final class PairMain {
    private PairMain() {}

    public static void main(String[] args) throws Exception {
        var pg = PgTest.server();
        List<String> seeds = "-".equals(args[2]) ? List.of() : Arrays.asList(args[2].split(","));
        TunnelPorts recorder = new TunnelPorts() {
            @Override
            public void installManual(net.palisade.model.ManualTunnel tunnel) {
                say("PORT installManual " + tunnel.label());
            }

            @Override
            public void removeManual(String label) {
                say("PORT removeManual " + label);
            }

            @Override
            public void startIke(net.palisade.model.IkeTunnel tunnel) {
                say("PORT startIke " + tunnel.label());
            }

            @Override
            public void stopIke(String label) {
                say("PORT stopIke " + label);
            }

            @Override
            public void retireSa(String label, net.palisade.model.event.ChildSa sa) {
                say("PORT retireSa " + label);
            }
        };
        CountDownLatch active = new CountDownLatch(1);
        ActiveRole.Listener says = new ActiveRole.Listener() {
            @Override
            public void becameActive(long epoch) {
                say("ACTIVE " + epoch);
                active.countDown();
            }

            @Override
            public void becameStandby(Cause cause) {
                say("STANDBY " + cause.value());
            }
        };
        ControlPlane cp = ControlPlane.start(Settings.defaults(Path.of(args[0]))
                .withCluster("127.0.0.1", Integer.parseInt(args[1]), seeds).withJournal(pg), recorder, says);
        cp.whenUp().toCompletableFuture().get(60, TimeUnit.SECONDS);
        say("UP");
        if (args.length > 3 && "commit".equals(args[3])) {
            active.await(60, TimeUnit.SECONDS);
            cp.commit(Fixtures.CONFIG, "pair", "pair test", Optional.empty()).toCompletableFuture()
                    .get(30, TimeUnit.SECONDS);
            say("COMMITTED");
        }
        new CountDownLatch(1).await(); // until killed
    }

    private static synchronized void say(String line) {
        System.out.println(line);
        System.out.flush();
    }
}
