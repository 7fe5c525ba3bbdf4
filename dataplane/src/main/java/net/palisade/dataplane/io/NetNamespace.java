package net.palisade.dataplane.io;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import java.nio.file.Path;

import static java.lang.foreign.ValueLayout.JAVA_INT;

/**
 * Moves the calling thread into a network namespace with setns(2), e.g. one created by {@code ip netns add NAME}
 * ({@code /var/run/netns/NAME}). setns applies to the calling thread only: threads it starts afterwards inherit
 * nothing from it in Java (the JVM creates them from its own state), so every thread that must live in the
 * namespace — a worker that opens sockets, a control thread that opens a TUN device or a netlink socket — calls
 * {@link #enter} itself before it opens anything. Descriptors stay in the namespace they were opened in, whatever
 * thread uses them later. Needs CAP_SYS_ADMIN.
 */
@SuppressWarnings("restricted")
public final class NetNamespace {
    private static final int O_RDONLY = 0;

    /** {@code int setns(int fd, int nstype);} */
    private static final MethodHandle SETNS = Libc.LINKER.downcallHandle(
            Libc.LINKER.defaultLookup().find("setns").orElseThrow(() -> new UnsatisfiedLinkError("setns")),
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT), Linker.Option.captureCallState("errno"));

    private NetNamespace() {
    }

    /** The path {@code ip netns} uses for a named namespace. */
    public static Path named(String name) {
        return Path.of("/var/run/netns", name);
    }

    /**
     * Enters the network namespace at {@code path} (a bind-mounted namespace file or {@code /proc/PID/ns/net}).
     *
     * @throws ErrnoException ENOENT if there is no such namespace, EPERM without CAP_SYS_ADMIN
     */
    public static void enter(Path path) throws IOException {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment state = Libc.newCallState(a);
            // int open(const char *pathname, int flags, ...)
            int fd = (int) Libc.OPEN.invokeExact(state, a.allocateFrom(path.toString()), O_RDONLY | Libc.O_CLOEXEC,
                    0);
            if (fd < 0) {
                throw Libc.error("open " + path, state);
            }
            try {
                // int setns(int fd, int nstype = CLONE_NEWNET)
                int rc = (int) SETNS.invokeExact(state, fd, Libc.CLONE_NEWNET);
                if (rc != 0) {
                    throw Libc.error("setns " + path, state);
                }
            } finally {
                Libc.closeQuietly(fd);
            }
        } catch (IOException e) {
            throw e;
        } catch (Throwable t) {
            throw Libc.linkageFailure(t);
        }
    }
}
