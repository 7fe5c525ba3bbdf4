package net.palisade.dataplane.testkit;

import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The external programs the tests run, read from {@code ops/test-programs.txt}, the list {@code ops/bin/test}
 * installs from and checks before the suite starts. A test that runs a program asks for it here first, so a
 * missing one fails with the Debian package that provides it instead of {@code exec of "tcpdump" failed}.
 */
public final class TestPrograms {
    /** The list, relative to the repository's root. */
    public static final String LIST = "ops/test-programs.txt";

    private static volatile Map<String, String> packages;

    private TestPrograms() {}

    /**
     * Fails the test unless every program is there: a name is looked up on {@code PATH}, an absolute path must exist.
     *
     * @param programs as written in the list's first column
     * @throws IllegalArgumentException when a program is not in the list (add it there, with its package)
     */
    public static void require(String... programs) {
        require(packages(), programs);
    }

    static void require(Map<String, String> packages, String... programs) {
        List<String> missing = new ArrayList<>();
        for (String program : programs) {
            String pkg = packages.get(program);
            if (pkg == null) {
                throw new IllegalArgumentException(program + " is not in " + LIST + ": add it with its Debian package");
            }
            if (!present(program)) {
                missing.add(program + " (Debian package " + pkg + ")");
            }
        }
        if (!missing.isEmpty()) {
            fail("missing: " + String.join(", ", missing) + "; ops/bin/test installs them when run as root");
        }
    }

    /** @return program to Debian package, in the list's order */
    public static Map<String, String> packages() {
        Map<String, String> p = packages;
        if (p == null) {
            p = read(listFile());
            packages = p;
        }
        return p;
    }

    static Map<String, String> read(Path list) {
        Map<String, String> map = new LinkedHashMap<>();
        try {
            for (String line : Files.readAllLines(list)) {
                String s = line.replaceFirst("#.*", "").strip();
                if (s.isEmpty()) {
                    continue;
                }
                String[] columns = s.split("\\s+");
                if (columns.length != 2) {
                    throw new IllegalStateException(list + ": expected 'PROGRAM PACKAGE', got: " + line);
                }
                map.put(columns[0], columns[1]);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return java.util.Collections.unmodifiableMap(map);
    }

    static boolean present(String program) {
        if (program.startsWith("/")) {
            return Files.exists(Path.of(program));
        }
        String path = System.getenv().getOrDefault("PATH", "/usr/sbin:/usr/bin:/sbin:/bin");
        for (String dir : path.split(":")) {
            if (!dir.isEmpty() && Files.isExecutable(Path.of(dir, program))) {
                return true;
            }
        }
        return false;
    }

    private static Path listFile() {
        Path dir = Path.of(System.getProperty("user.dir")).toAbsolutePath();
        for (Path d = dir; d != null; d = d.getParent()) {
            Path p = d.resolve(LIST);
            if (Files.isRegularFile(p)) {
                return p;
            }
        }
        throw new IllegalStateException(LIST + " not found above " + dir);
    }
}
