package net.palisade.model.secret;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import net.palisade.model.IkeAuth;
import net.palisade.model.config.ConfigJson;
import org.junit.jupiter.api.Test;

class SecretTest {
    private final ObjectMapper json = ConfigJson.newMapper();

    @Test
    void neverPrintsItsContent() throws Exception {
        Secret s = Secret.ofText("CANARY-psk");
        assertThat(s.toString()).isEqualTo("[redacted]");
        assertThat(String.valueOf(s)).isEqualTo("[redacted]");
        assertThat(new IkeAuth.Psk(s).toString()).isEqualTo("Psk[psk=[redacted]]");
        assertThat(List.of(s).toString()).isEqualTo("[[redacted]]");
        assertThat(json.writeValueAsString(s)).isEqualTo("\"[redacted]\"");
        assertThat(json.writeValueAsString(Map.of("psk", s))).isEqualTo("{\"psk\":\"[redacted]\"}");
        assertThat(new ObjectMapper().writeValueAsString(s)).isEqualTo("\"[redacted]\"");
        assertThat(json.writeValueAsString(new IkeAuth.Psk(s))).doesNotContain("CANARY");
    }

    @Test
    void revealBytesIsTheWayToTheBytesAndGivesACopy() {
        Secret s = Secret.ofText("abc");
        byte[] copy = s.revealBytes();
        assertThat(copy).isEqualTo("abc".getBytes(StandardCharsets.UTF_8));
        copy[0] = 'x';
        assertThat(s.revealBytes()[0]).isEqualTo((byte) 'a');
        assertThat(s.length()).isEqualTo(3);
        assertThat(s.text()).isTrue();
        assertThat(Secret.parseHex("0x00FF").revealHex()).isEqualTo("0x00ff");
    }

    @Test
    void wipeZeroesAndForbidsReveal() {
        byte[] mine = {1, 2, 3};
        Secret s = Secret.adopt(mine);
        try (Secret closing = s) {
            assertThat(closing.wiped()).isFalse();
        }
        assertThat(s.wiped()).isTrue();
        assertThat(mine).containsExactly(0, 0, 0);
        assertThatThrownBy(s::revealBytes).isInstanceOf(IllegalStateException.class).hasMessage("secret was wiped");
        assertThat(s).isEqualTo(s).isNotEqualTo(Secret.ofBytes(new byte[3]));
    }

    @Test
    void ofBytesCopies() {
        byte[] mine = {1, 2, 3};
        Secret s = Secret.ofBytes(mine);
        mine[0] = 9;
        assertThat(s.revealBytes()[0]).isEqualTo((byte) 1);
    }

    @Test
    void equalityIsByContentAndHashOnlyByLength() {
        assertThat(Secret.ofText("kk")).isEqualTo(Secret.parseHex("0x6b6b"));
        assertThat(Secret.ofText("kk")).isNotEqualTo(Secret.ofText("kl"));
        assertThat(Secret.ofText("kk")).isNotEqualTo(Secret.ofText("kkk"));
        assertThat(Secret.ofText("ab").hashCode()).isEqualTo(Secret.ofText("zz").hashCode()).isEqualTo(2);
    }

    @Test
    void readFromJsonAsTextOrHex() throws Exception {
        assertThat(json.readValue("\"badpassword\"", Secret.class)).isEqualTo(Secret.ofText("badpassword"));
        Secret hex = json.readValue("\"0x6B6b\"", Secret.class);
        assertThat(hex.revealBytes()).containsExactly(0x6b, 0x6b);
        assertThat(hex.text()).isFalse();
        // 0x followed by something that is not hex stays text
        assertThat(json.readValue("\"0xnot-hex\"", Secret.class).text()).isTrue();
    }

    @Test
    void jsonErrorsNeverQuoteTheValue() {
        assertThatThrownBy(() -> json.readValue("123456789", Secret.class))
                .hasMessageStartingWith("expected a secret as a JSON string (text, or 0x-hex)")
                .message().doesNotContain("123456789");
        assertThatThrownBy(() -> json.readValue("\"\"", Secret.class)).hasMessageStartingWith("empty secret");
    }

    @Test
    void hexErrorsNeverQuoteTheValue() {
        assertThatThrownBy(() -> Secret.parseHex("0xCANARY")).hasMessage("not 0x-hex");
        assertThatThrownBy(() -> Secret.parseHex("CANARY")).hasMessage("not 0x-hex");
        assertThatThrownBy(() -> Secret.parseHex("0x")).hasMessage("not 0x-hex");
        assertThatThrownBy(() -> Secret.parseHex("0xabc")).hasMessage("odd number of hex digits");
    }

    @Test
    void textForPrintingOnlyWhenItWasTextAndPrintable() {
        assertThat(Secret.ofText("pässword").revealTextOrNull()).isEqualTo("pässword");
        assertThat(Secret.ofText("line\nbreak").revealTextOrNull()).isNull();
        assertThat(Secret.parseHex("0x6b6b").revealTextOrNull()).isNull();
    }

    @Test
    void redactedReadsAsThePlaceholderThatHasNoBytes() throws Exception {
        Secret keep = json.readValue("\"[redacted]\"", Secret.class);
        assertThat(keep).isSameAs(Secret.KEEP);
        assertThat(keep.keep()).isTrue();
        assertThat(Secret.ofText("[redacted]").keep()).isFalse();
        assertThatThrownBy(keep::revealBytes).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("placeholder");
        assertThatThrownBy(keep::revealHex).isInstanceOf(IllegalStateException.class);
        assertThat(keep).isNotEqualTo(Secret.ofBytes(new byte[0])).isEqualTo(Secret.KEEP);
        assertThat(Secret.ofBytes(new byte[0])).isNotEqualTo(keep);
        keep.wipe();
        assertThat(Secret.KEEP.wiped()).isFalse();
        assertThat(keep.toString()).isEqualTo("[redacted]");
    }
}
