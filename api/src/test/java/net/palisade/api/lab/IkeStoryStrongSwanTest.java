package net.palisade.api.lab;

import static net.palisade.controlplane.lab.Lab.sh;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.StreamSupport;
import net.palisade.api.ApiServer;
import net.palisade.api.TokenFile;
import net.palisade.controlplane.ike.IkeManager;
import net.palisade.controlplane.lab.Lab;
import net.palisade.controlplane.lab.LabNamespaces;
import net.palisade.controlplane.lab.LabNode;
import net.palisade.controlplane.lab.StrongSwan;
import net.palisade.dataplane.Dataplane;
import net.palisade.model.event.SaId;
import org.apache.pekko.http.javadsl.ServerBinding;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The issue's requirement "the events of each run, read back through the API, tell the story of what happened",
 * checked on a real run: a node (dataplane, control plane, {@link IkeManager}) in gw-a's namespace of the lab
 * ({@code ops/lab/netns.sh}, its own prefix) with its HTTP API, Debian's strongSwan on gw-b and gw-c, and the tunnel
 * {@code ike ... peer 192.0.2.2 peer 192.0.2.3 dpd 2}. The scenario: the tunnel comes up with gw-b, a ping crosses,
 * strongSwan rekeys the Child SA and then the IKE SA, gw-b's charon is killed (no Delete), dead peer detection gives
 * up, the node switches to gw-c and the tunnel comes up there. Then {@code GET /v1/tunnels/to-b/events} must tell
 * exactly that, in order, with the peers, causes and SA names a person needs — the SA names checked against what
 * strongSwan itself lists — and no key material: every key strongSwan derived (its log at level 4 prints them) and
 * the PSK are searched for in the JSON.
 *
 * <p>Needs root and strongSwan; skipped with {@code -Dpalisade.skipExternal=true}.
 */
class IkeStoryStrongSwanTest {
    private static final String PSK = "story-lab-psk-9c41e7-not-for-production";
    private static final String LABEL = "to-b";
    private static final HttpClient http = HttpClient.newHttpClient();
    private static final ObjectMapper json = new ObjectMapper();

    @RegisterExtension
    static final LabNamespaces LAB = LabNamespaces.of(IkeStoryStrongSwanTest.class);
    private static final String PREFIX = LAB.prefix();

    @Test
    void theEventsReadBackThroughTheApiTellWhatHappened(@TempDir Path dir) throws Exception {
        Path tokenPath = dir.resolve("api-token");
        try (StrongSwan ssB = strongSwanConf(dir.resolve("ss-b"), "gwb", "192.0.2.2").start();
                StrongSwan ssC = strongSwanConf(dir.resolve("ss-c"), "gwc", "192.0.2.3").start();
                LabNode node = LabNode.start(PREFIX, dir);
                Bound bound = Bound.to(node, tokenPath)) {
            ServerBinding binding = bound.binding();
            Api api = new Api("http://127.0.0.1:" + binding.localAddress().getPort(),
                    Files.readString(tokenPath).strip());

            // the operator commits the tunnel through the API
            HttpResponse<String> commit = api.send("POST", "/v1/config/commits?message=story", "ike from 10.1.0.0/24"
                    + " to 10.2.0.0/24 peer 192.0.2.2 peer 192.0.2.3 dpd 2 psk \"" + PSK + "\" label " + LABEL + "\n");
            assertThat(commit.statusCode()).as(commit.body()).isEqualTo(201);
            String revision = json.readTree(commit.body()).path("revision").path("id").asText();

            // 1. up with gw-b, a ping crosses
            await().atMost(Duration.ofSeconds(40)).pollInterval(Duration.ofMillis(250)).untilAsserted(() ->
                    assertThat(types(api.events())).as("charon log of gw-b:\n" + ssB.log())
                            .contains("phase1-up", "child-sa-installed"));
            ping("up with gw-b", ssB);

            // 2. strongSwan rekeys the Child SA, then the IKE SA; the tunnel keeps carrying
            StrongSwanSas beforeChildRekey = StrongSwanSas.of(ssB);
            assertThat(ssB.swanctl("--rekey", "--child", "net").exit())
                    .isZero();
            await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(250)).untilAsserted(() -> {
                assertThat(types(api.events())).as("charon log of gw-b:\n" + ssB.log()).contains("rekeyed");
                assertThat(StrongSwanSas.of(ssB).childOutSpis()).hasSize(1)
                        .doesNotContainAnyElementsOf(beforeChildRekey.childOutSpis());
            });
            StrongSwanSas afterChildRekey = StrongSwanSas.of(ssB);
            ping("after strongSwan's Child SA rekey", ssB);

            assertThat(ssB.swanctl("--rekey", "--ike", "lab").exit())
                    .isZero();
            await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(250)).untilAsserted(() -> {
                assertThat(types(api.events())).as("charon log of gw-b:\n" + ssB.log())
                        .filteredOn("rekeyed"::equals).hasSize(2);
                assertThat(StrongSwanSas.of(ssB).ikeSas()).hasSize(1)
                        .doesNotContainAnyElementsOf(afterChildRekey.ikeSas());
            });
            StrongSwanSas afterIkeRekey = StrongSwanSas.of(ssB);
            ping("after strongSwan's IKE SA rekey", ssB);

            // 3. gw-b's charon dies (SIGKILL: no Delete is sent); dead peer detection, then gw-c
            Files.writeString(Path.of("target", "ikst-charon-gw-b.log"), ssB.log()); // for a failure's reader
            Set<String> keys = new LinkedHashSet<>(StrongSwanKeys.in(ssB.log()));
            for (String pid : sh("ip", "netns", "pids", PREFIX + "-gwb").output().strip().split("\\s+")) {
                if (!pid.isEmpty() && Files.readString(Path.of("/proc", pid, "comm")).strip().equals("charon")) {
                    assertThat(sh("kill", "-KILL", pid).exit()).isZero();
                }
            }
            await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(500)).untilAsserted(() -> {
                List<JsonNode> events = api.events();
                assertThat(types(events)).as("charon log of gw-c:\n" + ssC.log())
                        .containsSubsequence("dpd-lost", "peer-switched", "phase1-up", "child-sa-installed");
            });
            // site b's LAN follows its gateways: host-b's way back is now gw-c
            assertThat(sh("ip", "-n", PREFIX + "-hb", "route", "replace", "default", "via", "10.2.0.2").exit())
                    .isZero();
            ping("after the switch to gw-c", ssC);
            StrongSwanSas atC = StrongSwanSas.of(ssC);
            keys.addAll(StrongSwanKeys.in(ssC.log()));
            Files.writeString(Path.of("target", "ikst-charon-gw-c.log"), ssC.log());

            // 4. the story, read back through the API
            HttpResponse<String> raw = api.send("GET", "/v1/tunnels/" + LABEL + "/events", null);
            assertThat(raw.statusCode()).isEqualTo(200);
            assertThat(raw.headers().firstValue("Content-Type")).hasValueSatisfying(t ->
                    assertThat(t).startsWith("application/json"));
            List<JsonNode> story = StreamSupport.stream(json.readTree(raw.body()).spliterator(), false).toList();
            Files.writeString(Path.of("target", "ikst-story.json"), raw.body()); // for docs/interop/strongswan.md

            assertThat(types(story)).as(raw.body()).containsExactly(
                    "configured",
                    "phase1-up", "child-sa-installed",
                    "rekeyed", "rekeyed",
                    "dpd-lost", "peer-switched",
                    "phase1-up", "child-sa-installed");
            assertThat(story).allSatisfy(e -> {
                assertThat(e.path("label").asText()).isEqualTo(LABEL);
                assertThat(e.path("node").asText()).isEqualTo(story.get(0).path("node").asText()).isNotBlank();
                assertThat(Instant.parse(e.path("time").asText())).isBefore(Instant.now());
                assertThat(e.path("cause").asText()).isNotBlank();
            });
            assertThat(story).extracting(e -> Instant.parse(e.path("time").asText())).isSorted();
            assertThat(story).extracting(e -> e.path("offset").asLong()).isSorted().doesNotHaveDuplicates();

            // configured by commit c-1, whose author is the API caller; the spec names both peers, its PSK redacted
            JsonNode configured = story.get(0);
            assertThat(configured.path("cause").asText()).isEqualTo("commit:" + revision);
            JsonNode commits = json.readTree(api.send("GET", "/v1/config/commits", null).body());
            assertThat(commits).anySatisfy(c -> {
                assertThat(c.path("id").asText()).isEqualTo(revision);
                assertThat(c.path("author").asText()).isEqualTo("story");
            });
            assertThat(configured.path("spec").path("peers")).extracting(JsonNode::asText)
                    .containsExactly("192.0.2.2", "192.0.2.3");
            assertThat(configured.path("spec").path("dpd").asInt()).isEqualTo(2);
            assertThat(configured.path("spec").path("authentication").path("psk").asText()).isEqualTo("[redacted]");

            JsonNode upB = story.get(1);
            assertThat(upB.path("peer").asText()).isEqualTo("192.0.2.2");
            assertThat(upB.path("cause").asText()).isEqualTo("peer");
            assertThat(upB.path("ikeSa").asText()).isEqualTo(beforeChildRekey.ikeSas().getFirst());

            JsonNode childB = story.get(2).path("sa");
            assertThat(childB.path("id").asText()).isEqualTo(childSa(beforeChildRekey.childOutSpis().getFirst()));
            assertThat(hex(childB.path("spi").path("inbound"))).isEqualTo(beforeChildRekey.childOutSpis().getFirst());
            assertThat(hex(childB.path("spi").path("outbound"))).isEqualTo(beforeChildRekey.childInSpis().getFirst());

            JsonNode childRekey = story.get(3);
            assertThat(childRekey.path("cause").asText()).as("strongSwan started it").isEqualTo("peer");
            assertThat(childRekey.path("replaced").asText()).isEqualTo(childB.path("id").asText());
            assertThat(childRekey.path("replacement").asText())
                    .isEqualTo(childSa(afterChildRekey.childOutSpis().getFirst()));
            assertThat(hex(childRekey.path("spi").path("inbound"))).isEqualTo(afterChildRekey.childOutSpis().getFirst());
            assertThat(hex(childRekey.path("spi").path("outbound"))).isEqualTo(afterChildRekey.childInSpis().getFirst());

            JsonNode ikeRekey = story.get(4);
            assertThat(ikeRekey.path("cause").asText()).as("strongSwan started it").isEqualTo("peer");
            assertThat(ikeRekey.path("replaced").asText()).isEqualTo(upB.path("ikeSa").asText());
            assertThat(ikeRekey.path("replacement").asText()).isEqualTo(afterIkeRekey.ikeSas().getFirst());
            assertThat(ikeRekey.has("spi") && !ikeRekey.path("spi").isNull()).as("an IKE SA rekey has no Child SPIs")
                    .isFalse();

            JsonNode lost = story.get(5);
            assertThat(lost.path("peer").asText()).isEqualTo("192.0.2.2");
            JsonNode switched = story.get(6);
            assertThat(switched.path("from").asText()).isEqualTo("192.0.2.2");
            assertThat(switched.path("to").asText()).isEqualTo("192.0.2.3");
            JsonNode upC = story.get(7);
            assertThat(upC.path("peer").asText()).isEqualTo("192.0.2.3");
            assertThat(upC.path("ikeSa").asText()).isEqualTo(atC.ikeSas().getFirst());
            assertThat(story.get(8).path("sa").path("id").asText())
                    .isEqualTo(childSa(atC.childOutSpis().getFirst()));

            // no key material: not the PSK, not one of the keys strongSwan derived (hex either case, base64)
            assertThat(keys).as("strongSwan's log at level 4 lists the keys it derived").hasSizeGreaterThan(10);
            assertThat(raw.body()).doesNotContain(PSK);
            assertThat(keyMaterialIn(raw.body(), keys)).isEmpty();
            // the search would see a key: one planted in hex or base64 is found
            String planted = keys.iterator().next();
            assertThat(keyMaterialIn(raw.body() + planted.toUpperCase(java.util.Locale.ROOT), keys)).isNotEmpty();
            assertThat(keyMaterialIn(raw.body() + Base64.getEncoder().encodeToString(HexFormat.of()
                    .parseHex(planted)), keys)).isNotEmpty();
        }
    }

    /** strongSwan as {@code ops/lab/strongswan.sh conf} writes it, logging the keys it derives (level 4). */
    private static StrongSwan strongSwanConf(Path dir, String gw, String local) throws Exception {
        StrongSwan ss = StrongSwan.psk(PREFIX + "-" + gw, dir, local, "192.0.2.1", "10.2.0.0/16", "10.1.0.0/16", PSK,
                "aes128gcm16-prfsha256-x25519", "aes128gcm16-x25519"); // PFS: our default
        String text = Files.readString(dir.resolve("strongswan.conf"));
        assertThat(text).contains("      ike = 2\n");
        return ss.editConf(c -> c.replace("      ike = 2\n", "      ike = 4\n      chd = 4\n"));
    }

    /** The keys of {@code keys} (lower-case hex) that {@code text} holds in hex (either case) or base64. */
    private static List<String> keyMaterialIn(String text, Set<String> keys) {
        String lower = text.toLowerCase(java.util.Locale.ROOT);
        return keys.stream().filter(key -> {
            byte[] bytes = HexFormat.of().parseHex(key);
            return lower.contains(key) || text.contains(Base64.getEncoder().withoutPadding().encodeToString(bytes))
                    || text.contains(Base64.getUrlEncoder().withoutPadding().encodeToString(bytes));
        }).toList();
    }

    private static void ping(String when, StrongSwan charon) throws Exception {
        Lab.Result ping = Lab.ping(PREFIX + "-ha", "10.2.0.10");
        assertThat(ping.exit()).as(when + ": " + ping.output() + "\ncharon log:\n" + charon.log()).isZero();
    }

    private static List<String> types(List<JsonNode> events) {
        return events.stream().map(e -> e.path("type").asText()).toList();
    }

    /** A JSON number as 8 hex digits, as strongSwan prints SPIs. */
    /** Our name for the Child SA strongSwan sends to on {@code outSpiHex} (our inbound SPI). */
    private static String childSa(String outSpiHex) {
        return SaId.child(Long.parseLong(outSpiHex, 16)).value();
    }

    private static String hex(JsonNode spi) {
        assertThat(spi.isIntegralNumber()).as("an SPI as a number: " + spi).isTrue();
        return String.format("%08x", spi.asLong());
    }

    /** The node's HTTP API on a free port of 127.0.0.1, its token in {@code tokenPath}; closing unbinds it. */
    private record Bound(ServerBinding binding) implements AutoCloseable {
        static Bound to(LabNode node, Path tokenPath) throws Exception {
            Dataplane d = node.dataplane();
            return new Bound(new ApiServer(TokenFile.loadOrCreate(tokenPath), node.controlPlane(),
                    () -> Optional.of(d.counters()), () -> true).bind(node.controlPlane().system(), "127.0.0.1", 0)
                    .toCompletableFuture().get(30, TimeUnit.SECONDS));
        }

        @Override
        public void close() throws java.util.concurrent.ExecutionException, java.util.concurrent.TimeoutException {
            try {
                binding.unbind().toCompletableFuture().get(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** The API over HTTP with the node's token, as user "story". */
    private record Api(String base, String token) {
        HttpResponse<String> send(String method, String path, String text) throws Exception {
            HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base + path)).timeout(Duration.ofSeconds(30))
                    .header("Authorization", "Bearer " + token).header("X-Palisade-User", "story");
            if (text != null) {
                b.header("Content-Type", "text/plain");
            }
            b.method(method, text == null ? HttpRequest.BodyPublishers.noBody()
                    : HttpRequest.BodyPublishers.ofString(text));
            return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
        }

        List<JsonNode> events() throws Exception {
            HttpResponse<String> r = send("GET", "/v1/tunnels/" + LABEL + "/events", null);
            assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
            return StreamSupport.stream(json.readTree(r.body()).spliterator(), false).toList();
        }
    }

    /**
     * What {@code swanctl --list-sas} shows: IKE SAs as {@code initiatorSpi:responderSpi} (16 hex digits each) and
     * the Child SAs' SPIs (8 hex digits; "in" is what strongSwan receives on, our outbound).
     */
    private record StrongSwanSas(List<String> ikeSas, List<String> childInSpis, List<String> childOutSpis) {
        private static final Pattern IKE = Pattern.compile("([0-9a-f]{16})_i\\*? ([0-9a-f]{16})_r");
        private static final Pattern IN = Pattern.compile("^\\s+in\\s+([0-9a-f]{8})", Pattern.MULTILINE);
        private static final Pattern OUT = Pattern.compile("^\\s+out\\s+([0-9a-f]{8})", Pattern.MULTILINE);

        static StrongSwanSas of(StrongSwan ss) throws Exception {
            Lab.Result r = ss.swanctl("--list-sas");
            assertThat(r.exit()).as(r.output()).isZero();
            List<String> ike = new ArrayList<>();
            Matcher m = IKE.matcher(r.output());
            while (m.find()) {
                ike.add(m.group(1) + ":" + m.group(2));
            }
            return new StrongSwanSas(ike, all(IN, r.output()), all(OUT, r.output()));
        }

        private static List<String> all(Pattern p, String text) {
            List<String> found = new ArrayList<>();
            Matcher m = p.matcher(text);
            while (m.find()) {
                found.add(m.group(1));
            }
            return found;
        }
    }

    /** The keys strongSwan prints at log level 4 ("Sk_ei secret => 16 bytes @ ...", then hex dump lines). */
    private static final class StrongSwanKeys {
        private static final Pattern HEAD = Pattern.compile("(secret|key|Sk_\\w+|SKEYSEED)[^\\n]*=> (\\d+) bytes @",
                Pattern.CASE_INSENSITIVE);
        private static final Pattern DUMP = Pattern.compile("\\]\\s+\\d+: ((?:[0-9A-F]{2} ?){1,16})");

        static List<String> in(String log) {
            List<String> keys = new ArrayList<>();
            String[] lines = log.split("\n");
            for (int i = 0; i < lines.length; i++) {
                Matcher head = HEAD.matcher(lines[i]);
                if (!head.find()) {
                    continue;
                }
                int length = Integer.parseInt(head.group(2));
                StringBuilder hex = new StringBuilder();
                for (int j = i + 1; j < lines.length && hex.length() < 2 * length; j++) {
                    Matcher dump = DUMP.matcher(lines[j]);
                    if (!dump.find()) {
                        break;
                    }
                    hex.append(dump.group(1).replace(" ", ""));
                }
                if (hex.length() == 2 * length && length >= 8) {
                    keys.add(hex.toString().toLowerCase(java.util.Locale.ROOT));
                }
            }
            return keys;
        }
    }
}
