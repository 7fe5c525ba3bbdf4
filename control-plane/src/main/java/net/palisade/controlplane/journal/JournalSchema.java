package net.palisade.controlplane.journal;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;

/** Creates the journal tables when missing (the DDL is idempotent), before the ActorSystem opens its pool. */
public final class JournalSchema {
    private JournalSchema() {}

    /**
     * Runs the schema for {@code settings}' database. An H2 file not closed cleanly is first pointed at the last
     * commit it holds ({@link H2Recovery}), which H2 alone can miss after a kill -9.
     *
     * @throws SQLException when the database refuses (e.g. a PostgreSQL user without CREATE), or an H2 file cannot
     *     be read
     */
    public static void createIfMissing(JournalSettings settings) throws SQLException {
        if (settings.h2()) {
            recover(settings);
        }
        try (Connection c = connect(settings); Statement s = c.createStatement()) {
            for (String stmt : statements(settings)) {
                s.execute(stmt);
            }
        }
    }

    private static void recover(JournalSettings settings) throws SQLException {
        java.util.Optional<java.nio.file.Path> file = H2Recovery.file(settings);
        if (file.isEmpty()) {
            return;
        }
        try {
            H2Recovery.repair(file.get());
        } catch (IOException e) {
            throw new SQLException("cannot check the journal file " + file.get() + " after an unclean stop: "
                    + e.getMessage(), e);
        }
    }

    /** A plain JDBC connection to the journal database. */
    public static Connection connect(JournalSettings settings) throws SQLException {
        return DriverManager.getConnection(settings.url(), settings.user(), settings.password());
    }

    /** The DDL statements, comments dropped; a {@code ;} inside a dollar-quoted body (a function's) splits nothing. */
    static List<String> statements(JournalSettings settings) {
        String sql;
        try (InputStream in = JournalSchema.class.getResourceAsStream(settings.schemaResource())) {
            if (in == null) {
                throw new IllegalStateException("missing resource " + settings.schemaResource());
            }
            sql = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new IllegalStateException("cannot read " + settings.schemaResource(), e);
        }
        String noComments = sql.lines().filter(l -> !l.strip().startsWith("--"))
                .reduce("", (a, b) -> a + b + "\n");
        return split(noComments).stream().map(String::strip).filter(s -> !s.isEmpty()).toList();
    }

    private static final java.util.regex.Pattern DOLLAR_TAG = java.util.regex.Pattern.compile("\\$[A-Za-z_]*\\$");

    private static List<String> split(String sql) {
        List<String> out = new java.util.ArrayList<>();
        StringBuilder cur = new StringBuilder();
        String quote = null; // the dollar tag we are inside, if any
        java.util.regex.Matcher m = DOLLAR_TAG.matcher(sql);
        for (int i = 0; i < sql.length(); i++) {
            char ch = sql.charAt(i);
            if (ch == '$' && m.find(i) && m.start() == i && (quote == null || quote.equals(m.group()))) {
                quote = quote == null ? m.group() : null;
                cur.append(m.group());
                i = m.end() - 1;
            } else if (ch == ';' && quote == null) {
                out.add(cur.toString());
                cur.setLength(0);
            } else {
                cur.append(ch);
            }
        }
        out.add(cur.toString());
        return out;
    }
}
