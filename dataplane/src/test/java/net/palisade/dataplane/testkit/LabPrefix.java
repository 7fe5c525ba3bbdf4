package net.palisade.dataplane.testkit;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.zip.CRC32;

/**
 * The namespace prefix of a test class's lab ({@code ops/lab/netns.sh up PREFIX} makes {@code PREFIX-gwa} and so
 * on, after tearing down whatever had that prefix): derived from the class's name, never written by hand, so two
 * classes cannot pick the same one and destroy each other's lab.
 *
 * <p>The prefix is the initials of the class's simple name (at most three) and two characters of a checksum of its
 * fully qualified name, e.g. {@code IkeNatStrongSwanTest} gives {@code inss} cut to {@code ins} plus two: 5
 * characters, short enough for interface names made from it. Two classes that still come out the same are refused
 * when the second claims it in the same JVM; across JVMs (api and ops tests running beside control-plane's), the
 * lab's builder calls {@link #hold}, a lock on {@code /run/palisade-lab/PREFIX.lock} held until the JVM exits, which
 * refuses a prefix whose lab another running process has built.
 */
public final class LabPrefix {
    private static final Path LOCKS = Path.of("/run/palisade-lab");
    private static final Map<String, String> OWNERS = new HashMap<>();
    private static final Map<String, FileLock> HELD = new HashMap<>();

    private LabPrefix() {}

    /**
     * The prefix of {@code owner}'s lab; the same class gets the same prefix each time.
     *
     * @param owner the test class that builds the lab
     * @return its prefix
     * @throws IllegalStateException when another class of this JVM, or another process, holds the prefix
     */
    public static String claim(Class<?> owner) {
        String prefix = derive(owner.getName());
        register(prefix, owner.getName());
        return prefix;
    }

    /** Records {@code owner} as the holder of {@code prefix}; refuses a prefix another owner holds. */
    static synchronized void register(String prefix, String owner) {
        String previous = OWNERS.putIfAbsent(prefix, owner);
        if (previous != null && !previous.equals(owner)) {
            throw new IllegalStateException("lab prefix " + prefix + " of " + owner + " is already " + previous
                    + "'s: rename one of the classes");
        }
    }

    /**
     * Takes the machine-wide hold on {@code prefix} before its lab is built: a lock on
     * {@code /run/palisade-lab/PREFIX.lock}, kept until this JVM exits. Taken when the lab is built, not when the
     * prefix is claimed, so a run that only loads the lab classes (and skips them) holds nothing.
     *
     * @param prefix the prefix, claimed or given to a tool
     * @throws IllegalStateException when another process holds it
     */
    public static synchronized void hold(String prefix) {
        // a tool's --prefix (LabThroughput) is not claimed by a class; the lock still keeps it apart from a test's
        String owner = OWNERS.getOrDefault(prefix, "the lab of prefix " + prefix);
        if (!HELD.containsKey(prefix)) {
            HELD.put(prefix, lock(prefix, owner));
        }
    }

    /**
     * @param className a fully qualified class name
     * @return its prefix: up to three initials of the simple name and two base-36 characters of a checksum
     */
    static String derive(String className) {
        String simple = className.substring(className.lastIndexOf('.') + 1).replaceFirst("Test$", "");
        StringBuilder initials = new StringBuilder();
        for (int i = 0; i < simple.length() && initials.length() < 3; i++) {
            char c = simple.charAt(i);
            if (i == 0 || Character.isUpperCase(c) && !Character.isUpperCase(simple.charAt(i - 1))) {
                initials.append(Character.toLowerCase(c));
            }
        }
        CRC32 crc = new CRC32();
        crc.update(className.getBytes(StandardCharsets.UTF_8));
        String check = Long.toString(crc.getValue() % (36 * 36) + 36 * 36, 36).substring(1);
        return initials.append(check).toString().toLowerCase(Locale.ROOT);
    }

    private static FileLock lock(String prefix, String owner) {
        try {
            Files.createDirectories(LOCKS);
            FileChannel channel = FileChannel.open(LOCKS.resolve(prefix + ".lock"), StandardOpenOption.CREATE,
                    StandardOpenOption.WRITE);
            FileLock lock;
            try {
                lock = channel.tryLock();
            } catch (OverlappingFileLockException e) {
                lock = null;
            }
            if (lock == null) {
                channel.close();
                throw new IllegalStateException("lab prefix " + prefix + " of " + owner
                        + " is held by another running test process (" + LOCKS.resolve(prefix + ".lock") + ")");
            }
            return lock; // released when this JVM exits
        } catch (IOException e) {
            throw new UncheckedIOException("cannot lock lab prefix " + prefix, e);
        }
    }
}
