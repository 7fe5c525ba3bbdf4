package net.palisade.ops;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import net.palisade.api.ApiServer;
import net.palisade.api.TokenFile;
import net.palisade.model.IpsecConfig;
import net.palisade.model.config.ConfigJson;
import net.palisade.model.config.ConfigResult;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.http.javadsl.ServerBinding;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/** {@code palisade run}: one gateway node. */
@Command(name = "run", description = "Start a gateway node and its HTTP API. Stops on SIGINT/SIGTERM.")
final class RunCommand implements Callable<Integer> {
    private static final Logger log = LoggerFactory.getLogger(RunCommand.class);

    @Spec CommandSpec spec;

    @Option(names = "--config", paramLabel = "FILE",
            description = "configuration file (default: /etc/palisade/palisade.conf if it exists, else no tunnels)")
    Path config;

    @Option(names = "--data", paramLabel = "DIR",
            description = "data directory: journal, node key, API token (default: /var/lib/palisade as root, else ~/.local/share/palisade)")
    Path data;

    @Option(names = "--api", paramLabel = "HOST:PORT", defaultValue = Defaults.API,
            description = "where the HTTP API listens (default: ${DEFAULT-VALUE})")
    String api;

    @Option(names = "--token-file", paramLabel = "FILE",
            description = "bearer token for the API, created with a random token (mode 0600) when missing (default: DIR/api-token)")
    Path tokenFile;

    @Override
    public Integer call() throws Exception {
        var err = spec.commandLine().getErr();
        Defaults.HostPort listen;
        try {
            listen = Defaults.hostPort(api);
        } catch (IllegalArgumentException e) {
            err.println("run: " + e.getMessage());
            return 2;
        }
        Path dataDir = data != null ? data : Defaults.dataDir();
        Files.createDirectories(dataDir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        TokenFile token;
        try {
            token = TokenFile.loadOrCreate(tokenFile != null ? tokenFile : dataDir.resolve("api-token"));
        } catch (IOException e) {
            err.println("run: " + e.getMessage());
            return 2;
        }

        Optional<Path> configPath = config != null ? Optional.of(config) : Defaults.configFile();
        IpsecConfig running = new IpsecConfig(java.util.List.of());
        if (configPath.isPresent()) {
            ConfigResult result = ConfigCommand.load(configPath.get(), err);
            if (!result.ok()) {
                err.printf("run: %s has %d error(s); nothing started%n", configPath.get(), result.errors().size());
                return 1;
            }
            running = result.orThrow();
            log.info("configuration {}: {} tunnel(s)", configPath.get(), running.tunnels().size());
        } else {
            log.info("no configuration file given and {} does not exist: starting with no tunnels", Defaults.SYSTEM_CONFIG);
        }

        AtomicBoolean ready = new AtomicBoolean(false);
        ActorSystem<Void> system = ActorSystem.create(Behaviors.empty(), "palisade");
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            system.terminate();
            try {
                system.getWhenTerminated().toCompletableFuture().get(30, TimeUnit.SECONDS);
            } catch (Exception e) {
                // exiting anyway
            }
        }, "palisade-shutdown"));

        ServerBinding binding;
        try {
            binding = new ApiServer(token, new ConfigGatewayView(running), ready::get, ConfigJson.newMapper())
                    .bind(system, listen.host(), listen.port())
                    .toCompletableFuture().get(30, TimeUnit.SECONDS);
        } catch (Exception e) {
            Throwable cause = e.getCause() != null ? e.getCause() : e;
            err.println("run: cannot listen on " + api + ": " + cause.getMessage());
            system.terminate();
            return 2;
        }
        ready.set(true);
        log.info("API listening on http://{}:{} (token in {}); data in {}", binding.localAddress().getHostString(),
                binding.localAddress().getPort(), tokenFile != null ? tokenFile : dataDir.resolve("api-token"), dataDir);
        CompletableFuture<?> done = system.getWhenTerminated().toCompletableFuture();
        done.join();
        return 0;
    }
}
