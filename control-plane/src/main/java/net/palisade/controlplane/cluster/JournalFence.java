package net.palisade.controlplane.cluster;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.Properties;
import java.util.regex.Pattern;
import net.palisade.controlplane.journal.JournalSettings;

/**
 * How a pair member names itself to the journal's fence: {@code postgres.sql}'s trigger {@code
 * palisade_journal_fence} lets a connection write a tunnel's event only while the setting {@value #SETTING} names
 * the holder of the active lease ({@link ActiveRole#LEASE_NAME}, valid at the database's clock). The node sets it on
 * every journal connection with the PostgreSQL JDBC option {@code options=-c palisade.node=HOST:PORT}, its lease
 * owner name, and checks at start that it arrives ({@link #verify}).
 *
 * <p>The same option bounds how long a transaction that writes a tunnel event may wait for the node between
 * statements ({@code palisade.write_idle}, the lease TTL, which the trigger makes that transaction's
 * {@code idle_in_transaction_session_timeout}): a takeover waits for the old holder's tunnel events in flight, and a
 * node cut from the database in the middle of such a transaction would otherwise hold that wait until the server's
 * TCP keepalive gives up — hours. Its unfinished write is rolled back, never acknowledged. Other transactions (the
 * journal's streamed reads, which wait on their consumer) are not bounded.
 *
 * <p>Why a trigger and not the journal's DAO: the check has to be in the transaction that inserts the event, and
 * pekko-persistence-jdbc's insert carries nothing of ours (its {@code writer} column is a random id per actor
 * incarnation) and batches the events of several actors into one transaction; a DAO of our own would mean
 * re-implementing its Scala/Slick write path. The trigger sees every insert, whoever makes it, and costs one shared
 * advisory lock and one primary-key read per event (docs/benchmarks.md).
 */
public final class JournalFence {
    /** The PostgreSQL setting (a placeholder variable, any user may set it) naming the writing node. */
    public static final String SETTING = "palisade.node";

    private static final Pattern OWNER = Pattern.compile("[A-Za-z0-9.:\\[\\]_-]{1,255}");

    private JournalFence() {}

    /**
     * @param owner the node's lease owner name ({@code host:port})
     * @param ttl the active lease's TTL: the longest a journal transaction may wait for the node between statements
     * @return the value of the JDBC connection property {@code options} for the node's journal connections
     * @throws IllegalArgumentException for a name the option could not carry (a space, a quote)
     */
    public static String connectionOption(String owner, java.time.Duration ttl) {
        return connectionOption(owner) + " -c palisade.write_idle=" + Math.max(1, ttl.toMillis());
    }

    /** {@link #connectionOption(String, java.time.Duration)} without the transaction bound. */
    static String connectionOption(String owner) {
        if (!OWNER.matcher(owner).matches()) {
            throw new IllegalArgumentException("cluster address '" + owner + "': the journal fence names a node by"
                    + " its cluster address, which must be HOST:PORT without spaces or quotes");
        }
        return "-c " + SETTING + "=" + owner;
    }

    /**
     * Opens a connection as the journal's pool does (the URL, user, password and {@code options}) and checks that the
     * database sees {@code owner} as {@value #SETTING}: a URL with its own {@code options} parameter overrides ours,
     * and the fence would then refuse every tunnel write of this node.
     *
     * @throws IllegalStateException when the setting does not arrive
     */
    public static void verify(JournalSettings db, String owner) throws SQLException {
        Properties p = new Properties();
        p.setProperty("user", db.user());
        p.setProperty("password", db.password());
        p.setProperty("options", connectionOption(owner));
        try (Connection c = DriverManager.getConnection(db.url(), p);
                PreparedStatement ps = c.prepareStatement("SELECT current_setting(?, true)")) {
            ps.setString(1, SETTING);
            try (ResultSet rs = ps.executeQuery()) {
                String seen = rs.next() ? rs.getString(1) : null;
                if (!owner.equals(seen)) {
                    throw new IllegalStateException("journal URL " + db.redactedUrl() + ": the database sees "
                            + SETTING + " = '" + (seen == null ? "" : seen) + "', expected '" + owner
                            + "' (does the URL set options=...? the pair's journal fence needs its own)");
                }
            }
        }
    }
}
