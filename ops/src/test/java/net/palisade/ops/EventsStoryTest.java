package net.palisade.ops;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import net.palisade.ops.CliTest.Run;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code palisade events} tells the same story as the API's JSON. The JSON is what {@code GET
 * /v1/tunnels/to-b/events} answered in a real run of the api module's {@code IkeStoryStrongSwanTest} (a node on gw-a,
 * strongSwan on gw-b and gw-c: up, strongSwan's Child SA and IKE SA rekeys, gw-b's charon killed, dead peer
 * detection, switch to gw-c), kept in {@code story/ikst-events.json} and served here by a stand-in for the node's
 * API; the command runs in this JVM as a user types it.
 */
class EventsStoryTest {
    private static final String TOKEN = "story-token-3f9a";

    @Test
    void theTimelineShowsEachEventOfTheRunInOrderWithPeersCausesAndSaNames(@TempDir Path dir) throws Exception {
        byte[] body;
        try (InputStream in = EventsStoryTest.class.getResourceAsStream("/story/ikst-events.json")) {
            body = in.readAllBytes();
        }
        AtomicReference<String> asked = new AtomicReference<>();
        HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/", exchange -> {
            asked.set(exchange.getRequestURI().toString());
            boolean ok = ("Bearer " + TOKEN).equals(exchange.getRequestHeaders().getFirst("Authorization"))
                    && exchange.getRequestURI().getPath().equals("/v1/tunnels/to-b/events");
            byte[] answer = ok ? body : "{\"status\":404,\"title\":\"Not Found\"}".getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().add("Content-Type", ok ? "application/json" : "application/problem+json");
            exchange.sendResponseHeaders(ok ? 200 : 404, answer.length);
            exchange.getResponseBody().write(answer);
            exchange.close();
        });
        server.start();
        try {
            Path token = Files.writeString(dir.resolve("api-token"), TOKEN + "\n");
            Files.setPosixFilePermissions(token, java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));
            Run r = CliTest.palisade("events", "--api", "http://127.0.0.1:" + server.getAddress().getPort(),
                    "--token-file", token.toString(), "to-b");
            assertThat(r.status()).as(r.err()).isZero();
            assertThat(asked.get()).isEqualTo("/v1/tunnels/to-b/events");
            Files.writeString(Path.of("target", "ikst-story.txt"), r.out()); // for docs/interop/strongswan.md
            List<String> lines = r.out().lines().toList();
            assertThat(lines).as(r.out()).hasSize(9);
            // time (to the second), type, cause, then the event's own fields; SPIs in hex as strongSwan shows them
            assertThat(lines.get(0)).matches("2026-11-27T\\d\\d:\\d\\d:\\d\\dZ  configured +commit:c-1  .*")
                    .contains("kind=ike", "peer=192.0.2.2,192.0.2.3");
            assertThat(lines.get(1)).contains("phase1-up", "  peer  ", "peer=192.0.2.2", "ikeSa=");
            assertThat(lines.get(2)).contains("child-sa-installed", "  peer  ", "sa=child-", "in=0x", "out=0x");
            String firstChild = field(lines.get(2), "sa");
            assertThat(lines.get(2)).contains("in=0x" + firstChild.substring("child-".length()));
            assertThat(lines.get(3)).contains("rekeyed", "  peer  ", "replaced=" + firstChild, "replacement=child-",
                    "in=0x", "out=0x");
            assertThat(lines.get(4)).contains("rekeyed", "  peer  ", "replaced=" + field(lines.get(1), "ikeSa"),
                    "replacement=").doesNotContain("in=", "out=");
            assertThat(lines.get(5)).contains("dpd-lost", "  timer  ", "peer=192.0.2.2");
            assertThat(lines.get(6)).contains("peer-switched", "  timer  ", "from=192.0.2.2", "to=192.0.2.3");
            assertThat(lines.get(7)).contains("phase1-up", "  peer  ", "peer=192.0.2.3", "ikeSa=");
            assertThat(lines.get(8)).contains("child-sa-installed", "  peer  ", "sa=child-");
            assertThat(r.out()).doesNotContain("psk", "[redacted]", "null");
        } finally {
            server.stop(0);
        }
    }

    /** The value of {@code key=value} in a timeline line. */
    private static String field(String line, String key) {
        for (String word : line.split("\\s+")) {
            if (word.startsWith(key + "=")) {
                return word.substring(key.length() + 1);
            }
        }
        throw new AssertionError("no " + key + "= in " + line);
    }
}
