package net.palisade.api;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.Set;

/**
 * The API's bearer token, kept in a file readable by its owner only.
 *
 * <p>{@link #loadOrCreate(Path)} creates the file with a fresh random token (mode 0600) when it is missing, and
 * refuses a token file that group or others can read, as ssh refuses such a key. The token never appears in
 * {@link #toString()}.
 */
public final class TokenFile {
    private static final Set<PosixFilePermission> OWNER_ONLY = PosixFilePermissions.fromString("rw-------");

    private final byte[] token;

    private TokenFile(byte[] token) {
        this.token = token;
    }

    /** Reads the token from {@code file}, creating the file with a new random token when it does not exist. */
    public static TokenFile loadOrCreate(Path file) throws IOException {
        if (Files.notExists(file)) {
            byte[] raw = new byte[32];
            new SecureRandom().nextBytes(raw);
            String text = Base64.getUrlEncoder().withoutPadding().encodeToString(raw);
            Path parent = file.toAbsolutePath().getParent();
            if (parent != null) {
                Files.createDirectories(parent);
            }
            try {
                Files.createFile(file, PosixFilePermissions.asFileAttribute(OWNER_ONLY));
                Files.writeString(file, text + "\n", StandardCharsets.US_ASCII);
            } catch (FileAlreadyExistsException raced) {
                // another process created it first: read theirs below
            }
        }
        Set<PosixFilePermission> perms = Files.getPosixFilePermissions(file);
        for (PosixFilePermission p : perms) {
            if (!OWNER_ONLY.contains(p) && p != PosixFilePermission.OWNER_EXECUTE) {
                throw new IOException("token file " + file + " is readable by others (" + PosixFilePermissions.toString(perms)
                        + "); run: chmod 600 " + file);
            }
        }
        String text = Files.readString(file, StandardCharsets.US_ASCII).strip();
        if (text.length() < 16) {
            throw new IOException("token file " + file + " holds a token shorter than 16 characters; delete it to get a new one");
        }
        return new TokenFile(text.getBytes(StandardCharsets.US_ASCII));
    }

    /** Constant-time comparison of a presented bearer token with this one. */
    public boolean matches(String presented) {
        if (presented == null) {
            return false;
        }
        return MessageDigest.isEqual(token, presented.getBytes(StandardCharsets.US_ASCII));
    }

    @Override
    public String toString() {
        return "TokenFile[redacted]";
    }
}
