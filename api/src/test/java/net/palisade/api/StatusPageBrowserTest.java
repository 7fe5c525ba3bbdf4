package net.palisade.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import net.palisade.controlplane.ControlPlane;
import net.palisade.controlplane.Settings;
import org.apache.pekko.http.javadsl.ServerBinding;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;

/**
 * The status page in Debian's chromium against a real node (control plane and API on real sockets, no IKE): the
 * page is served without the token, asks for it once, keeps it in the tab's sessionStorage (not in the URL, not in
 * a cookie), and follows commits live through the event stream — a committed tunnel's row appears with the colour
 * of the legend, a deleted one disappears, and both events appear in the list.
 */
class StatusPageBrowserTest {
    private static final HttpClient http = HttpClient.newBuilder().followRedirects(HttpClient.Redirect.NEVER).build();
    /** The legend as docs/api.md states it, written independently of the page's script. */
    private static final Map<String, String> LEGEND = Map.of("up", "green", "no-child-sa", "amber",
            "connecting", "red", "down", "red");

    @TempDir static Path dir;
    private static ControlPlane node;
    private static ServerBinding binding;
    private static String token;
    private static String base;

    @BeforeAll
    static void start() throws Exception {
        node = ControlPlane.start(Settings.defaults(dir.resolve("data")).withCluster("127.0.0.1", 0, List.of()));
        node.whenUp().toCompletableFuture().get(60, TimeUnit.SECONDS);
        Path tokenPath = dir.resolve("api-token");
        TokenFile tokenFile = TokenFile.loadOrCreate(tokenPath);
        token = Files.readString(tokenPath).strip();
        binding = new ApiServer(tokenFile, node, Optional::empty, () -> true).bind(node.system(), "127.0.0.1", 0)
                .toCompletableFuture().get(30, TimeUnit.SECONDS);
        base = "http://127.0.0.1:" + binding.localAddress().getPort();
    }

    @AfterAll
    static void stop() throws Exception {
        binding.unbind().toCompletableFuture().get(10, TimeUnit.SECONDS);
        node.close();
    }

    private static HttpResponse<String> send(String method, String path, String body, String bearer) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base + path)).timeout(Duration.ofSeconds(30));
        if (bearer != null) {
            b.header("Authorization", "Bearer " + bearer);
        }
        if (body != null) {
            b.header("Content-Type", "text/plain");
        }
        b.method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void thePageNeedsNoTokenAndEveryDataCallDoes() throws Exception {
        HttpResponse<String> root = send("GET", "/", null, null);
        assertThat(root.statusCode()).isEqualTo(302);
        assertThat(root.headers().firstValue("Location")).hasValue("/ui/");
        HttpResponse<String> page = send("GET", "/ui/", null, null);
        assertThat(page.statusCode()).isEqualTo(200);
        assertThat(page.headers().firstValue("Content-Type")).hasValueSatisfying(t -> assertThat(t).startsWith("text/html"));
        assertThat(page.headers().firstValue("Content-Security-Policy")).hasValueSatisfying(csp ->
                assertThat(csp).contains("script-src 'self'").doesNotContain("unsafe-inline"));
        assertThat(page.body()).doesNotContain("<script>").contains("src=\"status.js\"");
        assertThat(send("GET", "/ui/status.js", null, null).statusCode()).isEqualTo(200);
        assertThat(send("GET", "/ui/status.css", null, null).statusCode()).isEqualTo(200);
        // only the page's own files: nothing else of the class path
        assertThat(send("GET", "/ui/StatusPage.class", null, null).statusCode()).isEqualTo(404);
        assertThat(send("GET", "/ui/..%2Fui%2Findex.html", null, null).statusCode()).isEqualTo(404);
        assertThat(send("GET", "/v1/tunnels", null, null).statusCode()).isEqualTo(401);
        assertThat(send("GET", "/v1/events/stream", null, null).statusCode()).isEqualTo(401);
    }

    @Test
    void rowsAndEventsFollowCommitsLive() throws Exception {
        try (StatusPageBrowser browser = StatusPageBrowser.open(base)) {
            browser.load("/");
            assertThat(browser.driver().getCurrentUrl()).isEqualTo(base + "/ui/");

            // a wrong token is refused and not kept
            browser.signIn("not-the-token");
            await().atMost(Duration.ofSeconds(10)).untilAsserted(() ->
                    assertThat(browser.driver().findElement(By.id("login-error")).getText()).contains("not valid"));
            assertThat(browser.script("return sessionStorage.length")).isEqualTo(0L);

            browser.signIn(token);
            browser.await(By.id("tunnels"), Duration.ofSeconds(20));
            await().atMost(Duration.ofSeconds(10)).untilAsserted(() ->
                    assertThat(browser.driver().findElement(By.id("live")).getText()).isEqualTo("live"));

            HttpResponse<String> commit = send("POST", "/v1/config/commits?message=browser", """
                    ike from 10.1.0.0/16 to 10.2.0.0/16 peer 192.0.2.2 psk "browser-test-psk-8d2c" label to-b
                    manual from 10.1.0.0/16 to 10.3.0.0/16 local 192.0.2.1 peer 192.0.2.3 spi 0x1000:0x1001 enc aes-128-gcm enckey 0x6b1f6b2e6b3d6b4c6b5b6b6a6b796b886b976ba6 label legacy
                    """, token);
            assertThat(commit.statusCode()).as(commit.body()).isEqualTo(201);

            // both rows appear live (the stream's events make the page read the tunnels again), coloured as the
            // legend says for the status the API reports
            await().atMost(Duration.ofSeconds(15)).untilAsserted(() -> {
                for (String label : List.of("to-b", "legacy")) {
                    String status = new com.fasterxml.jackson.databind.ObjectMapper()
                            .readTree(send("GET", "/v1/tunnels/" + label, null, token).body()).path("status").asText();
                    assertThat(browser.row(label)).as(label).isPresent();
                    assertThat(browser.row(label).get().get("status")).isEqualTo(status);
                    assertThat(browser.colour(label)).as(label + " " + status).hasValue(LEGEND.get(status));
                }
                assertThat(browser.events()).contains("to-b configured", "legacy configured");
            });
            // an IKE tunnel on a node without IKE never gets an IKE SA: red
            assertThat(browser.colour("to-b")).hasValue("red");
            assertThat(browser.row("to-b").get().get("text")).contains("192.0.2.2").doesNotContain("browser-test-psk");
            browser.screenshot("status-page-manual.png", Optional.empty());
            // the pair's state as GET /v1/cluster gives it (this node alone: role "sole", one member)
            HttpResponse<String> cluster = send("GET", "/v1/cluster", null, token);
            assertThat(cluster.statusCode()).as(cluster.body()).isEqualTo(200);
            var pair = new com.fasterxml.jackson.databind.ObjectMapper().readTree(cluster.body());
            await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
                assertThat(browser.driver().findElement(By.id("cluster")).isDisplayed()).isTrue();
                assertThat(browser.driver().findElement(By.id("cluster-summary")).getText())
                        .contains(pair.path("self").asText() + ": " + pair.path("role").asText());
                assertThat(browser.driver().findElements(By.cssSelector("#cluster-members tr")))
                        .hasSize(pair.path("members").size());
            });
            assertThat(browser.driver().findElement(By.id("error")).getText()).isEmpty();

            // the token: in this tab's sessionStorage, not in the URL, no cookie; a reload does not ask again
            assertThat(browser.script("return sessionStorage.getItem('palisade.api.token')")).isEqualTo(token);
            assertThat(browser.driver().getCurrentUrl()).doesNotContain(token);
            assertThat(browser.script("return document.cookie")).isEqualTo("");
            assertThat(browser.driver().manage().getCookies()).isEmpty();
            browser.driver().navigate().refresh();
            browser.await(By.cssSelector("#tunnel-rows tr[data-label='legacy']"), Duration.ofSeconds(20));
            assertThat(browser.driver().findElement(By.id("login")).isDisplayed()).isFalse();

            // deleting a tunnel removes its row, and the event shows
            assertThat(send("DELETE", "/v1/tunnels/legacy", null, token).statusCode()).isEqualTo(200);
            await().atMost(Duration.ofSeconds(15)).untilAsserted(() -> {
                assertThat(browser.row("legacy")).isEmpty();
                assertThat(browser.row("to-b")).isPresent();
                assertThat(browser.events().getFirst()).isEqualTo("legacy removed");
            });

            // forgetting the token clears the tab's copy and shows the prompt again
            browser.driver().findElement(By.id("forget")).click();
            browser.await(By.id("token"), Duration.ofSeconds(10));
            assertThat(browser.script("return sessionStorage.getItem('palisade.api.token')")).isNull();
        }
    }

    @Test
    void aBrokenStreamResumesWithLastEventIdAndLosesNoEvent() throws Exception {
        // a second API on the same node: the commits made while the page's server is away go through it
        ServerBinding other = new ApiServer(TokenFile.loadOrCreate(dir.resolve("api-token")), node, Optional::empty,
                () -> true).bind(node.system(), "127.0.0.1", 0).toCompletableFuture().get(30, TimeUnit.SECONDS);
        String otherBase = "http://127.0.0.1:" + other.localAddress().getPort();
        try (StatusPageBrowser browser = StatusPageBrowser.open(base)) {
            browser.load("/ui/");
            browser.signIn(token);
            await().atMost(Duration.ofSeconds(20)).untilAsserted(() ->
                    assertThat(browser.driver().findElement(By.id("live")).getText()).isEqualTo("live"));
            assertThat(commit(base, "manual from 10.1.0.0/16 to 10.4.0.0/16 local 192.0.2.1 peer 192.0.2.4"
                    + " spi 0x2000:0x2001 enc aes-128-gcm enckey 0x" + "11".repeat(20) + " label resume-a\n"))
                    .isEqualTo(201);
            await().atMost(Duration.ofSeconds(15)).untilAsserted(() ->
                    assertThat(browser.events()).contains("resume-a configured"));

            // the page's server goes away, its open stream with it
            int port = binding.localAddress().getPort();
            binding.terminate(Duration.ofSeconds(2)).toCompletableFuture().get(30, TimeUnit.SECONDS);
            await().atMost(Duration.ofSeconds(15)).untilAsserted(() ->
                    assertThat(browser.driver().findElement(By.id("live")).getText()).isEqualTo("stream: reconnecting"));
            assertThat(commit(otherBase, "manual from 10.1.0.0/16 to 10.5.0.0/16 local 192.0.2.1 peer 192.0.2.5"
                    + " spi 0x3000:0x3001 enc aes-128-gcm enckey 0x" + "22".repeat(20) + " label resume-b\n"))
                    .isEqualTo(201);

            // back on the same port: the page reconnects after the last event it saw and shows what it missed, once
            binding = new ApiServer(TokenFile.loadOrCreate(dir.resolve("api-token")), node, Optional::empty,
                    () -> true).bind(node.system(), "127.0.0.1", port).toCompletableFuture().get(30, TimeUnit.SECONDS);
            await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> {
                assertThat(browser.driver().findElement(By.id("live")).getText()).isEqualTo("live");
                List<String> events = browser.events();
                assertThat(events).doesNotHaveDuplicates().hasSizeGreaterThanOrEqualTo(3);
                // newest first: what the page missed, in either order, above what it had seen
                assertThat(events.subList(0, 2)).containsExactlyInAnyOrder("resume-b configured", "resume-a removed");
                assertThat(events.get(2)).isEqualTo("resume-a configured");
                assertThat(browser.row("resume-b")).isPresent();
                assertThat(browser.row("resume-a")).isEmpty();
            });
        } finally {
            other.unbind().toCompletableFuture().get(10, TimeUnit.SECONDS);
        }
    }

    /** Commits {@code text} as the whole configuration through the API at {@code at}; the answer's status. */
    private static int commit(String at, String text) throws Exception {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(at + "/v1/config/commits?message=resume"))
                .header("Authorization", "Bearer " + token).header("Content-Type", "text/plain")
                .POST(HttpRequest.BodyPublishers.ofString(text)).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).as(r.body()).isEqualTo(201);
        return r.statusCode();
    }
}
