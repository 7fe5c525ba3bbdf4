package net.palisade.ops;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.Callable;
import net.palisade.controlplane.journal.PairKey;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/** {@code palisade ha init}: the gateway pair's key, made once and copied to the other node. */
@Command(name = "ha", description = "Gateway pair (high availability) tools.", subcommands = HaCommand.Init.class)
final class HaCommand implements Runnable {
    @Spec CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    @Command(name = "init", description = {"Create the pair key (DATA/pair.key, 32 random bytes, mode 0600) once, on one",
            "node, and print how to copy it to the other. With it a node journals its IKE SA and Child SA state",
            "sealed with the key, so the node that goes on with a tunnel (this one restarted, or the other) does not",
            "renegotiate. Refuses to replace an existing key. Never prints the key."})
    static final class Init implements Callable<Integer> {
        @Spec CommandSpec spec;

        @Option(names = "--data", paramLabel = "DIR",
                description = "data directory (default: /var/lib/palisade as root, else ~/.local/share/palisade)")
        Path data;

        @Override
        public Integer call() {
            Path dir = data != null ? data : Defaults.dataDir();
            PrintWriter out = spec.commandLine().getOut();
            PrintWriter err = spec.commandLine().getErr();
            Path file = PairKey.file(dir);
            try {
                PairKey key = PairKey.create(dir);
                out.println("pair key " + key.keyId() + " created: " + file + " (mode 0600)");
                out.println("Copy it to the other node's data directory, keeping it private, for example:");
                out.println("  scp -p " + file + " root@OTHER-NODE:" + file);
                out.println("  ssh root@OTHER-NODE 'chown root: " + file + " && chmod 600 " + file + "'");
                out.println("then restart both nodes: each logs \"pair key " + key.keyId() + " present\".");
                out.println("Both nodes must hold the same file; a node without it journals no takeover state,");
                out.println("and a node with another key cannot resume tunnels (they renegotiate).");
                return 0;
            } catch (FileAlreadyExistsException e) {
                String id = existingId(dir).map(k -> " (pair key " + k + ")").orElse("");
                err.println("ha init: " + file + " exists" + id + "; not replaced: the journal's takeover state is"
                        + " sealed with it. To start over, stop both nodes, remove it on both, and run ha init again.");
                return 1;
            } catch (IOException | RuntimeException e) {
                err.println("ha init: cannot create " + file + ": " + e.getMessage());
                return 1;
            }
        }

        private static Optional<String> existingId(Path dir) {
            try {
                return PairKey.loadIfPresent(dir).map(PairKey::keyId);
            } catch (IOException | RuntimeException e) {
                return Optional.empty();
            }
        }
    }
}
