package net.palisade.ops;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import net.palisade.dataplane.testkit.TestPrograms;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Debian package and its systemd unit, judged by Debian's and systemd's own tools: {@code ops/packaging/
 * build-deb.sh} packs the distribution just built ({@code ops/target/palisade}); {@code dpkg-deb} lists what it
 * holds, {@code lintian} finds nothing to say, the unpacked package's {@code /usr/bin/palisade} runs the
 * distribution, {@code systemd-analyze verify} accepts the unit in the unpacked tree without a warning, and
 * {@code systemd-analyze security} rates its hardening. Not installed with {@code dpkg -i} (that would change this
 * machine: a system user, a unit) and not started: systemd is not PID 1 here.
 *
 * <p>Runs in Maven's package phase, after the distribution is made (see ops/pom.xml); in the test phase it is
 * skipped. Skipped too with {@code -Dpalisade.skipExternal=true}.
 */
class PackagingTest {
    private static final Path SCRIPT = Path.of("packaging", "build-deb.sh");

    private record Run(int exit, String output) {}

    private static Run run(Map<String, String> env, String... command) throws IOException, InterruptedException {
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true);
        pb.environment().putAll(env);
        Process p = pb.start();
        byte[] out = p.getInputStream().readAllBytes();
        assertThat(p.waitFor(5, TimeUnit.MINUTES)).as(String.join(" ", command)).isTrue();
        return new Run(p.exitValue(), new String(out, java.nio.charset.StandardCharsets.UTF_8));
    }

    private static Run run(String... command) throws IOException, InterruptedException {
        return run(Map.of(), command);
    }

    @Test
    void theDebianPackageHoldsTheDistributionAndAHardenedUnitThatSystemdAccepts(@TempDir Path dir) throws Exception {
        String dist = System.getProperty("palisade.dist");
        Assumptions.assumeTrue(dist != null, "runs in the package phase, where the distribution exists (ops/pom.xml)");
        Assumptions.assumeFalse(Boolean.getBoolean("palisade.skipExternal"), "palisade.skipExternal=true");
        TestPrograms.require("dpkg-deb", "dpkg", "systemd-analyze", "lintian");

        Run build = run(Map.of("PALISADE_DIST", dist), "bash", SCRIPT.toString(), dir.toString());
        assertThat(build.exit()).as(build.output()).isZero();
        String deb = build.output().strip().lines().reduce((a, b) -> b).orElseThrow();
        assertThat(Path.of(deb)).exists().hasParent(dir);

        // what dpkg says the package is
        Run info = run("dpkg-deb", "--info", deb);
        assertThat(info.exit()).as(info.output()).isZero();
        assertThat(info.output()).contains("Package: palisade", "Architecture: amd64", "Depends: adduser",
                "postinst", "prerm", "postrm");
        // ESP crypto libraries: used when present (AES-GCM on IPsec-MB, else OpenSSL, else JCE), never required
        assertThat(run("dpkg-deb", "--field", deb, "Recommends").output().strip())
                .isEqualTo("libssl3, libipsec-mb1");
        String version = run("dpkg-deb", "--field", deb, "Version").output().strip();
        // a snapshot sorts before its release, by dpkg's own rules
        assertThat(run("dpkg", "--compare-versions", version, "lt", "0.1.0").exit()).as(version).isZero();

        // what it holds: every jar of the distribution, the launcher, the unit
        Run contents = run("dpkg-deb", "--contents", deb);
        assertThat(contents.exit()).as(contents.output()).isZero();
        assertThat(contents.output()).containsPattern("-rwxr-xr-x root/root .* \\./usr/bin/palisade\\n")
                .containsPattern("-rw-r--r-- root/root .* \\./lib/systemd/system/palisade\\.service\\n");
        List<String> jars;
        try (Stream<Path> s = Files.list(Path.of(dist, "lib"))) {
            jars = s.map(p -> p.getFileName().toString()).filter(n -> n.endsWith(".jar")).toList();
        }
        assertThat(jars).contains("palisade-ops.jar").hasSizeGreaterThan(20);
        for (String jar : jars) {
            assertThat(contents.output()).contains("./usr/lib/palisade/lib/" + jar + "\n");
        }

        // Debian's checker: nothing to say (the few overrides are explained in the package)
        Run lintian = run("lintian", "--allow-root", deb);
        assertThat(lintian.exit()).as(lintian.output()).isZero();
        assertThat(lintian.output().lines().filter(l -> l.matches("^[EW]: .*"))).as(lintian.output()).isEmpty();

        // maintainer scripts are valid sh
        Path control = dir.resolve("control");
        assertThat(run("dpkg-deb", "-e", deb, control.toString()).exit()).isZero();
        for (String script : List.of("postinst", "prerm", "postrm")) {
            Run syntax = run("sh", "-n", control.resolve(script).toString());
            assertThat(syntax.exit()).as(script + ": " + syntax.output()).isZero();
        }
        assertThat(Files.readString(control.resolve("postinst"))).contains("adduser --system");

        // unpacked, the launcher runs the distribution from its own place
        Path root = dir.resolve("root");
        assertThat(run("dpkg-deb", "-x", deb, root.toString()).exit()).isZero();
        Run help = run(Map.of("PALISADE_JAVA", Path.of(System.getProperty("java.home"), "bin", "java").toString()),
                root.resolve("usr/bin/palisade").toString(), "--help");
        assertThat(help.exit()).as(help.output()).isZero();
        assertThat(help.output()).contains("run", "configure");

        // systemd's verdicts, in the unpacked tree with the host's units beside it (sysinit.target, ...)
        Path units = root.resolve("lib/systemd/system");
        try (Stream<Path> host = Files.list(Path.of("/lib/systemd/system"))) {
            for (Path unit : host.filter(Files::isRegularFile).toList()) {
                Path copy = units.resolve(unit.getFileName());
                if (!Files.exists(copy)) {
                    Files.copy(unit, copy);
                }
            }
        }
        Run verify = run("systemd-analyze", "verify", "--root=" + root, "/lib/systemd/system/palisade.service");
        assertThat(verify.exit()).as(verify.output()).isZero();
        assertThat(verify.output()).as("no directive ignored or misspelt").isBlank();

        Run security = run("systemd-analyze", "security", "--offline=yes", "--root=" + root, "palisade.service");
        assertThat(security.exit()).as(security.output()).isZero();
        List<String> passed = new ArrayList<>(security.output().lines().filter(l -> l.startsWith("✓")).toList());
        assertThat(String.join("\n", passed)).as(security.output())
                .contains("✓ User=/DynamicUser=", "✓ NoNewPrivileges=", "✓ PrivateTmp=", "✓ ProtectSystem=",
                        "✓ ProtectHome=", "✓ CapabilityBoundingSet=~CAP_SYS_ADMIN",
                        "✓ CapabilityBoundingSet=~CAP_(DAC_*|FOWNER|IPC_OWNER)", "✓ SystemCallFilter=~@mount");
        Matcher exposure = Pattern.compile("Overall exposure level for palisade.service: (\\d+\\.\\d+)")
                .matcher(security.output());
        assertThat(exposure.find()).as(security.output()).isTrue();
        // systemd's scale: 0 (locked down) to 10 (exposed); "OK" is below 4.0, a default service scores 9.6
        assertThat(Double.parseDouble(exposure.group(1))).as(security.output()).isLessThan(3.0);
        Files.writeString(Path.of("target", "palisade-service-security.txt"), security.output());
    }
}
