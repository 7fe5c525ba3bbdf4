package net.palisade.dataplane.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.opentest4j.AssertionFailedError;

class TestProgramsTest {
    @Test
    void aMissingProgramIsNamedWithItsPackage(@TempDir Path dir) throws Exception {
        Path list = Files.writeString(dir.resolve("programs.txt"), """
                # comment
                sh                          dash       # on every machine
                palisade-no-such-program    palisade-fake-package
                /no/such/daemon             palisade-fake-daemon
                """);
        Map<String, String> packages = TestPrograms.read(list);
        assertThat(packages).containsKeys("sh", "palisade-no-such-program", "/no/such/daemon");

        TestPrograms.require(packages, "sh");
        assertThatThrownBy(() -> TestPrograms.require(packages, "sh", "palisade-no-such-program", "/no/such/daemon"))
                .isInstanceOf(AssertionFailedError.class)
                .hasMessageContaining("palisade-no-such-program (Debian package palisade-fake-package)")
                .hasMessageContaining("/no/such/daemon (Debian package palisade-fake-daemon)")
                .hasMessageNotContaining("sh (");
    }

    @Test
    void aProgramOutsideTheListIsRefused() {
        assertThatThrownBy(() -> TestPrograms.require(Map.of("sh", "dash"), "tcpdump"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining(TestPrograms.LIST);
    }

    @Test
    void theRepositoryListNamesEveryProgramTheLabFixtureAsksFor() {
        // the fixture asks for these; a name missing from the list would throw instead of naming a package
        assertThat(TestPrograms.packages()).containsKeys("ip", "nft", "swanctl", "/usr/lib/ipsec/charon", "tcpdump",
                "tshark");
        assertThat(TestPrograms.packages()).containsEntry("tcpdump", "tcpdump");
    }
}
