package net.palisade.dataplane.testkit;

import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.abort;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * The one root check of every module's tests. A test that needs root (network namespaces, TUN devices, raw
 * sockets) fails without it, with a message that says how to run it, or is skipped when
 * {@code -Dpalisade.skipRoot=true}. As an extension: {@code @ExtendWith(Root.class)}; in a fixture:
 * {@link #require(String)}.
 */
public final class Root implements BeforeAllCallback {
    /** The property that turns a missing root into a skip instead of a failure. */
    public static final String SKIP_PROPERTY = "palisade.skipRoot";

    @Override
    public void beforeAll(ExtensionContext context) {
        require(context.getDisplayName());
    }

    /**
     * Returns when this process runs as root; otherwise fails the test (or skips it with
     * {@code -Dpalisade.skipRoot=true}).
     *
     * @param what who needs root, for the message (a test class, "the namespace lab")
     */
    public static void require(String what) {
        if (isRoot()) {
            return;
        }
        String message = what + " needs root (network namespaces, TUN devices, raw sockets)";
        if (Boolean.getBoolean(SKIP_PROPERTY)) {
            abort(message + "; skipped because -D" + SKIP_PROPERTY + "=true");
        }
        fail(message + ": run the tests as root, or pass -D" + SKIP_PROPERTY + "=true to skip them");
    }

    /** @return whether this process's effective user id is 0 */
    public static boolean isRoot() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("Uid:")) {
                    return line.split("\\s+")[2].equals("0"); // real, effective, saved, filesystem: the effective one
                }
            }
        } catch (IOException e) {
            return false;
        }
        return false;
    }
}
