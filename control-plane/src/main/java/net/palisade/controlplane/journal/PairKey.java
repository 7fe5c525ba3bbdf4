package net.palisade.controlplane.journal;

import java.io.IOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Arrays;
import java.util.Optional;
import javax.crypto.SecretKey;
import javax.crypto.spec.SecretKeySpec;

/**
 * The pair key: 32 random bytes in {@code DATA/pair.key} that seal the takeover state (IKE SA and Child SA keys,
 * see {@link TakeoverSealer}) both nodes of a gateway pair read from the shared journal. It is made once, by
 * {@code palisade ha init} on one node, and copied to the other; a node never makes one by itself, since two
 * nodes each holding their own could not open each other's state. Without it a node journals nothing secret beyond
 * what it journals today (the spec's PSKs and manual keys, sealed with the {@link NodeKey}), and every tunnel
 * renegotiates after a restart.
 *
 * <p>Kept apart from the node key on purpose: the node key may be shared by more than the pair (a copied data
 * directory for offline replay), while the pair key opens live traffic keys and belongs on the two gateways only.
 * Like the node key it is refused when the group or others may access it.
 */
public final class PairKey {
    /** The file name inside the data directory. */
    public static final String FILE_NAME = "pair.key";
    /** Key length in bytes. */
    public static final int LENGTH = KeyFiles.LENGTH;

    private final SecretKey key;
    private final String keyId;

    private PairKey(byte[] bytes) {
        this.key = new SecretKeySpec(bytes, "AES");
        this.keyId = idOf(bytes);
    }

    /** A key from raw bytes (tests). The array is copied. */
    public static PairKey of(byte[] bytes) {
        if (bytes.length != LENGTH) {
            throw new IllegalArgumentException("a pair key is " + LENGTH + " bytes, found " + bytes.length);
        }
        return new PairKey(bytes.clone());
    }

    /** The key file of {@code dataDir}. */
    public static Path file(Path dataDir) {
        return dataDir.resolve(FILE_NAME);
    }

    /**
     * Creates {@code dataDir/pair.key} (32 random bytes, mode 0600).
     *
     * @throws FileAlreadyExistsException when there is one already: a second {@code ha init} must not replace the
     *     key the journal's state is sealed with
     */
    public static PairKey create(Path dataDir) throws IOException {
        if (!Files.isDirectory(dataDir)) {
            Files.createDirectories(dataDir, PosixFilePermissions.asFileAttribute(
                    PosixFilePermissions.fromString("rwx------")));
        }
        byte[] b = KeyFiles.create(file(dataDir));
        try {
            return new PairKey(b);
        } finally {
            Arrays.fill(b, (byte) 0);
        }
    }

    /**
     * Reads {@code dataDir/pair.key} if there is one: empty when there is none (the node then keeps no takeover
     * state).
     *
     * @throws IllegalStateException when the file is a symbolic link, has the wrong length, or the group or others
     *     have access
     */
    public static Optional<PairKey> loadIfPresent(Path dataDir) throws IOException {
        Path file = file(dataDir);
        if (!Files.exists(file, LinkOption.NOFOLLOW_LINKS)) {
            return Optional.empty();
        }
        byte[] b = KeyFiles.read(file, "pair key");
        try {
            return Optional.of(new PairKey(b));
        } finally {
            Arrays.fill(b, (byte) 0);
        }
    }

    SecretKey aesKey() {
        return key;
    }

    /** 16 hex digits naming the key (not secret): {@code palisade ha init} prints it, so two nodes can be compared. */
    public String keyId() {
        return keyId;
    }

    private static String idOf(byte[] key) {
        return KeyFiles.id("palisade pair key id v1", key);
    }

    @Override
    public String toString() {
        return "PairKey[" + keyId + "]";
    }
}
