package net.palisade.model.config;

import static net.palisade.model.config.TestSupport.errors;
import static net.palisade.model.config.TestSupport.ike;
import static net.palisade.model.config.TestSupport.ok;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import net.palisade.model.IkeTunnel;
import net.palisade.model.IpsecConfig;
import org.junit.jupiter.api.Test;

/**
 * The {@code encap} flag of {@code ike} statements (forced UDP encapsulation, like strongSwan's {@code encap = yes}):
 * absent means NAT detection decides; in the text, the canonical print, and JSON both ways.
 */
class EncapKeywordTest {
    private static final String BASE = "ike from 10.1.0.0/16 to 10.2.0.0/16 peer 192.0.2.2 psk \"x\"";

    @Test
    void absentMeansNatDetectionDecides() {
        assertThat(ike(BASE).encap()).isFalse();
        assertThat(ConfigPrinter.print(ok(BASE))).doesNotContain("encap");
    }

    @Test
    void presentForcesEncapsulationAnywhereInTheStatement() {
        assertThat(ike(BASE + " encap").encap()).isTrue();
        assertThat(ike("ike encap from 10.1.0.0/16 to 10.2.0.0/16 peer 192.0.2.2 psk \"x\"").encap()).isTrue();
        assertThat(ike(BASE + " dpd 30 encap ping label n").encap()).isTrue();
    }

    @Test
    void printsAfterPingAndBeforeTheLabelAndParsesBackTheSame() {
        IpsecConfig c = ok(BASE + " label n encap ping");
        String printed = ConfigPrinter.print(c);
        assertThat(printed).contains(" psk \"x\" ping encap label n\n");
        assertThat(ok(printed)).isEqualTo(c);
    }

    @Test
    void givenTwiceIsAnError() {
        assertThat(errors(BASE + " encap encap")).singleElement().asString()
                .isEqualTo("t.conf:1:66: encap: given twice (first at 1:60)");
    }

    @Test
    void takesNoValue() {
        assertThat(errors(BASE + " encap yes")).singleElement().asString()
                .isEqualTo("t.conf:1:66: ike: unknown keyword 'yes'");
    }

    @Test
    void aLabelSpeltEncapIsQuotedWhenPrinted() {
        IpsecConfig c = ok(BASE + " label \"encap\"");
        assertThat(ConfigPrinter.print(c)).contains("label \"encap\"");
        assertThat(((IkeTunnel) ok(ConfigPrinter.print(c)).tunnels().getFirst()).encap()).isFalse();
    }

    @Test
    void jsonHasEncapAlwaysAndReadsItBack() throws Exception {
        ObjectMapper m = ConfigJson.newMapper();
        JsonNode forced = m.readTree(m.writeValueAsString(ok(BASE + " encap label n")));
        assertThat(forced.at("/tunnels/0/encap").asBoolean()).isTrue();
        JsonNode plain = m.readTree(m.writeValueAsString(ok(BASE + " label n")));
        assertThat(plain.at("/tunnels/0/encap").isBoolean()).isTrue();
        assertThat(plain.at("/tunnels/0/encap").asBoolean()).isFalse();

        ConfigResult read = ConfigJson.read("""
                {"tunnels": [{"type": "ike", "from": ["10.1.0.0/16"], "to": ["10.2.0.0/16"], "peers": ["192.0.2.2"],
                  "authentication": {"psk": "x"}, "encap": true, "label": "n"}]}
                """, "api");
        assertThat(read.errors()).isEmpty();
        assertThat(read.orThrow()).isEqualTo(ok(BASE + " encap label n"));
        ConfigResult absent = ConfigJson.read("""
                {"tunnels": [{"type": "ike", "from": ["10.1.0.0/16"], "to": ["10.2.0.0/16"], "peers": ["192.0.2.2"],
                  "authentication": {"psk": "x"}, "label": "n"}]}
                """, "api");
        assertThat(((IkeTunnel) absent.orThrow().tunnels().getFirst()).encap()).isFalse();
    }

    @Test
    void jsonRefusesANonBoolean() {
        ConfigResult r = ConfigJson.read("""
                {"tunnels": [{"type": "ike", "from": ["10.1.0.0/16"], "to": ["10.2.0.0/16"], "peers": ["192.0.2.2"],
                  "authentication": {"psk": "x"}, "encap": "yes"}]}
                """, "api");
        assertThat(r.errors()).extracting(Diagnostic::toString)
                .containsExactly("api: tunnels[0].encap: expected true or false");
    }
}
