package net.palisade.api;

import static org.assertj.core.api.Assertions.assertThat;

import com.typesafe.config.ConfigFactory;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.net.Socket;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import net.palisade.controlplane.ControlPlane;
import net.palisade.controlplane.Settings;
import net.palisade.controlplane.journal.LiveEvents;
import net.palisade.controlplane.tunnel.TunnelView;
import org.apache.pekko.http.javadsl.ServerBinding;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code /v1/events/stream} over real sockets: a client that stops reading is cut off once the node holds
 * {@code palisade.live-events.buffer} events for it, and what it finds when it reads again ends with the
 * {@code cut-off} event and its message; the journal writes went on meanwhile, and a client that kept reading got
 * every one of them, ids rising.
 */
class EventStreamCutOffTest {
    private static final int BUFFER = 4;
    private static final Pattern ID = Pattern.compile("^id: ?(\\d+)$", Pattern.MULTILINE);

    @TempDir
    Path dir;

    @Test
    void aClientThatStopsReadingIsCutOffWithTheMessageAndTheOthersGetEveryEvent() throws Exception {
        Settings settings = Settings.defaults(dir.resolve("data")).withCluster("127.0.0.1", 0, List.of())
                .withOverrides(ConfigFactory.parseString(LiveEvents.BUFFER_KEY + " = " + BUFFER
                        + "\npekko.http.server.socket-options.so-send-buffer-size = 4096"));
        try (ControlPlane node = ControlPlane.start(settings)) {
            node.whenUp().toCompletableFuture().get(60, TimeUnit.SECONDS);
            node.commit("manual from 10.1.0.0/16 to 10.4.0.0/16 local 192.0.2.1 peer 192.0.2.44 spi 0x1000:0x1001"
                    + " enc aes-128-gcm enckey 0x00112233445566778899aabbccddeeff00112233 label m\n", "alice", "m",
                    Optional.empty()).toCompletableFuture().get(30, TimeUnit.SECONDS);
            org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(30)).until(() ->
                    node.tunnel("m").toCompletableFuture().get(10, TimeUnit.SECONDS).configured());
            TokenFile token = TokenFile.loadOrCreate(dir.resolve("token"));
            String bearer = Files.readString(dir.resolve("token")).strip();
            ServerBinding binding = new ApiServer(token, node, Optional::empty, () -> true)
                    .bind(node.system(), "127.0.0.1", 0).toCompletableFuture().get(30, TimeUnit.SECONDS);
            int port = binding.localAddress().getPort();

            Socket stalled = new Socket();
            stalled.setReceiveBufferSize(4096);
            stalled.setSoTimeout(30_000);
            stalled.connect(binding.localAddress());
            stalled.getOutputStream().write(("GET /v1/events/stream HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization:"
                    + " Bearer " + bearer + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            InputStream stalledIn = stalled.getInputStream();
            String head = readUntil(stalledIn, "\r\n\r\n");
            assertThat(head).startsWith("HTTP/1.1 200 ");

            HttpResponse<java.util.stream.Stream<String>> reading = HttpClient.newHttpClient().sendAsync(
                    HttpRequest.newBuilder(java.net.URI.create("http://127.0.0.1:" + port + "/v1/events/stream"))
                            .header("Authorization", "Bearer " + bearer).build(),
                    HttpResponse.BodyHandlers.ofLines()).get(30, TimeUnit.SECONDS);
            BlockingQueue<String> lines = new LinkedBlockingQueue<>();
            Thread.ofVirtual().start(() -> reading.body().forEach(lines::add));

            LiveEvents live = LiveEvents.get(node.system().classicSystem());
            int writes = 0;
            while (live.cutOff() == 0 && writes < 5_000) {
                TunnelView v = (writes % 2 == 0 ? node.adminDown("m", "bob") : node.adminUp("m", "bob"))
                        .toCompletableFuture().get(30, TimeUnit.SECONDS);
                assertThat(v.configured()).isTrue();
                writes++;
            }
            assertThat(live.cutOff()).as("cut off after %d writes", writes).isEqualTo(1);

            String rest = readUntil(stalledIn, "event:cut-off");
            assertThat(rest.replace(" ", "")).contains("event:cut-off").contains(("data:{\"message\":\"this client"
                    + " fell " + BUFFER + " events behind the node's journal writes; live events stopped: reconnect with"
                    + " Last-Event-ID set to the last id received to read on from the journal\"}").replace(" ", ""));
            List<Long> stalledIds = ids(rest);
            assertThat(stalledIds).isSorted().doesNotHaveDuplicates().hasSizeLessThan(writes);

            List<Long> readIds = new ArrayList<>();
            while (readIds.size() < writes) {
                String line = lines.poll(30, TimeUnit.SECONDS);
                assertThat(line).as("the reading client's events after %d of %d", readIds.size(), writes)
                        .isNotNull().doesNotContain("cut-off");
                Matcher m = ID.matcher(line);
                if (m.matches()) {
                    readIds.add(Long.parseLong(m.group(1)));
                }
            }
            assertThat(readIds).isSorted().doesNotHaveDuplicates().hasSize(writes);
            stalled.close();
            binding.unbind().toCompletableFuture().get(10, TimeUnit.SECONDS);
        }
    }

    private static List<Long> ids(String text) {
        List<Long> out = new ArrayList<>();
        Matcher m = ID.matcher(text.replace("\r", ""));
        while (m.find()) {
            out.add(Long.parseLong(m.group(1)));
        }
        return out;
    }

    /** Bytes from {@code in} up to and including {@code end} (the socket's timeout bounds the wait). */
    private static String readUntil(InputStream in, String end) throws Exception {
        ByteArrayOutputStream seen = new ByteArrayOutputStream();
        int last = end.charAt(end.length() - 1);
        for (int b = in.read(); b >= 0; b = in.read()) {
            seen.write(b);
            if (b == last && seen.toString(StandardCharsets.UTF_8).endsWith(end)) {
                break;
            }
        }
        return seen.toString(StandardCharsets.UTF_8);
    }
}
