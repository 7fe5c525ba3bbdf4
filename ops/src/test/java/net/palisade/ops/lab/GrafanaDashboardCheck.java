package net.palisade.ops.lab;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Holds {@code docs/grafana/palisade-dashboard.json} against a real scrape of a node's {@code /metrics}: it is JSON
 * with panels, every metric its queries name is one the node exports, every {@code counter=~"..."} matcher is a
 * valid regular expression, and every IKE counter the node exported is shown by one of them (so a counter added
 * to the node and left off the dashboard fails here).
 */
final class GrafanaDashboardCheck {
    static final Path DASHBOARD = Path.of("..").toAbsolutePath().normalize()
            .resolve("docs/grafana/palisade-dashboard.json");
    private static final Pattern METRIC = Pattern.compile("\\bpalisade_[a-z_]+\\b");
    private static final Pattern COUNTER_MATCHER = Pattern.compile("counter=~\"((?:[^\"\\\\]|\\\\.)*)\"");
    private static final Pattern IKE_SAMPLE = Pattern.compile("(?m)^palisade_ike_total\\{counter=\"([^\"]+)\"\\}");

    private GrafanaDashboardCheck() {
    }

    static void assertQueriesExist(String scrape) throws IOException {
        JsonNode dashboard = new ObjectMapper().readTree(DASHBOARD.toFile());
        assertThat(dashboard.path("panels").size()).isGreaterThanOrEqualTo(10);
        List<String> exprs = new ArrayList<>();
        dashboard.path("panels").forEach(p -> p.path("targets").forEach(t -> exprs.add(t.path("expr").asText())));
        assertThat(exprs).doesNotContain("");

        Set<String> queried = new TreeSet<>();
        List<Pattern> ikeMatchers = new ArrayList<>();
        for (String e : exprs) {
            Matcher m = METRIC.matcher(e);
            while (m.find()) {
                queried.add(m.group());
            }
            Matcher c = COUNTER_MATCHER.matcher(e);
            while (c.find()) {
                // PromQL string escapes: \\ is one backslash; PromQL anchors the regex at both ends
                ikeMatchers.add(Pattern.compile(c.group(1).replace("\\\\", "\\")));
            }
        }
        for (String metric : queried) {
            assertThat(scrape).as("the node exports %s, which the dashboard queries", metric)
                    .containsPattern("(?m)^" + metric + "[ {]");
        }
        Matcher s = IKE_SAMPLE.matcher(scrape);
        List<String> ikeCounters = new ArrayList<>();
        while (s.find()) {
            ikeCounters.add(s.group(1));
        }
        assertThat(ikeCounters).as("IKE counters in the scrape").contains("ike.sa-up", "ike.child-sa-installed");
        for (String counter : ikeCounters) {
            assertThat(ikeMatchers).as("a dashboard query shows IKE counter %s", counter)
                    .anyMatch(p -> p.matcher(counter).matches());
        }
    }
}
