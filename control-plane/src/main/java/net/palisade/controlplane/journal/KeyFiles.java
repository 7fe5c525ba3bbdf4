package net.palisade.controlplane.journal;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SeekableByteChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.EnumSet;
import java.util.HexFormat;
import java.util.Set;

/**
 * The 32-byte key files of a data directory ({@link NodeKey}, {@link PairKey}): made once with random bytes and mode
 * 0600, read back only when they are a regular file nobody but the owner can access, named by an id that is a
 * truncated hash of a domain string and the key, never the key.
 */
final class KeyFiles {
    /** Key length in bytes. */
    static final int LENGTH = 32;

    private static final Set<PosixFilePermission> GROUP_OTHER = EnumSet.of(
            PosixFilePermission.GROUP_READ, PosixFilePermission.GROUP_WRITE, PosixFilePermission.GROUP_EXECUTE,
            PosixFilePermission.OTHERS_READ, PosixFilePermission.OTHERS_WRITE, PosixFilePermission.OTHERS_EXECUTE);

    private KeyFiles() {}

    /**
     * Writes 32 random bytes to the new file {@code file} (mode 0600 whatever the umask) and returns them; the
     * caller wipes them.
     *
     * @throws java.nio.file.FileAlreadyExistsException when it exists: a key is never replaced
     */
    static byte[] create(Path file) throws IOException {
        byte[] b = new byte[LENGTH];
        new SecureRandom().nextBytes(b);
        try (SeekableByteChannel ch = Files.newByteChannel(file, EnumSet.of(StandardOpenOption.CREATE_NEW,
                StandardOpenOption.WRITE), PosixFilePermissions.asFileAttribute(
                        PosixFilePermissions.fromString("rw-------")))) {
            ch.write(ByteBuffer.wrap(b));
        } catch (IOException | RuntimeException e) {
            java.util.Arrays.fill(b, (byte) 0);
            throw e;
        }
        // the attribute above honours the umask; make sure of 0600 whatever it was
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
        return b;
    }

    /**
     * The key in {@code file}; the caller wipes it.
     *
     * @param what how errors name it ({@code node key}, {@code pair key})
     * @throws IllegalStateException when the file is a symbolic link, the group or others have access, or it does
     *     not hold 32 bytes
     */
    static byte[] read(Path file, String what) throws IOException {
        if (Files.isSymbolicLink(file)) {
            throw new IllegalStateException(file + " is a symbolic link; the " + what + " must be a regular file");
        }
        Set<PosixFilePermission> perms = Files.getPosixFilePermissions(file);
        if (perms.stream().anyMatch(GROUP_OTHER::contains)) {
            throw new IllegalStateException(file + " is accessible to group or others (mode "
                    + PosixFilePermissions.toString(perms) + "); run: chmod 600 " + file);
        }
        byte[] b = Files.readAllBytes(file);
        if (b.length != LENGTH) {
            java.util.Arrays.fill(b, (byte) 0);
            throw new IllegalStateException(file + " holds " + b.length + " bytes; a " + what + " is " + LENGTH);
        }
        return b;
    }

    /** 16 hex digits naming {@code key} in {@code domain} (not secret). */
    static String id(String domain, byte[] key) {
        try {
            MessageDigest d = MessageDigest.getInstance("SHA-256");
            d.update(domain.getBytes(StandardCharsets.US_ASCII));
            d.update(key);
            return HexFormat.of().formatHex(d.digest(), 0, 8);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("SHA-256 unavailable", e);
        }
    }
}
