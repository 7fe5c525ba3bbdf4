package net.palisade.controlplane;

import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * The process {@link CrashTest} kills: starts a node on {@code args[0]} and commits revisions in a loop, printing
 * {@code ACK <id> <n>} after each acknowledged commit, until killed (or {@code args[1]} commits).
 */
public final class CrashMain {
    private CrashMain() {}

    /** The config of commit number {@code n}. */
    public static String config(int n) {
        return "ike from 10.1.0.0/16 to 10.2.0.0/16 peer 198.51.100.7 psk \"psk-" + n + "\" label crash\n"
                + "manual from 10.1.0.0/16 to 10.4.0.0/16 local 192.0.2.1 peer 192.0.2.44 spi " + (0x1000 + n)
                + " enc aes-128-gcm enckey 0x" + Fixtures.CANARY_KEY_HEX + " label crash-m\n";
    }

    public static void main(String[] args) throws Exception {
        int max = Integer.parseInt(args[1]);
        ControlPlane cp = ControlPlane.start(Settings.defaults(Path.of(args[0])).withCluster("127.0.0.1", 0, List.of())
                .withSnapshotEvery(5));
        cp.whenUp().toCompletableFuture().get(60, TimeUnit.SECONDS);
        System.out.println("UP");
        System.out.flush();
        for (int n = 1; n <= max; n++) {
            var c = cp.commit(config(n), "crash", "n=" + n, Optional.empty()).toCompletableFuture()
                    .get(30, TimeUnit.SECONDS);
            System.out.println("ACK " + c.revision().id() + " " + n);
            System.out.flush();
        }
        cp.close();
    }
}
