package net.palisade.controlplane.journal;

import java.nio.file.Path;
import java.util.Objects;

/**
 * Where the journal and the snapshots live: one JDBC database. The default is an embedded H2 file under the data
 * directory; PostgreSQL is chosen by a {@code jdbc:postgresql:} URL (the schema is the same, see
 * {@code palisade/db/*.sql}).
 *
 * @param url the JDBC URL
 * @param user the database user (empty for H2)
 * @param password the database password (empty for H2); never printed
 */
public record JournalSettings(String url, String user, String password) {
    /** H2 options: keep the database open until the pool closes it, and write each commit before acknowledging. */
    static final String H2_OPTIONS = ";DB_CLOSE_ON_EXIT=FALSE;WRITE_DELAY=0";

    public JournalSettings {
        Objects.requireNonNull(url, "url");
        Objects.requireNonNull(user, "user");
        Objects.requireNonNull(password, "password");
        if (!url.startsWith("jdbc:h2:") && !url.startsWith("jdbc:postgresql:")) {
            throw new IllegalArgumentException("journal URL must be jdbc:h2:... or jdbc:postgresql:..., found "
                    + redacted(url));
        }
    }

    /** The embedded default: {@code jdbc:h2:file:DATA/journal}. */
    public static JournalSettings h2(Path dataDir) {
        return new JournalSettings("jdbc:h2:file:" + dataDir.toAbsolutePath().resolve("journal") + H2_OPTIONS, "", "");
    }

    /** A copied data directory's H2 journal, opened read-only (offline replay). */
    public static JournalSettings h2ReadOnly(Path dataDir) {
        return new JournalSettings("jdbc:h2:file:" + dataDir.toAbsolutePath().resolve("journal")
                + ";ACCESS_MODE_DATA=r", "", "");
    }

    /** PostgreSQL, e.g. {@code jdbc:postgresql://db.example:5432/palisade}. */
    public static JournalSettings postgres(String url, String user, String password) {
        return new JournalSettings(url, user, password);
    }

    /** True for H2. */
    public boolean h2() {
        return url.startsWith("jdbc:h2:");
    }

    /** The Slick profile pekko-persistence-jdbc needs. */
    public String slickProfile() {
        return h2() ? "slick.jdbc.H2Profile$" : "slick.jdbc.PostgresProfile$";
    }

    /** The JDBC driver class. */
    public String driver() {
        return h2() ? "org.h2.Driver" : "org.postgresql.Driver";
    }

    /** The DDL resource for this database. */
    public String schemaResource() {
        return h2() ? "/palisade/db/h2.sql" : "/palisade/db/postgres.sql";
    }

    /** The URL with the value of every password-like parameter ({@code password=}, {@code sslpassword=}...) hidden. */
    public String redactedUrl() {
        return redacted(url);
    }

    private static final java.util.regex.Pattern SECRET_PARAMETER =
            java.util.regex.Pattern.compile("(?i)([a-z]*(?:password|passwd|pwd|secret|key)[a-z]*=)[^&;]*");

    private static String redacted(String url) {
        return SECRET_PARAMETER.matcher(url).replaceAll("$1***");
    }

    @Override
    public String toString() {
        return "JournalSettings[url=" + redactedUrl() + ", user=" + user + ", password="
                + (password.isEmpty() ? "" : "***") + "]";
    }
}
