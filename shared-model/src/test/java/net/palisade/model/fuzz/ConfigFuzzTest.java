package net.palisade.model.fuzz;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import net.palisade.model.config.ConfigJson;
import net.palisade.model.config.ConfigParser;
import net.palisade.model.config.ConfigPrinter;
import net.palisade.model.config.ConfigResult;
import net.palisade.model.config.Diagnostic;
import net.palisade.model.config.Support;

/**
 * The config language and the JSON door take text from operators and orchestration tools. Whatever the text: no
 * exception, every diagnostic has a position inside the text (or a JSON path), and an accepted config prints to
 * text that parses back to the same config; no control character of the input reaches a diagnostic (they would
 * reach the operator's terminal). Kept inputs: {@code ConfigFuzzTestInputs/METHOD/}, past findings among them.
 */
class ConfigFuzzTest {

    @FuzzTest(maxDuration = "10s")
    void text(String text) {
        if (text != null) { // the mutator's null: no caller passes one
            textHolds(text);
        }
    }

    @FuzzTest(maxDuration = "10s")
    void json(String json) {
        if (json != null) {
            jsonHolds(json);
        }
    }

    static void textHolds(String text) {
        for (var support : new Support[] {Support.LANGUAGE, Support.THIS_BUILD}) {
            ConfigResult r = ConfigParser.parse(text, "f.conf", support);
            long lines = text.lines().count() + 1;
            for (Diagnostic d : r.diagnostics()) {
                assertThat(d.line()).as(d.toString()).isBetween(0, (int) Math.max(lines, 1));
                assertThat(d.field()).as(d.toString()).isNotEmpty().doesNotContainPattern("\\p{Cntrl}");
                assertThat(d.message()).doesNotContainPattern("\\p{Cntrl}");
            }
            r.config().ifPresent(c -> {
                String printed = ConfigPrinter.print(c);
                ConfigResult back = ConfigParser.parse(printed, "printed.conf", support);
                assertThat(back.errors()).as(printed).isEmpty();
                assertThat(ConfigPrinter.print(back.orThrow())).isEqualTo(printed);
            });
        }
    }

    static void jsonHolds(String json) {
        ConfigResult r = ConfigJson.read(json, "api");
        for (Diagnostic d : r.diagnostics()) {
            assertThat(d.field()).as(d.toString()).isNotEmpty().doesNotContainPattern("\\p{Cntrl}");
        }
        // whatever the JSON door accepts, the config language can say: printed (with secrets) it parses back to
        // the same config (the JSON form itself redacts secrets, so it is not a round trip)
        r.config().ifPresent(c -> {
            String printed = ConfigPrinter.print(c);
            ConfigResult back = ConfigParser.parse(printed, "printed.conf");
            assertThat(back.errors()).as(printed).isEmpty();
            assertThat(ConfigPrinter.print(back.orThrow())).isEqualTo(printed);
        });
        ConfigJson.readTunnel(json, "api");
    }
}
