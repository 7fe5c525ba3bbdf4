package net.palisade.model.wire;

import java.util.Arrays;
import java.util.HexFormat;

/**
 * An immutable string of bytes from or for the wire: nonces, SPIs, key exchange data, notify data, ciphertext.
 * Equal by content, printed as lower-case hex (long values are shortened in {@link #toString()}).
 *
 * <p>Not for secrets: key material belongs in {@code net.palisade.model.secret.Secret}. Everything an IKE message
 * carries in clear or as ciphertext is public.
 */
public final class Octets {
    private static final HexFormat HEX = HexFormat.of();
    private static final Octets EMPTY = new Octets(new byte[0]);
    private static final int SHOWN = 64;

    private final byte[] bytes;

    private Octets(byte[] bytes) {
        this.bytes = bytes;
    }

    /** No bytes. */
    public static Octets empty() {
        return EMPTY;
    }

    /** A copy of {@code bytes}. */
    public static Octets of(byte... bytes) {
        return bytes.length == 0 ? EMPTY : new Octets(bytes.clone());
    }

    /** A copy of {@code length} bytes of {@code source} from {@code offset}. */
    public static Octets copyOf(byte[] source, int offset, int length) {
        return length == 0 ? EMPTY : new Octets(Arrays.copyOfRange(source, offset, offset + length));
    }

    /**
     * Parses hex digits; spaces, colons and newlines between bytes are allowed.
     *
     * @throws IllegalArgumentException if the text is not an even number of hex digits
     */
    public static Octets fromHex(String hex) {
        String digits = hex.replaceAll("[\\s:]", "");
        return digits.isEmpty() ? EMPTY : new Octets(HEX.parseHex(digits));
    }

    /** {@code value} as {@code length} big-endian bytes (the low-order bytes of the value). */
    public static Octets ofUnsigned(long value, int length) {
        byte[] b = new byte[length];
        for (int i = length - 1; i >= 0; i--) {
            b[i] = (byte) value;
            value >>>= 8;
        }
        return new Octets(b);
    }

    /** Number of bytes. */
    public int length() {
        return bytes.length;
    }

    /** True for no bytes. */
    public boolean isEmpty() {
        return bytes.length == 0;
    }

    /** The byte at {@code index}, unsigned (0-255). */
    public int get(int index) {
        return bytes[index] & 0xff;
    }

    /** The bytes read as one big-endian unsigned number; at most 8 bytes. */
    public long toUnsignedLong() {
        if (bytes.length > 8) {
            throw new IllegalStateException("" + bytes.length + " bytes do not fit a long");
        }
        long v = 0;
        for (byte b : bytes) {
            v = (v << 8) | (b & 0xff);
        }
        return v;
    }

    /** A fresh copy of the bytes. */
    public byte[] toByteArray() {
        return bytes.clone();
    }

    /** Copies the bytes into {@code target} at {@code offset}. */
    public void copyTo(byte[] target, int offset) {
        System.arraycopy(bytes, 0, target, offset, bytes.length);
    }

    /** Bytes {@code from} (inclusive) to {@code to} (exclusive). */
    public Octets slice(int from, int to) {
        return copyOf(bytes, from, to - from);
    }

    /** All bytes as lower-case hex, without separators. */
    public String hex() {
        return HEX.formatHex(bytes);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Octets other && Arrays.equals(bytes, other.bytes);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(bytes);
    }

    /** Hex; values longer than 64 bytes show their first 64 bytes and the length. */
    @Override
    public String toString() {
        if (bytes.length <= SHOWN) {
            return hex();
        }
        return HEX.formatHex(bytes, 0, SHOWN) + "...(" + bytes.length + " bytes)";
    }
}
