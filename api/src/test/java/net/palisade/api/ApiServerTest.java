package net.palisade.api;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.http.javadsl.ServerBinding;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The API over real HTTP: auth, problem+json, and the token file's rules. */
class ApiServerTest {
    private static final String CANARY = "canary-psk-4f1d9";
    private static ActorSystem<Void> system;
    private static ServerBinding binding;
    private static String token;
    private static final HttpClient http = HttpClient.newHttpClient();
    private static final ObjectMapper json = new ObjectMapper();

    @BeforeAll
    static void start(@TempDir Path dir) throws Exception {
        Path tokenPath = dir.resolve("api-token");
        TokenFile tokenFile = TokenFile.loadOrCreate(tokenPath);
        token = Files.readString(tokenPath).strip();
        GatewayView view = new GatewayView() {
            @Override
            public String runningConfigRedacted() {
                return "ipsec {\n  ike from 10.1.0.0/16 to 10.2.0.0/16 peer 192.0.2.2 psk [redacted] label t1\n}\n";
            }

            @Override
            public List<?> tunnels() {
                return List.of(Map.of("label", "t1"));
            }

            @Override
            public Optional<?> tunnel(String label) {
                return label.equals("t1") ? Optional.of(Map.of("label", "t1")) : Optional.empty();
            }
        };
        system = ActorSystem.create(Behaviors.empty(), "api-test");
        binding = new ApiServer(tokenFile, view, () -> true, json).bind(system, "127.0.0.1", 0)
                .toCompletableFuture().get(30, TimeUnit.SECONDS);
    }

    @AfterAll
    static void stop() throws Exception {
        binding.unbind().toCompletableFuture().get(10, TimeUnit.SECONDS);
        system.terminate();
        system.getWhenTerminated().toCompletableFuture().get(30, TimeUnit.SECONDS);
    }

    private static HttpResponse<String> get(String path, String bearer) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + binding.localAddress().getPort() + path));
        if (bearer != null) {
            b.header("Authorization", "Bearer " + bearer);
        }
        return http.send(b.GET().build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void healthNeedsNoToken() throws Exception {
        HttpResponse<String> r = get("/healthz", null);
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(json.readTree(r.body()).path("status").asText()).isEqualTo("ok");
        assertThat(get("/readyz", null).statusCode()).isEqualTo(200);
    }

    @Test
    void apiRefusesMissingAndWrongTokensWithProblemJson() throws Exception {
        for (String bearer : new String[] {null, "not-the-token", token + "x"}) {
            HttpResponse<String> r = get("/v1/tunnels", bearer);
            assertThat(r.statusCode()).as("bearer %s", bearer).isEqualTo(401);
            assertThat(r.headers().firstValue("Content-Type")).hasValue("application/problem+json");
            assertThat(r.headers().firstValue("WWW-Authenticate")).hasValueSatisfying(v -> assertThat(v).startsWith("Bearer"));
            JsonNode p = json.readTree(r.body());
            assertThat(p.path("status").asInt()).isEqualTo(401);
            assertThat(p.path("title").asText()).isEqualTo("Unauthorized");
        }
    }

    @Test
    void apiAnswersWithTheToken() throws Exception {
        HttpResponse<String> r = get("/v1/tunnels", token);
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(json.readTree(r.body()).get(0).path("label").asText()).isEqualTo("t1");
        HttpResponse<String> config = get("/v1/config", token);
        assertThat(config.statusCode()).isEqualTo(200);
        assertThat(config.body()).contains("psk [redacted]").doesNotContain(CANARY);
    }

    @Test
    void unknownTunnelIsA404Problem() throws Exception {
        HttpResponse<String> r = get("/v1/tunnels/nope", token);
        assertThat(r.statusCode()).isEqualTo(404);
        assertThat(json.readTree(r.body()).path("detail").asText()).contains("nope");
        assertThat(get("/v1/tunnels/t1", token).statusCode()).isEqualTo(200);
    }

    @Test
    void tokenFileIsCreatedOwnerOnlyAndAWorldReadableOneIsRefused(@TempDir Path dir) throws Exception {
        Path created = dir.resolve("sub/api-token");
        TokenFile.loadOrCreate(created);
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(created))).isEqualTo("rw-------");
        assertThat(Files.readString(created).strip()).hasSizeGreaterThanOrEqualTo(32);
        assertThat(TokenFile.loadOrCreate(created).matches(Files.readString(created).strip())).isTrue();

        Path loose = dir.resolve("loose");
        Files.writeString(loose, "0123456789abcdef0123\n");
        Files.setPosixFilePermissions(loose, PosixFilePermissions.fromString("rw-r--r--"));
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> TokenFile.loadOrCreate(loose))
                .hasMessageContaining("readable by others").hasMessageContaining("chmod 600");
    }
}
