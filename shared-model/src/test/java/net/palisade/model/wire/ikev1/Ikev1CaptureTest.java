package net.palisade.model.wire.ikev1;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.stream.Stream;
import net.palisade.model.IpAddresses;
import net.palisade.model.wire.DataAttribute;
import net.palisade.model.wire.Octets;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * strongSwan 5.9.8 IKEv1 traffic (Main Mode, Aggressive Mode, Quick Mode with PFS, DPD, deletes; NAT-T with NAT-D
 * payloads and vendor IDs; see {@code wire/ikev1/capture.sh}) decoded by Palisade and compared with TShark 4.0.17's
 * dissection (stored by {@code gen-expected.py}). For encrypted messages the codec decodes the octets TShark
 * decrypted, and must read the same payloads TShark read from them. Every message re-encodes byte for byte.
 */
class Ikev1CaptureTest {
    static final Ikev1Codec CODEC = Ikev1Codec.standard();
    static final HexFormat HEX = HexFormat.of();

    static JsonNode capture(String scenario) {
        try (InputStream in = Ikev1CaptureTest.class.getResourceAsStream("/wire/ikev1/strongswan-ikev1-" + scenario
                + ".json")) {
            return new ObjectMapper().readTree(in);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static Stream<Arguments> packets() {
        List<Arguments> out = new ArrayList<>();
        for (String s : List.of("main", "aggressive")) {
            for (JsonNode p : capture(s).get("packets")) {
                out.add(Arguments.of(s + " frame " + p.get("frame").asInt(), p));
            }
        }
        return out.stream();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("packets")
    void decodesWhatTsharkReads(String name, JsonNode packet) {
        byte[] datagram = HEX.parseHex(packet.get("hex").asText());
        Ikev1Message m = CODEC.decode(datagram).orElseThrow();
        JsonNode t = packet.get("tshark");
        Ikev1Header h = m.header();
        assertThat(HEX.toHexDigits(h.initiatorCookie())).isEqualTo(t.get("ispi").asText());
        assertThat(HEX.toHexDigits(h.responderCookie())).isEqualTo(t.get("rspi").asText());
        assertThat(t.get("version").asText()).isEqualTo("0x10");
        assertThat(h.exchangeType().value()).isEqualTo(t.get("exchangeType").asInt());
        assertThat(h.exchangeType()).isInstanceOf(Ikev1ExchangeType.Known.class);
        assertThat(h.flags()).isEqualTo(t.get("flags").asInt());
        assertThat(h.messageId()).isEqualTo(t.get("messageId").asLong());
        assertThat(datagram.length).isEqualTo(t.get("length").asInt());
        assertThat(CODEC.encode(m)).as("encode(decode(x)) == x").isEqualTo(datagram);
        List<Ikev1Payload> payloads = switch (m) {
            case Ikev1Message.Plain p -> {
                assertThat(packet.has("decrypted")).isFalse();
                assertThat(p.payloads().getFirst().type().value()).isEqualTo(t.get("nextPayload").asInt());
                yield p.payloads();
            }
            case Ikev1Message.Encrypted e -> {
                assertThat(e.firstPayload().value()).isEqualTo(t.get("nextPayload").asInt());
                byte[] plain = HEX.parseHex(packet.get("decrypted").asText());
                assertThat(plain.length).as("ciphertext and plaintext lengths").isEqualTo(e.ciphertext().length());
                List<Ikev1Payload> inner = CODEC.decodePayloads(e.firstPayload(), plain).orElseThrow();
                byte[] chain = CODEC.encodePayloads(inner);
                assertThat(HEX.formatHex(chain)).as("inner chain re-encodes byte for byte")
                        .isEqualTo(HEX.formatHex(plain, 0, chain.length));
                yield inner;
            }
        };
        JsonNode theirs = t.get("payloads");
        assertThat(payloads).extracting(p -> p.type().value()).containsExactlyElementsOf(types(theirs));
        for (int i = 0; i < payloads.size(); i++) {
            assertPayload(payloads.get(i), theirs.get(i), name + " payload " + i);
        }
    }

    static List<Integer> types(JsonNode array) {
        List<Integer> out = new ArrayList<>();
        array.forEach(n -> out.add(n.get("type").asInt()));
        return out;
    }

    static int length(Ikev1Payload p) {
        return CODEC.encodePayloads(List.of(p)).length;
    }

    static void assertPayload(Ikev1Payload p, JsonNode t, String where) {
        assertThat(length(p)).as(where + " length").isEqualTo(t.get("length").asInt());
        switch (p) {
            case Ikev1Payload.Sa sa -> {
                assertThat(sa.doi()).isEqualTo(t.get("doi").asLong());
                assertThat(sa.situation()).isEqualTo(t.get("situation").asLong());
                JsonNode props = t.get("proposals");
                assertThat(sa.proposals()).hasSize(props.size());
                for (int i = 0; i < props.size(); i++) {
                    Ikev1Proposal ours = sa.proposals().get(i);
                    JsonNode x = props.get(i);
                    assertThat(ours.number()).isEqualTo(x.get("number").asInt());
                    assertThat(ours.protocol().value()).isEqualTo(x.get("protocol").asInt());
                    assertThat(ours.spi().length()).isEqualTo(x.get("spiSize").asInt());
                    assertThat(ours.spi().hex()).isEqualTo(x.get("spi").asText());
                    assertThat(ours.transforms()).hasSize(x.get("transformCount").asInt());
                    for (int j = 0; j < ours.transforms().size(); j++) {
                        Ikev1Transform tf = ours.transforms().get(j);
                        JsonNode y = x.get("transforms").get(j);
                        assertThat(tf.number()).isEqualTo(y.get("number").asInt());
                        assertThat(tf.transformId()).isEqualTo(y.get("id").asInt());
                        JsonNode attrs = y.get("attributes");
                        assertThat(tf.attributes()).as(where + " attributes").hasSize(attrs.size());
                        for (int k = 0; k < attrs.size(); k++) {
                            DataAttribute a = tf.attributes().get(k);
                            JsonNode z = attrs.get(k);
                            assertThat(a.type()).isEqualTo(z.get("type").asInt());
                            assertThat(a instanceof DataAttribute.Tv).isEqualTo(z.get("tv").asBoolean());
                            String value = switch (a) {
                                case DataAttribute.Tv tv -> Octets.ofUnsigned(tv.value(), 2).hex();
                                case DataAttribute.Tlv tlv -> tlv.value().hex();
                            };
                            assertThat(value).isEqualTo(z.get("value").asText());
                        }
                    }
                }
            }
            case Ikev1Payload.Ke ke -> assertThat(ke.data().hex()).isEqualTo(t.get("data").asText());
            case Ikev1Payload.Id id -> {
                assertThat(id.idType().value()).isEqualTo(t.get("idType").asInt());
                assertThat(id.protocol()).isEqualTo(t.get("protocol").asInt());
                assertThat(id.port()).isEqualTo(t.get("port").asInt());
                List<String> texts = new ArrayList<>();
                t.get("text").forEach(x -> texts.add(x.asText()));
                List<String> ours = new ArrayList<>();
                id.address().ifPresent(a -> ours.add(IpAddresses.format(a)));
                id.second().ifPresent(a -> ours.add(IpAddresses.format(a)));
                assertThat(ours).as(where + " ID").isEqualTo(texts);
            }
            case Ikev1Payload.Hash h -> assertThat(h.data().hex()).isEqualTo(t.get("data").asText());
            case Ikev1Payload.Nonce n -> assertThat(n.data().hex()).isEqualTo(t.get("data").asText());
            case Ikev1Payload.Notify n -> {
                assertThat(n.doi()).isEqualTo(t.get("doi").asLong());
                assertThat(n.protocol().value()).isEqualTo(t.get("protocol").asInt());
                assertThat(n.spi().length()).isEqualTo(t.get("spiSize").asInt());
                assertThat(n.notifyType().value()).isEqualTo(t.get("notifyType").asInt());
                assertThat(n.spi().hex()).isEqualTo(t.get("spi").asText());
                if (t.has("data")) {
                    assertThat(n.data().hex()).isEqualTo(t.get("data").asText());
                }
                if (t.has("dpdSequence")) {
                    assertThat(n.data().toUnsignedLong()).isEqualTo(t.get("dpdSequence").asLong());
                }
            }
            case Ikev1Payload.Delete d -> {
                assertThat(d.doi()).isEqualTo(t.get("doi").asLong());
                assertThat(d.protocol().value()).isEqualTo(t.get("protocol").asInt());
                assertThat(d.spiSize()).isEqualTo(t.get("spiSize").asInt());
                assertThat(d.spis()).hasSize(t.get("spiCount").asInt());
                List<String> spis = new ArrayList<>();
                t.get("spis").forEach(s -> spis.add(s.asText()));
                assertThat(d.spis()).extracting(Octets::hex).containsExactlyElementsOf(spis);
            }
            case Ikev1Payload.VendorId v -> assertThat(v.id().hex()).isEqualTo(t.get("data").asText());
            case Ikev1Payload.NatD n -> assertThat(n.hash().hex()).isEqualTo(t.get("data").asText());
            default -> throw new AssertionError(where + ": no such payload in the captures: " + p);
        }
    }
}
