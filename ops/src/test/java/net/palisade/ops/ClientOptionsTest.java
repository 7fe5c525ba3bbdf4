package net.palisade.ops;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Where the client commands look for the node and its token: flag, then environment, then the defaults. */
class ClientOptionsTest {
    private static final Path DATA = Path.of("/var/lib/palisade");

    @Test
    void defaultsAreTheLocalNodeAndTheDataDirectoryToken() {
        ClientOptions o = new ClientOptions();
        assertThat(o.api(Map.of())).isEqualTo("http://127.0.0.1:8470");
        assertThat(o.tokenFile(Map.of(), () -> DATA)).isEqualTo(DATA.resolve("api-token"));
    }

    @Test
    void theEnvironmentOverridesTheDefaults() {
        ClientOptions o = new ClientOptions();
        Map<String, String> env = Map.of("PALISADE_API", "http://10.0.0.1:9000", "PALISADE_TOKEN_FILE", "/etc/palisade/token");
        assertThat(o.api(env)).isEqualTo("http://10.0.0.1:9000");
        assertThat(o.tokenFile(env, () -> DATA)).isEqualTo(Path.of("/etc/palisade/token"));
        assertThat(o.api(Map.of("PALISADE_API", " "))).isEqualTo("http://127.0.0.1:8470");
    }

    @Test
    void flagsOverrideTheEnvironment() {
        ClientOptions o = new ClientOptions();
        o.api = "http://10.9.9.9:1";
        o.tokenFile = Path.of("/tmp/t");
        Map<String, String> env = Map.of("PALISADE_API", "http://10.0.0.1:9000", "PALISADE_TOKEN_FILE", "/etc/palisade/token");
        assertThat(o.api(env)).isEqualTo("http://10.9.9.9:1");
        assertThat(o.tokenFile(env, () -> DATA)).isEqualTo(Path.of("/tmp/t"));
    }
}
