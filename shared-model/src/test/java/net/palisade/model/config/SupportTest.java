package net.palisade.model.config;

import static org.assertj.core.api.Assertions.assertThat;

import net.palisade.model.IpsecConfig;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

/**
 * A node refuses what it would not run as written: IKEv1 aggressive mode with certificates or a forced {@code encap}
 * in this build,
 * and IKEv1 at all on a node without it ({@link Support#IKEV2_ONLY}).
 */
class SupportTest {

    /** The original documentation's dynamic-address recipe, both sides. */
    static final String DOC_DYNAMIC =
            "ike dynamic from 10.1.0.0/16 to 10.2.0.0/16 peer 192.0.2.2 aggressive quick psk \"badpassword\" ping\n";
    static final String DOC_PASSIVE =
            "ike passive from 10.2.0.0/16 to 10.1.0.0/16 aggressive quick psk \"badpassword\" ping\n";

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        // config text                                                                | line:col | field
        "ike ikev1 from 10.1.0.0/16 to 10.2.0.0/16 peer 192.0.2.2 psk \"a-long-secret-1\"        | 1:5  | ikev1",
        "ike from 10.1.0.0/16 to 10.2.0.0/16 peer 192.0.2.2 main psk \"a-long-secret-1\"         | 1:52 | main",
        "ike ikev1 from 10.1.0.0/16 to 10.2.0.0/16 peer 192.0.2.2 aggressive psk \"a-long-secret\" | 1:58 | aggressive",
    })
    void onANodeWithoutIkev1AnIkev1TunnelIsAnErrorAtTheKeywordThatAskedForIt(String text, String at, String field) {
        ConfigResult r = ConfigParser.parse(text, "gw.conf", Support.IKEV2_ONLY);
        assertThat(r.ok()).isFalse();
        assertThat(r.errors()).singleElement().satisfies(d -> {
            assertThat(d.toString()).startsWith("gw.conf:" + at + ": " + field + ": IKEv1 is not implemented");
            assertThat(d.message()).contains("use IKEv2");
        });
    }

    @Test
    void theDocumentationsRecipeRunsOnThisBuild() {
        ConfigResult r = ConfigParser.parse("# two sites\n" + DOC_DYNAMIC + DOC_PASSIVE, "gw.conf", Support.THIS_BUILD);
        assertThat(r.errors()).isEmpty();
        assertThat(r.ok()).isTrue();
    }

    @Test
    void thisBuildRefusesIkev1AggressiveModeWithCertificatesAtCertButRunsMainMode() {
        ConfigResult r = ConfigParser.parse("ike aggressive from 10.1.0.0/16 to 10.2.0.0/16 peer 192.0.2.2 cert /etc/gw.pem"
                + " key /etc/gw.key ca /etc/ca.pem\n", "gw.conf", Support.THIS_BUILD);
        assertThat(r.errors()).extracting(Diagnostic::toString).singleElement()
                .satisfies(d -> assertThat(d).startsWith("gw.conf:1:63: cert: IKEv1 aggressive mode with"
                        + " certificates is not implemented"));
        // main mode and IKEv2 with the same files are fine
        assertThat(ConfigParser.parse("ike main from 10.1.0.0/16 to 10.2.0.0/16 peer 192.0.2.2 cert /etc/gw.pem"
                + " key /etc/gw.key ca /etc/ca.pem\n", "gw.conf", Support.THIS_BUILD).errors()).isEmpty();
        assertThat(ConfigParser.parse("ike from 10.1.0.0/16 to 10.2.0.0/16 peer 192.0.2.2 cert /etc/gw.pem"
                + " key /etc/gw.key ca /etc/ca.pem\n", "gw.conf", Support.THIS_BUILD).errors()).isEmpty();
    }

    @Test
    void thisBuildRunsIkev1WithEncapAndANodeThatCannotRefusesItAtEncap() {
        String line = "ike main from 10.1.0.0/16 to 10.2.0.0/16 peer 192.0.2.2 psk \"a-long-secret-1\" encap\n";
        assertThat(ConfigParser.parse(line, "gw.conf", Support.THIS_BUILD).errors()).isEmpty();
        ConfigResult r = ConfigParser.parse(line, "gw.conf", new Support(true, true, false, false));
        assertThat(r.errors()).extracting(Diagnostic::toString).singleElement()
                .satisfies(d -> assertThat(d).startsWith("gw.conf:1:79: encap: forcing UDP encapsulation is not"
                        + " implemented for IKEv1"));
    }

    @Test
    void theDocumentationsRecipeIsRefusedOnANodeWithoutIkev1() {
        ConfigResult r = ConfigParser.parse("# two sites\n" + DOC_DYNAMIC + DOC_PASSIVE, "gw.conf", Support.IKEV2_ONLY);
        assertThat(r.errors()).extracting(Diagnostic::toString)
                .satisfiesExactly(
                        d -> assertThat(d).startsWith("gw.conf:2:60: aggressive: IKEv1 is not implemented"),
                        d -> assertThat(d).startsWith("gw.conf:3:45: aggressive: IKEv1 is not implemented"));
        assertThat(r.errors()).noneMatch(d -> d.message().contains("badpassword"));
    }

    @Test
    void ikev2AndQuickAloneStillRun() {
        // `quick` introduces phase 2 settings and does not select a version: this is an IKEv2 tunnel
        ConfigResult r = ConfigParser.parse("ike from 10.1.0.0/16 to 10.2.0.0/16 peer 192.0.2.2 quick enc aes-256-gcm"
                + " psk \"a-long-secret-1\"\n", "gw.conf", Support.IKEV2_ONLY);
        assertThat(r.errors()).isEmpty();
    }

    @Test
    void theLanguageStillDescribesIkev1() {
        ConfigResult r = ConfigParser.parse(DOC_PASSIVE, "gw.conf");
        assertThat(r.ok()).isTrue();
        assertThat(ConfigPrinter.print(r.orThrow())).contains("ikev1").contains("aggressive");
    }

    @Test
    void aConfigBuiltInCodeIsRefusedWithItsJsonPath() {
        IpsecConfig config = ConfigParser.parse("ike from 10.9.0.0/16 to 10.8.0.0/16 peer 192.0.2.9 psk \"a-long-secret-2\"\n"
                + DOC_PASSIVE, "gw.conf").orThrow();
        assertThat(ConfigValidator.validate(config, "api", Support.IKEV2_ONLY)).filteredOn(Diagnostic::isError)
                .extracting(Diagnostic::toString)
                .singleElement().satisfies(d -> assertThat(d).startsWith("api: tunnels[1].exchange: IKEv1 is not"));
        assertThat(ConfigValidator.validate(config, "api")).noneMatch(Diagnostic::isError);
        assertThat(ConfigValidator.validate(config, "api", Support.THIS_BUILD)).noneMatch(Diagnostic::isError);
    }
}
