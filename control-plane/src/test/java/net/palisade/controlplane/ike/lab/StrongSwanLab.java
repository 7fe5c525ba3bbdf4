package net.palisade.controlplane.ike.lab;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Assumptions;

/** The namespace lab and strongSwan scripts of {@code ops/lab}, as the IKE lab tests use them. */
final class StrongSwanLab {
    static final Path LAB = Path.of("..").toAbsolutePath().normalize().resolve("ops/lab");

    /** A command's exit status and its output (stdout and stderr together). */
    record Result(int exit, String output) {}

    private StrongSwanLab() {}

    /**
     * Builds the lab with namespace prefix {@code prefix}, after checking root and strongSwan; the caller's tests
     * are skipped with {@code -Dpalisade.skipExternal=true}.
     */
    static void up(String prefix) throws Exception {
        up(prefix, new String[0]);
    }

    /** {@link #up(String)} with options of {@code netns.sh up} after the prefix (e.g. {@code nat}). */
    static void up(String prefix, String... options) throws Exception {
        Assumptions.assumeFalse(Boolean.getBoolean("palisade.skipExternal"), "palisade.skipExternal=true");
        assertThat(Files.isExecutable(Path.of("/usr/lib/ipsec/charon")))
                .as("strongSwan: apt-get install -y charon-systemd strongswan-swanctl strongswan-charon "
                        + "libcharon-extra-plugins libstrongswan-extra-plugins; or -Dpalisade.skipExternal=true")
                .isTrue();
        assertThat(new com.sun.security.auth.module.UnixSystem().getUid()).as("network namespaces need root")
                .isZero();
        String[] command = new String[3 + options.length];
        command[0] = LAB.resolve("netns.sh").toString();
        command[1] = "up";
        command[2] = prefix;
        System.arraycopy(options, 0, command, 3, options.length);
        Result r = sh(command);
        assertThat(r.exit()).as(r.output()).isZero();
    }

    static void down(String prefix) throws Exception {
        if (!Boolean.getBoolean("palisade.skipExternal")) {
            sh(LAB.resolve("netns.sh").toString(), "down", prefix);
        }
    }

    static String strongswanScript() {
        return LAB.resolve("strongswan.sh").toString();
    }

    static Result sh(String... command) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        return new Result(p.waitFor(), out);
    }
}
