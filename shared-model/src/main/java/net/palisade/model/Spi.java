package net.palisade.model;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import java.math.BigInteger;
import java.util.Locale;

/**
 * An ESP Security Parameter Index: 32 bits, unsigned, at least 256. 0 means "no SPI" and 1-255 are reserved by
 * RFC 4303 section 2.1, so neither is ever a valid SA.
 *
 * @param value the SPI, 256 to 4294967295
 */
public record Spi(long value) {
    /** Smallest SPI an SA may use. */
    public static final long MIN = 256;
    /** Largest 32-bit SPI. */
    public static final long MAX = 0xFFFF_FFFFL;

    /** @throws IllegalArgumentException outside 256..4294967295, with the reason */
    public Spi {
        if (value < 0 || value > MAX) {
            throw new IllegalArgumentException(value + " does not fit in 32 bits (largest is 4294967295 = 0xffffffff)");
        }
        if (value < MIN) {
            throw new IllegalArgumentException(value + " is reserved (0 means no SPI, 1-255 are reserved by RFC 4303); "
                    + "use 256 (0x100) or more");
        }
    }

    /** The SPI from JSON as a number. */
    @JsonCreator
    public static Spi of(long value) {
        return new Spi(value);
    }

    /**
     * Parses a decimal ({@code 256}) or {@code 0x}-hex ({@code 0x100}) SPI.
     *
     * @throws IllegalArgumentException for other text, or a value outside 256..4294967295
     */
    @JsonCreator
    public static Spi parse(String text) {
        String t = text.trim();
        boolean hex = t.startsWith("0x") || t.startsWith("0X");
        String digits = hex ? t.substring(2) : t;
        int radix = hex ? 16 : 10;
        if (digits.isEmpty() || digits.length() > 40 || !digits.chars().allMatch(c -> Character.digit(c, radix) >= 0)) {
            throw new IllegalArgumentException("expected a decimal or 0x-hex SPI (e.g. 256 or 0x100), found '" + text + "'");
        }
        BigInteger v = new BigInteger(digits, radix);
        if (v.bitLength() > 32) {
            throw new IllegalArgumentException(v + " does not fit in 32 bits (largest is 4294967295 = 0xffffffff)");
        }
        return new Spi(v.longValue());
    }

    /** The raw 32 bits as an {@code int}, as they appear on the wire. */
    public int toInt() {
        return (int) value;
    }

    /** The SPI for raw wire bits. */
    public static Spi fromInt(int wire) {
        return new Spi(Integer.toUnsignedLong(wire));
    }

    /** Both notations, e.g. {@code 256 = 0x00000100}. */
    public String describe() {
        return value + " = " + hex8();
    }

    /** Compact hex as printed in the config, e.g. {@code 0x100}. */
    public String toConfigString() {
        return "0x" + Long.toHexString(value);
    }

    private String hex8() {
        return String.format(Locale.ROOT, "0x%08x", value);
    }

    /** Eight-digit hex as in packet dumps, e.g. {@code 0x00000100}. */
    @Override
    public String toString() {
        return hex8();
    }

    /** JSON: the number. */
    @JsonValue
    public long jsonValue() {
        return value;
    }
}
