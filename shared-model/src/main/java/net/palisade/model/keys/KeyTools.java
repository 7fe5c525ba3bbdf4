package net.palisade.model.keys;

import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.TreeMap;
import java.util.stream.Collectors;
import net.palisade.model.crypto.AuthAlgorithm;
import net.palisade.model.crypto.EncryptionAlgorithm;
import net.palisade.model.crypto.Names;
import net.palisade.model.secret.Secret;

/**
 * Manual-keying helpers for the CLI. Algorithm names are the config keywords of encryption algorithms
 * ({@code aes-128-gcm}...) and of auth algorithms ({@code hmac-sha2-256}...); a key's length is
 * {@link EncryptionAlgorithm#keyMaterialBytes()} (key + salt for AEAD) or {@link AuthAlgorithm#keyBytes()}.
 *
 * <p>Keys are returned as {@code 0x}-hex {@code String}s because the CLI prints them; such strings cannot be wiped.
 * No error message contains the key or any character of it.
 */
public final class KeyTools {
    private KeyTools() {}

    /**
     * A fresh random key for {@code algName} from a strong {@link SecureRandom}, as {@code 0x}-hex.
     * {@code generate("aes-128-gcm")} gives 20 bytes (40 hex digits: 16-byte key + 4-byte salt).
     *
     * @throws IllegalArgumentException for an unknown name (suggesting the closest)
     */
    public static String generate(String algName) {
        try (Secret s = generateSecret(algName)) {
            return s.revealHex();
        }
    }

    /** Like {@link #generate(String)}, as a {@link Secret}. */
    public static Secret generateSecret(String algName) {
        int len = keyLength(algName);
        byte[] b = new byte[len];
        try {
            SecureRandom.getInstanceStrong().nextBytes(b);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("no strong SecureRandom on this JVM", e);
        }
        return Secret.adopt(b);
    }

    /**
     * Converts an ASCII key as ZyWALL-style devices take it (each character is one key byte) to {@code 0x}-hex:
     * {@code kkkkkkkkkkkkkkkk} becomes {@code 0x6b6b6b6b6b6b6b6b6b6b6b6b6b6b6b6b}.
     *
     * @param text printable ASCII (0x21-0x7e; no spaces)
     * @param algName when present, the length must be the one this algorithm needs; when empty, it must be a
     *     length some algorithm uses
     * @throws IllegalArgumentException naming the needed (or usable) lengths, or the position of a non-ASCII
     *     character; never quoting the key
     */
    public static String fromAscii(String text, Optional<String> algName) {
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c < 0x21 || c > 0x7e) {
                throw new IllegalArgumentException("character " + (i + 1) + " is not printable ASCII "
                        + "(an ASCII key takes characters 0x21-0x7e, no spaces)");
            }
        }
        checkLength(text.length(), algName, "characters");
        StringBuilder sb = new StringBuilder("0x");
        for (int i = 0; i < text.length(); i++) {
            sb.append(String.format(Locale.ROOT, "%02x", (int) text.charAt(i)));
        }
        return sb.toString();
    }

    /**
     * Normalizes a hex key as Sonicwall/Juniper-style devices show it (with or without {@code 0x}, any case) to
     * lower-case {@code 0x}-hex, checking the length like {@link #fromAscii}.
     *
     * @throws IllegalArgumentException "not hex", odd digit count, or a wrong length; never quoting the key
     */
    public static String fromHex(String hex, Optional<String> algName) {
        String digits = hex.startsWith("0x") || hex.startsWith("0X") ? hex.substring(2) : hex;
        if (digits.isEmpty() || !digits.chars().allMatch(c -> Character.digit(c, 16) >= 0)) {
            throw new IllegalArgumentException("not hex");
        }
        if (digits.length() % 2 != 0) {
            throw new IllegalArgumentException("odd number of hex digits");
        }
        checkLength(digits.length() / 2, algName, "bytes");
        return "0x" + digits.toLowerCase(Locale.ROOT);
    }

    /**
     * The ASCII text of a {@code 0x}-hex key when every byte is printable ASCII (0x21-0x7e), for entering it on an
     * ASCII-only device; empty otherwise.
     */
    public static Optional<String> toAscii(String hex) {
        byte[] b;
        try (Secret s = Secret.parseHex(hex)) {
            b = s.revealBytes();
        }
        try {
            StringBuilder sb = new StringBuilder();
            for (byte x : b) {
                if (x < 0x21 || x > 0x7e) {
                    return Optional.empty();
                }
                sb.append((char) x);
            }
            return Optional.of(sb.toString());
        } finally {
            Arrays.fill(b, (byte) 0);
        }
    }

    /**
     * Key length in bytes for an encryption or auth algorithm name (with salt for AEAD).
     *
     * @throws IllegalArgumentException for an unknown name
     */
    public static int keyLength(String algName) {
        Optional<EncryptionAlgorithm> e = EncryptionAlgorithm.lookup(algName);
        if (e.isPresent()) {
            return e.get().keyMaterialBytes();
        }
        Optional<AuthAlgorithm> a = AuthAlgorithm.lookup(algName);
        if (a.isPresent()) {
            return a.get().keyBytes();
        }
        List<String> all = new ArrayList<>(EncryptionAlgorithm.keywords());
        all.addAll(AuthAlgorithm.keywords());
        throw new IllegalArgumentException(Names.unknown("algorithm", algName, all));
    }

    /**
     * The usable key lengths and their algorithms, e.g.
     * {@code 16 (aes-128), 20 (aes-128-gcm, hmac-sha1), 24 (3des), ...}.
     */
    public static String usableLengths() {
        TreeMap<Integer, List<String>> byLength = new TreeMap<>();
        for (EncryptionAlgorithm e : EncryptionAlgorithm.values()) {
            byLength.computeIfAbsent(e.keyMaterialBytes(), k -> new ArrayList<>()).add(e.keyword());
        }
        for (AuthAlgorithm a : AuthAlgorithm.values()) {
            byLength.computeIfAbsent(a.keyBytes(), k -> new ArrayList<>()).add(a.keyword());
        }
        return byLength.entrySet().stream()
                .map(en -> en.getKey() + " (" + String.join(", ", en.getValue()) + ")")
                .collect(Collectors.joining(", "));
    }

    private static void checkLength(int length, Optional<String> algName, String unit) {
        if (algName.isPresent()) {
            String name = algName.get();
            int need = keyLength(name);
            if (length != need) {
                Optional<EncryptionAlgorithm> e = EncryptionAlgorithm.lookup(name);
                String detail = e.isPresent() && e.get().saltBytes() > 0
                        ? " (" + e.get().keyBytes() + "-byte key + " + e.get().saltBytes() + "-byte salt)" : "";
                throw new IllegalArgumentException(name + " needs " + need + " " + unit + detail + ", got " + length);
            }
            return;
        }
        boolean usable = Arrays.stream(EncryptionAlgorithm.values()).anyMatch(e -> e.keyMaterialBytes() == length)
                || Arrays.stream(AuthAlgorithm.values()).anyMatch(a -> a.keyBytes() == length);
        if (!usable) {
            throw new IllegalArgumentException("a " + length + "-" + unit.replaceAll("s$", "") + " key fits no algorithm; "
                    + "usable lengths: " + usableLengths());
        }
    }
}
