package net.palisade.controlplane.journal;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.h2.mvstore.DataUtils;

/**
 * Points an embedded H2 journal's file header at the newest chunk written before an unclean stop (kill -9, a crash,
 * power loss after the writes reached the disk), before H2 opens the file.
 *
 * <p>Why: H2 (2.5.252) writes each commit as a chunk, and reuses the space of chunks no longer needed. After an
 * unclean stop it finds the newest chunk from its file header, following each chunk's prediction of where the next
 * one goes, and from the footer at the end of the file. When a chunk went into reused space, away from that
 * prediction, H2 rewrites the header, but with the chunk before it; the header is next written some twenty chunks
 * later. Until then H2 cannot find those chunks after a kill -9 and opens the journal as it was before them: events
 * it had acknowledged as committed are gone. docs/testing.md (2026-12-08) has the files; a process killed within
 * seconds of opening its journal lost everything it had written.
 *
 * <p>This reads every block's chunk header, keeps the chunks whose footer checksum and identity agree with their
 * header (a chunk torn by the stop is skipped), and takes the one written last: the greatest time, then the greatest
 * version, among those at least as new as the header's. Chunks of an earlier life of the file that were abandoned
 * (written, then lost to a stop, and never overwritten) carry older times than any chunk written after. If that
 * chunk is newer than the header's, both copies of the header are rewritten to name it, with H2's checksum. A file
 * closed cleanly (its header says {@code clean}) is left as it is without being scanned.
 */
public final class H2Recovery {
    private static final int BLOCK = 4096;
    private static final int FOOTER = 128;
    /** H2's own order of the header's fields. */
    private static final List<String> HEADER_ORDER = List.of("H", "block", "blockSize", "chunk", "created", "format",
            "formatRead", "version");

    private H2Recovery() {}

    /** What was changed. */
    public record Repaired(long fromVersion, long toVersion, int chunk, long block) {
        @Override
        public String toString() {
            return "version " + Long.toHexString(fromVersion) + " -> " + Long.toHexString(toVersion) + " (chunk "
                    + Integer.toHexString(chunk) + " at block " + Long.toHexString(block) + ")";
        }
    }

    private record Chunk(int id, long version, long time, long block) {}

    /** The {@code .mv.db} file of an H2 {@code jdbc:h2:file:PATH;...} URL. */
    static Optional<Path> file(JournalSettings settings) {
        String prefix = "jdbc:h2:file:";
        if (!settings.url().startsWith(prefix)) {
            return Optional.empty();
        }
        String rest = settings.url().substring(prefix.length());
        int options = rest.indexOf(';');
        return Optional.of(Path.of((options < 0 ? rest : rest.substring(0, options)) + ".mv.db"));
    }

    /**
     * Repairs {@code file} if it was not closed cleanly and H2's header names an older chunk than the newest one
     * intact in the file, and says so in the log (WARN, with the versions). Does nothing when the file is missing,
     * clean, or locked (H2 has it open, in this process or another: a live file is never changed).
     *
     * @return what was changed, if anything
     * @throws IOException when the file cannot be read or written
     */
    public static Optional<Repaired> repair(Path file) throws IOException {
        if (!Files.isRegularFile(file) || Files.size(file) < 2L * BLOCK) {
            return Optional.empty();
        }
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            FileLock lock;
            try {
                lock = ch.tryLock();
            } catch (java.nio.channels.OverlappingFileLockException e) {
                return Optional.empty(); // H2 holds it open in this process: it is live, not to be touched
            }
            if (lock == null) {
                return Optional.empty(); // another process holds it open
            }
            Optional<Repaired> done;
            try {
                done = repair(ch);
            } finally {
                lock.release();
            }
            done.ifPresent(r -> org.slf4j.LoggerFactory.getLogger(H2Recovery.class).warn("journal {}: not closed "
                    + "cleanly, and H2's header named an older commit than the last one in the file: header moved to"
                    + " it, {}", file, r));
            return done;
        }
    }

    private static Optional<Repaired> repair(FileChannel ch) throws IOException {
        Map<String, String> header = checked(line(read(ch, 0, BLOCK)));
        if (header == null) {
            header = checked(line(read(ch, BLOCK, BLOCK)));
        }
        if (header == null || header.containsKey("clean") || !header.containsKey("version")
                || !"1000".equals(header.get("blockSize"))) {
            return Optional.empty(); // clean, or not a header this knows: H2 decides
        }
        long headerVersion = hex(header, "version");
        Chunk best = null;
        long blocks = ch.size() / BLOCK;
        int window = 256; // blocks read at once
        for (long first = 2; first < blocks; first += window) {
            int n = (int) Math.min(window, blocks - first);
            ByteBuffer buf = read(ch, first * BLOCK, n * BLOCK);
            for (int i = 0; i < n; i++) {
                if (buf.get(i * BLOCK) != 'c' || buf.get(i * BLOCK + 1) != 'h') {
                    continue;
                }
                Chunk c = chunk(ch, first + i, blocks, buf, i * BLOCK);
                if (c != null && c.version() >= headerVersion && (best == null || c.time() > best.time()
                        || c.time() == best.time() && c.version() > best.version())) {
                    best = c;
                }
            }
        }
        if (best == null || best.version() <= headerVersion) {
            return Optional.empty();
        }
        Map<String, String> next = new LinkedHashMap<>();
        for (String k : HEADER_ORDER) {
            if (header.containsKey(k)) {
                next.put(k, header.get(k));
            }
        }
        for (Map.Entry<String, String> e : header.entrySet()) { // any field H2 adds later, kept
            if (!e.getKey().equals("fletcher")) {
                next.putIfAbsent(e.getKey(), e.getValue());
            }
        }
        next.put("block", Long.toHexString(best.block()));
        next.put("chunk", Integer.toHexString(best.id()));
        next.put("version", Long.toHexString(best.version()));
        StringBuilder s = new StringBuilder();
        next.forEach((k, v) -> s.append(s.isEmpty() ? "" : ",").append(k).append(':').append(v));
        byte[] body = s.toString().getBytes(StandardCharsets.ISO_8859_1);
        s.append(",fletcher:").append(Integer.toHexString(DataUtils.getFletcher32(body, 0, body.length)))
                .append('\n');
        byte[] text = s.toString().getBytes(StandardCharsets.ISO_8859_1);
        ByteBuffer out = ByteBuffer.allocate(2 * BLOCK);
        out.put(text).position(BLOCK);
        out.put(text).rewind();
        while (out.hasRemaining()) {
            ch.write(out, out.position());
        }
        ch.force(false);
        return Optional.of(new Repaired(headerVersion, best.version(), best.id(), best.block()));
    }

    /** The chunk whose header starts at {@code at} in {@code buf} (block {@code block}), if it is whole. */
    private static Chunk chunk(FileChannel ch, long block, long blocks, ByteBuffer buf, int at) throws IOException {
        byte[] head = new byte[Math.min(1024, buf.capacity() - at)];
        buf.get(at, head);
        Map<String, String> h;
        try {
            h = DataUtils.parseMap(line(head));
        } catch (RuntimeException e) {
            return null;
        }
        if (!h.containsKey("chunk") || !h.containsKey("len") || !h.containsKey("version")) {
            return null;
        }
        long len;
        try {
            len = hex(h, "len");
            if (len <= 0 || block + len > blocks) {
                return null;
            }
        } catch (RuntimeException e) {
            return null;
        }
        Map<String, String> f = checked(line(read(ch, (block + len) * BLOCK - FOOTER, FOOTER).array()));
        if (f == null || !h.get("chunk").equals(f.get("chunk")) || !h.get("version").equals(f.get("version"))
                || !h.get("len").equals(f.get("len"))) {
            return null; // torn, or a header left behind in reused space
        }
        try {
            return new Chunk((int) hex(h, "chunk"), hex(h, "version"), h.containsKey("time") ? hex(h, "time") : 0,
                    block);
        } catch (RuntimeException e) {
            return null;
        }
    }

    private static ByteBuffer read(FileChannel ch, long pos, int len) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(len);
        while (b.hasRemaining()) {
            if (ch.read(b, pos + b.position()) < 0) {
                break;
            }
        }
        return b;
    }

    private static String line(ByteBuffer b) {
        return line(b.array());
    }

    /** The text up to the first newline or NUL. */
    private static String line(byte[] b) {
        int end = 0;
        while (end < b.length && b[end] != '\n' && b[end] != 0) {
            end++;
        }
        return new String(b, 0, end, StandardCharsets.ISO_8859_1).strip();
    }

    /** {@code text}'s fields if its trailing {@code fletcher} is H2's checksum of what precedes it, else null. */
    static Map<String, String> checked(String text) {
        int at = text.lastIndexOf(",fletcher:");
        if (at < 0) {
            return null;
        }
        Map<String, String> m;
        try {
            m = DataUtils.parseMap(text);
            byte[] bytes = text.getBytes(StandardCharsets.ISO_8859_1);
            return (int) Long.parseLong(m.get("fletcher"), 16) == DataUtils.getFletcher32(bytes, 0, at) ? m : null;
        } catch (RuntimeException e) {
            return null;
        }
    }

    private static long hex(Map<String, String> m, String key) {
        return Long.parseLong(m.get(key), 16);
    }
}
