package net.palisade.model.wire.ikev2;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.List;
import net.palisade.model.IpAddresses;
import net.palisade.model.wire.Octets;

/**
 * Compares decoded payloads with what TShark reported for them (the "tshark" objects that gen-expected.py wrote into
 * the capture resources). Every field TShark reported is checked; nothing is skipped silently.
 */
final class TsharkView {
    private TsharkView() {}

    static void assertChain(List<Payload> ours, JsonNode theirs, String where) {
        assertThat(ours).as(where + ": payload types").extracting(p -> p.type().value())
                .containsExactlyElementsOf(ints(theirs, "type"));
        for (int i = 0; i < ours.size(); i++) {
            assertPayload(ours.get(i), theirs.get(i), where + " payload " + i + " (" + ours.get(i).type().name() + ")");
        }
    }

    static List<Integer> ints(JsonNode array, String field) {
        List<Integer> out = new ArrayList<>();
        array.forEach(n -> out.add(n.get(field).asInt()));
        return out;
    }

    static int encodedLength(Payload p) {
        return switch (p) {
            case SkPayload sk -> 4 + sk.content().length();
            case SkfPayload skf -> 8 + skf.content().length();
            default -> Samples.CODEC.encodeChain(List.of(p)).length;
        };
    }

    static void assertPayload(Payload p, JsonNode t, String where) {
        assertThat(p.type().value()).as(where + " type").isEqualTo(t.get("type").asInt());
        assertThat(encodedLength(p)).as(where + " length").isEqualTo(t.get("length").asInt());
        assertThat(p.critical() ? 1 : 0).as(where + " critical").isEqualTo(t.get("critical").asInt());
        switch (p) {
            case SaPayload sa -> {
                JsonNode props = t.get("proposals");
                assertThat(sa.proposals()).as(where + " proposals").hasSize(props.size());
                for (int i = 0; i < props.size(); i++) {
                    Proposal ours = sa.proposals().get(i);
                    JsonNode theirs = props.get(i);
                    String w = where + " proposal " + i;
                    assertThat(ours.number()).as(w + " number").isEqualTo(theirs.get("number").asInt());
                    assertThat(ours.protocol().value()).as(w + " protocol").isEqualTo(theirs.get("protocol").asInt());
                    assertThat(ours.spi().length()).as(w + " SPI size").isEqualTo(theirs.get("spiSize").asInt());
                    assertThat(ours.spi().hex()).as(w + " SPI").isEqualTo(theirs.get("spi").asText());
                    assertThat(ours.transforms()).as(w + " transforms").hasSize(theirs.get("transformCount").asInt());
                    JsonNode tfs = theirs.get("transforms");
                    assertThat(ours.transforms()).hasSize(tfs.size());
                    for (int j = 0; j < tfs.size(); j++) {
                        Transform tf = ours.transforms().get(j);
                        JsonNode x = tfs.get(j);
                        assertThat(tf.type().value()).as(w + " transform " + j + " type").isEqualTo(x.get("type").asInt());
                        assertThat(tf.id()).as(w + " transform " + j + " id").isEqualTo(x.get("id").asInt());
                        if (x.has("keyLength")) {
                            assertThat(tf.keyLength()).as(w + " transform " + j + " key length")
                                    .hasValue(x.get("keyLength").asInt());
                        } else {
                            assertThat(tf.keyLength()).as(w + " transform " + j + " key length").isEmpty();
                        }
                    }
                }
            }
            case KePayload ke -> {
                assertThat(ke.group()).as(where + " group").isEqualTo(t.get("group").asInt());
                assertThat(ke.data().hex()).as(where + " data").isEqualTo(t.get("data").asText());
            }
            case NoncePayload n -> assertThat(n.nonce().hex()).as(where + " nonce").isEqualTo(t.get("nonce").asText());
            case IdPayload id -> {
                assertThat(id.idType().value()).as(where + " ID type").isEqualTo(t.get("idType").asInt());
                if (t.has("text")) {
                    String text = t.get("text").asText();
                    String ours = id.address().map(IpAddresses::format).orElseGet(() -> id.text().orElseThrow());
                    assertThat(ours).as(where + " ID").isEqualTo(text);
                }
            }
            case CertPayload c -> assertThat(c.encoding().value()).as(where + " encoding")
                    .isEqualTo(t.get("encoding").asInt());
            case CertReqPayload c -> {
                assertThat(c.encoding().value()).as(where + " encoding").isEqualTo(t.get("encoding").asInt());
                List<String> authorities = new ArrayList<>();
                t.get("authorities").forEach(a -> authorities.add(a.asText()));
                assertThat(c.authorityKeyHashes().orElseThrow()).as(where + " CA hashes").extracting(Octets::hex)
                        .containsExactlyElementsOf(authorities);
            }
            case AuthPayload a -> {
                assertThat(a.method().value()).as(where + " method").isEqualTo(t.get("method").asInt());
                if (t.has("data")) {
                    assertThat(a.data().hex()).as(where + " data").isEqualTo(t.get("data").asText());
                }
            }
            case NotifyPayload n -> {
                assertThat(n.protocol().value()).as(where + " protocol").isEqualTo(t.get("protocol").asInt());
                assertThat(n.spi().length()).as(where + " SPI size").isEqualTo(t.get("spiSize").asInt());
                assertThat(n.notifyType().value()).as(where + " notify type").isEqualTo(t.get("notifyType").asInt());
                if (t.has("spi")) {
                    assertThat(n.spi().hex()).as(where + " SPI").isEqualTo(t.get("spi").asText());
                }
                if (t.has("data")) {
                    assertThat(n.data().hex()).as(where + " data").isEqualTo(t.get("data").asText());
                } else if (!t.has("hashAlgorithms") && !t.has("acceptedGroup")) {
                    assertThat(n.data().isEmpty()).as(where + " no data").isTrue();
                }
                if (t.has("hashAlgorithms")) {
                    assertThat(n.hashAlgorithms().orElseThrow()).as(where + " hash algorithms")
                            .extracting(HashAlgorithm::value).containsExactlyElementsOf(ints(t.get("hashAlgorithms")));
                }
                if (t.has("acceptedGroup")) {
                    assertThat(n.acceptedGroup()).as(where + " accepted group").hasValue(t.get("acceptedGroup").asInt());
                }
            }
            case DeletePayload d -> {
                assertThat(d.protocol().value()).as(where + " protocol").isEqualTo(t.get("protocol").asInt());
                assertThat(d.spiSize()).as(where + " SPI size").isEqualTo(t.get("spiSize").asInt());
                assertThat(d.spis()).as(where + " SPI count").hasSize(t.get("spiCount").asInt());
                List<String> spis = new ArrayList<>();
                t.get("spis").forEach(s -> spis.add(s.asText()));
                assertThat(d.spis()).extracting(Octets::hex).containsExactlyElementsOf(spis);
            }
            case VendorIdPayload v -> assertThat(v.id().hex()).as(where + " vendor ID").isEqualTo(t.get("data").asText());
            case TsPayload ts -> {
                assertThat(ts.selectors()).as(where + " count").hasSize(t.get("count").asInt());
                JsonNode sels = t.get("selectors");
                assertThat(ts.selectors()).hasSize(sels.size());
                for (int i = 0; i < sels.size(); i++) {
                    var s = (TrafficSelector.AddressRange) ts.selectors().get(i);
                    JsonNode x = sels.get(i);
                    String w = where + " selector " + i;
                    assertThat(s.tsType().value()).as(w + " type").isEqualTo(x.get("tsType").asInt());
                    assertThat(s.ipProtocol()).as(w + " protocol").isEqualTo(x.get("protocol").asInt());
                    assertThat(s.encodedLength()).as(w + " length").isEqualTo(x.get("length").asInt());
                    assertThat(s.startPort()).as(w + " start port").isEqualTo(x.get("startPort").asInt());
                    assertThat(s.endPort()).as(w + " end port").isEqualTo(x.get("endPort").asInt());
                    assertThat(s.startAddress()).as(w + " start").isEqualTo(address(x.get("start").asText()));
                    assertThat(s.endAddress()).as(w + " end").isEqualTo(address(x.get("end").asText()));
                }
            }
            case SkPayload sk -> assertThat(sk.firstInner().value()).as(where + " next payload")
                    .isEqualTo(t.get("nextPayload").asInt());
            case SkfPayload skf -> {
                assertThat(skf.firstInner().value()).as(where + " next payload").isEqualTo(t.get("nextPayload").asInt());
                assertThat(skf.fragmentNumber()).as(where + " fragment").isEqualTo(t.get("fragmentNumber").asInt());
                assertThat(skf.totalFragments()).as(where + " total").isEqualTo(t.get("totalFragments").asInt());
            }
            case CpPayload cp -> throw new AssertionError(where + ": no CP payload in the captures");
            case UnsupportedPayload u -> throw new AssertionError(where + ": unexpected unsupported payload " + u);
        }
    }

    static List<Integer> ints(JsonNode array) {
        List<Integer> out = new ArrayList<>();
        array.forEach(n -> out.add(n.asInt()));
        return out;
    }

    static InetAddress address(String text) {
        return IpAddresses.parse(text).orElseThrow(() -> new AssertionError("not an address: " + text));
    }
}
