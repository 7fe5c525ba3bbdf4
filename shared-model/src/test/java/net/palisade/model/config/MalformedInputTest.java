package net.palisade.model.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Malformed inputs and the exact errors they give ({@code FILE:LINE:COL: FIELD: message}). Every secret in these
 * inputs is a canary ({@code CANARY} text or {@code c0ffee} hex): no diagnostic may contain one.
 */
class MalformedInputTest {
    /** 41 characters: the next token starts at column 52. */
    private static final String P = "ike from 10.1.0.0/16 to 10.2.0.0/16 peer 192.0.2.2 ";
    /** The IKEv1 form of P: the next token starts at column 58. */
    private static final String P1 = "ike ikev1 from 10.1.0.0/16 to 10.2.0.0/16 peer 192.0.2.2 ";
    /** 70 characters: the next token starts at column 71. */
    private static final String M = "manual from 10.1.0.0/16 to 10.2.0.0/16 local 192.0.2.1 peer 192.0.2.2 ";
    /** Canary keys: 16, 20 and 32 bytes of c0ffee... */
    private static final String K16 = "0x" + "c0ffee".repeat(5) + "c0";
    private static final String K20 = "0x" + "c0ffee".repeat(6) + "c0ff";
    private static final String K32 = "0x" + "c0ffee".repeat(10) + "c0ff";

    static Stream<Arguments> cases() {
        return Stream.of(
                // -- keywords and syntax
                row("ike from 10.1.0.0/16 to 10.2.0.0/16 peeer 192.0.2.2 psk \"CANARY-1\"",
                        "t.conf:1:37: ike: unknown keyword 'peeer'; did you mean 'peer'?"),
                row("ikee from 10.1.0.0/16 to 10.2.0.0/16",
                        "t.conf:1:1: statement: unknown keyword 'ikee'; did you mean 'ike'?"),
                row("ike active passive from 10.1.0.0/16 to 10.2.0.0/16 peer 192.0.2.2 psk \"CANARY\"",
                        "t.conf:1:12: passive: conflicts with 'active' at 1:5"),
                row(P + "psk \"x\" label a label b",
                        "t.conf:1:68: label: given twice (first at 1:60)"),
                row(P + "psk \"x\" label",
                        "t.conf:1:60: label: missing value; expected a name ([A-Za-z0-9_.-], 1-64 characters), found end of line"),
                row(P + "psk \"x\" label \"bad label\"",
                        "t.conf:1:66: label: expected 1-64 characters of A-Z a-z 0-9 _ . -, found 'bad label'"),
                row("ipsec {\n  " + P + "psk \"CANARY\"\n",
                        "t.conf:1:7: ipsec: missing '}' for the block opened at line 1"),
                row(P + "psk \"x\" label a\nipsec {\n  " + P + "psk \"x\" label b\n}\n",
                        "t.conf:2:1: ipsec: statements at top level (line 1) and an ipsec block: use one or the other"),
                // -- psk: never echoed, the rest of the statement is skipped
                row(P + "psk \"CANARY-2", "t.conf:1:56: psk: unterminated string"),
                row(P + "psk CANARY-3", "t.conf:1:56: psk: expected a quoted string or 0x-hex key"),
                row(P + "psk CANARY with spaces", "t.conf:1:56: psk: expected a quoted string or 0x-hex key"),
                row(P + "psk 0xCANARY4", "t.conf:1:56: psk: not 0x-hex"),
                row(P + "psk 0xc0ffee0", "t.conf:1:56: psk: odd number of hex digits"),
                row(P + "psk \"CANARY-5\"tail", "t.conf:1:56: psk: unexpected text right after the closing quote"),
                row(P + "psk \"CANARY\\q6\"", "t.conf:1:56: psk: invalid escape in string (only \\\" and \\\\ are allowed)"),
                row(P + "psk \"CANARY-7\" psk \"CANARY-7b\"", "t.conf:1:67: psk: given twice (first at 1:52)"),
                row(P + "pks \"CANARY-8\"", "t.conf:1:52: ike: unknown keyword 'pks'; did you mean 'psk'?"),
                // -- authentication
                row("ike from 10.1.0.0/16 to 10.2.0.0/16 peer 192.0.2.2",
                        "t.conf:1:1: psk: missing authentication: add psk \"STRING\" or cert FILE key FILE ca FILE"),
                row(P + "psk \"CANARY-9\" cert a.pem key k.pem ca ca.pem",
                        "t.conf:1:67: cert: give either psk or cert, not both"),
                row(P + "cert a.pem",
                        "t.conf:1:52: key: missing: cert needs key FILE (the private key) and ca FILE",
                        "t.conf:1:52: ca: missing: cert needs ca FILE (the CA that issued the peer's certificate)"),
                // -- version and phases
                row("ike ikev2 from 10.1.0.0/16 to 10.2.0.0/16 peer 192.0.2.2 aggressive psk \"CANARY\"",
                        "t.conf:1:58: aggressive: IKEv1 only; conflicts with ikev2 at 1:5"),
                row("ike ikev2 from 10.1.0.0/16 to 10.2.0.0/16 peer 192.0.2.2 main psk \"CANARY\"",
                        "t.conf:1:58: main: IKEv1 only; conflicts with ikev2 at 1:5"),
                row(P1 + "ikesa psk \"CANARY\"",
                        "t.conf:1:58: ikesa: IKEv2 only; conflicts with ikev1 at 1:5 (use main or aggressive)"),
                row(P1 + "main prf hmac-sha2-256 psk \"x\"",
                        "t.conf:1:67: prf: IKEv1 has no prf (its PRF is the HMAC of the auth hash); remove prf or use IKEv2"),
                row(P + "childsa prf hmac-sha2-256 psk \"x\"",
                        "t.conf:1:60: prf: prf is for phase 1 only; put it before childsa"),
                row(P + "quick childsa psk \"x\"",
                        "t.conf:1:58: childsa: phase 2 already started by 'quick' at 1:52"),
                // -- algorithms
                row(P + "childsa enc aes-128-gcm auth hmac-sha2-256 psk \"x\"",
                        "t.conf:1:81: auth: not used: aes-128-gcm is AEAD and has its own integrity; remove auth"),
                row(P + "ikesa enc aes128 psk \"x\"",
                        "t.conf:1:62: enc: unknown algorithm 'aes128'; did you mean 'aes-128'?"),
                row(P + "ikesa enc aes-128-gcm,aes-128-gcm psk \"x\"",
                        "t.conf:1:74: enc: aes-128-gcm listed twice"),
                row(P + "ikesa enc aes-128-gcm,,aes-256-gcm psk \"x\"",
                        "t.conf:1:74: enc: empty item in list"),
                row(P + "ikesa group modp8192 psk \"x\"",
                        "t.conf:1:64: group: unknown group 'modp8192'; expected one of none, modp1024, modp1536, modp2048, "
                                + "modp3072, modp4096, ecp256, ecp384, ecp521, curve25519"),
                row(P + "ikesa group none psk \"x\"",
                        "t.conf:1:64: group: none is only allowed in phase 2 (after quick or childsa)"),
                row(P + "childsa group none,ecp256 psk \"x\"",
                        "t.conf:1:66: group: none turns PFS off and cannot be combined with other groups"),
                row(P1 + "main enc aes-128-gcm psk \"x\"",
                        "t.conf:1:67: enc: aes-128-gcm is not available in IKEv1 phase 1; use aes-128 or aes-256"),
                row(P1 + "quick enc chacha20-poly1305 psk \"x\"",
                        "t.conf:1:68: enc: chacha20-poly1305 is not defined for IKEv1; use aes-128-gcm or aes-256-gcm"),
                row(P1 + "main group curve25519 psk \"x\"",
                        "t.conf:1:69: group: curve25519 is not defined for IKEv1; use ecp256 or modp2048"),
                // -- durations
                row(P + "ikesa lifetime 30 psk \"x\"", "t.conf:1:67: lifetime: must be at least 60 s, found 30 s"),
                row(P + "ikesa lifetime 8x psk \"x\"",
                        "t.conf:1:67: lifetime: expected seconds or a number with s, m, h or d (e.g. 3600, 45m, 8h), found '8x'"),
                row(P + "childsa lifetime 31d psk \"x\"",
                        "t.conf:1:69: lifetime: must be at most 30 d (2592000 s), found 2678400 s"),
                row(P + "dpd 0 psk \"x\"", "t.conf:1:56: dpd: must be positive, found '0'"),
                row(P + "dpd 2h psk \"x\"", "t.conf:1:56: dpd: must be between 1 s and 1 h (3600), found 7200 s"),
                // -- flows, peers, identities
                row("ike from 10.1.2.3/16 to 10.2.0.0/16 peer 192.0.2.2 psk \"x\"",
                        "t.conf:1:10: from: 10.1.2.3/16 has host bits set; did you mean 10.1.0.0/16?"),
                row("ike from 10.1.0.0/16 to 10.2.0.0/33 peer 192.0.2.2 psk \"x\"",
                        "t.conf:1:25: to: prefix length 33 is out of range for IPv4 (0-32)"),
                row("ike from 10.1.0.0/16 peer 192.0.2.2 psk \"x\"",
                        "t.conf:1:1: to: missing: expected to NET [NET ...] (e.g. 10.1.0.0/16, 10.9.1.1 or any)"),
                row("ike from to 10.2.0.0/16 peer 192.0.2.2 psk \"x\"",
                        "t.conf:1:5: from: expected a network (e.g. 10.1.0.0/16, 10.9.1.1 or any), found 'to'"),
                row("ike from 10.1.0.0/16 to 2001:db8::/32 peer 192.0.2.2 psk \"x\"",
                        "t.conf:1:10: from: 10.1.0.0/16 is IPv4 but to has no IPv4 network (or any)",
                        "t.conf:1:25: to: 2001:db8::/32 is IPv6 but from has no IPv6 network (or any)"),
                row("ike from 10.1.0.0/16 to 10.2.0.0/16 psk \"x\"",
                        "t.conf:1:1: peer: missing: active mode initiates and needs peer ADDR (use passive to accept any peer)"),
                row("ike dynamic from 10.1.0.0/16 to 10.2.0.0/16 psk \"x\"",
                        "t.conf:1:1: peer: missing: dynamic mode initiates and needs peer ADDR (use passive to accept any peer)"),
                row(P + "peer 192.0.2.2 psk \"x\"", "t.conf:1:57: peer: 192.0.2.2 listed twice"),
                row(P + "192.0.2.3 psk \"x\"",
                        "t.conf:1:52: ike: unexpected address '192.0.2.3'; each peer needs its own peer keyword"),
                row("ike from 10.1.0.0/16 to 10.2.0.0/16 peer 10.1.1 psk \"x\"",
                        "t.conf:1:42: peer: expected an IP address or a DNS host name, found '10.1.1'"),
                row("ike from 10.1.0.0/16 to 10.2.0.0/16 local 2001:db8::1 peer 192.0.2.2 psk \"x\"",
                        "t.conf:1:60: peer: 192.0.2.2 is IPv4 but local 2001:db8::1 is IPv6"),
                row(P + "srcid \"bad id!\" psk \"x\"",
                        "t.conf:1:58: srcid: expected an IP address, an FQDN, user@FQDN or a quoted DN "
                                + "(\"C=SE, O=Example, CN=gw1\"), found 'bad id!'"),
                // -- manual keying: SPIs
                row(M + "spi 255 enc aes-128-gcm enckey " + K20,
                        "t.conf:1:75: spi: 255 is reserved (0 means no SPI, 1-255 are reserved by RFC 4303); use 256 (0x100) or more"),
                row(M + "spi 0x100000000 enc aes-128-gcm enckey " + K20,
                        "t.conf:1:75: spi: 4294967296 does not fit in 32 bits (largest is 4294967295 = 0xffffffff)"),
                row(M + "spi 256:abc enc aes-128-gcm enckey " + K20,
                        "t.conf:1:79: spi: expected a decimal or 0x-hex SPI (e.g. 256 or 0x100), found 'abc'"),
                row(M + "enc aes-128-gcm enckey " + K20,
                        "t.conf:1:1: spi: missing: manual keying needs spi IN[:OUT]"),
                // -- manual keying: keys, never echoed
                row(M + "spi 256 enc aes-128-gcm enckey " + K16,
                        "t.conf:1:102: enckey: aes-128-gcm needs 20 bytes (40 hex digits: 16-byte key + 4-byte salt), got 16 bytes"),
                row(M + "spi 256 enc aes-128-gcm enckey " + K20 + ":" + K16,
                        "t.conf:1:145: enckey: aes-128-gcm needs 20 bytes (40 hex digits: 16-byte key + 4-byte salt), "
                                + "got 16 bytes (outbound key)"),
                row(M + "spi 256 enc aes-128-gcm enckey CANARY", "t.conf:1:102: enckey: not 0x-hex"),
                row(M + "spi 256 enc aes-128-gcm enckey 0xc0ffeeCANARY", "t.conf:1:102: enckey: not 0x-hex"),
                row(M + "spi 256 enc aes-128-gcm enckey \"CANARY\"",
                        "t.conf:1:102: enckey: expected 0x-hex, found a quoted string; convert an ASCII key to hex first "
                                + "(docs/config.md, ASCII keys)"),
                row(M + "spi 256 enc aes-128-gcm enckey " + K20 + " " + K20,
                        "t.conf:1:145: manual: unexpected 0x value; keys follow enckey or authkey as KEY[:KEY]"),
                row(M + "spi 256 enc aes-128-gcm enckey " + K20 + ":" + K20 + ":" + K20,
                        "t.conf:1:102: enckey: expected KEY or INBOUND:OUTBOUND, found more than two keys"),
                row(M + "spi 256 enc aes-128 enckey " + K16,
                        "t.conf:1:79: auth: missing: aes-128 is not AEAD; manual keying needs auth ALG authkey KEY"),
                row(M + "spi 256 enc aes-128-gcm enckey " + K20 + " auth hmac-sha2-256 authkey " + K32,
                        "t.conf:1:150: auth: aes-128-gcm is AEAD and has its own integrity; remove auth and authkey"),
                row(M + "spi 256 enc aes-128 enckey " + K16 + " auth hmac-sha2-256 authkey " + K20,
                        "t.conf:1:160: authkey: hmac-sha2-256 needs 32 bytes (64 hex digits), got 20 bytes"),
                row(M + "spi 256 enc aes-128 enckey " + K16 + " auth hmac-sha2-256",
                        "t.conf:1:133: authkey: missing: auth hmac-sha2-256 needs authkey KEY[:KEY]"),
                row(M + "spi 256 enc aes-128-gcm,aes-256-gcm enckey " + K20,
                        "t.conf:1:83: enc: manual keying takes exactly one algorithm, found a list"),
                row(M + "spi 256 enc aes-128-gcm enckey " + K20 + " udpencap 0",
                        "t.conf:1:154: udpencap: port must be 1-65535, found 0"),
                row(M + "spi 256 enc aes-128-gcm enckey " + K20 + " psk \"CANARY\"",
                        "t.conf:1:145: psk: not allowed in a manual statement (only in ike)"),
                row("manual from 10.1.0.0/16 to 10.2.0.0/16 local gw.example.com peer 192.0.2.2 spi 256 enc aes-128-gcm enckey " + K20,
                        "t.conf:1:46: local: manual keying needs an IP address, found host name 'gw.example.com'"),
                row("manual from 10.1.0.0/16 to 10.2.0.0/16 local 192.0.2.1 peer 2001:db8::2 spi 256 enc aes-128-gcm enckey " + K20,
                        "t.conf:1:61: peer: 2001:db8::2 is IPv6 but local 192.0.2.1 is IPv4"),
                // -- across tunnels: the later use is refused, naming the line of the first
                row(P + "psk \"x\" label a\nike from 10.3.0.0/16 to 10.4.0.0/16 peer 192.0.2.3 psk \"x\" label a",
                        "t.conf:2:66: label: 'a' is already used by the tunnel at line 1"),
                row(M + "spi 300:400 enc aes-128-gcm enckey " + K20 + " label m1\n"
                                + "manual from 10.3.0.0/16 to 10.4.0.0/16 local 192.0.2.1 peer 192.0.2.3 spi 300:401 "
                                + "enc aes-128-gcm enckey " + K20 + " label m2",
                        "t.conf:2:75: spi: inbound SPI 300 = 0x0000012c is already used by the tunnel at line 1"),
                row(M + "spi 300:400 enc aes-128-gcm enckey " + K20 + " label m1\n"
                                + "manual from 10.3.0.0/16 to 10.4.0.0/16 local 192.0.2.1 peer 192.0.2.2 spi 301:400 "
                                + "enc aes-128-gcm enckey " + K20 + " label m2",
                        "t.conf:2:79: spi: outbound SPI 400 = 0x00000190 to 192.0.2.2 is already used by the tunnel at line 1"));
    }

    private static Arguments row(String input, String... expected) {
        return Arguments.of(input, List.of(expected));
    }

    @ParameterizedTest
    @MethodSource("cases")
    void exactErrors(String input, List<String> expected) {
        ConfigResult r = ConfigParser.parse(input, "t.conf");
        assertThat(r.ok()).isFalse();
        assertThat(r.config()).isEmpty();
        assertThat(r.errors().stream().map(Diagnostic::toString)).containsExactlyElementsOf(expected);
    }

    @ParameterizedTest
    @MethodSource("cases")
    void noSecretInAnyDiagnostic(String input, List<String> expected) {
        ConfigResult r = ConfigParser.parse(input, "t.conf");
        for (Diagnostic d : r.diagnostics()) {
            String s = d.toString().toLowerCase(Locale.ROOT);
            assertThat(s).doesNotContain("canary").doesNotContain("c0ffee");
        }
    }
}
