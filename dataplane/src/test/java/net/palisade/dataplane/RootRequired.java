package net.palisade.dataplane;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.abort;

/**
 * For test classes that build the namespace lab: without root they fail with a clear message, or are skipped
 * with {@code -Dpalisade.skipRoot=true}.
 */
final class RootRequired implements BeforeAllCallback {
    @Override
    public void beforeAll(ExtensionContext context) {
        if (isRoot()) {
            return;
        }
        String what = context.getDisplayName() + " needs root (network namespaces, TUN devices, raw sockets)";
        if (Boolean.getBoolean("palisade.skipRoot")) {
            abort(what + "; skipped because -Dpalisade.skipRoot=true");
        }
        fail(what + ": run the tests as root, or pass -Dpalisade.skipRoot=true to skip them");
    }

    static boolean isRoot() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("Uid:")) {
                    return line.split("\\s+")[2].equals("0"); // effective UID
                }
            }
        } catch (IOException e) {
            return false;
        }
        return false;
    }
}
