package net.palisade.model.event;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import java.util.Locale;
import java.util.Objects;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The name of an SA within its tunnel, as events, the API and the CLI show it. A Child SA is named after its inbound
 * SPI in eight hex digits, {@code child-084f4d05} ({@link #child}); a manual tunnel's static pair is {@link #MANUAL};
 * an IKE SA carries the engine's name for it ({@link #of}). JSON: the string.
 *
 * <p>The Child SA form is fixed here and only here. Journals written before it was zero-padded hold names such as
 * {@code child-84f4d05}; they read as {@code child-084f4d05}, so an old event and a new one name the same SA alike.
 *
 * @param value the name; printable, at most 200 characters
 */
public record SaId(@JsonValue String value) {
    private static final String CHILD_PREFIX = "child-";
    private static final Pattern CHILD = Pattern.compile("child-([0-9a-f]{1,8})");
    private static final Pattern PRINTABLE = Pattern.compile("[\\x21-\\x7e][\\x20-\\x7e]{0,199}");

    /** The static SA pair of a manual tunnel. */
    public static final SaId MANUAL = new SaId("manual");

    /**
     * @throws IllegalArgumentException if empty, too long or not printable
     */
    public SaId {
        Objects.requireNonNull(value, "value");
        if (!PRINTABLE.matcher(value).matches()) {
            throw new IllegalArgumentException("an SA name is 1-200 printable characters (e.g. child-0000c001), found '"
                    + value.replaceAll("[^\\x20-\\x7e]", "?") + "'");
        }
        Matcher m = CHILD.matcher(value);
        if (m.matches()) {
            value = childName(Long.parseLong(m.group(1), 16));
        }
    }

    /** Reads a name (JSON, CLI): a Child SA name written without leading zeros reads as the padded one. */
    @JsonCreator(mode = JsonCreator.Mode.DELEGATING)
    public static SaId of(String value) {
        return new SaId(value);
    }

    /** The Child SA whose inbound SPI is {@code inboundSpi}: {@code child-} and eight hex digits. */
    public static SaId child(long inboundSpi) {
        if (inboundSpi < 0 || inboundSpi > 0xFFFF_FFFFL) {
            throw new IllegalArgumentException("an SPI has 32 bits, found " + inboundSpi);
        }
        return new SaId(childName(inboundSpi));
    }

    private static String childName(long inboundSpi) {
        return CHILD_PREFIX + String.format(Locale.ROOT, "%08x", inboundSpi);
    }

    @Override
    public String toString() {
        return value;
    }
}
