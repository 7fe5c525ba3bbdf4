package net.palisade.controlplane.journal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class NodeKeyTest {
    @TempDir
    Path dir;

    @Test
    void createdOnceWithMode0600AndStable() throws Exception {
        NodeKey first = NodeKey.loadOrCreate(dir.resolve("data"));
        Path file = dir.resolve("data").resolve(NodeKey.FILE_NAME);
        assertThat(Files.size(file)).isEqualTo(32);
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file))).isEqualTo("rw-------");
        assertThat(NodeKey.loadOrCreate(dir.resolve("data")).keyId()).isEqualTo(first.keyId());
        assertThat(NodeKey.load(dir.resolve("data")).keyId()).isEqualTo(first.keyId()).hasSize(16);
        assertThat(first.toString()).doesNotContain(new String(Files.readAllBytes(file), "ISO-8859-1"));
    }

    @Test
    void refusedWhenGroupOrOthersMayReadIt() throws Exception {
        NodeKey.loadOrCreate(dir);
        Path file = dir.resolve(NodeKey.FILE_NAME);
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-r-----"));
        assertThatThrownBy(() -> NodeKey.loadOrCreate(dir)).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("accessible to group or others").hasMessageContaining("chmod 600");
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw----r--"));
        assertThatThrownBy(() -> NodeKey.load(dir)).isInstanceOf(IllegalStateException.class);
    }

    @Test
    void refusedWithTheWrongLengthAndNeverCreatedByLoad() throws Exception {
        assertThatThrownBy(() -> NodeKey.load(dir)).isInstanceOf(java.io.IOException.class);
        assertThat(dir.resolve(NodeKey.FILE_NAME)).doesNotExist();
        Files.write(dir.resolve(NodeKey.FILE_NAME), new byte[16]);
        Files.setPosixFilePermissions(dir.resolve(NodeKey.FILE_NAME), PosixFilePermissions.fromString("rw-------"));
        assertThatThrownBy(() -> NodeKey.load(dir)).hasMessageContaining("holds 16 bytes");
    }
}
