package net.palisade.model.config;

import static net.palisade.model.config.TestSupport.errors;
import static net.palisade.model.config.TestSupport.ike;
import static net.palisade.model.config.TestSupport.ok;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import net.palisade.model.IpsecConfig;
import org.junit.jupiter.api.Test;

/** {@code sa-per-flow}: one Child SA per from/to pair; in the text, the canonical print, and JSON both ways. */
class SaPerFlowKeywordTest {
    private static final String BASE = "ike from 10.1.0.0/24 10.1.1.0/24 to 10.2.0.0/16 peer 192.0.2.2 psk \"x\"";

    @Test
    void absentMeansAllFlowsInOneChildSa() {
        assertThat(ike(BASE).saPerFlow()).isFalse();
        assertThat(ConfigPrinter.print(ok(BASE))).doesNotContain("sa-per-flow");
    }

    @Test
    void presentAnywhereInTheStatementAndPrintedBackBeforeTheLabel() {
        assertThat(ike(BASE + " sa-per-flow").saPerFlow()).isTrue();
        assertThat(ike("ike sa-per-flow from 10.1.0.0/16 to 10.2.0.0/16 peer 192.0.2.2 psk \"x\"").saPerFlow())
                .isTrue();
        IpsecConfig c = ok(BASE + " label n sa-per-flow ping");
        String printed = ConfigPrinter.print(c);
        assertThat(printed).contains(" psk \"x\" ping sa-per-flow label n\n");
        assertThat(ok(printed)).isEqualTo(c);
    }

    @Test
    void givenTwiceIsAnErrorAtItsPosition() {
        String line = BASE + " sa-per-flow sa-per-flow";
        int second = line.lastIndexOf("sa-per-flow") + 1;
        int first = line.indexOf("sa-per-flow") + 1;
        assertThat(errors(line)).singleElement().asString()
                .isEqualTo("t.conf:1:" + second + ": sa-per-flow: given twice (first at 1:" + first + ")");
    }

    @Test
    void moreThanEightPairsAreRefusedNamingTheCount() {
        String line = "ike from 10.1.0.0/24 10.1.1.0/24 10.1.2.0/24 to 10.2.0.0/24 10.2.1.0/24 10.2.2.0/24 peer "
                + "192.0.2.2 psk \"x\" sa-per-flow";
        assertThat(errors(line)).singleElement().asString()
                .endsWith("sa-per-flow: makes one Child SA per from/to pair: at most 8 pairs, found 3 x 3 = 9");
    }

    @Test
    void jsonBothWays() throws Exception {
        ObjectMapper m = ConfigJson.newMapper();
        JsonNode on = m.readTree(m.writeValueAsString(ok(BASE + " sa-per-flow label n")));
        assertThat(on.at("/tunnels/0/saPerFlow").asBoolean()).isTrue();
        ConfigResult read = ConfigJson.read("""
                {"tunnels": [{"type": "ike", "from": ["10.1.0.0/24", "10.1.1.0/24"], "to": ["10.2.0.0/16"],
                  "peers": ["192.0.2.2"], "authentication": {"psk": "x"}, "saPerFlow": true, "label": "n"}]}
                """, "api");
        assertThat(read.errors()).isEmpty();
        assertThat(read.orThrow()).isEqualTo(ok(BASE + " sa-per-flow label n"));
    }
}
