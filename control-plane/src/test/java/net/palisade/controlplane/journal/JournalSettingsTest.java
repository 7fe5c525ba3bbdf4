package net.palisade.controlplane.journal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

/** A journal URL is logged and shown in errors; the database password in it never is. */
class JournalSettingsTest {

    @Test
    void passwordsInTheUrlAreHiddenWhenPrinted() {
        var s = JournalSettings.postgres(
                "jdbc:postgresql://db.example:5432/palisade?user=pal&password=Hunter2secret&sslpassword=KeyPass9&ssl=true",
                "pal", "Other-Secret-1");
        assertThat(s.toString())
                .doesNotContain("Hunter2secret").doesNotContain("KeyPass9").doesNotContain("Other-Secret-1")
                .contains("db.example:5432/palisade").contains("user=pal").contains("ssl=true")
                .contains("password=***").contains("sslpassword=***");
        assertThat(s.url()).contains("Hunter2secret"); // the driver still gets the real URL
    }

    @Test
    void aRefusedUrlIsNamedWithoutItsPassword() {
        assertThatThrownBy(() -> JournalSettings.postgres("jdbc:mysql://db/x?PASSWORD=Hunter2secret", "u", ""))
                .hasMessageContaining("jdbc:mysql://db/x?PASSWORD=***")
                .message().doesNotContain("Hunter2secret");
    }
}
