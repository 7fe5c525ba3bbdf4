package net.palisade.controlplane.journal;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import net.palisade.dataplane.sa.ReplayMarks;

/**
 * The table {@code replay_mark(label, spi, mark, updated)}: each installed inbound SA's replay high-water mark
 * (schema in {@code palisade/db/h2.sql} and {@code postgres.sql}). Marks only go up ({@code GREATEST}), except when
 * a new SA with no recovered mark takes a (label, SPI) over ({@link #reset}). SPIs are stored unsigned, marks as
 * signed 64-bit numbers (a sequence number past 2^63 would need 292 years at 10^9 packets a second).
 */
final class ReplayMarkTable {
    private final boolean h2;
    private final String upsert;
    private final String reset;
    private final String delete;
    private final String select;
    private final String all;

    ReplayMarkTable(boolean h2) {
        this.h2 = h2;
        String t = h2 ? "PUBLIC.\"replay_mark\"" : "public.replay_mark";
        String label = q("label");
        String spi = q("spi");
        String mark = q("mark");
        String updated = q("updated");
        if (h2) {
            String merge = "MERGE INTO " + t + " t USING (VALUES (CAST(? AS VARCHAR), CAST(? AS BIGINT),"
                    + " CAST(? AS BIGINT))) s(l, p, m) ON t." + label + " = s.l AND t." + spi + " = s.p"
                    + " WHEN NOT MATCHED THEN INSERT VALUES (s.l, s.p, s.m, CURRENT_TIMESTAMP)"
                    + " WHEN MATCHED THEN UPDATE SET " + mark + " = %s, " + updated + " = CURRENT_TIMESTAMP";
            this.upsert = merge.formatted("GREATEST(t." + mark + ", s.m)");
            this.reset = merge.formatted("s.m");
        } else {
            String insert = "INSERT INTO " + t + " (label, spi, mark, updated) VALUES (?, ?, ?, now())"
                    + " ON CONFLICT (label, spi) DO UPDATE SET mark = %s, updated = now()";
            this.upsert = insert.formatted("GREATEST(" + t + ".mark, EXCLUDED.mark)");
            this.reset = insert.formatted("EXCLUDED.mark");
        }
        this.delete = "DELETE FROM " + t + " WHERE " + label + " = ? AND " + spi + " = ?";
        this.select = "SELECT " + spi + ", " + mark + " FROM " + t + " WHERE " + label + " = ?";
        this.all = "SELECT " + label + ", " + spi + " FROM " + t;
    }

    private String q(String column) {
        return h2 ? "\"" + column + "\"" : column;
    }

    /** One row to write. */
    record Write(ReplayMarks.Key key, long mark, boolean reset) {}

    /** Writes and deletes in one transaction. */
    void apply(Connection c, List<Write> writes, List<ReplayMarks.Key> deletes) throws SQLException {
        if (writes.isEmpty() && deletes.isEmpty()) {
            return;
        }
        boolean auto = c.getAutoCommit();
        c.setAutoCommit(false);
        try (PreparedStatement up = c.prepareStatement(upsert); PreparedStatement re = c.prepareStatement(reset);
                PreparedStatement del = c.prepareStatement(delete)) {
            int ups = 0;
            int res = 0;
            for (Write w : writes) {
                PreparedStatement s = w.reset() ? re : up;
                s.setString(1, w.key().label());
                s.setLong(2, Integer.toUnsignedLong(w.key().spi()));
                s.setLong(3, w.mark());
                s.addBatch();
                if (w.reset()) {
                    res++;
                } else {
                    ups++;
                }
            }
            for (ReplayMarks.Key k : deletes) {
                del.setString(1, k.label());
                del.setLong(2, Integer.toUnsignedLong(k.spi()));
                del.addBatch();
            }
            if (ups > 0) {
                up.executeBatch();
            }
            if (res > 0) {
                re.executeBatch();
            }
            if (!deletes.isEmpty()) {
                del.executeBatch();
            }
            c.commit();
        } catch (SQLException | RuntimeException e) {
            c.rollback();
            throw e;
        } finally {
            c.setAutoCommit(auto);
        }
    }

    /** The marks of {@code label}'s inbound SAs, by SPI. */
    Map<Integer, Long> load(Connection c, String label) throws SQLException {
        Map<Integer, Long> marks = new HashMap<>();
        try (PreparedStatement s = c.prepareStatement(select)) {
            s.setString(1, label);
            try (ResultSet rs = s.executeQuery()) {
                while (rs.next()) {
                    marks.put((int) rs.getLong(1), rs.getLong(2));
                }
            }
        }
        return marks;
    }

    /** Every row's key. */
    List<ReplayMarks.Key> keys(Connection c) throws SQLException {
        List<ReplayMarks.Key> keys = new ArrayList<>();
        try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery(all)) {
            while (rs.next()) {
                keys.add(new ReplayMarks.Key(rs.getString(1), (int) rs.getLong(2)));
            }
        }
        return keys;
    }
}
