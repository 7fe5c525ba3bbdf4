package net.palisade.model.config;

import static net.palisade.model.config.TestSupport.ok;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.stream.Stream;
import net.palisade.model.ChildSaSpec;
import net.palisade.model.Host;
import net.palisade.model.IkeAuth;
import net.palisade.model.IkeExchange;
import net.palisade.model.IkeMode;
import net.palisade.model.IkeSaSpec;
import net.palisade.model.IkeTunnel;
import net.palisade.model.IpsecConfig;
import net.palisade.model.ManualTunnel;
import net.palisade.model.Network;
import net.palisade.model.TunnelSpec;
import net.palisade.model.crypto.AuthAlgorithm;
import net.palisade.model.crypto.DhGroup;
import net.palisade.model.crypto.EncryptionAlgorithm;
import net.palisade.model.secret.Secret;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** JSON input goes through the same validation as the config language; output never shows a secret. */
class ConfigJsonTest {
    private static final String IKE = "{\"type\":\"ike\",\"from\":[\"10.1.0.0/16\"],\"to\":[\"10.2.0.0/16\"],"
            + "\"peers\":[\"192.0.2.2\"],\"authentication\":{\"psk\":\"CANARY-psk\"}";
    private static final String MANUAL = "{\"type\":\"manual\",\"from\":[\"10.1.0.0/16\"],\"to\":[\"10.2.0.0/16\"],"
            + "\"local\":\"192.0.2.1\",\"peer\":\"192.0.2.2\",\"spi\":{\"inbound\":256,\"outbound\":300},"
            + "\"enc\":\"aes-128-gcm\"";

    private static String config(String... tunnels) {
        return "{\"tunnels\":[" + String.join(",", tunnels) + "]}";
    }

    static Stream<Arguments> malformed() {
        return Stream.of(
                // found by fuzzing: accepted over JSON, such a peer printed as `peer active`, text that never loads
                row(config(IKE.replace("\"192.0.2.2\"", "\"active\"") + "}"),
                        "api: tunnels[0].peers[0]: 'active' is a keyword of the configuration language and cannot be a"
                                + " host name here; use the host's address or a fully qualified name"),
                row(config(IKE + ",\"peeers\":[\"192.0.2.3\"]}"),
                        "api: tunnels[0].peeers: unknown property 'peeers'; did you mean 'peers'?"),
                row(config(IKE.replace("10.1.0.0/16", "10.1.2.3/16") + "}"),
                        "api: tunnels[0].from[0]: 10.1.2.3/16 has host bits set; did you mean 10.1.0.0/16?"),
                row(config(IKE + ",\"childSa\":{\"enc\":[\"aes128\"]}}"),
                        "api: tunnels[0].childSa.enc[0]: unknown algorithm 'aes128'; did you mean 'aes-128'?"),
                row(config(IKE + ",\"childSa\":{\"enc\":[\"aes-128-gcm\"],\"auth\":[\"hmac-sha2-256\"]}}"),
                        "api: tunnels[0].childSa.auth[0]: not used: aes-128-gcm is AEAD and has its own integrity; remove auth"),
                row(config(IKE.replace("\"CANARY-psk\"", "1234567890") + "}"),
                        "api: tunnels[0].authentication.psk: expected a secret as a JSON string (text, or 0x-hex)"),
                row(config(IKE.replace(",\"authentication\":{\"psk\":\"CANARY-psk\"}", "") + "}"),
                        "api: tunnels[0].authentication.psk: missing authentication: add psk \"STRING\" or cert FILE key FILE ca FILE"),
                row(config(IKE + ",\"authentication\":{\"psk\":\"CANARY\",\"cert\":\"a.pem\",\"key\":\"k.pem\",\"ca\":\"c.pem\"}}"
                                .replace(",\"authentication\":{\"psk\":\"CANARY-psk\"}", "")),
                        "api:1:147: json: duplicate property 'authentication'"),
                row(config(IKE.replace("{\"psk\":\"CANARY-psk\"}", "{\"psk\":\"CANARY\",\"cert\":\"a.pem\",\"key\":\"k.pem\",\"ca\":\"c.pem\"}") + "}"),
                        "api: tunnels[0].authentication.cert: give either psk or cert, not both"),
                row(config(IKE + ",\"exchange\":\"ikev1-main\",\"ikeSa\":{\"prf\":[\"hmac-sha2-256\"]}}"),
                        "api: tunnels[0].ikeSa.prf[0]: IKEv1 has no prf (its PRF is the HMAC of the auth hash); remove prf or use IKEv2"),
                row(config(IKE + ",\"exchange\":\"ikev3\"}"),
                        "api: tunnels[0].exchange: unknown exchange 'ikev3'; did you mean 'ikev2'?"),
                row(config(IKE + ",\"mode\":\"dynamic\",\"dpd\":\"soon\"}"),
                        "api: tunnels[0].dpd: expected seconds or a number with s, m, h or d (e.g. 3600, 45m, 8h), found 'soon'"),
                row(config(IKE + ",\"ikeSa\":{\"lifetime\":30}}"),
                        "api: tunnels[0].ikeSa.lifetime: must be at least 60 s, found 30 s"),
                row(config(IKE + ",\"ping\":\"CANARY\"}"), "api: tunnels[0].ping: expected true or false"),
                row(config(IKE + ",\"srcId\":{\"type\":\"fqdn\",\"value\":\"192.0.2.1\"}}"),
                        "api: tunnels[0].srcId: '192.0.2.1' is an identity of type ipv4, not fqdn"),
                row(config(IKE.replace("\"peers\":[\"192.0.2.2\"]", "\"peers\":[]") + "}"),
                        "api: tunnels[0].peers: missing: active mode initiates and needs peer ADDR (use passive to accept any peer)"),
                row(config(IKE + ",\"label\":\"a\"}", IKE.replace("10.1.", "10.5.") + ",\"label\":\"a\"}"),
                        "api: tunnels[1].label: 'a' is already used by the tunnel at tunnels[0]"),
                row(config(MANUAL + ",\"encKey\":\"0xc0ffeec0ffeec0ffeec0ffeec0ffeec0\"}"),
                        "api: tunnels[0].encKey.inbound: aes-128-gcm needs 20 bytes (40 hex digits: 16-byte key + 4-byte salt), got 16 bytes"),
                row(config(MANUAL + ",\"encKey\":{\"inbound\":\"0xc0ffee\",\"outbound\":7}}"),
                        "api: tunnels[0].encKey: expected a key as a JSON string (0x-hex)"),
                row(config(MANUAL.replace("\"inbound\":256", "\"inbound\":255") + ",\"encKey\":\"0x" + "c0".repeat(20) + "\"}"),
                        "api: tunnels[0].spi.inbound: 255 is reserved (0 means no SPI, 1-255 are reserved by RFC 4303); use 256 (0x100) or more"),
                row(config(MANUAL + ",\"encKey\":\"0x" + "c0".repeat(20) + "\",\"auth\":\"hmac-sha2-256\"}"),
                        "api: tunnels[0].auth: aes-128-gcm is AEAD and has its own integrity; remove auth and authkey",
                        "api: tunnels[0].authKey: missing: auth hmac-sha2-256 needs authkey KEY[:KEY]"),
                row(config(MANUAL + ",\"encKey\":\"0x" + "c0".repeat(20) + "\"}",
                                MANUAL.replace("10.1.", "10.7.") + ",\"encKey\":\"0x" + "c0".repeat(20) + "\"}"),
                        "api: tunnels[1].spi.inbound: inbound SPI 256 = 0x00000100 is already used by the tunnel at tunnels[0]",
                        "api: tunnels[1].spi.outbound: outbound SPI 300 = 0x0000012c to 192.0.2.2 is already used by the tunnel at tunnels[0]"),
                row(config("{\"type\":\"vpn\"}"), "api: tunnels[0].type: expected \"ike\" or \"manual\""),
                row(config(IKE + "}") + "x", "api:1:133: json: malformed JSON"),
                row("{\"tunnels\": [ {\"psk\": CANARY } ]}", "api:1:23: json: malformed JSON"),
                row("", "api: json: empty input"),
                row("[]", "api: json: expected an object {\"tunnels\": [...]}"),
                row("{\"tunels\": []}", "api: tunels: unknown property 'tunels'; did you mean 'tunnels'?",
                        "api: tunnels: missing"));
    }

    private static Arguments row(String json, String... expected) {
        return Arguments.of(json, List.of(expected));
    }

    @ParameterizedTest
    @MethodSource("malformed")
    void exactErrorsWithJsonPaths(String json, List<String> expected) {
        ConfigResult r = ConfigJson.read(json, "api");
        assertThat(r.ok()).isFalse();
        assertThat(r.errors().stream().map(Diagnostic::toString)).containsExactlyElementsOf(expected);
    }

    @ParameterizedTest
    @MethodSource("malformed")
    void noSecretInAnyJsonDiagnostic(String json, List<String> expected) {
        for (Diagnostic d : ConfigJson.read(json, "api").diagnostics()) {
            assertThat(d.toString().toLowerCase(Locale.ROOT)).doesNotContain("canary").doesNotContain("c0ffee")
                    .doesNotContain("1234567890");
        }
    }

    @Test
    void sameRuleSameMessageThroughBothDoors() {
        String text = ConfigParser.parse("manual from 10.1.0.0/16 to 10.2.0.0/16 local 192.0.2.1 peer 192.0.2.2 spi 256:300 "
                + "enc aes-128-gcm enckey 0x" + "c0".repeat(16), "t.conf").errors().getFirst().message();
        String json = ConfigJson.read(config(MANUAL + ",\"encKey\":\"0x" + "c0".repeat(16) + "\"}"), "api")
                .errors().getFirst().message();
        assertThat(json).isEqualTo(text)
                .isEqualTo("aes-128-gcm needs 20 bytes (40 hex digits: 16-byte key + 4-byte salt), got 16 bytes");
    }

    @Test
    void outputRedactsEverySecret() {
        IpsecConfig c = ok("ike from 10.1.0.0/16 to 10.2.0.0/16 peer 192.0.2.2 psk \"CANARY-psk\"\n"
                + "manual from 10.3.0.0/16 to 10.4.0.0/16 local 192.0.2.1 peer 192.0.2.3 spi 256 enc aes-128 enckey 0x"
                + "c0ffee".repeat(5) + "c0 auth hmac-sha2-256 authkey 0x" + "c0ffee".repeat(10) + "c0ff");
        String json = ConfigJson.write(c);
        assertThat(json.toLowerCase(Locale.ROOT)).doesNotContain("canary").doesNotContain("c0ffee");
        assertThat(json).contains("\"psk\" : \"[redacted]\"", "\"inbound\" : \"[redacted]\"");
        assertThat(c.toString().toLowerCase(Locale.ROOT)).doesNotContain("canary").doesNotContain("c0ffee");
    }

    @Test
    void jacksonReadValueValidatesToo() throws Exception {
        ObjectMapper mapper = ConfigJson.newMapper();
        IpsecConfig good = mapper.readValue(config(IKE + ",\"label\":\"a\"}"), IpsecConfig.class);
        assertThat(good).isEqualTo(ConfigJson.read(config(IKE + ",\"label\":\"a\"}"), "api").orThrow());
        assertThatThrownBy(() -> mapper.readValue(config(IKE + ",\"childSa\":{\"auth\":[\"hmac-sha1\"]}}"), IpsecConfig.class))
                .isInstanceOfSatisfying(InvalidConfigJsonException.class, e -> assertThat(e.errors())
                        .extracting(Diagnostic::toString)
                        .containsExactly("json: tunnels[0].childSa.auth[0]: not used: aes-128-gcm is AEAD and has its "
                                + "own integrity; remove auth"));
        TunnelSpec t = mapper.readValue(IKE + "}", TunnelSpec.class);
        assertThat(t).isInstanceOf(IkeTunnel.class);
        assertThat(mapper.readValue(IKE + "}", IkeTunnel.class)).isEqualTo(t);
        assertThatThrownBy(() -> mapper.readValue(IKE + "}", ManualTunnel.class))
                .isInstanceOf(MismatchedInputException.class).hasMessageContaining("expected \"type\": \"manual\"");
        assertThatThrownBy(() -> mapper.readValue(IKE.replace("10.2.0.0/16", "2001:db8::/32") + "}", TunnelSpec.class))
                .isInstanceOf(InvalidConfigJsonException.class)
                .hasMessageContaining("json: from[0]: 10.1.0.0/16 is IPv4 but to has no IPv4 network (or any)");
    }

    @Test
    void readTunnelReadsOneObject() {
        ConfigResult r = ConfigJson.readTunnel(IKE.replace("\"peers\":[\"192.0.2.2\"]", "\"peers\":[]") + ",\"mode\":\"passive\"}", "api");
        assertThat(r.errors()).isEmpty();
        IkeTunnel t = (IkeTunnel) r.orThrow().tunnels().getFirst();
        assertThat(t.mode()).isEqualTo(IkeMode.PASSIVE);
        assertThat(ConfigJson.readTunnel("{\"type\":\"ike\"}", "api").errors()).extracting(Diagnostic::toString)
                .containsExactly(
                        "api: from: missing: expected from NET [NET ...] (e.g. 10.1.0.0/16, 10.9.1.1 or any)",
                        "api: to: missing: expected to NET [NET ...] (e.g. 10.1.0.0/16, 10.9.1.1 or any)",
                        "api: peers: missing: active mode initiates and needs peer ADDR (use passive to accept any peer)",
                        "api: authentication.psk: missing authentication: add psk \"STRING\" or cert FILE key FILE ca FILE");
    }

    @Test
    void jsonConveniences() {
        ConfigResult r = ConfigJson.read(config(
                "{\"type\":\"ike\",\"from\":\"10.1.0.0/16\",\"to\":\"10.2.0.0/16\",\"peers\":\"192.0.2.2\","
                        + "\"srcId\":\"ops@example.com\",\"childSa\":{\"lifetime\":\"45m\",\"groups\":\"none\"},"
                        + "\"authentication\":{\"psk\":\"0x6b6b\"},\"dpd\":10}",
                MANUAL.replace("{\"inbound\":256,\"outbound\":300}", "{\"inbound\":\"0x200\",\"outbound\":512}")
                        + ",\"encKey\":\"0x" + "6b".repeat(20) + "\",\"udpEncapPort\":4500}"), "api");
        assertThat(r.errors()).isEmpty();
        IkeTunnel t = (IkeTunnel) r.orThrow().tunnels().get(0);
        assertThat(t.childSa().lifetime()).isEqualTo(Duration.ofMinutes(45));
        assertThat(t.childSa().pfs()).isFalse();
        assertThat(t.dpd()).contains(Duration.ofSeconds(10));
        assertThat(t.authentication()).isEqualTo(new IkeAuth.Psk(Secret.ofBytes(new byte[] {0x6b, 0x6b})));
        ManualTunnel m = (ManualTunnel) r.orThrow().tunnels().get(1);
        assertThat(m.spi().inbound()).isEqualTo(m.spi().outbound());
        assertThat(m.encKey().symmetric()).isTrue();
    }

    @Test
    void aConfigBuiltInCodeIsValidatedByTheSameRules() {
        IkeTunnel bad = new IkeTunnel("x", IkeMode.ACTIVE, IkeExchange.IKEV1_MAIN, List.of(Network.parse("10.1.0.0/16")),
                List.of(Network.parse("10.2.0.0/16")), Optional.empty(), List.of(Host.parse("192.0.2.2")),
                new IkeSaSpec(List.of(EncryptionAlgorithm.AES_128_GCM), List.of(AuthAlgorithm.HMAC_SHA2_256), List.of(),
                        List.of(DhGroup.CURVE25519), Duration.ofHours(4)),
                new ChildSaSpec(List.of(EncryptionAlgorithm.AES_128_GCM), List.of(), List.of(DhGroup.ECP256), Duration.ofHours(1)),
                Optional.empty(), Optional.empty(), new IkeAuth.Psk(Secret.ofText("CANARY-long-psk-16")), Optional.empty(), false);
        assertThat(ConfigValidator.validate(new IpsecConfig(List.of(bad)), "code")).extracting(Diagnostic::toString)
                .containsExactly(
                        "code: tunnels[0].ikeSa.enc[0]: aes-128-gcm is not available in IKEv1 phase 1; use aes-128 or aes-256",
                        "code: tunnels[0].ikeSa.groups[0]: curve25519 is not defined for IKEv1; use ecp256 or modp2048");
        IpsecConfig good = ok("ike from 10.1.0.0/16 to 10.2.0.0/16 peer 192.0.2.2 psk \"a-long-psk-16chr\" label a");
        assertThat(ConfigValidator.validate(good, "code")).isEmpty();
    }
}
