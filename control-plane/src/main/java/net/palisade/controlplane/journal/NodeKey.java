package net.palisade.controlplane.journal;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.HexFormat;
import javax.crypto.SecretKey;
import javax.crypto.spec.SecretKeySpec;

/**
 * The node key: 32 random bytes in {@code DATA/node.key} that seal every secret the control plane persists
 * (AES-256-GCM, see {@link SecretSealer}). Created with mode 0600 when missing; refused when the group or others
 * may read or write it. Every node of a cluster that shares a journal needs the same file: copy it, do not let each
 * node create its own.
 *
 * <p>{@link #keyId()} names the key in every sealed value, so that a node with the wrong key says so instead of
 * failing on a tag mismatch. It is a truncated SHA-256 of a domain string and the key, not the key.
 */
public final class NodeKey {
    /** The file name inside the data directory. */
    public static final String FILE_NAME = "node.key";
    /** Key length in bytes. */
    public static final int LENGTH = KeyFiles.LENGTH;

    private final SecretKey key;
    private final String keyId;

    private NodeKey(byte[] bytes) {
        this.key = new SecretKeySpec(bytes, "AES");
        this.keyId = idOf(bytes);
    }

    /** A key from raw bytes (tests, and tools that hold the key elsewhere). The array is copied. */
    public static NodeKey of(byte[] bytes) {
        if (bytes.length != LENGTH) {
            throw new IllegalArgumentException("a node key is " + LENGTH + " bytes, found " + bytes.length);
        }
        return new NodeKey(bytes.clone());
    }

    /** A fresh random key held only in memory (tests). */
    public static NodeKey random() {
        byte[] b = new byte[LENGTH];
        new SecureRandom().nextBytes(b);
        NodeKey k = new NodeKey(b);
        Arrays.fill(b, (byte) 0);
        return k;
    }

    /**
     * Reads {@code dataDir/node.key}, creating it (32 random bytes, mode 0600) when missing.
     *
     * @throws IOException when the file cannot be read or created
     * @throws IllegalStateException when the file has the wrong length or the group or others have access
     */
    public static NodeKey loadOrCreate(Path dataDir) throws IOException {
        Path file = dataDir.resolve(FILE_NAME);
        if (!Files.exists(file, LinkOption.NOFOLLOW_LINKS)) {
            Files.createDirectories(dataDir);
            try {
                Arrays.fill(KeyFiles.create(file), (byte) 0);
            } catch (FileAlreadyExistsException raced) {
                // another process made it first: read theirs
            }
        }
        return load(dataDir);
    }

    /**
     * Reads an existing {@code dataDir/node.key} (offline tools: never creates one).
     *
     * @throws IOException when the file is missing or unreadable
     * @throws IllegalStateException when the file has the wrong length or the group or others have access
     */
    public static NodeKey load(Path dataDir) throws IOException {
        byte[] b = KeyFiles.read(dataDir.resolve(FILE_NAME), "node key");
        try {
            return new NodeKey(b);
        } finally {
            Arrays.fill(b, (byte) 0);
        }
    }

    /**
     * Reads a node key given as its file or as the data directory holding {@code node.key} (offline tools such as
     * {@code palisade replay --key}: never creates one).
     *
     * @throws IOException when there is no such file or it is unreadable
     * @throws IllegalStateException when the file has the wrong length or the group or others have access
     */
    public static NodeKey loadFrom(Path dirOrFile) throws IOException {
        if (Files.isDirectory(dirOrFile)) {
            return load(dirOrFile);
        }
        byte[] b = KeyFiles.read(dirOrFile, "node key");
        try {
            return new NodeKey(b);
        } finally {
            Arrays.fill(b, (byte) 0);
        }
    }

    /** The AES key. */
    SecretKey aesKey() {
        return key;
    }

    /**
     * A password derived from the node key for one purpose (HMAC-SHA-256 of a domain string, as hex): for files
     * that need a password of their own, such as the cluster's TLS key store, without another secret to keep.
     * Every node holding this node key derives the same one. The caller should wipe the array after use.
     */
    public char[] derivedPassword(String purpose) {
        try {
            javax.crypto.Mac mac = javax.crypto.Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(key.getEncoded(), "HmacSHA256"));
            byte[] out = mac.doFinal(("palisade password v1: " + purpose).getBytes(StandardCharsets.US_ASCII));
            char[] hex = HexFormat.of().formatHex(out).toCharArray();
            Arrays.fill(out, (byte) 0);
            return hex;
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HMAC-SHA-256 unavailable", e);
        }
    }

    /** 16 hex digits naming the key (not secret). */
    public String keyId() {
        return keyId;
    }

    private static String idOf(byte[] key) {
        return KeyFiles.id("palisade node key id v1", key);
    }

    @Override
    public String toString() {
        return "NodeKey[" + keyId + "]";
    }
}
