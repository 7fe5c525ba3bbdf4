package net.palisade.model.secret;

import com.fasterxml.jackson.annotation.JsonValue;
import com.fasterxml.jackson.databind.annotation.JsonDeserialize;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Arrays;

/**
 * A pre-shared key or a key: the only holder of the secret bytes in the model.
 *
 * <ul>
 *   <li>{@link #toString()} and JSON output show {@value #REDACTED}; so do the records that hold a secret.
 *   <li>{@link #revealBytes()} is the only way to the bytes; grep for it to find every place that uses them.
 *   <li>{@link #equals(Object)} compares in constant time (for equal lengths); {@link #hashCode()} depends only
 *       on the length.
 *   <li>{@link #wipe()} (or {@link #close()}) overwrites the bytes with zeros; afterwards the secret cannot be
 *       revealed and equals only itself.
 *   <li>JSON input: a string; {@code 0x} followed by an even number of hex digits is read as bytes, anything else
 *       as text (UTF-8). {@code "[redacted]"} reads as {@link #KEEP}.
 *   <li>{@link #KEEP} is no secret but a placeholder: "the secret the running tunnel with this label has", what a
 *       printed (redacted) config says where its secrets were. The config store replaces it at commit; until then it
 *       has no bytes, and every {@code reveal} of it throws, so it can never be used as a key or stored.
 * </ul>
 *
 * <p>What this type cannot do, honestly: the JVM keeps copies it does not control. The config file text and the
 * JSON request body are {@code String}s (immutable, never wiped, possibly interned or deduplicated by the GC);
 * the parser's tokens are {@code String}s; a moving garbage collector may leave old copies of the byte array in
 * memory it has not reused yet; JCE objects ({@code SecretKeySpec}, the expanded AES key schedule inside a
 * {@code Cipher}) copy the key and offer no reliable wipe. Wiping narrows the window; it does not close it. Keep
 * core dumps off and swap encrypted on a gateway.
 */
@JsonDeserialize(using = SecretJson.Deserializer.class)
public final class Secret implements AutoCloseable {
    /** What every output shows instead of the secret. */
    public static final String REDACTED = "[redacted]";

    /**
     * The placeholder {@value #REDACTED} in config input: keep the secret the running tunnel of the same label has.
     * Equal only to itself; every {@code reveal} throws.
     */
    public static final Secret KEEP = new Secret(new byte[0], false);

    private final byte[] bytes;
    private final boolean text;
    private volatile boolean wiped;

    private Secret(byte[] bytes, boolean text) {
        this.bytes = bytes;
        this.text = text;
    }

    /** A secret from text (a PSK), stored as its UTF-8 bytes. */
    public static Secret ofText(String text) {
        return new Secret(text.getBytes(StandardCharsets.UTF_8), true);
    }

    /** A secret holding a copy of {@code bytes}; the caller should wipe its own array. */
    public static Secret ofBytes(byte[] bytes) {
        return new Secret(bytes.clone(), false);
    }

    /** A secret that takes ownership of {@code bytes} without copying: the caller must not use the array again. */
    public static Secret adopt(byte[] bytes) {
        return new Secret(bytes, false);
    }

    /**
     * A secret from {@code 0x}-prefixed hex (upper or lower case, an even number of digits, at least one byte).
     *
     * @throws IllegalArgumentException "not 0x-hex" or "odd number of hex digits"; never containing the input
     */
    public static Secret parseHex(String hex) {
        if (!(hex.startsWith("0x") || hex.startsWith("0X")) || hex.length() == 2) {
            throw new IllegalArgumentException("not 0x-hex");
        }
        int digits = hex.length() - 2;
        for (int i = 2; i < hex.length(); i++) {
            if (Character.digit(hex.charAt(i), 16) < 0) {
                throw new IllegalArgumentException("not 0x-hex");
            }
        }
        if (digits % 2 != 0) {
            throw new IllegalArgumentException("odd number of hex digits");
        }
        byte[] out = new byte[digits / 2];
        for (int i = 0; i < out.length; i++) {
            out[i] = (byte) ((Character.digit(hex.charAt(2 + 2 * i), 16) << 4) | Character.digit(hex.charAt(3 + 2 * i), 16));
        }
        return new Secret(out, false);
    }

    /** True when {@code s} has the form {@code 0x} followed by an even, non-zero number of hex digits. */
    public static boolean looksLikeHex(String s) {
        if (!(s.startsWith("0x") || s.startsWith("0X")) || s.length() == 2 || s.length() % 2 != 0) {
            return false;
        }
        for (int i = 2; i < s.length(); i++) {
            if (Character.digit(s.charAt(i), 16) < 0) {
                return false;
            }
        }
        return true;
    }

    /**
     * A copy of the secret bytes. The only way to the bytes: the caller owns the copy and should
     * {@code Arrays.fill(copy, (byte) 0)} it when done.
     *
     * @throws IllegalStateException after {@link #wipe()}
     */
    public byte[] revealBytes() {
        if (this == KEEP) {
            throw new IllegalStateException("[redacted] is a placeholder for the running tunnel's secret: it has no "
                    + "bytes until the config store replaces it");
        }
        if (wiped) {
            throw new IllegalStateException("secret was wiped");
        }
        return bytes.clone();
    }

    /**
     * The secret as text when it was given as text and its bytes are valid UTF-8 without control characters;
     * else {@code null}. Used by the config printer, which writes the config file itself.
     */
    public String revealTextOrNull() {
        if (!text) {
            return null;
        }
        byte[] copy = revealBytes();
        try {
            CharBuffer chars = StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(copy));
            String s = chars.toString();
            Arrays.fill(chars.array(), '\0');
            return s.chars().anyMatch(Character::isISOControl) ? null : s;
        } catch (CharacterCodingException e) {
            return null;
        } finally {
            Arrays.fill(copy, (byte) 0);
        }
    }

    /** The secret as {@code 0x}-prefixed lower-case hex. Used by the config printer. */
    public String revealHex() {
        byte[] copy = revealBytes();
        try {
            char[] out = new char[2 + copy.length * 2];
            out[0] = '0';
            out[1] = 'x';
            for (int i = 0; i < copy.length; i++) {
                out[2 + 2 * i] = Character.forDigit((copy[i] >> 4) & 0xf, 16);
                out[3 + 2 * i] = Character.forDigit(copy[i] & 0xf, 16);
            }
            String s = new String(out);
            Arrays.fill(out, '\0');
            return s;
        } finally {
            Arrays.fill(copy, (byte) 0);
        }
    }

    /** Length in bytes (not secret). */
    public int length() {
        return bytes.length;
    }

    /** True if the secret was given as text (a PSK string) rather than as hex or bytes. */
    public boolean text() {
        return text;
    }

    /** True for {@link #KEEP}, the placeholder {@value #REDACTED}. */
    public boolean keep() {
        return this == KEEP;
    }

    /** True after {@link #wipe()}. */
    public boolean wiped() {
        return wiped;
    }

    /** Overwrites the bytes with zeros. Idempotent. */
    public void wipe() {
        if (this == KEEP) {
            return;
        }
        wiped = true;
        Arrays.fill(bytes, (byte) 0);
    }

    /** Same as {@link #wipe()}. */
    @Override
    public void close() {
        wipe();
    }

    /** Constant-time for secrets of equal length; a wiped secret equals only itself. */
    @Override
    public boolean equals(Object o) {
        if (this == o) {
            return true;
        }
        if (!(o instanceof Secret other) || wiped || other.wiped || this == KEEP || other == KEEP) {
            return false;
        }
        return MessageDigest.isEqual(bytes, other.bytes);
    }

    /** Depends only on the length, never on the content. */
    @Override
    public int hashCode() {
        return bytes.length;
    }

    /** Always {@value #REDACTED}. */
    @JsonValue
    @Override
    public String toString() {
        return REDACTED;
    }
}
