package net.palisade.model.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import net.palisade.model.IkeTunnel;
import net.palisade.model.IpsecConfig;
import net.palisade.model.ManualTunnel;
import net.palisade.model.TunnelSpec;

/** Small helpers shared by the config tests. */
final class TestSupport {
    private TestSupport() {}

    static IpsecConfig ok(String text) {
        ConfigResult r = ConfigParser.parse(text, "t.conf");
        assertThat(r.errors()).as("errors for: %s", text).isEmpty();
        return r.orThrow();
    }

    static TunnelSpec one(String line) {
        List<TunnelSpec> tunnels = ok(line).tunnels();
        assertThat(tunnels).hasSize(1);
        return tunnels.getFirst();
    }

    static IkeTunnel ike(String line) {
        return (IkeTunnel) one(line);
    }

    static ManualTunnel manual(String line) {
        return (ManualTunnel) one(line);
    }

    /** The error lines (FILE:LINE:COL: FIELD: message) for a text that must fail. */
    static List<String> errors(String text) {
        ConfigResult r = ConfigParser.parse(text, "t.conf");
        assertThat(r.ok()).as("expected errors for: %s", text).isFalse();
        return r.errors().stream().map(Diagnostic::toString).toList();
    }

    static List<String> warnings(String text) {
        return ConfigParser.parse(text, "t.conf").warnings().stream().map(Diagnostic::toString).toList();
    }

    static String hex(int bytes, String pair) {
        return "0x" + pair.repeat(bytes);
    }
}
