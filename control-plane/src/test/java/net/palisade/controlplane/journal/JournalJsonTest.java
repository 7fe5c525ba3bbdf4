package net.palisade.controlplane.journal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.charset.StandardCharsets;
import com.typesafe.config.ConfigFactory;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import net.palisade.controlplane.Fixtures;
import net.palisade.model.IpsecConfig;
import net.palisade.model.Spi;
import net.palisade.model.SpiPair;
import net.palisade.model.config.ConfigPrinter;
import net.palisade.model.crypto.DhGroup;
import net.palisade.model.event.Cause;
import net.palisade.model.event.ChildSa;
import net.palisade.model.event.FailureReason;
import net.palisade.model.event.SaId;
import net.palisade.model.event.TunnelEvent;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.serialization.Serialization;
import org.apache.pekko.serialization.SerializationExtension;
import org.apache.pekko.serialization.Serializers;
import org.apache.pekko.serialization.jackson.JacksonObjectMapperProvider;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class JournalJsonTest {
    private static final NodeKey KEY = NodeKey.random();
    private static ActorSystem<Void> system;
    private static Serialization serialization;

    @BeforeAll
    static void start() {
        system = Fixtures.system("journal-json", KEY, ConfigFactory.empty());
        serialization = SerializationExtension.get(system.classicSystem());
    }

    @AfterAll
    static void stop() {
        system.terminate();
    }

    private static Object roundTrip(Object o) {
        byte[] bytes = serialization.serialize(o).get();
        var ser = serialization.findSerializerFor(o);
        return serialization.deserialize(bytes, ser.identifier(), Serializers.manifestFor(ser, o)).get();
    }

    private static final Instant T = Instant.parse("2026-11-27T03:12:00Z");

    @Test
    void configSurvivesTheJournalWithEverySecretAndKind() {
        IpsecConfig config = Fixtures.config();
        var event = new TunnelEvent.Configured("site-b", T, "n1", Cause.api("alice"), config.tunnels().getFirst());
        assertThat(roundTrip(event)).isEqualTo(event);
        var holder = new net.palisade.controlplane.config.ConfigInput.Parsed(config);
        var back = (net.palisade.controlplane.config.ConfigInput.Parsed) roundTrip(holder);
        assertThat(back.config()).isEqualTo(config);
        // the text flag of PSKs survives: the canonical (unredacted) print is identical
        assertThat(ConfigPrinter.print(back.config())).isEqualTo(ConfigPrinter.print(config));
    }

    @Test
    void serializedBytesHoldNoCanary() {
        var holder = new net.palisade.controlplane.config.ConfigInput.Parsed(Fixtures.config());
        byte[] bytes = serialization.serialize(holder).get();
        for (byte[] canary : Fixtures.canaryForms()) {
            assertThat(Fixtures.contains(bytes, canary)).as("canary form %s", new String(canary)).isFalse();
        }
        assertThat(Fixtures.contains(bytes, KEY.keyId().getBytes())).as("key id present").isTrue();
    }

    @Test
    void anotherNodeKeyCannotReadAndSaysWhy() {
        var event = new TunnelEvent.Configured("site-b", T, "n1", Cause.FILE, Fixtures.config().tunnels().getFirst());
        byte[] bytes = serialization.serialize(event).get();
        var ser = serialization.findSerializerFor(event);
        ActorSystem<Void> other = Fixtures.system("other-key", NodeKey.random(), ConfigFactory.empty());
        try {
            var otherSer = SerializationExtension.get(other.classicSystem());
            assertThatThrownBy(() -> otherSer.deserialize(bytes, ser.identifier(),
                    Serializers.manifestFor(ser, event)).get())
                    .hasStackTraceContaining("sealed with node key " + KEY.keyId());
        } finally {
            other.terminate();
        }
    }

    @Test
    void alteredCiphertextIsRefused() {
        SecretSealer sealer = new SecretSealer(KEY);
        SecretSealer.Place place = new SecretSealer.Place("t", "authentication.psk");
        SecretSealer.Sealed s = sealer.seal(new byte[] {1, 2, 3}, false, place);
        s.ct()[0] ^= 1;
        assertThatThrownBy(() -> sealer.unseal(s, place)).hasMessageContaining("failed authentication");
        SecretSealer.Sealed t = sealer.seal(new byte[] {1, 2, 3}, false, place);
        // a byte secret cannot be replayed as a text secret: the kind is authenticated
        assertThatThrownBy(() -> sealer.unseal(new SecretSealer.Sealed(t.format(), t.kid(), true, t.nonce(), t.ct()),
                place)).hasMessageContaining("failed authentication");
        // nor a bound value as one of the older, unbound format
        assertThatThrownBy(() -> sealer.unseal(new SecretSealer.Sealed(SecretSealer.LEGACY_FORMAT, t.kid(), false,
                t.nonce(), t.ct()), place)).hasMessageContaining("failed authentication");
        assertThat(sealer.seal(new byte[] {1}, false, place).nonce())
                .isNotEqualTo(sealer.seal(new byte[] {1}, false, place).nonce());
    }

    private static ObjectMapper json() {
        return JacksonObjectMapperProvider.get(system.classicSystem()).getOrCreate("jackson-json", Optional.empty());
    }

    private static ObjectNode configured(String label) throws Exception {
        var spec = Fixtures.config().tunnels().stream().filter(t -> t.label().equals(label)).findFirst().orElseThrow();
        return (ObjectNode) new ObjectMapper().readTree(json().writeValueAsString(
                new TunnelEvent.Configured(label, T, "n1", Cause.FILE, spec)));
    }

    private static void assertRefusedNaming(ObjectNode event, String tunnel, String field) {
        assertThatThrownBy(() -> json().readValue(event.toString(), TunnelEvent.class))
                .hasMessageContaining("tunnel " + tunnel + " field " + field)
                .hasMessageContaining("failed authentication")
                .satisfies(e -> {
                    for (byte[] canary : Fixtures.canaryForms()) {
                        assertThat(Fixtures.contains(stackTrace(e).getBytes(StandardCharsets.UTF_8), canary))
                                .as("canary in the error").isFalse();
                    }
                });
    }

    private static String stackTrace(Throwable e) {
        var out = new java.io.StringWriter();
        e.printStackTrace(new java.io.PrintWriter(out));
        return out.toString();
    }

    @Test
    void aSealedPskMovedToAnotherTunnelDoesNotOpenAndTheErrorNamesTunnelAndField() throws Exception {
        ObjectNode siteB = configured("site-b");
        ObjectNode legacyC = configured("legacy-c");
        // a database writer copies site-b's sealed PSK over legacy-c's
        ((ObjectNode) legacyC.get("spec").get("authentication")).set("psk",
                siteB.get("spec").get("authentication").get("psk").deepCopy());
        assertRefusedNaming(legacyC, "legacy-c", "authentication.psk");
        // and a label rewritten around the sealed value is the same move
        ObjectNode renamed = siteB.deepCopy();
        ((ObjectNode) renamed.get("spec")).put("label", "legacy-c");
        renamed.put("label", "legacy-c");
        assertRefusedNaming(renamed, "legacy-c", "authentication.psk");
        // unmoved, both read
        assertThat(json().readValue(siteB.toString(), TunnelEvent.class)).isInstanceOf(TunnelEvent.Configured.class);
    }

    @Test
    void aSealedKeyMovedToAnotherFieldOfTheSameTunnelDoesNotOpen() throws Exception {
        ObjectNode staticE = configured("static-e");
        ObjectNode spec = (ObjectNode) staticE.get("spec");
        // the HMAC key in the place of the encryption key: both are 20-byte byte secrets
        ObjectNode swapped = staticE.deepCopy();
        ((ObjectNode) swapped.get("spec").get("encKey")).set("inbound", spec.get("authKey").get("inbound").deepCopy());
        assertRefusedNaming(swapped, "static-e", "encKey.inbound");
        // one direction's key in the other's place
        ObjectNode staticD = configured("static-d");
        ObjectNode keys = (ObjectNode) staticD.get("spec").get("encKey");
        keys.set("outbound", keys.get("inbound").deepCopy());
        assertRefusedNaming(staticD, "static-d", "encKey.outbound");
    }

    @Test
    void secretsSealedBeforeTheyWereBoundStillReadAndAreWrittenBound() throws Exception {
        ObjectNode event = configured("site-b");
        ObjectNode psk = (ObjectNode) event.get("spec").get("authentication").get("psk");
        assertThat(psk.get("v").intValue()).isEqualTo(2);
        // the PSK as a journal written before the binding holds it: AES-256-GCM under the node key with the key id
        // and the kind as associated data, sealed here with the JCE
        byte[] nonce = new byte[12];
        new java.security.SecureRandom().nextBytes(nonce);
        javax.crypto.Cipher c = javax.crypto.Cipher.getInstance("AES/GCM/NoPadding");
        c.init(javax.crypto.Cipher.ENCRYPT_MODE, KEY.aesKey(), new javax.crypto.spec.GCMParameterSpec(128, nonce));
        c.updateAAD(("palisade-secret-v1|" + KEY.keyId() + "|text").getBytes(StandardCharsets.US_ASCII));
        byte[] ct = c.doFinal(Fixtures.CANARY_PSK.getBytes(StandardCharsets.UTF_8));
        ObjectNode old = new ObjectMapper().createObjectNode().put("kid", KEY.keyId()).put("text", true)
                .put("nonce", nonce).put("ct", ct);
        ((ObjectNode) event.get("spec").get("authentication")).set("psk", old);

        var read = (TunnelEvent.Configured) json().readValue(event.toString(), TunnelEvent.class);
        var original = Fixtures.config().tunnels().getFirst();
        assertThat(read.spec()).isEqualTo(original);
        // written again, it is bound
        JsonNode rewritten = new ObjectMapper().readTree(json().writeValueAsString(read));
        assertThat(rewritten.get("spec").get("authentication").get("psk").get("v").intValue()).isEqualTo(2);
        // and the whole config (snapshots, commits) as CBOR still round-trips
        var holder = new net.palisade.controlplane.config.ConfigInput.Parsed(Fixtures.config());
        assertThat(((net.palisade.controlplane.config.ConfigInput.Parsed) roundTrip(holder)).config())
                .isEqualTo(Fixtures.config());
    }

    @Test
    void everyTunnelEventHasItsWireName() throws Exception {
        ObjectMapper json = JacksonObjectMapperProvider.get(system.classicSystem()).getOrCreate("jackson-json",
                Optional.empty());
        SpiPair spi = new SpiPair(Spi.of(0x1000), Spi.of(0x1001));
        var spec = Fixtures.config().tunnels().getFirst();
        List<TunnelEvent> events = List.of(
                new TunnelEvent.Configured("t", T, "n1", Cause.commit("c-1"), spec),
                new TunnelEvent.Removed("t", T, "n1", Cause.commit("c-2")),
                new TunnelEvent.AdminUp("t", T, "n1", Cause.api("bob")),
                new TunnelEvent.AdminDown("t", T, "n1", Cause.api("bob")),
                new TunnelEvent.Phase1Up("t", T, "n1", Cause.PEER, "198.51.100.7", "0x1/0x2"),
                new TunnelEvent.Phase1Down("t", T, "n1", Cause.PEER, "delete"),
                new TunnelEvent.ChildSaInstalled("t", T, "n1", Cause.PEER, new ChildSa(SaId.of("child-1"), spi)),
                new TunnelEvent.ChildSaDeleted("t", T, "n1", Cause.PEER, SaId.of("child-1")),
                new TunnelEvent.Rekeyed("t", T, "n1", Cause.TIMER, SaId.of("child-1"), SaId.of("child-2"), Optional.of(spi)),
                new TunnelEvent.DpdLost("t", T, "n1", Cause.TIMER, "198.51.100.7"),
                new TunnelEvent.PeerSwitched("t", T, "n1", Cause.TIMER, Optional.of("198.51.100.7"), "198.51.100.8"),
                new TunnelEvent.NegotiationFailed("t", T, "n1", Cause.PEER, FailureReason.NO_PROPOSAL_CHOSEN, ""),
                new TunnelEvent.SaExpired("t", T, "n1", Cause.TIMER, SaId.of("child-2")),
                new TunnelEvent.PingLost("t", T, "n1", Cause.TIMER, "10.1.0.1", "10.2.0.1", 3),
                new TunnelEvent.PingOk("t", T, "n1", Cause.PEER, "10.1.0.1", "10.2.0.1"),
                new TunnelEvent.TakeoverState("t", T, "n1", Cause.NODE, TunnelEvent.TakeoverState.CHILD_SA,
                        SaId.of("child-2"), new net.palisade.model.event.SealedState("0011223344556677",
                                new byte[12], new byte[] {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17})),
                new TunnelEvent.SequenceReserved("t", T, "n1", Cause.NODE, 0x1001, 1L << 20),
                new TunnelEvent.Resumed("t", T, "n1", Cause.NODE, "0x1/0x2"));
        assertThat(events.stream().map(TunnelEvent::type).toList()).isEqualTo(TunnelEvent.TYPES);
        for (TunnelEvent e : events) {
            String text = json.writeValueAsString(e);
            assertThat(text).contains("\"type\":\"" + e.type() + "\"", "\"time\":\"2026-11-27T03:12:00Z\"",
                    "\"node\":\"n1\"", "\"cause\":\"" + e.cause() + "\"");
            assertThat(json.readValue(text, TunnelEvent.class)).isEqualTo(e);
            assertThat(roundTrip(e)).isEqualTo(e);
        }
        assertThat(json.writeValueAsString(events.get(11))).contains("\"reason\":\"NO_PROPOSAL_CHOSEN\"");
    }

    @Test
    void childSaNamesHaveEightHexDigitsAndUnpaddedOnesFromOlderJournalsStillRead() throws Exception {
        ObjectMapper json = JacksonObjectMapperProvider.get(system.classicSystem()).getOrCreate("jackson-json",
                Optional.empty());
        SpiPair spi = new SpiPair(Spi.of(0x084f4d05L), Spi.of(0xc1000001L));
        var installed = new TunnelEvent.ChildSaInstalled("t", T, "n1", Cause.PEER,
                new ChildSa(SaId.child(0x084f4d05L), spi));
        assertThat(json.writeValueAsString(installed)).contains("\"id\":\"child-084f4d05\"");
        assertThat(roundTrip(installed)).isEqualTo(installed);

        // the delete of that SA as a journal written before the names were padded holds it
        String old = """
                {"type":"child-sa-deleted","label":"t","time":"2026-11-27T03:12:00Z","node":"n1","cause":"peer",
                 "saId":"child-84f4d05"}""";
        var deleted = (TunnelEvent.ChildSaDeleted) json.readValue(old, TunnelEvent.class);
        assertThat(deleted.saId()).isEqualTo(installed.sa().id());
        assertThat(deleted.saId().value()).isEqualTo("child-084f4d05");
        assertThat(SaId.of("manual")).isEqualTo(SaId.MANUAL);
        assertThat(SaId.of("0x1/0x2").value()).as("IKE SA names are kept as they are").isEqualTo("0x1/0x2");
    }

    @Test
    void phase1UpRecordsTheIkeVersionAndEventsWrittenBeforeTheFieldStillRead() throws Exception {
        ObjectMapper json = JacksonObjectMapperProvider.get(system.classicSystem()).getOrCreate("jackson-json",
                Optional.empty());
        var v1 = new TunnelEvent.Phase1Up("t", T, "n1", Cause.PEER, "198.51.100.7", "0x1/0x2", Optional.of(1));
        assertThat(json.writeValueAsString(v1)).contains("\"ikeVersion\":1");
        assertThat(roundTrip(v1)).isEqualTo(v1);
        String old = """
                {"type":"phase1-up","label":"t","time":"2026-11-27T03:12:00Z","node":"n1","cause":"peer",
                 "peer":"198.51.100.7","ikeSa":"0x1/0x2"}""";
        assertThat(json.readValue(old, TunnelEvent.class)).isInstanceOfSatisfying(TunnelEvent.Phase1Up.class,
                e -> assertThat(e.ikeVersion()).isEmpty());
        assertThat(json.writeValueAsString(new TunnelEvent.Phase1Up("t", T, "n1", Cause.PEER, "198.51.100.7",
                "0x1/0x2"))).doesNotContain("ikeVersion");
    }

    @Test
    void theIkeSaOfAPhase1DownDpdLossAndChildSaIsJournaledAndEventsWithoutItStillRead() throws Exception {
        ObjectMapper json = JacksonObjectMapperProvider.get(system.classicSystem()).getOrCreate("jackson-json",
                Optional.empty());
        var down = new TunnelEvent.Phase1Down("t", T, "n1", Cause.PEER, "delete", Optional.of("0x1/0x2"));
        var lost = new TunnelEvent.DpdLost("t", T, "n1", Cause.TIMER, "198.51.100.7", Optional.of("0x3/0x4"));
        var installed = new TunnelEvent.ChildSaInstalled("t", T, "n1", Cause.PEER,
                new ChildSa(SaId.child(2), new SpiPair(Spi.of(0x1000), Spi.of(0x1001))).under("0x1/0x2"));
        for (TunnelEvent e : List.of(down, lost, installed)) {
            assertThat(json.writeValueAsString(e)).contains("\"ikeSa\":\"0x");
            assertThat(roundTrip(e)).isEqualTo(e);
            assertThat(json.readValue(json.writeValueAsString(e), TunnelEvent.class)).isEqualTo(e);
        }
        String old = """
                {"type":"phase1-down","label":"t","time":"2026-11-27T03:12:00Z","node":"n1","cause":"peer",
                 "reason":"delete"}""";
        assertThat(json.readValue(old, TunnelEvent.class)).isInstanceOfSatisfying(TunnelEvent.Phase1Down.class,
                e -> assertThat(e.ikeSa()).isEmpty());
        assertThat(json.writeValueAsString(new TunnelEvent.Phase1Down("t", T, "n1", Cause.PEER, "delete")))
                .doesNotContain("ikeSa");
    }

    @Test
    void aChildSaRecordsItsPfsAndEventsWrittenBeforeTheFieldStillRead() throws Exception {
        ObjectMapper json = JacksonObjectMapperProvider.get(system.classicSystem()).getOrCreate("jackson-json",
                Optional.empty());
        SpiPair spi = new SpiPair(Spi.of(0x1000), Spi.of(0x1001));
        var installed = new TunnelEvent.ChildSaInstalled("t", T, "n1", Cause.PEER,
                new ChildSa(SaId.child(2), spi, Optional.of(DhGroup.NONE)));
        var rekeyed = new TunnelEvent.Rekeyed("t", T, "n1", Cause.PEER, SaId.child(1), SaId.child(2), Optional.of(spi),
                Optional.of(DhGroup.NONE));
        assertThat(json.writeValueAsString(installed)).contains("\"pfs\":\"none\"");
        assertThat(json.writeValueAsString(rekeyed)).contains("\"pfs\":\"none\"");
        assertThat(roundTrip(installed)).isEqualTo(installed);
        assertThat(roundTrip(rekeyed)).isEqualTo(rekeyed);
        // without a record (and as written before the field existed) there is no pfs key, and such text reads
        String old = json.writeValueAsString(new TunnelEvent.Rekeyed("t", T, "n1", Cause.PEER, SaId.child(1), SaId.child(2),
                Optional.of(spi)));
        assertThat(old).doesNotContain("pfs");
        assertThat(json.readValue(old, TunnelEvent.class)).isInstanceOfSatisfying(TunnelEvent.Rekeyed.class,
                r -> assertThat(r.pfs()).isEmpty());
        String oldInstalled = json.writeValueAsString(installed).replace(",\"pfs\":\"none\"", "");
        assertThat(oldInstalled).doesNotContain("pfs");
        assertThat(json.readValue(oldInstalled, TunnelEvent.class)).isInstanceOfSatisfying(
                TunnelEvent.ChildSaInstalled.class, e -> assertThat(e.sa().pfs()).isEmpty());
    }

    @Test
    void aChildSaRecordsEsnAndEventsWrittenBeforeTheFieldReadAs32Bit() throws Exception {
        ObjectMapper json = JacksonObjectMapperProvider.get(system.classicSystem()).getOrCreate("jackson-json",
                Optional.empty());
        SpiPair spi = new SpiPair(Spi.of(0x1000), Spi.of(0x1001));
        var installed = new TunnelEvent.ChildSaInstalled("t", T, "n1", Cause.PEER,
                new ChildSa(SaId.child(2), spi, Optional.empty(), true));
        var rekeyed = new TunnelEvent.Rekeyed("t", T, "n1",
                Cause.of("dataplane:outbound sequence numbers near exhaustion"), SaId.child(1), SaId.child(2),
                Optional.of(spi), Optional.of(DhGroup.NONE), true);
        assertThat(json.writeValueAsString(installed)).contains("\"esn\":true");
        assertThat(json.writeValueAsString(rekeyed)).contains("\"esn\":true");
        assertThat(roundTrip(installed)).isEqualTo(installed);
        assertThat(roundTrip(rekeyed)).isEqualTo(rekeyed);
        // journals written before ESN was negotiated have no esn key: every Child SA then had 32-bit numbers
        String oldInstalled = json.writeValueAsString(installed).replace(",\"esn\":true", "");
        String oldRekeyed = json.writeValueAsString(rekeyed).replace(",\"esn\":true", "");
        assertThat(oldInstalled + oldRekeyed).doesNotContain("esn");
        assertThat(json.readValue(oldInstalled, TunnelEvent.class)).isInstanceOfSatisfying(
                TunnelEvent.ChildSaInstalled.class, e -> assertThat(e.sa().esn()).isFalse());
        assertThat(json.readValue(oldRekeyed, TunnelEvent.class)).isInstanceOfSatisfying(
                TunnelEvent.Rekeyed.class, e -> assertThat(e.esn()).isFalse());
        // and 32-bit SAs are written as before
        assertThat(json.writeValueAsString(new TunnelEvent.ChildSaInstalled("t", T, "n1", Cause.PEER,
                new ChildSa(SaId.child(2), spi)))).doesNotContain("esn");
    }

    @Test
    void causeHasAForm() {
        assertThat(Cause.api("alice").kind()).isEqualTo("api");
        assertThat(Cause.of("commit:c-12").kind()).isEqualTo("commit");
        assertThatThrownBy(() -> Cause.of("Not a cause")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Cause.of("api:")).isInstanceOf(IllegalArgumentException.class);
    }
}
