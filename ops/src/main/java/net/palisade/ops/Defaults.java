package net.palisade.ops;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/** Where a node keeps its state and listens when nothing else is said. */
final class Defaults {
    static final String API = "127.0.0.1:8470";
    static final Path SYSTEM_CONFIG = Path.of("/etc/palisade/palisade.conf");

    private Defaults() {}

    /** {@code /var/lib/palisade} for root, else {@code $XDG_DATA_HOME/palisade} or {@code ~/.local/share/palisade}. */
    static Path dataDir() {
        if ("root".equals(System.getProperty("user.name"))) {
            return Path.of("/var/lib/palisade");
        }
        String xdg = System.getenv("XDG_DATA_HOME");
        Path base = xdg != null && !xdg.isBlank() ? Path.of(xdg) : Path.of(System.getProperty("user.home"), ".local", "share");
        return base.resolve("palisade");
    }

    static Optional<Path> configFile() {
        return Files.isReadable(SYSTEM_CONFIG) ? Optional.of(SYSTEM_CONFIG) : Optional.empty();
    }

    /** Parses {@code HOST:PORT} or {@code [V6]:PORT}. */
    static HostPort hostPort(String flag, String text) {
        int colon = text.lastIndexOf(':');
        if (colon <= 0 || colon == text.length() - 1) {
            throw new IllegalArgumentException(flag + ": expected HOST:PORT, got '" + text + "'");
        }
        String host = text.substring(0, colon);
        if (host.startsWith("[") && host.endsWith("]")) {
            host = host.substring(1, host.length() - 1);
        }
        int port;
        try {
            port = Integer.parseInt(text.substring(colon + 1));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(flag + ": port must be a number, got '" + text.substring(colon + 1) + "'");
        }
        if (port < 1 || port > 65535) {
            throw new IllegalArgumentException(flag + ": port must be 1-65535, got " + port);
        }
        return new HostPort(host, port);
    }

    record HostPort(String host, int port) {}
}
