package net.palisade.api.lab;

import static net.palisade.controlplane.lab.Lab.sh;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import net.palisade.api.ApiServer;
import net.palisade.api.StatusPageBrowser;
import net.palisade.api.TokenFile;
import net.palisade.controlplane.lab.Lab;
import net.palisade.controlplane.lab.LabNamespaces;
import net.palisade.controlplane.lab.LabNode;
import net.palisade.controlplane.lab.StrongSwan;
import net.palisade.dataplane.Dataplane;
import org.apache.pekko.http.javadsl.ServerBinding;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;

/**
 * The status page in Debian's chromium, watching a real IKE tunnel: a node (dataplane, control plane, IKE) in gw-a's
 * namespace of the lab with its API, Debian's strongSwan on gw-b. The person at the page types the token; the
 * tunnel, committed before strongSwan runs, is red; strongSwan starts and the node's retry brings the tunnel up:
 * green, with strongSwan's SPIs and the ping's bytes; strongSwan is killed (no Delete): dead peer detection gives up
 * and the row turns red, with {@code dpd-lost} at the top of the event list — all seen in the page, live.
 * Screenshots: {@code target/status-page-up.png} (docs/status-page.png is one, copied by hand) and
 * {@code target/status-page-down.png}.
 *
 * <p>Needs root, strongSwan and chromium; skipped with {@code -Dpalisade.skipExternal=true}.
 */
class StatusPageStrongSwanTest {
    private static final String PSK = "status-page-lab-psk-51c0aa-not-for-production";
    private static final String LABEL = "to-b";
    private static final HttpClient http = HttpClient.newHttpClient();

    @RegisterExtension
    static final LabNamespaces LAB = LabNamespaces.of(StatusPageStrongSwanTest.class);
    private static final String PREFIX = LAB.prefix();

    @Test
    void theTunnelGoesGreenWhenStrongSwanConnectsAndRedWhenItDies(@TempDir Path dir) throws Exception {
        Path tokenPath = dir.resolve("api-token");
        StrongSwan ss = StrongSwan.psk(PREFIX + "-gwb", dir.resolve("ss-b"), "192.0.2.2", "192.0.2.1",
                "10.2.0.0/16", "10.1.0.0/16", PSK, "aes128gcm16-prfsha256-x25519", "aes128gcm16-x25519");
        try (LabNode node = LabNode.start(PREFIX, dir);
                ServerBindingCloser bound = ServerBindingCloser.bind(node, tokenPath);
                StatusPageBrowser browser = StatusPageBrowser.open(bound.base())) {
            String token = Files.readString(tokenPath).strip();

            browser.load("/");
            browser.signIn(token);
            browser.await(By.id("tunnels"), Duration.ofSeconds(20));

            // committed while nobody answers at 192.0.2.2: no IKE SA, red
            HttpResponse<String> commit = send(bound.base(), token, "POST", "/v1/config/commits?message=status-page",
                    "ike from 10.1.0.0/24 to 10.2.0.0/24 peer 192.0.2.2 dpd 2 psk \"" + PSK + "\" label " + LABEL + "\n");
            assertThat(commit.statusCode()).as(commit.body()).isEqualTo(201);
            await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> {
                assertThat(browser.colour(LABEL)).hasValue("red");
                assertThat(browser.events()).contains(LABEL + " configured");
            });

            // strongSwan comes; the node's next try connects: green, with the SAs strongSwan lists
            ss.start();
            await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(250)).untilAsserted(() -> {
                assertThat(browser.colour(LABEL)).as("charon log:\n" + ss.log()).hasValue("green");
                assertThat(browser.events()).contains(LABEL + " phase1-up", LABEL + " child-sa-installed");
            });
            String listed = ss.swanctl("--list-sas").output();
            String sas = browser.row(LABEL).orElseThrow().get("sas");
            // strongSwan's "in" SPI is our outbound, its "out" our inbound; the page writes 0x + 8 hex digits
            java.util.regex.Matcher in = java.util.regex.Pattern.compile("(?m)^\\s+in\\s+([0-9a-f]{8})").matcher(listed);
            java.util.regex.Matcher out = java.util.regex.Pattern.compile("(?m)^\\s+out\\s+([0-9a-f]{8})").matcher(listed);
            assertThat(in.find() && out.find()).as(listed).isTrue();
            assertThat(sas).contains("in 0x" + out.group(1)).contains("out 0x" + in.group(1));
            assertThat(browser.row(LABEL).orElseThrow().get("peer"))
                    .isEqualTo("192.0.2.2");

            // a ping crosses; the page's byte counters move (it re-reads the tunnels every 5 s)
            Lab.Result ping = Lab.ping(PREFIX + "-ha", "10.2.0.10");
            assertThat(ping.exit()).as(ping.output()).isZero();
            await().atMost(Duration.ofSeconds(15)).untilAsserted(() -> {
                String bytes = browser.row(LABEL).orElseThrow().get("bytes");
                assertThat(bytes).matches("[1-9][0-9]* / [1-9][0-9]*");
            });
            // target/ only: a test run must not change tracked files (docs/status-page.png is one such shot, copied by hand)
            browser.screenshot("status-page-up.png", Optional.empty());

            // strongSwan dies without a Delete: dead peer detection, then red and the event on top of the list
            for (String pid : sh("ip", "netns", "pids", PREFIX + "-gwb").output().strip().split("\\s+")) {
                if (!pid.isEmpty() && Files.readString(Path.of("/proc", pid, "comm")).strip().equals("charon")) {
                    assertThat(sh("kill", "-KILL", pid).exit()).isZero();
                }
            }
            await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(250)).untilAsserted(() -> {
                assertThat(browser.colour(LABEL)).hasValue("red");
                assertThat(browser.events()).contains(LABEL + " dpd-lost");
            });
            assertThat(browser.driver().findElement(By.id("live")).getText()).isEqualTo("live");
            browser.screenshot("status-page-down.png", Optional.empty());
        } finally {
            ss.close();
        }
    }

    private static HttpResponse<String> send(String base, String token, String method, String path, String text)
            throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base + path)).timeout(Duration.ofSeconds(30))
                .header("Authorization", "Bearer " + token);
        if (text != null) {
            b.header("Content-Type", "text/plain");
        }
        b.method(method, text == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(text));
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    /** The node's HTTP API on a free port of 127.0.0.1, its token in {@code tokenPath}; closing unbinds it. */
    private record ServerBindingCloser(ServerBinding binding) implements AutoCloseable {
        static ServerBindingCloser bind(LabNode node, Path tokenPath) throws Exception {
            Dataplane d = node.dataplane();
            return new ServerBindingCloser(new ApiServer(TokenFile.loadOrCreate(tokenPath), node.controlPlane(),
                    () -> Optional.of(d.counters()), () -> true).bind(node.controlPlane().system(), "127.0.0.1", 0)
                    .toCompletableFuture().get(30, TimeUnit.SECONDS));
        }

        String base() {
            return "http://127.0.0.1:" + binding.localAddress().getPort();
        }

        @Override
        public void close() throws Exception {
            binding.unbind().toCompletableFuture().get(10, TimeUnit.SECONDS);
        }
    }
}
