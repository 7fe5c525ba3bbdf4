package net.palisade.controlplane.journal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.HexFormat;
import net.palisade.model.event.SealedState;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The pair key is made once, kept private, and what it seals opens only for the tunnel and SA it was sealed for. */
class PairKeyTest {
    @TempDir
    Path dir;

    @Test
    void madeOnceWithMode0600AndNeverReplaced() throws Exception {
        assertThat(PairKey.loadIfPresent(dir)).isEmpty();
        PairKey made = PairKey.create(dir);
        Path file = dir.resolve("pair.key");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file))).isEqualTo("rw-------");
        byte[] bytes = Files.readAllBytes(file);
        assertThat(bytes).hasSize(32);
        assertThatThrownBy(() -> PairKey.create(dir)).isInstanceOf(FileAlreadyExistsException.class);
        assertThat(Files.readAllBytes(file)).isEqualTo(bytes);
        PairKey loaded = PairKey.loadIfPresent(dir).orElseThrow();
        assertThat(loaded.keyId()).isEqualTo(made.keyId()).hasSize(16);
        assertThat(loaded.toString()).doesNotContain(HexFormat.of().formatHex(bytes).substring(0, 8));
        // not the node key's id for the same bytes: the two kinds of key are not mistaken for each other
        assertThat(loaded.keyId()).isNotEqualTo(NodeKey.of(bytes).keyId());
    }

    @Test
    void refusedWhenGroupOrOthersMayReadItOrItIsTheWrongLength() throws Exception {
        PairKey.create(dir);
        Path file = dir.resolve("pair.key");
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-r-----"));
        assertThatThrownBy(() -> PairKey.loadIfPresent(dir)).hasMessageContaining("accessible to group or others")
                .hasMessageContaining("chmod 600");
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
        Files.write(file, new byte[31]);
        assertThatThrownBy(() -> PairKey.loadIfPresent(dir)).hasMessageContaining("31 bytes");
    }

    @Test
    void sealedStateOpensOnlyForItsTunnelScopeAndSaUnderTheSameKey() throws Exception {
        TakeoverSealer sealer = new TakeoverSealer(PairKey.create(dir));
        byte[] plain = "SK_d and friends".getBytes(StandardCharsets.US_ASCII);
        SealedState s = sealer.seal("site-b", "child-sa", "child-0c0010a0", plain);
        assertThat(sealer.open("site-b", "child-sa", "child-0c0010a0", s)).isEqualTo(plain);
        assertThatThrownBy(() -> sealer.open("site-c", "child-sa", "child-0c0010a0", s))
                .hasMessageContaining("failed authentication");
        assertThatThrownBy(() -> sealer.open("site-b", "ike-sa", "child-0c0010a0", s))
                .hasMessageContaining("failed authentication");
        assertThatThrownBy(() -> sealer.open("site-b", "child-sa", "child-0c0010a1", s))
                .hasMessageContaining("failed authentication");
        TakeoverSealer other = new TakeoverSealer(PairKey.of(new byte[32]));
        assertThatThrownBy(() -> other.open("site-b", "child-sa", "child-0c0010a0", s))
                .hasMessageContaining(sealer.keyId()).hasMessageContaining(other.keyId())
                .hasMessageContaining("palisade ha init");
        byte[] ct = s.ct();
        ct[0] ^= 1;
        assertThatThrownBy(() -> sealer.open("site-b", "child-sa", "child-0c0010a0",
                new SealedState(s.kid(), s.nonce(), ct))).hasMessageContaining("failed authentication");
        // the printed form names the length and the key only
        assertThat(s.toString()).isEqualTo("[sealed " + s.ct().length + " bytes, pair key " + sealer.keyId() + "]");
    }
}
