package net.palisade.ops.debug;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Optional;
import net.palisade.controlplane.ike.IkeOutput;
import net.palisade.controlplane.ike.IkeSaSnapshot;
import net.palisade.controlplane.ike.crypto.IkeSaKeys;
import net.palisade.dataplane.testkit.TestPrograms;
import net.palisade.model.crypto.AuthAlgorithm;
import net.palisade.model.crypto.DhGroup;
import net.palisade.model.crypto.EncryptionAlgorithm;
import net.palisade.model.secret.Secret;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The tables {@link WiresharkKeys} writes load in tshark without a complaint for every algorithm Palisade and
 * Wireshark 4.0 share (tshark refuses a wrong name, a key of the wrong length or a malformed field, and says so on
 * stderr); what it cannot decrypt is left out; the files are 0600 and appended to. That the keys decrypt a real
 * exchange is {@code WiresharkKeysStrongSwanTest}'s to show.
 */
class WiresharkKeysTest {
    private static final InetSocketAddress LOCAL = new InetSocketAddress(ip("192.0.2.1"), 4500);
    private static final InetSocketAddress REMOTE = new InetSocketAddress(ip("2001:db8::2"), 4500);

    @Test
    void everySharedAlgorithmLoadsInTshark(@TempDir Path dir) throws Exception {
        Path tables = dir.resolve("ws");
        long spi = 0x1000;
        try (WiresharkKeys keys = WiresharkKeys.open(tables)) {
            for (EncryptionAlgorithm e : EncryptionAlgorithm.values()) {
                List<Optional<AuthAlgorithm>> integrities = e.aead() ? List.of(Optional.empty())
                        : java.util.Arrays.stream(AuthAlgorithm.values()).map(Optional::of).toList();
                for (Optional<AuthAlgorithm> i : integrities) {
                    keys.record("t", new IkeOutput.IkeSaState(snapshot(spi++, e, i)));
                    keys.record("t", child(spi++, e, i, false));
                }
            }
            keys.record("t", child(spi++, EncryptionAlgorithm.AES_128_GCM, Optional.empty(), true));
        }
        List<String> ike = Files.readAllLines(tables.resolve("ikev2_decryption_table"));
        List<String> esp = Files.readAllLines(tables.resolve("esp_sa"));
        // 3 non-AEAD algorithms x 4 integrities + 2 AES-GCM; ChaCha20-Poly1305 is not Wireshark 4.0's, nor ESN
        assertThat(ike).hasSize(14);
        assertThat(esp).hasSize(28);
        assertThat(String.join("\n", ike) + String.join("\n", esp)).doesNotContain("chacha");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(tables.resolve("esp_sa"))))
                .isEqualTo("rw-------");

        Assumptions.assumeFalse(Boolean.getBoolean("palisade.skipExternal"), "palisade.skipExternal");
        TestPrograms.require("tshark");
        // a pcap without packets (the global header alone: magic, version 2.4, snaplen, LINKTYPE_RAW): tshark loads
        // its tables before it reads any
        Path pcap = Files.write(dir.resolve("empty.pcap"), java.util.HexFormat.of()
                .parseHex("d4c3b2a1020004000000000000000000ffff000065000000"));
        ProcessBuilder pb = new ProcessBuilder("tshark", "-n", "-r", pcap.toString()).redirectErrorStream(true);
        pb.environment().put("WIRESHARK_CONFIG_DIR", tables.toString());
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor()).as(out).isZero();
        assertThat(out).doesNotContainIgnoringCase("error").doesNotContainIgnoringCase("invalid")
                .doesNotContainIgnoringCase("must").doesNotContainIgnoringCase("match");

        // a second node start appends
        try (WiresharkKeys keys = WiresharkKeys.open(tables)) {
            keys.record("t", child(spi, EncryptionAlgorithm.AES_256_GCM, Optional.empty(), false));
        }
        assertThat(Files.readAllLines(tables.resolve("esp_sa"))).hasSize(30).startsWith(esp.toArray(String[]::new));
    }

    private static IkeSaSnapshot snapshot(long spi, EncryptionAlgorithm e, Optional<AuthAlgorithm> i) {
        int ek = e.keyBytes() + e.saltBytes();
        int ak = i.map(AuthAlgorithm::keyBytes).orElse(0);
        return new IkeSaSnapshot(spi, spi + 1, true, e, i, AuthAlgorithm.HMAC_SHA2_256, DhGroup.CURVE25519,
                new IkeSaKeys(new byte[32], bytes(ak, 1), bytes(ak, 2), bytes(ek, 3), bytes(ek, 4), new byte[32],
                        new byte[32]), LOCAL, REMOTE, true, false, false, false, 2, 1, false);
    }

    private static IkeOutput.ChildSaInstalled child(long spi, EncryptionAlgorithm e, Optional<AuthAlgorithm> i,
            boolean esn) {
        int ek = e.keyMaterialBytes();
        int ak = i.map(AuthAlgorithm::keyBytes).orElse(0);
        IkeOutput.ChildKeys in = new IkeOutput.ChildKeys(Secret.adopt(bytes(ek, 5)),
                i.map(_ -> Secret.adopt(bytes(ak, 6))));
        IkeOutput.ChildKeys out = new IkeOutput.ChildKeys(Secret.adopt(bytes(ek, 7)),
                i.map(_ -> Secret.adopt(bytes(ak, 8))));
        return new IkeOutput.ChildSaInstalled(spi, spi + 1, e, i, in, out, List.of(), List.of(), LOCAL, REMOTE,
                true, Optional.empty(), esn);
    }

    private static byte[] bytes(int n, int fill) {
        byte[] b = new byte[n];
        java.util.Arrays.fill(b, (byte) fill);
        return b;
    }

    private static InetAddress ip(String s) {
        try {
            return InetAddress.getByName(s);
        } catch (java.net.UnknownHostException e) {
            throw new IllegalStateException(e);
        }
    }
}
