package net.palisade.dataplane;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import net.palisade.dataplane.io.NetNamespace;
import net.palisade.model.IpsecConfig;
import net.palisade.model.ManualTunnel;
import net.palisade.model.TunnelSpec;
import net.palisade.model.config.ConfigParser;

/**
 * Runs the dataplane for the manual tunnels of a config file until SIGINT/SIGTERM, printing counters every 10 s —
 * the same calls {@code palisade run --config FILE} makes for manual keying:
 *
 * <pre>{@code
 * IpsecConfig config = ConfigParser.parse(text, path).orThrow();
 * List<ManualTunnel> manual = ...the ManualTunnel entries of config.tunnels(), in order...;
 * Dataplane dp = Dataplane.start(DataplaneSettings.defaults()
 *         .withTunMtu(Dataplane.tunMtuFor(1500, manual)));
 * for (ManualTunnel t : manual) dp.install(t);     // policy order = config order
 * ... on shutdown: dp.close();
 * }</pre>
 *
 * <p>Usage (root; after {@code mvn -pl dataplane test-compile}):
 * {@code java --enable-native-access=ALL-UNNAMED -cp dataplane/target/classes:dataplane/target/test-classes:CP
 * net.palisade.dataplane.RunManual gw.conf [--netns NAME] [--tun pal0] [--workers N] [--underlay-mtu 1500]}
 */
public final class RunManual {
    private RunManual() {
    }

    public static void main(String[] args) throws Exception {
        if (args.length == 0) {
            System.err.println("usage: RunManual CONFIG [--netns NAME] [--tun pal0] [--workers N] [--underlay-mtu M]");
            System.exit(2);
        }
        Path file = Path.of(args[0]);
        DataplaneSettings settings = DataplaneSettings.defaults();
        int underlayMtu = 1500;
        for (int i = 1; i < args.length; i++) {
            switch (args[i]) {
                case "--netns" -> settings = settings.withNetns(NetNamespace.named(args[++i]));
                case "--tun" -> settings = settings.withTunName(args[++i]);
                case "--workers" -> settings = settings.withWorkers(Integer.parseInt(args[++i]));
                case "--underlay-mtu" -> underlayMtu = Integer.parseInt(args[++i]);
                default -> {
                    System.err.println("unknown argument " + args[i]);
                    System.exit(2);
                }
            }
        }
        IpsecConfig config = ConfigParser.parse(Files.readString(file), file.toString()).orThrow();
        List<ManualTunnel> manual = new ArrayList<>();
        for (TunnelSpec t : config.tunnels()) {
            if (t instanceof ManualTunnel m) {
                manual.add(m);
            }
        }
        settings = settings.withUnderlayMtu(underlayMtu).withTunMtu(Dataplane.tunMtuFor(underlayMtu, manual));
        Dataplane dp = Dataplane.start(settings);
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            dp.close();
            stopped.countDown();
        }, "dataplane-shutdown"));
        for (ManualTunnel t : manual) {
            dp.install(t);
        }
        System.out.println("dataplane " + dp.tunName() + " (MTU " + dp.tunMtu() + ") carries " + dp.tunnels());
        while (!stopped.await(10, TimeUnit.SECONDS)) {
            System.out.println(dp.counters().describe());
        }
    }
}
