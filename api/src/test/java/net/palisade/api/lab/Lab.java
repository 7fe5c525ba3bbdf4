package net.palisade.api.lab;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Assumptions;

/**
 * The namespace lab ({@code ops/lab/netns.sh}) and strongSwan ({@code ops/lab/strongswan.sh}) as the api module's lab
 * tests use them: a small copy of the control-plane tests' {@code StrongSwanLab}, whose test classes this module
 * cannot see.
 */
final class Lab {
    static final Path SCRIPTS = Path.of("..").toAbsolutePath().normalize().resolve("ops/lab");

    /** A command's exit status and its output (stdout and stderr together). */
    record Result(int exit, String output) {}

    private Lab() {}

    /**
     * Builds the lab with namespace prefix {@code prefix} after checking for root and strongSwan; skipped with
     * {@code -Dpalisade.skipExternal=true} or {@code -Dpalisade.skipRoot=true}.
     */
    static void up(String prefix) throws Exception {
        Assumptions.assumeFalse(skipped(), "palisade.skipExternal or palisade.skipRoot is true");
        assertThat(Files.isExecutable(Path.of("/usr/lib/ipsec/charon")))
                .as("strongSwan: apt-get install -y charon-systemd strongswan-swanctl strongswan-charon "
                        + "libcharon-extra-plugins libstrongswan-extra-plugins; or -Dpalisade.skipExternal=true")
                .isTrue();
        assertThat(new com.sun.security.auth.module.UnixSystem().getUid()).as("network namespaces need root")
                .isZero();
        Result r = sh(SCRIPTS.resolve("netns.sh").toString(), "up", prefix);
        assertThat(r.exit()).as(r.output()).isZero();
    }

    /** Removes the lab of {@code prefix} (nothing when the tests were skipped). */
    static void down(String prefix) throws Exception {
        if (!skipped()) {
            sh(SCRIPTS.resolve("netns.sh").toString(), "down", prefix);
        }
    }

    /** {@code ops/lab/strongswan.sh}. */
    static String strongswan() {
        return SCRIPTS.resolve("strongswan.sh").toString();
    }

    /** Runs a command and waits for it. */
    static Result sh(String... command) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        return new Result(p.waitFor(), out);
    }

    /** The charon log in {@code dir}, or why there is none. */
    static String charonLog(Path dir) {
        try {
            return Files.readString(dir.resolve("charon.log"));
        } catch (IOException e) {
            return "(no charon log: " + e.getMessage() + ")";
        }
    }

    private static boolean skipped() {
        return Boolean.getBoolean("palisade.skipExternal") || Boolean.getBoolean("palisade.skipRoot");
    }
}
