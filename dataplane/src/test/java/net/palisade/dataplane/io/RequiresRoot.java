package net.palisade.dataplane.io;

import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.abort;

/**
 * For test classes that create kernel objects (TUN devices, raw sockets, network namespaces): without root they
 * fail with a clear message, or are skipped when {@code -Dpalisade.skipRoot=true}.
 */
final class RequiresRoot implements BeforeAllCallback {
    @Override
    public void beforeAll(ExtensionContext context) {
        if (Libc.geteuid() == 0) {
            return;
        }
        String what = context.getDisplayName() + " needs root (CAP_NET_ADMIN for TUN/netlink/namespaces, "
                + "CAP_NET_RAW for raw ESP sockets)";
        if (Boolean.getBoolean("palisade.skipRoot")) {
            abort(what + "; skipped because -Dpalisade.skipRoot=true");
        }
        fail(what + ": run the tests as root, or pass -Dpalisade.skipRoot=true to skip them");
    }
}
