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
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import net.palisade.controlplane.ControlPlane;
import net.palisade.controlplane.Settings;
import net.palisade.controlplane.ike.IkeManager;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.http.javadsl.ServerBinding;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * IKE sessions' work for unauthenticated peers (certificate path building, Diffie-Hellman) runs on its own dispatcher
 * ({@link IkeManager#SESSIONS}): sessions that hold every one of its threads do not delay an API request that reads
 * the tunnels and commits a config through the journal, on a real node over real HTTP.
 */
class IkeWorkIsolationTest {
    private static final HttpClient http = HttpClient.newHttpClient();
    /** Far more than the default dispatcher has threads on any machine this runs on. */
    private static final int SLOW_SESSIONS = 64;

    @TempDir static Path dir;
    private static ControlPlane node;
    private static ServerBinding binding;
    private static String token;

    @BeforeAll
    static void start() throws Exception {
        node = ControlPlane.start(Settings.defaults(dir.resolve("data")).withCluster("127.0.0.1", 0, List.of()));
        node.whenUp().toCompletableFuture().get(60, TimeUnit.SECONDS);
        Path tokenPath = dir.resolve("api-token");
        TokenFile tokenFile = TokenFile.loadOrCreate(tokenPath);
        token = Files.readString(tokenPath).strip();
        binding = new ApiServer(tokenFile, node, Optional::empty, () -> true).bind(node.system(), "127.0.0.1", 0)
                .toCompletableFuture().get(30, TimeUnit.SECONDS);
    }

    @AfterAll
    static void stop() throws Exception {
        binding.unbind().toCompletableFuture().get(10, TimeUnit.SECONDS);
        node.close();
    }

    private static HttpResponse<String> send(String method, String path, String body) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:"
                + binding.localAddress().getPort() + path)).timeout(Duration.ofSeconds(20))
                .header("Authorization", "Bearer " + token).header("X-Palisade-User", "alice");
        if (body != null) {
            b.header("Content-Type", "text/plain");
        }
        b.method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    /** What a session does while it verifies a peer's certificate chain that takes long: holds its thread. */
    private record Verify() {}

    @Test
    void sessionsBusyVerifyingCertificatesDoNotDelayTheApiOrTheJournal() throws Exception {
        assertThat(send("GET", "/v1/tunnels", null).statusCode()).isEqualTo(200);
        CountDownLatch release = new CountDownLatch(1);
        AtomicInteger verifying = new AtomicInteger();
        try {
            for (int i = 0; i < SLOW_SESSIONS; i++) {
                ActorRef<Verify> session = node.system().systemActorOf(Behaviors.receive(Verify.class)
                        .onMessage(Verify.class, v -> {
                            verifying.incrementAndGet();
                            release.await(60, TimeUnit.SECONDS);
                            return Behaviors.same();
                        }).build(), "slow-session-" + i, IkeManager.SESSIONS);
                session.tell(new Verify());
            }
            // the sessions' dispatcher is saturated: at least its minimum number of threads are held
            await().atMost(Duration.ofSeconds(20)).until(() -> verifying.get() >= 2);

            long t0 = System.nanoTime();
            HttpResponse<String> tunnels = send("GET", "/v1/tunnels", null);
            HttpResponse<String> commit = send("POST", "/v1/config/commits?message=during", """
                    ipsec {
                      ike from 10.1.0.0/16 to 10.2.0.0/16 peer 192.0.2.2 psk "isolation-test-psk-0123" label to-b
                    }
                    """);
            Duration took = Duration.ofNanos(System.nanoTime() - t0);
            assertThat(tunnels.statusCode()).isEqualTo(200);
            assertThat(commit.statusCode()).as(commit.body()).isEqualTo(201);
            assertThat(took).as("an API read and a journaled commit while %d sessions hold their threads",
                    verifying.get()).isLessThan(Duration.ofSeconds(10));
            assertThat(verifying.get()).as("the slow sessions are still verifying").isLessThan(SLOW_SESSIONS);
        } finally {
            release.countDown();
        }
    }
}
