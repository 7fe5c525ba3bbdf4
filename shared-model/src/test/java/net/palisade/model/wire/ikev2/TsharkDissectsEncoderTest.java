package net.palisade.model.wire.ikev2;

import static net.palisade.model.wire.ikev2.Samples.CODEC;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import net.palisade.model.wire.ExternalTools;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Palisade's encoder output, every payload type and most notify types ({@link Samples#messages()}), written to a
 * pcap as UDP/500 datagrams and dissected by TShark: no packet may be reported malformed or carry an error-level
 * expert note, and TShark must read back the header fields and the same payload sequence (proposals and transforms
 * included) that was encoded.
 *
 * <p>Needs {@code tshark} on PATH (Debian package tshark) or {@code -Dpalisade.tshark=...};
 * {@code -Dpalisade.skipExternal=true} skips it.
 */
class TsharkDissectsEncoderTest {
    private static final String HOW_TO_FIX = "TsharkDissectsEncoderTest needs TShark (as root: apt-get install -y "
            + "tshark), or -Dpalisade.skipExternal=true to skip external interop tests";

    private static Path tshark;

    @BeforeAll
    static void requireTshark() {
        ExternalTools.skipIfAsked("TShark dissection of encoder output");
        tshark = ExternalTools.require("palisade.tshark", "tshark", HOW_TO_FIX);
    }

    /** Payload types in TShark's tree order: each payload, and inside an SA its proposals (2) and transforms (3). */
    static List<String> treeTypes(IkeMessage m) {
        List<String> out = new ArrayList<>();
        for (Payload p : m.payloads()) {
            out.add(String.valueOf(p.type().value()));
            if (p instanceof SaPayload sa) {
                for (Proposal pr : sa.proposals()) {
                    out.add("2");
                    pr.transforms().forEach(t -> out.add("3"));
                }
            }
        }
        return out;
    }

    @Test
    void tsharkDissectsEveryEncodedMessageWithoutMalformedPackets(@TempDir Path dir) throws Exception {
        List<Samples.Named> samples = Samples.messages();
        List<byte[]> datagrams = samples.stream().map(n -> CODEC.encode(n.message())).toList();
        Path file = dir.resolve("palisade-encoder.pcap");
        Files.write(file, ExternalTools.pcap(datagrams));

        ExternalTools.Result verbose = ExternalTools.run(List.of(tshark.toString(), "-r", file.toString(), "-V"), "");
        assertThat(verbose.exitCode()).as(verbose.stderr()).isZero();
        assertThat(verbose.stdout()).as("TShark -V output").doesNotContain("Malformed")
                .doesNotContain("[Expert Info (Error").doesNotContain("Expert Info (Warning/Malformed")
                .contains("Internet Security Association and Key Management Protocol");

        ExternalTools.Result fields = ExternalTools.run(List.of(tshark.toString(), "-r", file.toString(), "-T", "fields",
                "-E", "separator=|", "-E", "aggregator=,", "-e", "frame.number", "-e", "isakmp.ispi",
                "-e", "isakmp.exchangetype", "-e", "isakmp.flags", "-e", "isakmp.messageid", "-e", "isakmp.length",
                "-e", "isakmp.typepayload", "-e", "_ws.expert.severity"), "");
        assertThat(fields.exitCode()).as(fields.stderr()).isZero();
        String[] lines = fields.stdout().strip().split("\n");
        assertThat(lines).hasSize(samples.size());
        HexFormat hf = HexFormat.of();
        for (int i = 0; i < samples.size(); i++) {
            IkeMessage m = samples.get(i).message();
            String[] f = lines[i].split("\\|", -1);
            String where = samples.get(i).name() + ": " + lines[i];
            assertThat(f[1].replace(":", "")).as(where).isEqualTo(hf.toHexDigits(m.header().initiatorSpi()));
            assertThat(Integer.parseInt(f[2])).as(where).isEqualTo(m.header().exchangeType().value());
            assertThat(Integer.decode(f[3])).as(where).isEqualTo(m.header().flags());
            assertThat(Long.decode(f[4])).as(where).isEqualTo(m.header().messageId());
            assertThat(Integer.parseInt(f[5])).as(where).isEqualTo(datagrams.get(i).length);
            assertThat(List.of(f[6].split(","))).as(where + ": payload tree").isEqualTo(treeTypes(m));
            // expert severities present must not include "error" (8388608 in TShark 4.0: PI_ERROR)
            assertThat(f[7]).as(where + ": expert severities").doesNotContain("8388608");
        }
    }
}
