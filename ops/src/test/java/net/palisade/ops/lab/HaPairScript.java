package net.palisade.ops.lab;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import net.palisade.dataplane.testkit.LabPrefix;
import net.palisade.dataplane.testkit.TestPrograms;
import org.junit.jupiter.api.Assumptions;

/**
 * Runs {@code ops/lab/ha-pair.sh} as a user would (this JVM's class path as the palisade command), and reads its
 * result line ({@code RESULT k=v ...}) for a lab test to judge.
 *
 * @param output everything the script printed
 * @param result the result line's values by key
 */
record HaPairScript(String output, Map<String, String> result) {
    /**
     * Runs the script with {@code args} in the lab of {@code owner}, and returns once it ended (10 minutes at most).
     * Skipped with {@code -Dpalisade.skipExternal=true}.
     */
    static HaPairScript run(Class<?> owner, Path tmp, String resultKey, String... args) throws Exception {
        Assumptions.assumeFalse(Boolean.getBoolean("palisade.skipExternal"), "palisade.skipExternal=true");
        TestPrograms.require("ip", "keepalived", "swanctl", "/usr/lib/ipsec/charon", "tcpdump", "tshark", "ping",
                "curl", "nft", "/usr/bin/python3", "pg_ctlcluster");
        String prefix = LabPrefix.claim(owner);
        LabPrefix.hold(prefix);
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        String classPath = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        Path out = Files.createTempFile(tmp, "ha-pair", ".out");
        List<String> command = new ArrayList<>(List.of("bash", Path.of("lab/ha-pair.sh").toAbsolutePath().toString()));
        command.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(out.toFile());
        pb.environment().put("LAB_PREFIX", prefix);
        // HA_PAIR_LOGS=DIR keeps each run's logs (ha-pair.sh copies them there), one folder per scenario
        String logs = System.getenv("HA_PAIR_LOGS");
        if (logs != null && !logs.isBlank()) {
            pb.environment().put("HA_PAIR_LOGS", Path.of(logs, args.length == 0 ? "main"
                    : String.join("-", args).replace("--", "")).toString());
        }
        pb.environment().put("PALISADE_CMD", java + " --enable-native-access=ALL-UNNAMED"
                + " --sun-misc-unsafe-memory-access=allow -cp " + classPath + " net.palisade.ops.Main");
        Process script = pb.start();
        boolean ended = script.waitFor(10, TimeUnit.MINUTES);
        if (!ended) {
            script.destroy();
            script.waitFor(60, TimeUnit.SECONDS);
        }
        String output = Files.readString(out);
        System.out.println(output.lines().filter(l -> l.startsWith("ha-pair")).reduce("", (a, b) -> a + b + "\n"));
        assertThat(ended).as("the script ended within 10 minutes:\n%s", output).isTrue();
        assertThat(script.exitValue()).as(output).isZero();
        Matcher m = Pattern.compile("^" + Pattern.quote(resultKey) + " (.*)$", Pattern.MULTILINE).matcher(output);
        assertThat(m.find()).as(output).isTrue();
        Map<String, String> r = new HashMap<>();
        for (String kv : m.group(1).split(" ")) {
            String[] p = kv.split("=", 2);
            r.put(p[0], p.length > 1 ? p[1] : "");
        }
        assertThat(output).doesNotContain("ha-pair-lab-psk-not-for-production");
        return new HaPairScript(output, r);
    }

    /** The result's value of {@code key}. */
    String get(String key) {
        return result.get(key);
    }
}
