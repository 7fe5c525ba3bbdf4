package net.palisade.ops.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class ApiClientTest {
    @ParameterizedTest
    @CsvSource({
        "http://127.0.0.1:8470, http://127.0.0.1:8470",
        "http://127.0.0.1:8470/, http://127.0.0.1:8470",
        "127.0.0.1:8470, http://127.0.0.1:8470",
        "[::1]:8470, http://[::1]:8470",
        "https://gw.example.net/palisade/, https://gw.example.net/palisade",
    })
    void apiUrlsAreNormalized(String given, String expected) {
        assertThat(ApiClient.baseUri(given)).hasToString(expected);
    }

    @ParameterizedTest
    @ValueSource(strings = {"ftp://host:21", "http://", "http://host:8470?x=1", "http://ho st"})
    void badApiUrlsAreUsageErrors(String given) {
        assertThatThrownBy(() -> ApiClient.baseUri(given)).isInstanceOfSatisfying(CliFailure.class,
                e -> assertThat(e.exitCode()).isEqualTo(2)).hasMessageContaining("--api");
    }

    @Test
    void theCallerIsUserWhenUsable() {
        assertThat(ApiClient.defaultCaller(Map.of("USER", "alice"))).hasValue("alice");
        assertThat(ApiClient.defaultCaller(Map.of("USER", "has space"))).isEqualTo(ApiClient.defaultCaller(Map.of()));
    }

    @Test
    void anEmptyTokenFileIsRefusedBeforeAnyRequest(@TempDir Path dir) throws Exception {
        Path empty = Files.writeString(dir.resolve("t"), "\n");
        assertThatThrownBy(() -> ApiClient.open("http://127.0.0.1:1", empty, Optional.empty()))
                .isInstanceOf(CliFailure.class).hasMessageContaining("does not hold a token");
    }

    @Test
    void queryValuesArePercentEncoded() {
        var p = ApiClient.params();
        p.put("message", Optional.of("try backup & more"));
        p.put("absent", Optional.empty());
        p.put("at", Optional.of("2026-11-27T03:12:00Z"));
        assertThat(ApiClient.query(p)).isEqualTo("?message=try%20backup%20%26%20more&at=2026-11-27T03%3A12%3A00Z");
        assertThat(ApiClient.query(ApiClient.params())).isEmpty();
    }
}
