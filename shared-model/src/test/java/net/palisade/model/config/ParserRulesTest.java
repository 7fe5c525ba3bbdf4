package net.palisade.model.config;

import static net.palisade.model.config.TestSupport.errors;
import static net.palisade.model.config.TestSupport.ike;
import static net.palisade.model.config.TestSupport.manual;
import static net.palisade.model.config.TestSupport.ok;
import static net.palisade.model.config.TestSupport.warnings;
import static net.palisade.model.crypto.AuthAlgorithm.HMAC_SHA1;
import static net.palisade.model.crypto.AuthAlgorithm.HMAC_SHA2_256;
import static net.palisade.model.crypto.AuthAlgorithm.HMAC_SHA2_384;
import static net.palisade.model.crypto.AuthAlgorithm.HMAC_SHA2_512;
import static net.palisade.model.crypto.DhGroup.CURVE25519;
import static net.palisade.model.crypto.DhGroup.ECP256;
import static net.palisade.model.crypto.DhGroup.ECP384;
import static net.palisade.model.crypto.DhGroup.MODP2048;
import static net.palisade.model.crypto.DhGroup.MODP4096;
import static net.palisade.model.crypto.DhGroup.NONE;
import static net.palisade.model.crypto.EncryptionAlgorithm.AES_128;
import static net.palisade.model.crypto.EncryptionAlgorithm.AES_128_GCM;
import static net.palisade.model.crypto.EncryptionAlgorithm.AES_256;
import static net.palisade.model.crypto.EncryptionAlgorithm.AES_256_GCM;
import static net.palisade.model.crypto.EncryptionAlgorithm.CHACHA20_POLY1305;
import static net.palisade.model.crypto.EncryptionAlgorithm.TRIPLE_DES;
import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.OptionalInt;
import net.palisade.model.Host;
import net.palisade.model.IdType;
import net.palisade.model.Identity;
import net.palisade.model.IkeAuth;
import net.palisade.model.IkeExchange;
import net.palisade.model.IkeTunnel;
import net.palisade.model.IpsecConfig;
import net.palisade.model.ManualTunnel;
import net.palisade.model.Network;
import net.palisade.model.Spi;
import net.palisade.model.TunnelSpec;
import net.palisade.model.secret.Secret;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class ParserRulesTest {
    private static final String BASE = "ike from 10.1.0.0/16 to 10.2.0.0/16 peer 192.0.2.2 psk \"x\" ";
    /** BASE with a PSK long enough to raise no warning of its own. */
    private static final String STRONG = "ike from 10.1.0.0/16 to 10.2.0.0/16 peer 192.0.2.2 psk \"a-long-psk-16chr\" ";
    private static final String K20 = "0x" + "11".repeat(20);

    @Nested
    class Defaults {
        @Test
        void ikev2WhenNothingIsSaid() {
            IkeTunnel t = ike(BASE);
            assertThat(t.exchange()).isEqualTo(IkeExchange.IKEV2);
            assertThat(t.ikeSa().enc()).containsExactly(AES_128_GCM, AES_256_GCM);
            assertThat(t.ikeSa().auth()).isEmpty();
            assertThat(t.ikeSa().prf()).containsExactly(HMAC_SHA2_256, HMAC_SHA2_384);
            assertThat(t.ikeSa().groups()).containsExactly(CURVE25519, ECP256, MODP2048);
            assertThat(t.ikeSa().lifetime()).isEqualTo(Duration.ofHours(4));
            assertThat(t.childSa().enc()).containsExactly(AES_128_GCM, AES_256_GCM);
            assertThat(t.childSa().auth()).isEmpty();
            assertThat(t.childSa().groups()).containsExactly(CURVE25519, ECP256, MODP2048);
            assertThat(t.childSa().pfs()).isTrue();
            assertThat(t.childSa().lifetime()).isEqualTo(Duration.ofHours(1));
            assertThat(t.dpd()).isEmpty();
            assertThat(t.ping()).isFalse();
            assertThat(t.local()).isEmpty();
            assertThat(t.srcId()).isEmpty();
            assertThat(t.dstId()).isEmpty();
        }

        @Test
        void ikev1() {
            IkeTunnel t = ike("ike ikev1 from 10.1.0.0/16 to 10.2.0.0/16 peer 192.0.2.2 psk \"x\"");
            assertThat(t.exchange()).isEqualTo(IkeExchange.IKEV1_MAIN);
            assertThat(t.ikeSa().enc()).containsExactly(AES_128, AES_256);
            assertThat(t.ikeSa().auth()).containsExactly(HMAC_SHA2_256);
            assertThat(t.ikeSa().prf()).isEmpty();
            assertThat(t.ikeSa().groups()).containsExactly(MODP2048, ECP256);
            assertThat(t.ikeSa().lifetime()).isEqualTo(Duration.ofHours(4));
            assertThat(t.childSa().enc()).containsExactly(AES_128_GCM, AES_256_GCM);
            assertThat(t.childSa().groups()).containsExactly(MODP2048, ECP256);
            assertThat(t.childSa().lifetime()).isEqualTo(Duration.ofHours(1));
        }

        @Test
        void phase2GroupsFollowPhase1GroupsAndNoneTurnsPfsOff() {
            assertThat(ike(BASE + "ikesa group ecp384").childSa().groups()).containsExactly(ECP384);
            IkeTunnel off = ike(BASE + "childsa group none");
            assertThat(off.childSa().groups()).containsExactly(NONE);
            assertThat(off.childSa().pfs()).isFalse();
        }

        @Test
        void nonAeadGetsHmacSha256WhenAuthIsUnsaid() {
            IkeTunnel t = ike(BASE + "ikesa enc aes-256 childsa enc aes-128-gcm,aes-128");
            assertThat(t.ikeSa().auth()).containsExactly(HMAC_SHA2_256);
            assertThat(t.childSa().auth()).containsExactly(HMAC_SHA2_256);
        }

        @Test
        void aMixedListTakesAuthForItsNonAeadMembers() {
            IkeTunnel t = ike(BASE + "childsa enc aes-256-gcm,aes-256 auth hmac-sha2-512 group ecp256");
            assertThat(t.childSa().enc()).containsExactly(AES_256_GCM, AES_256);
            assertThat(t.childSa().auth()).containsExactly(HMAC_SHA2_512);
            assertThat(t.childSa().proposals()).hasSize(2);
            assertThat(t.childSa().proposals().get(0).integrity()).isEmpty();
        }

        @Test
        void dynamicDpdDefaultsTo30sAndCanBeSet() {
            IkeTunnel d = ike("ike dynamic from 10.1.0.0/16 to 10.2.0.0/16 peer 192.0.2.2 psk \"x\"");
            assertThat(d.dpd()).contains(Duration.ofSeconds(30));
            assertThat(ike("ike dynamic from 10.1.0.0/16 to 10.2.0.0/16 peer 192.0.2.2 psk \"x\" dpd 10").dpd())
                    .contains(Duration.ofSeconds(10));
            assertThat(ike(BASE + "dpd 20").dpd()).contains(Duration.ofSeconds(20));
        }
    }

    @Nested
    class VersionAndPhases {
        @ParameterizedTest
        @CsvSource({
            "'',                    ikev2",
            "ikev2,                 ikev2",
            "ikesa,                 ikev2",
            "ikev2 ikesa,           ikev2",
            "ikev1,                 ikev1-main",
            "main,                  ikev1-main",
            "ikev1 main,            ikev1-main",
            "aggressive,            ikev1-aggressive",
            "ikev1 aggressive,      ikev1-aggressive",
            "quick,                 ikev2",
            "childsa,               ikev2",
        })
        void keywordsSelectTheExchange(String keywords, String exchange) {
            IkeTunnel t = ike("ike " + keywords + " from 10.1.0.0/16 to 10.2.0.0/16 peer 192.0.2.2 psk \"x\"");
            assertThat(t.exchange().keyword()).isEqualTo(exchange);
        }

        @Test
        void algorithmsBelongToTheMostRecentPhaseKeyword() {
            IkeTunnel t = ike(BASE + "enc aes-256-gcm childsa enc chacha20-poly1305 group ecp384 ikesa group modp4096 lifetime 8h");
            // before any phase keyword: phase 1
            assertThat(t.ikeSa().enc()).containsExactly(AES_256_GCM);
            assertThat(t.ikeSa().groups()).containsExactly(MODP4096);
            assertThat(t.ikeSa().lifetime()).isEqualTo(Duration.ofHours(8));
            assertThat(t.childSa().enc()).containsExactly(CHACHA20_POLY1305);
            assertThat(t.childSa().groups()).containsExactly(ECP384);
        }

        @Test
        void ikev1MainWithEverySettingInBothPhases() {
            IkeTunnel t = ike("ike ikev1 from 10.1.0.0/16 to 10.2.0.0/16 peer 192.0.2.2 main enc aes-256 auth hmac-sha2-384 "
                    + "group ecp384 lifetime 1d quick enc aes-256 auth hmac-sha2-256 group none lifetime 45m psk \"x\"");
            assertThat(t.ikeSa().enc()).containsExactly(AES_256);
            assertThat(t.ikeSa().auth()).containsExactly(HMAC_SHA2_384);
            assertThat(t.ikeSa().groups()).containsExactly(ECP384);
            assertThat(t.ikeSa().lifetime()).isEqualTo(Duration.ofDays(1));
            assertThat(t.childSa().enc()).containsExactly(AES_256);
            assertThat(t.childSa().auth()).containsExactly(HMAC_SHA2_256);
            assertThat(t.childSa().groups()).containsExactly(NONE);
            assertThat(t.childSa().lifetime()).isEqualTo(Duration.ofMinutes(45));
        }

        @Test
        void listsKeepTheirOrderAndMakeProposalsInOrder() {
            IkeTunnel t = ike(BASE + "ikesa enc aes-256-gcm,aes-128-gcm prf hmac-sha2-384 group ecp384,curve25519");
            assertThat(t.ikeSa().enc()).containsExactly(AES_256_GCM, AES_128_GCM);
            assertThat(t.ikeSa().proposals()).extracting(p -> p.enc() + "/" + p.group())
                    .containsExactly("aes-256-gcm/ecp384", "aes-256-gcm/curve25519", "aes-128-gcm/ecp384",
                            "aes-128-gcm/curve25519");
        }

        @Test
        void aSpaceAfterACommaStillMakesOneList() {
            assertThat(ike(BASE + "childsa enc aes-128-gcm, aes-256-gcm, chacha20-poly1305").childSa().enc())
                    .containsExactly(AES_128_GCM, AES_256_GCM, CHACHA20_POLY1305);
        }
    }

    @Nested
    class PeersFlowsAndIds {
        @Test
        void severalPeersFormAnOrderedFailoverList() {
            IkeTunnel t = ike("ike from 10.1.0.0/16 to 10.2.0.0/16 peer 198.51.100.7 peer vpn2.example.net peer 2001:db8::7 psk \"x\"");
            assertThat(t.peers()).containsExactly(Host.parse("198.51.100.7"), Host.parse("vpn2.example.net"),
                    Host.parse("2001:db8::7"));
            assertThat(t.peers().get(1).isIp()).isFalse();
        }

        @Test
        void passiveMayNameItsPeersAndLocal() {
            IkeTunnel t = ike("ike passive from 10.1.0.0/16 to 10.2.0.0/16 local 192.0.2.1 peer 192.0.2.2 psk \"x\"");
            assertThat(t.local()).contains(Host.parse("192.0.2.1"));
            assertThat(t.peers()).containsExactly(Host.parse("192.0.2.2"));
        }

        @Test
        void flowsKeepTheirOrderAndHostDiffersFromSlash32() {
            IkeTunnel t = ike("ike from 10.9.1.1 10.9.1.1/32 10.1.0.0/16 2001:db8:1::/48 to any 2001:db8::/32 peer 192.0.2.2 psk \"x\"");
            assertThat(t.from()).containsExactly(Network.parse("10.9.1.1"), Network.parse("10.9.1.1/32"),
                    Network.parse("10.1.0.0/16"), Network.parse("2001:db8:1::/48"));
            assertThat(t.from().get(0)).isNotEqualTo(t.from().get(1));
            assertThat(t.to()).containsExactly(Network.any(), Network.parse("2001:db8::/32"));
        }

        @Test
        void identitiesAreDetectedAndKept() {
            IkeTunnel t = ike(BASE + "srcid vpn.example.com dstid \"C=SE, O=Example, CN=gw1\"");
            assertThat(t.srcId()).contains(new Identity(IdType.FQDN, "vpn.example.com"));
            assertThat(t.dstId()).contains(new Identity(IdType.DN, "C=SE, O=Example, CN=gw1"));
            assertThat(ike(BASE + "srcid ops@example.com").srcId().orElseThrow().type()).isEqualTo(IdType.USER_FQDN);
            assertThat(ike(BASE + "srcid 192.0.2.1").srcId().orElseThrow().type()).isEqualTo(IdType.IPV4);
            assertThat(ike(BASE + "srcid 2001:db8::1").srcId().orElseThrow().type()).isEqualTo(IdType.IPV6);
        }

        @Test
        void certificateAuthenticationWithQuotedAndBarePaths() {
            IkeTunnel t = ike("ike from 10.1.0.0/16 to 10.2.0.0/16 peer 192.0.2.2 cert /etc/palisade/gw1.pem "
                    + "key \"/etc/palisade/private key.pem\" ca /etc/palisade/ca.pem");
            assertThat(t.authentication()).isEqualTo(new IkeAuth.Certificates("/etc/palisade/gw1.pem",
                    "/etc/palisade/private key.pem", "/etc/palisade/ca.pem"));
        }

        @Test
        void pskAsHexAndWithEscapes() {
            assertThat(ike("ike from 10.1.0.0/16 to 10.2.0.0/16 peer 192.0.2.2 psk 0x6b6B").authentication())
                    .isEqualTo(new IkeAuth.Psk(Secret.ofBytes(new byte[] {0x6b, 0x6b})));
            assertThat(ike("ike from 10.1.0.0/16 to 10.2.0.0/16 peer 192.0.2.2 psk \"a\\\"b\\\\c #d\"").authentication())
                    .isEqualTo(new IkeAuth.Psk(Secret.ofText("a\"b\\c #d")));
        }
    }

    @Nested
    class Manual {
        private static final String M = "manual from 10.1.0.0/16 to 10.2.0.0/16 local 192.0.2.1 peer 192.0.2.2 ";

        @Test
        void oneSpiAndOneKeyMeanBothDirections() {
            ManualTunnel t = manual(M + "spi 0x1000 enc aes-256-gcm enckey 0x" + "ab".repeat(36));
            assertThat(t.spi().inbound()).isEqualTo(new Spi(0x1000));
            assertThat(t.spi().outbound()).isEqualTo(new Spi(0x1000));
            assertThat(t.encKey().symmetric()).isTrue();
        }

        @Test
        void twoKeysAreInboundThenOutbound() {
            ManualTunnel t = manual(M + "spi 300:301 enc aes-128 enckey 0x" + "01".repeat(16) + ":0x" + "02".repeat(16)
                    + " auth hmac-sha1 authkey 0x" + "03".repeat(20) + ":0x" + "04".repeat(20));
            assertThat(t.encKey().inbound().revealBytes()[0]).isEqualTo((byte) 1);
            assertThat(t.encKey().outbound().revealBytes()[0]).isEqualTo((byte) 2);
            assertThat(t.auth()).contains(HMAC_SHA1);
            assertThat(t.authKey().orElseThrow().inbound().length()).isEqualTo(20);
            assertThat(t.authKey().orElseThrow().outbound().revealBytes()[0]).isEqualTo((byte) 4);
        }

        @ParameterizedTest
        @CsvSource({
            "aes-128-gcm,       20",
            "aes-256-gcm,       36",
            "chacha20-poly1305, 36",
        })
        void aeadKeysCarryTheSalt(String alg, int bytes) {
            assertThat(manual(M + "spi 256 enc " + alg + " enckey 0x" + "5a".repeat(bytes)).encKey().inbound().length())
                    .isEqualTo(bytes);
        }

        @ParameterizedTest
        @CsvSource({
            "aes-128, 16, hmac-sha2-256, 32",
            "aes-256, 32, hmac-sha2-384, 48",
            "3des,    24, hmac-sha2-512, 64",
            "aes-128, 16, hmac-sha1,     20",
        })
        void cbcKeysAndHmacKeys(String enc, int encBytes, String auth, int authBytes) {
            ManualTunnel t = manual(M + "spi 256 enc " + enc + " enckey 0x" + "5a".repeat(encBytes) + " auth " + auth
                    + " authkey 0x" + "a5".repeat(authBytes));
            assertThat(t.encKey().inbound().length()).isEqualTo(encBytes);
            assertThat(t.authKey().orElseThrow().inbound().length()).isEqualTo(authBytes);
        }

        @Test
        void udpencapDefaultsTo4500AndTakesAPort() {
            assertThat(manual(M + "spi 256 enc aes-128-gcm enckey " + K20 + " udpencap").udpEncapPort())
                    .isEqualTo(OptionalInt.of(4500));
            assertThat(manual(M + "spi 256 enc aes-128-gcm enckey " + K20 + " udpencap 14500 label x").udpEncapPort())
                    .isEqualTo(OptionalInt.of(14500));
        }

        @Test
        void ipv6OuterAddresses() {
            ManualTunnel t = manual("manual from 2001:db8:1::/48 to 2001:db8:2::/48 local 2001:db8::1 peer 2001:db8::2 "
                    + "spi 256 enc aes-128-gcm enckey " + K20);
            assertThat(t.peer()).isEqualTo(Host.parse("2001:db8::2"));
        }
    }

    @Nested
    class FileStructure {
        @Test
        void blockAndTopLevelAreBothAccepted() {
            IpsecConfig block = ok("ipsec {\n  " + BASE + "label a\n}\n");
            IpsecConfig top = ok(BASE + "label a\n");
            assertThat(block).isEqualTo(top);
            assertThat(ok("ipsec { " + BASE + "label a }")).isEqualTo(top);
            assertThat(ok("ipsec\n{\n" + BASE + "label a\n}")).isEqualTo(top);
        }

        @Test
        void commentsBlankLinesAndContinuations() {
            IpsecConfig c = ok("""
                    # site A to site B
                    ipsec {   # the only block

                      ike from 10.1.0.0/16 to 10.2.0.0/16 \\
                          peer 192.0.2.2 \\
                          psk "with # hash" label a   # trailing comment
                    }
                    """);
            IkeTunnel t = (IkeTunnel) c.tunnels().getFirst();
            assertThat(t.peers()).containsExactly(Host.parse("192.0.2.2"));
            assertThat(t.authentication()).isEqualTo(new IkeAuth.Psk(Secret.ofText("with # hash")));
            assertThat(t.label()).isEqualTo("a");
        }

        @Test
        void pingNeedsAnAddressOnEachSide() {
            assertThat(errors("ike from any to 10.2.0.0/16 peer 192.0.2.2 psk \"x\" ping"))
                    .containsExactly("t.conf:1:52: ping: needs a from network and a to network of one address family,"
                            + " neither any: it pings from the first address of the one to the first address of the other");
            assertThat(ike("ike from any 10.1.0.0/16 to 10.2.0.0/16 peer 192.0.2.2 psk \"x\" ping").ping()).isTrue();
            assertThat(errors("ike from 10.1.0.0/16 to 2001:db8::/32 10.2.0.0/16 peer 192.0.2.2 psk \"x\" ping"))
                    .isNotEmpty(); // families do not pair: refused before ping is looked at
        }

        @Test
        void continuationKeepsLineNumbersForErrors() {
            assertThat(errors("ike from 10.1.0.0/16 to 10.2.0.0/16 \\\n  peer 192.0.2.2 \\\n  psk \"x\" lable a"))
                    .containsExactly("t.conf:3:11: ike: unknown keyword 'lable'; did you mean 'label'?");
        }

        @Test
        void allErrorsAreCollectedAcrossStatementsInOrder() {
            assertThat(errors("""
                    ipsec {
                      ike from 10.1.0.0/16 to 10.2.0.0/16 peer 192.0.2.2 psk "x" ikesa enc aes-129
                      ike from 10.3.0.0/16 to 10.4.0.0/16 peer 192.0.2.3
                      ike from 10.5.0.0/16 to 10.6.0.0/16 peer 192.0.2.4 psk "x" label ok
                      manual from 10.7.0.0/16 to 10.8.0.0/16 local 192.0.2.1 peer 192.0.2.5 spi 1 enc aes-128-gcm enckey 0x00
                    }
                    """)).containsExactly(
                    "t.conf:2:72: enc: unknown algorithm 'aes-129'; did you mean 'aes-128'?",
                    "t.conf:3:3: psk: missing authentication: add psk \"STRING\" or cert FILE key FILE ca FILE",
                    "t.conf:5:77: spi: 1 is reserved (0 means no SPI, 1-255 are reserved by RFC 4303); use 256 (0x100) or more");
        }

        @Test
        void sourceNameAppearsInDiagnostics() {
            assertThat(ConfigParser.parse("bogus", "/etc/palisade/gw.conf").errors().getFirst().toString())
                    .isEqualTo("/etc/palisade/gw.conf:1:1: statement: unknown keyword 'bogus'");
        }

        @Test
        void oversizedInputIsRefusedBeforeParsing() {
            String huge = "#".repeat(net.palisade.model.config.Defaults.MAX_INPUT_CHARS + 1);
            assertThat(ConfigParser.parse(huge, "big.conf").errors()).extracting(Diagnostic::toString)
                    .containsExactly("big.conf: input: 16777217 characters is more than the limit of 16777216");
            assertThat(ConfigJson.read(huge, "api").errors()).extracting(Diagnostic::message)
                    .containsExactly("16777217 characters is more than the limit of 16777216");
        }

        @Test
        void emptyFileIsAnEmptyConfig() {
            assertThat(ok("").tunnels()).isEmpty();
            assertThat(ok("# nothing\n\nipsec {\n}\n").tunnels()).isEmpty();
        }
    }

    @Nested
    class Warnings {
        @Test
        void weakAlgorithmsWarnWithPosition() {
            assertThat(warnings(STRONG + "ikesa enc 3des,aes-128 childsa enc 3des auth hmac-sha1")).containsExactly(
                    "t.conf:1:85: warning: enc: 3des is weak; use aes-128-gcm",
                    "t.conf:1:110: warning: enc: 3des is weak; use aes-128-gcm",
                    "t.conf:1:120: warning: auth: hmac-sha1 is weak; use hmac-sha2-256");
            assertThat(ike(BASE + "ikesa enc 3des,aes-128").ikeSa().enc()).containsExactly(TRIPLE_DES, AES_128);
        }

        @Test
        void theLegacyGroupOfOldPeersIsAcceptedWithAWarningAtItsPlace() {
            // "ike ... main group modp1024": ZyWALL and SonicWall defaults; RFC 8247 forbids it, old boxes need it
            String line = "ike ikev1 from 10.1.0.0/16 to 10.2.0.0/16 peer 192.0.2.2 main group modp1024"
                    + " quick group modp1536 psk \"a-long-psk-16chr\"";
            assertThat(warnings(line)).containsExactly("t.conf:1:69: warning: group: modp1024 is weak (1024 bits;"
                    + " RFC 8247 forbids it): accepted for old peers only; use modp2048 or ecp256");
            assertThat(warnings(STRONG + "ikesa group modp1536 childsa group modp1536")).isEmpty();
        }

        @Test
        void ikev1Phase1WeakAdviceNamesACbcCipher() {
            assertThat(warnings("ike ikev1 from 10.1.0.0/16 to 10.2.0.0/16 peer 192.0.2.2 main enc 3des psk \"a-long-psk-16chr\""))
                    .containsExactly("t.conf:1:67: warning: enc: 3des is weak; use aes-128");
        }

        @Test
        void ikev1Phase1HashWarnsToo() {
            assertThat(warnings("ike ikev1 from 10.1.0.0/16 to 10.2.0.0/16 peer 192.0.2.2 main auth hmac-sha1 psk \"a-long-psk-16chr\""))
                    .containsExactly("t.conf:1:68: warning: auth: hmac-sha1 is weak; use hmac-sha2-256");
        }

        @Test
        void warningsComeWithErrorsToo() {
            ConfigResult r = ConfigParser.parse(STRONG + "childsa enc 3des lifetime 1s", "t.conf");
            assertThat(r.errors()).hasSize(1);
            assertThat(r.warnings()).hasSize(1);
        }

        @Test
        void controlCharactersOfTheInputNeverReachTheTerminal() {
            // an ESC sequence quoted back in a diagnostic would recolour or hide the operator's terminal output
            ConfigResult r = ConfigParser.parse("ike from 10.1.0.0/16 to 10.2.0.0/16 peer 192.0.2.2 psk \"a-long-psk-16chr\""
                    + " \u001b[8mhidden \u202egnp.txe\n\u001c\u001c\n", "t.conf");
            assertThat(r.errors()).isNotEmpty();
            for (Diagnostic d : r.diagnostics()) {
                assertThat(d.toString()).doesNotContainPattern("[\\p{Cntrl}\u202a-\u202e\u2066-\u2069]");
            }
            assertThat(r.errors()).anySatisfy(d -> assertThat(d.toString()).startsWith("t.conf:1:75: ")
                    .contains("\\u001b[8mhidden"));
            assertThat(r.errors()).anySatisfy(d -> assertThat(d.toString()).startsWith("t.conf:2:1: ")
                    .contains("'\\u001c\\u001c'"));
            assertThat(Diagnostic.visible("\u202egnp.txe")).isEqualTo("\\u202egnp.txe");
        }

        @Test
        void aShortPskWarnsWithoutSayingAnythingOfIt() {
            assertThat(warnings(BASE)).containsExactly("t.conf:1:56: warning: psk: shorter than 16 bytes: anyone who"
                    + " records one exchange can try to guess it offline; use a long random psk (palisade key generate"
                    + " aes-256 prints one)");
            assertThat(warnings("ike from 10.1.0.0/16 to 10.2.0.0/16 peer 192.0.2.2 psk 0x00112233445566778899aabbccddee"))
                    .singleElement().asString().contains("psk: shorter than 16 bytes");
            assertThat(warnings(STRONG)).isEmpty();
            assertThat(warnings("ike from 10.1.0.0/16 to 10.2.0.0/16 peer 192.0.2.2 psk 0x00112233445566778899aabbccddeeff"))
                    .isEmpty();
        }
    }

    @Nested
    class Labels {
        private static final List<String> LINES = List.of(
                "ike from 10.1.0.0/16 to 10.2.0.0/16 peer 192.0.2.2 psk \"x\"",
                "ike from 10.3.0.0/16 to 10.4.0.0/16 peer 192.0.2.3 psk \"x\"",
                "manual from 10.5.0.0/16 to 10.6.0.0/16 local 192.0.2.1 peer 192.0.2.4 spi 256 enc aes-128-gcm enckey " + K20,
                "ike from 10.7.0.0/16 to 10.8.0.0/16 peer 192.0.2.5 psk \"x\" label named");

        private static java.util.Map<String, String> labelsByFlow(List<String> lines) {
            java.util.Map<String, String> m = new java.util.HashMap<>();
            for (TunnelSpec t : ok(String.join("\n", lines)).tunnels()) {
                m.put(t.from() + "->" + t.to(), t.label());
            }
            return m;
        }

        @Test
        void generatedLabelsAreStableUnderReorderingAndAdditions() {
            var original = labelsByFlow(LINES);
            List<String> reversed = new ArrayList<>(LINES);
            Collections.reverse(reversed);
            assertThat(labelsByFlow(reversed)).isEqualTo(original);
            List<String> more = new ArrayList<>(LINES);
            more.add(1, "ike from 10.9.0.0/16 to 10.10.0.0/16 peer 192.0.2.9 psk \"x\"");
            assertThat(labelsByFlow(more)).containsAllEntriesOf(original);
            assertThat(original.values()).doesNotHaveDuplicates().allMatch(l -> l.matches("[A-Za-z0-9_.-]{1,64}"));
            assertThat(original.get("[10.7.0.0/16]->[10.8.0.0/16]")).isEqualTo("named");
        }

        @Test
        void generatedLabelDependsOnFlowsAndPeersOnly() {
            String a = ike(BASE).label();
            assertThat(ike(BASE + "childsa enc aes-256-gcm ping").label()).isEqualTo(a);
            assertThat(ike("ike from 10.1.0.0/16 to 10.2.0.0/16 peer 192.0.2.99 psk \"x\"").label()).isNotEqualTo(a);
            assertThat(a).matches("auto-[0-9a-f]{8}");
        }

        @Test
        void collisionsGetADeterministicSuffix() {
            String generated = ike(BASE).label();
            IpsecConfig c = ok(BASE + "\nike from 10.3.0.0/16 to 10.4.0.0/16 peer 192.0.2.3 psk \"x\" label " + generated);
            assertThat(c.tunnels().get(0).label()).isEqualTo(generated + "-2");
            assertThat(c.tunnels().get(1).label()).isEqualTo(generated);
            // two identical unlabeled tunnels: -2 for the second (plus a warning for the repeated flow)
            IpsecConfig twins = ok(BASE + "\n" + BASE);
            assertThat(twins.tunnels()).extracting(TunnelSpec::label).containsExactly(generated, generated + "-2");
        }
    }
}
