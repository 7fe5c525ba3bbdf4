package net.palisade.api;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.typesafe.config.ConfigFactory;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import net.palisade.controlplane.ControlPlane;
import net.palisade.controlplane.Settings;
import org.apache.pekko.http.javadsl.ServerBinding;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code GET /v1/events} without {@code limit} over a real socket, streamed a page at a time (a page of 3 events here,
 * so a few dozen events cross many pages): the array it returns is exactly what reading the same history page by
 * page with {@code ?limit=&after=} returns, for every tunnel and for one, filters included; and
 * {@code .../events/count} counts what the same filters return, refusing what a count cannot take.
 */
class EventsStreamedTest {
    @TempDir
    Path dir;

    final HttpClient http = HttpClient.newHttpClient();
    final ObjectMapper json = new ObjectMapper();

    @Test
    void anAnswerWithoutLimitIsEveryEventInOrderWhateverThePageSize() throws Exception {
        Settings settings = Settings.defaults(dir.resolve("data")).withCluster("127.0.0.1", 0, List.of())
                .withOverrides(ConfigFactory.parseString(ApiServer.STREAM_PAGE_KEY + " = 3"));
        try (ControlPlane node = ControlPlane.start(settings)) {
            node.whenUp().toCompletableFuture().get(60, TimeUnit.SECONDS);
            node.commit("manual from 10.1.0.0/16 to 10.4.0.0/16 local 192.0.2.1 peer 192.0.2.44 spi 0x1000:0x1001"
                    + " enc aes-128-gcm enckey 0x00112233445566778899aabbccddeeff00112233 label m\n"
                    + "manual from 10.1.0.0/16 to 10.5.0.0/16 local 192.0.2.1 peer 192.0.2.45 spi 0x2000:0x2001"
                    + " enc aes-128-gcm enckey 0x00112233445566778899aabbccddeeff00112233 label n\n", "alice", "two",
                    Optional.empty()).toCompletableFuture().get(30, TimeUnit.SECONDS);
            org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(30)).until(() ->
                    node.tunnel("m").toCompletableFuture().get(10, TimeUnit.SECONDS).configured()
                            && node.tunnel("n").toCompletableFuture().get(10, TimeUnit.SECONDS).configured());
            for (int i = 0; i < 10; i++) { // 20 events per tunnel more, an even count: each ends admin up
                for (String t : List.of("m", "n")) {
                    node.adminDown(t, "bob").toCompletableFuture().get(30, TimeUnit.SECONDS);
                    node.adminUp(t, "bob").toCompletableFuture().get(30, TimeUnit.SECONDS);
                }
            }
            TokenFile token = TokenFile.loadOrCreate(dir.resolve("token"));
            String bearer = Files.readString(dir.resolve("token")).strip();
            ServerBinding binding = new ApiServer(token, node, Optional::empty, () -> true)
                    .bind(node.system(), "127.0.0.1", 0).toCompletableFuture().get(30, TimeUnit.SECONDS);
            String base = "http://127.0.0.1:" + binding.localAddress().getPort();
            try {
                for (String path : List.of("/v1/events", "/v1/tunnels/m/events", "/v1/events?type=admin-down",
                        "/v1/events?after=5")) {
                    JsonNode streamed = get(base + path, bearer);
                    List<JsonNode> paged = paged(base + path, bearer);
                    assertThat(streamed.isArray()).as(path).isTrue();
                    List<JsonNode> all = new ArrayList<>();
                    streamed.forEach(all::add);
                    assertThat(all).as(path).isEqualTo(paged);
                }
                // a count is the number of events the same filters return, and the offset of the last one
                for (String filters : List.of("", "?type=admin-down", "?after=5", "?type=admin-up&after=30",
                        "?since=2020-01-01T00:00:00Z", "?until=2020-01-01T00:00:00Z")) {
                    for (String events : List.of("/v1/events", "/v1/tunnels/n/events")) {
                        JsonNode read = get(base + events + filters, bearer);
                        JsonNode count = get(base + events + "/count" + filters, bearer);
                        assertThat(count.get("count").asLong()).as(events + filters).isEqualTo(read.size());
                        assertThat(count.get("lastOffset").isNull() ? null : count.get("lastOffset").asLong())
                                .as(events + filters)
                                .isEqualTo(read.isEmpty() ? null : read.get(read.size() - 1).get("offset").asLong());
                    }
                }
                assertThat(get(base + "/v1/events/count?type=admin-down", bearer).get("count").asLong()).isEqualTo(20);
                // what a count cannot take is refused, naming the field
                for (String[] bad : List.of(new String[] {"limit=10", "limit"}, new String[] {"type=exploded", "type"},
                        new String[] {"after=-1", "after"}, new String[] {"since=yesterday", "since"})) {
                    HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(base + "/v1/events/count?"
                            + bad[0])).header("Authorization", "Bearer " + bearer).build(),
                            HttpResponse.BodyHandlers.ofString());
                    assertThat(r.statusCode()).as(r.body()).isEqualTo(400);
                    assertThat(json.readTree(r.body()).at("/errors/0/field").asText()).as(r.body()).isEqualTo(bad[1]);
                }
                // more than a page in each case, so the stream really crossed pages
                assertThat(get(base + "/v1/events", bearer).size()).isGreaterThan(40);
                assertThat(get(base + "/v1/tunnels/m/events", bearer).size()).isGreaterThan(20);
                assertThat(get(base + "/v1/events?type=admin-down", bearer).size()).isEqualTo(20);
            } finally {
                binding.unbind().toCompletableFuture().get(10, TimeUnit.SECONDS);
            }
        }
    }

    /** The same question asked a page of 7 at a time with {@code limit} and {@code after}, as a client would. */
    List<JsonNode> paged(String url, String bearer) throws Exception {
        List<JsonNode> out = new ArrayList<>();
        String base = url.replaceAll("[?&]after=\\d+", "");
        String after = url.matches(".*[?&]after=\\d+.*") ? url.replaceAll(".*[?&]after=(\\d+).*", "$1") : null;
        String sep = base.contains("?") ? "&" : "?";
        while (true) {
            JsonNode page = get(base + sep + "limit=7" + (after == null ? "" : "&after=" + after), bearer);
            if (page.isEmpty()) {
                return out;
            }
            page.forEach(out::add);
            after = page.get(page.size() - 1).get("offset").asText();
        }
    }

    JsonNode get(String url, String bearer) throws Exception {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(url))
                .header("Authorization", "Bearer " + bearer).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).as(url + ": " + r.body()).isEqualTo(200);
        return json.readTree(r.body());
    }
}
