package net.palisade.model.config;

import static net.palisade.model.config.TestSupport.ok;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializerProvider;
import com.fasterxml.jackson.databind.annotation.JsonSerialize;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import com.fasterxml.jackson.databind.ser.std.StdSerializer;
import java.io.IOException;
import java.util.Map;
import java.util.stream.Stream;
import net.palisade.model.IpsecConfig;
import net.palisade.model.secret.Secret;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

class RoundTripTest {
    private static final String K20 = "0x" + "6b".repeat(20);

    static Stream<String> corpus() {
        return Stream.of(
                "ike dynamic from 10.1.0.0/16 to 10.2.0.0/16 peer 192.0.2.2 aggressive quick psk \"badpassword\" ping",
                "ike passive from 10.2.0.0/16 to 10.1.0.0/16 aggressive quick psk \"badpassword\" ping",
                "ike from 10.9.1.1 to 10.9.2.1 peer 198.51.100.7 psk \"secret\" label tunnel1",
                "manual from 10.1.0.0/16 to 10.2.0.0/16 local 192.0.2.1 peer 192.0.2.2 spi 256:0x101 enc aes-128-gcm enckey "
                        + K20 + " label m1",
                // every IKEv2 setting, non-default
                "ike active ikev2 from 10.1.0.0/16 10.9.1.1 10.9.1.1/32 2001:db8:9::/48 to any 2001:db8::/32 2001:db8:0:0:0:0:0:1 "
                        + "local 192.0.2.1 peer 192.0.2.2 peer gw2.example.net ikesa enc aes-256-gcm,chacha20-poly1305,aes-256 "
                        + "auth hmac-sha2-512 prf hmac-sha2-512 group ecp384,curve25519 lifetime 8h "
                        + "childsa enc aes-256-gcm group none lifetime 20m srcid vpn.example.com "
                        + "dstid \"C=SE, O=Example \\\"Quoted\\\", CN=gw1\" psk \"pa\\\"ss\\\\word # not a comment\" dpd 15 ping label full.v2",
                // every IKEv1 setting
                "ike ikev1 from 10.1.0.0/16 to 10.2.0.0/16 peer 192.0.2.2 main enc 3des,aes-256 auth hmac-sha1,hmac-sha2-384 "
                        + "group modp4096 lifetime 1d quick enc aes-256 auth hmac-sha2-256 group modp2048 lifetime 3600 "
                        + "srcid ops@example.com dstid 192.0.2.2 psk 0x00ff10 label v1",
                // a childsa group written although it is the IKE group: PFS required, which the print keeps
                "ike from 10.1.0.0/16 to 10.2.0.0/16 peer 192.0.2.2 ikesa group ecp256 childsa group ecp256 psk \"x\" "
                        + "label pfs",
                // main with nothing else: prints as ikev1
                "ike main from 10.1.0.0/16 to 10.2.0.0/16 peer 192.0.2.2 psk \"x\" label m",
                // certificates with awkward paths, keyword-like label and identity
                "ike from 10.1.0.0/16 to 10.2.0.0/16 peer 192.0.2.2 cert \"/etc/pal isade/gw.pem\" key /etc/k.pem "
                        + "ca \"ca#1.pem\" srcid \"quick\" label \"ping\"",
                // manual: two SPIs, two keys, CBC+HMAC, udpencap on a custom port; IPv6 outer
                "manual from 2001:db8:1::/48 to 2001:db8:2::/48 local 2001:db8::1 peer 2001:db8::2 spi 0x1000:4097 "
                        + "enc aes-256 enckey 0x" + "01".repeat(32) + ":0x" + "02".repeat(32)
                        + " auth hmac-sha2-256 authkey 0x" + "03".repeat(32) + " udpencap 14500",
                "manual from 10.1.0.0/16 to 10.2.0.0/16 local 192.0.2.1 peer 192.0.2.2 spi 300 enc chacha20-poly1305 "
                        + "enckey 0x" + "aa".repeat(36) + " udpencap 4500 label c",
                // a whole file with a block, comments and continuations
                """
                # two sites
                ipsec {
                  ike from 10.1.0.0/16 to 10.2.0.0/16 \\
                      peer 192.0.2.2 psk "x"      # primary
                  ike passive from 10.3.0.0/16 to 10.4.0.0/16 psk "y" dpd 60
                }
                """);
    }

    @ParameterizedTest
    @MethodSource("corpus")
    void printIsStableAndMeansTheSame(String text) {
        IpsecConfig c = ok(text);
        String once = ConfigPrinter.print(c);
        IpsecConfig again = ok(once);
        assertThat(again).isEqualTo(c);
        assertThat(ConfigPrinter.print(again)).isEqualTo(once);
        assertThat(once).startsWith("ipsec {\n  ").endsWith("\n}\n");
    }

    @ParameterizedTest
    @MethodSource("corpus")
    void jsonRoundTripsWithSecretsRevealedByAMixIn(String text) throws IOException {
        IpsecConfig c = ok(text);
        ObjectMapper revealing = ConfigJson.newMapper().addMixIn(Secret.class, RevealingSecret.class);
        String json = revealing.writeValueAsString(c);
        ConfigResult back = ConfigJson.read(json, "api");
        assertThat(back.errors()).isEmpty();
        assertThat(back.orThrow()).isEqualTo(c);
        // and the ordinary writer gives the same document with every secret redacted
        assertThat(ConfigJson.newMapper().readTree(ConfigJson.write(c))).isEqualTo(redact(revealing.readTree(json)));
    }

    @Test
    void canonicalPrint() {
        IpsecConfig c = ok("""
                ike dynamic from 10.1.0.0/16 to 10.2.0.0/16 peer 192.0.2.2 aggressive quick psk "badpassword" ping label a
                ike from 10.9.1.1 to 10.9.2.1 peer 198.51.100.7 childsa enc aes-256-gcm lifetime 2h psk "secret" label tunnel1
                ike ikev1 from 10.5.0.0/16 to 10.6.0.0/16 peer 192.0.2.5 quick enc aes-128 psk 0xc0ffee dpd 30 label b
                manual from 10.1.0.0/16 to 10.2.0.0/16 local 192.0.2.1 peer 192.0.2.2 spi 256:0x101 enc aes-128-gcm \
                  enckey 0x6b6b6b6b6b6b6b6b6b6b6b6b6b6b6b6b6b6b6b6b udpencap label m1
                """);
        assertThat(ConfigPrinter.print(c)).isEqualTo("""
                ipsec {
                  ike dynamic ikev1 from 10.1.0.0/16 to 10.2.0.0/16 peer 192.0.2.2 aggressive psk "badpassword" ping label a
                  ike from 10.9.1.1 to 10.9.2.1 peer 198.51.100.7 childsa enc aes-256-gcm lifetime 2h psk "secret" label tunnel1
                  ike ikev1 from 10.5.0.0/16 to 10.6.0.0/16 peer 192.0.2.5 quick enc aes-128 psk 0xc0ffee dpd 30 label b
                  manual from 10.1.0.0/16 to 10.2.0.0/16 local 192.0.2.1 peer 192.0.2.2 spi 0x100:0x101 enc aes-128-gcm enckey 0x6b6b6b6b6b6b6b6b6b6b6b6b6b6b6b6b6b6b6b6b udpencap label m1
                }
                """);
        assertThat(ConfigPrinter.printRedacted(c)).isEqualTo("""
                ipsec {
                  ike dynamic ikev1 from 10.1.0.0/16 to 10.2.0.0/16 peer 192.0.2.2 aggressive psk [redacted] ping label a
                  ike from 10.9.1.1 to 10.9.2.1 peer 198.51.100.7 childsa enc aes-256-gcm lifetime 2h psk [redacted] label tunnel1
                  ike ikev1 from 10.5.0.0/16 to 10.6.0.0/16 peer 192.0.2.5 quick enc aes-128 psk [redacted] dpd 30 label b
                  manual from 10.1.0.0/16 to 10.2.0.0/16 local 192.0.2.1 peer 192.0.2.2 spi 0x100:0x101 enc aes-128-gcm enckey [redacted] udpencap label m1
                }
                """);
    }

    @Test
    void pfsIsRequiredOnlyWhenAChildSaGroupIsWritten() {
        var byDefault = ok("ike from 10.1.0.0/16 to 10.2.0.0/16 peer 192.0.2.2 ikesa group ecp256 psk \"x\" label a");
        var written = ok("ike from 10.1.0.0/16 to 10.2.0.0/16 peer 192.0.2.2 ikesa group ecp256 childsa group ecp256 "
                + "psk \"x\" label a");
        var none = ok("ike from 10.1.0.0/16 to 10.2.0.0/16 peer 192.0.2.2 childsa group none psk \"x\" label a");
        var a = (net.palisade.model.IkeTunnel) byDefault.tunnels().getFirst();
        var b = (net.palisade.model.IkeTunnel) written.tunnels().getFirst();
        var c = (net.palisade.model.IkeTunnel) none.tunnels().getFirst();
        // the same groups either way; only the written one insists on them
        assertThat(a.childSa().groups()).isEqualTo(b.childSa().groups());
        assertThat(a.childSa().pfs()).isTrue();
        assertThat(a.childSa().pfsRequired()).isFalse();
        assertThat(b.childSa().pfsRequired()).isTrue();
        assertThat(c.childSa().pfs()).isFalse();
        assertThat(c.childSa().pfsRequired()).isFalse();
        assertThat(ConfigPrinter.print(written)).contains("childsa group ecp256");
        assertThat(ConfigPrinter.print(byDefault)).doesNotContain("childsa");
    }

    @Test
    void aGeneratedLabelIsPinnedByPrinting() {
        IpsecConfig c = ok("ike from 10.1.0.0/16 to 10.2.0.0/16 peer 192.0.2.2 psk \"x\"");
        String label = c.tunnels().getFirst().label();
        assertThat(ConfigPrinter.print(c)).contains(" label " + label + "\n");
    }

    @ParameterizedTest
    @MethodSource("corpus")
    void redactedPrintHoldsNoSecret(String text) {
        String redacted = ConfigPrinter.printRedacted(ok(text));
        assertThat(redacted).doesNotContain("badpassword", "secret\"", "6b6b", "0x00ff10", "0x0101", "pa\\\"ss", "aaaa");
    }

    @Test
    void jsonWithOnlyWhatIsSaidMeansWhatTheConfigTextMeans() {
        ConfigResult fromJson = ConfigJson.read("""
                {"tunnels": [
                  {"type": "ike", "from": ["10.1.0.0/16"], "to": ["10.2.0.0/16"], "peers": ["192.0.2.2"],
                   "authentication": {"psk": "secret"}},
                  {"type": "ike", "mode": "dynamic", "exchange": "ikev1-aggressive", "from": "10.1.0.0/16",
                   "to": "10.3.0.0/16", "peers": ["192.0.2.2"], "childSa": {"lifetime": "45m"},
                   "authentication": {"psk": "0x6b6b"}, "ping": true, "label": "d"},
                  {"type": "manual", "label": "m1", "from": ["10.1.0.0/16"], "to": ["10.2.0.0/16"],
                   "local": "192.0.2.1", "peer": "192.0.2.2", "spi": {"inbound": 256, "outbound": "0x101"},
                   "enc": "aes-128-gcm", "encKey": "0x6b6b6b6b6b6b6b6b6b6b6b6b6b6b6b6b6b6b6b6b"}
                ]}
                """, "api");
        IpsecConfig fromText = ok("""
                ike from 10.1.0.0/16 to 10.2.0.0/16 peer 192.0.2.2 psk "secret"
                ike dynamic from 10.1.0.0/16 to 10.3.0.0/16 peer 192.0.2.2 aggressive quick lifetime 45m psk 0x6b6b ping label d
                manual from 10.1.0.0/16 to 10.2.0.0/16 local 192.0.2.1 peer 192.0.2.2 spi 256:0x101 enc aes-128-gcm enckey 0x6b6b6b6b6b6b6b6b6b6b6b6b6b6b6b6b6b6b6b6b label m1
                """);
        assertThat(fromJson.errors()).isEmpty();
        assertThat(fromJson.orThrow()).isEqualTo(fromText);
    }

    /** What a config store would do to persist secrets (sealed, in real life): write them out. */
    @JsonSerialize(using = RevealingSerializer.class)
    abstract static class RevealingSecret {}

    static final class RevealingSerializer extends StdSerializer<Object> {
        private static final long serialVersionUID = 1L;

        RevealingSerializer() {
            super(Object.class);
        }

        @Override
        public void serialize(Object value, JsonGenerator gen, SerializerProvider provider) throws IOException {
            gen.writeString(((Secret) value).revealHex());
        }
    }

    private static JsonNode redact(JsonNode node) {
        if (node instanceof ObjectNode o) {
            for (Map.Entry<String, JsonNode> e : o.properties()) {
                String k = e.getKey();
                if (k.equals("psk") || ((k.equals("inbound") || k.equals("outbound")) && e.getValue().isTextual())) {
                    e.setValue(TextNode.valueOf(Secret.REDACTED));
                } else if (k.equals("encKey") || k.equals("authKey")) {
                    ObjectNode keys = (ObjectNode) e.getValue();
                    keys.put("inbound", Secret.REDACTED);
                    keys.put("outbound", Secret.REDACTED);
                } else {
                    redact(e.getValue());
                }
            }
        } else if (node != null && node.isArray()) {
            node.forEach(RoundTripTest::redact);
        }
        return node;
    }
}
