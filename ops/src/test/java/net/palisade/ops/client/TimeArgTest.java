package net.palisade.ops.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class TimeArgTest {
    private static final Clock CLOCK = Clock.fixed(Instant.parse("2026-11-27T12:00:00Z"), ZoneOffset.UTC);

    @ParameterizedTest
    @CsvSource({
        "2026-11-27T03:12:07Z, 2026-11-27T03:12:07Z",
        "2026-11-27T03:12:07.120Z, 2026-11-27T03:12:07.120Z",
        "2026-11-27T04:12:07+01:00, 2026-11-27T03:12:07Z",
        "2026-11-26, 2026-11-26T00:00:00Z",
        "now, 2026-11-27T12:00:00Z",
        "-30m, 2026-11-27T11:30:00Z",
        "-1h, 2026-11-27T11:00:00Z",
        "-1h30m, 2026-11-27T10:30:00Z",
        "-2d, 2026-11-25T12:00:00Z",
        "-1w, 2026-11-20T12:00:00Z",
        "-45s, 2026-11-27T11:59:15Z",
    })
    void acceptsInstantsDatesAndTimesBackFromNow(String text, String expected) {
        assertThat(TimeArg.parse("--since", text, CLOCK)).isEqualTo(Instant.parse(expected));
    }

    @ParameterizedTest
    @ValueSource(strings = {"yesterday", "-1y", "1h", "-h", "2026-11-27T03:12:07", "27.11.2026", ""})
    void refusesAnythingElseNamingTheOption(String text) {
        assertThatThrownBy(() -> TimeArg.parse("--until", text, CLOCK)).isInstanceOfSatisfying(CliFailure.class, e -> {
            assertThat(e.exitCode()).isEqualTo(2);
            assertThat(e.getMessage()).startsWith("--until: not a time: '" + text + "'").contains("-30m");
        });
    }
}
