package net.palisade.model.wire.ikev1;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import net.palisade.model.wire.ExternalTools;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Palisade's IKEv1 encoder output (every payload type, {@link Ikev1CodecTest#sample()}) dissected by TShark without
 * malformed packets or error-level expert notes, with the same payload sequence. Needs {@code tshark} on PATH or
 * {@code -Dpalisade.tshark=...}; {@code -Dpalisade.skipExternal=true} skips it.
 */
class Ikev1TsharkTest {
    private static Path tshark;

    @BeforeAll
    static void requireTshark() {
        ExternalTools.skipIfAsked("TShark dissection of IKEv1 encoder output");
        tshark = ExternalTools.require("palisade.tshark", "tshark", "Ikev1TsharkTest needs TShark (as root: apt-get "
                + "install -y tshark), or -Dpalisade.skipExternal=true to skip external interop tests");
    }

    @Test
    void tsharkDissectsTheEncodedMessage(@TempDir Path dir) throws Exception {
        Ikev1Message.Plain m = Ikev1CodecTest.sample();
        Path file = dir.resolve("ikev1.pcap");
        Files.write(file, ExternalTools.pcap(List.of(Ikev1Codec.standard().encode(m))));
        ExternalTools.Result v = ExternalTools.run(List.of(tshark.toString(), "-r", file.toString(), "-V"), "");
        assertThat(v.exitCode()).as(v.stderr()).isZero();
        assertThat(v.stdout()).doesNotContain("Malformed").doesNotContain("[Expert Info (Error")
                .contains("Internet Security Association and Key Management Protocol");
        ExternalTools.Result f = ExternalTools.run(List.of(tshark.toString(), "-r", file.toString(), "-T", "fields",
                "-E", "aggregator=,", "-e", "isakmp.typepayload"), "");
        List<String> expected = new java.util.ArrayList<>();
        for (Ikev1Payload p : m.payloads()) {
            expected.add(String.valueOf(p.type().value()));
            if (p instanceof Ikev1Payload.Sa sa) {
                for (Ikev1Proposal pr : sa.proposals()) {
                    expected.add("2");
                    pr.transforms().forEach(t -> expected.add("3"));
                }
            }
        }
        assertThat(List.of(f.stdout().strip().split(","))).isEqualTo(expected);
    }
}
