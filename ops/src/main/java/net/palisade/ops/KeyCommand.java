package net.palisade.ops;

import java.util.Optional;
import java.util.concurrent.Callable;
import net.palisade.model.keys.KeyTools;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/** {@code palisade key generate|from-ascii}: key material for manual tunnels. */
@Command(name = "key", description = "Generate or convert keys for manual tunnels.",
        subcommands = {KeyCommand.Generate.class, KeyCommand.FromAscii.class})
final class KeyCommand implements Runnable {
    @Spec CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    @Command(name = "generate", description = {"Print a random key of ALG's length as 0x hex (GCM and ChaCha20 keys include",
            "their 4-byte salt). ALG: aes-128, aes-256, aes-128-gcm, aes-256-gcm, chacha20-poly1305, 3des,",
            "hmac-sha1, hmac-sha2-256, hmac-sha2-384, hmac-sha2-512."})
    static final class Generate implements Callable<Integer> {
        @Spec CommandSpec spec;

        @Parameters(paramLabel = "ALG")
        String alg;

        @Override
        public Integer call() {
            try {
                spec.commandLine().getOut().println(KeyTools.generate(alg));
                return 0;
            } catch (IllegalArgumentException e) {
                spec.commandLine().getErr().println("key generate: " + e.getMessage());
                return 1;
            }
        }
    }

    @Command(name = "from-ascii", description = {"Convert an ASCII key the way ZyWALL-style devices use it (each character's byte)",
            "into 0x hex. Refuses lengths the algorithm (or, without --alg, every algorithm) cannot use."})
    static final class FromAscii implements Callable<Integer> {
        @Spec CommandSpec spec;

        @Parameters(paramLabel = "TEXT")
        String text;

        @Option(names = "--alg", paramLabel = "ALG", description = "the algorithm the key is for")
        String alg;

        @Override
        public Integer call() {
            try {
                spec.commandLine().getOut().println(KeyTools.fromAscii(text, Optional.ofNullable(alg)));
                return 0;
            } catch (IllegalArgumentException e) {
                spec.commandLine().getErr().println("key from-ascii: " + e.getMessage());
                return 1;
            }
        }
    }
}
