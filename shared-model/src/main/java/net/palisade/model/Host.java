package net.palisade.model;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import java.net.InetAddress;
import java.util.Locale;
import java.util.Optional;

/**
 * A gateway address as written in {@code local} or {@code peer}: an IP address, or a DNS host name that the IKE
 * engine resolves when it connects. Names are kept in lower case (DNS is case-insensitive). A name whose last label
 * is all digits ({@code 10.1.1}) is refused: it is a mistyped address, not a host name.
 */
public final class Host {
    private final InetAddress ip;
    private final String name;

    private Host(InetAddress ip, String name) {
        this.ip = ip;
        this.name = name;
    }

    /** A host that is the address {@code ip}. */
    public static Host of(InetAddress ip) {
        return new Host(ip, null);
    }

    /**
     * Parses an IP literal or a DNS host name.
     *
     * @throws IllegalArgumentException with a message saying what was expected and what was found
     */
    @JsonCreator
    public static Host parse(String text) {
        Optional<InetAddress> ip = IpAddresses.parse(text);
        if (ip.isPresent()) {
            return new Host(ip.get(), null);
        }
        if (!isHostName(text)) {
            throw new IllegalArgumentException("expected an IP address or a DNS host name, found '" + text + "'");
        }
        return new Host(null, text.toLowerCase(Locale.ROOT));
    }

    /** True if {@code s} is a DNS host name (LDH labels of 1-63 characters, at most 253 in all, last label not numeric). */
    public static boolean isHostName(String s) {
        if (s.isEmpty() || s.length() > 253) {
            return false;
        }
        String[] labels = s.split("\\.", -1);
        for (String l : labels) {
            if (l.isEmpty() || l.length() > 63 || l.startsWith("-") || l.endsWith("-")) {
                return false;
            }
            for (int i = 0; i < l.length(); i++) {
                char c = l.charAt(i);
                if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-')) {
                    return false;
                }
            }
        }
        return !labels[labels.length - 1].chars().allMatch(c -> c >= '0' && c <= '9');
    }

    /** True if this is an IP address rather than a name. */
    public boolean isIp() {
        return ip != null;
    }

    /** The address, if this is one. */
    public Optional<InetAddress> ip() {
        return Optional.ofNullable(ip);
    }

    /** The DNS name, if this is one. */
    public Optional<String> dnsName() {
        return Optional.ofNullable(name);
    }

    /** The family of an address; empty for a name (known only once resolved). */
    public Optional<IpFamily> family() {
        return ip == null ? Optional.empty() : Optional.of(IpAddresses.family(ip));
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Host h && (ip == null ? h.ip == null && name.equals(h.name) : ip.equals(h.ip));
    }

    @Override
    public int hashCode() {
        return ip == null ? name.hashCode() : ip.hashCode();
    }

    /** Canonical text of the address, or the name. */
    @JsonValue
    @Override
    public String toString() {
        return ip == null ? name : IpAddresses.format(ip);
    }
}
