package net.palisade.dataplane.io;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;
import java.util.Optional;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * The glibc functions the dataplane calls, as FFM downcall handles (Linux x86_64 / aarch64 LP64 only).
 *
 * <p>Every handle that can fail captures {@code errno} ({@link Linker.Option#captureCallState}), so its first
 * parameter is a segment laid out as {@link #CAPTURE_LAYOUT}; read it with {@link #errno(MemorySegment)}. Hot-path
 * owners (a TUN queue, a UDP endpoint) keep one such segment each, so a call allocates nothing.
 *
 * <p>Handles marked "critical" use {@link Linker.Option#critical(boolean) critical(true)}: they may receive heap
 * segments ({@code MemorySegment.ofArray(byte[])}) and skip the thread-state transition. They are only used on
 * non-blocking descriptors, so the call never parks inside the kernel while the GC waits.
 */
@SuppressWarnings("restricted") // this class is the one place that links native code; run with --enable-native-access
final class Libc {
    private Libc() {}

    static final Linker LINKER = Linker.nativeLinker();
    private static final SymbolLookup LOOKUP = LINKER.defaultLookup();
    static final StructLayout CAPTURE_LAYOUT = Linker.Option.captureStateLayout();
    private static final VarHandle ERRNO =
            CAPTURE_LAYOUT.varHandle(MemoryLayout.PathElement.groupElement("errno"));
    private static final Linker.Option ERRNO_OPT = Linker.Option.captureCallState("errno");
    private static final Linker.Option CRITICAL = Linker.Option.critical(true);

    // ---- constants (Linux UAPI, x86_64/aarch64 values) -------------------------------------------------
    static final int EINTR = 4;
    static final int EAGAIN = 11;
    static final int ENOENT = 2;

    static final int O_RDWR = 0x2;
    static final int O_NONBLOCK = 0x800;
    static final int O_CLOEXEC = 0x80000;

    static final int AF_UNSPEC = 0;
    static final int AF_INET = 2;
    static final int AF_INET6 = 10;
    static final int AF_NETLINK = 16;
    static final int SOCK_DGRAM = 2;
    static final int SOCK_RAW = 3;
    static final int SOCK_NONBLOCK = 0x800;
    static final int SOCK_CLOEXEC = 0x80000;
    static final int IPPROTO_UDP = 17;
    static final int IPPROTO_ESP = 50;
    static final int SOL_SOCKET = 1;
    static final int SO_SNDBUF = 7;
    static final int SO_RCVBUF = 8;
    static final int SO_REUSEPORT = 15;
    static final int SO_SNDBUFFORCE = 32;
    static final int SO_RCVBUFFORCE = 33;
    /** The socket's drop count (sk_drops, u32) as a control message with each datagram received after one. */
    static final int SO_RXQ_OVFL = 40;
    static final int IPPROTO_IPV6 = 41;
    static final int IPV6_V6ONLY = 26;
    static final int MSG_DONTWAIT = 0x40;
    static final int MSG_TRUNC = 0x20;

    static final short POLLIN = 0x1;
    static final short POLLOUT = 0x4;
    static final short POLLERR = 0x8;
    static final short POLLHUP = 0x10;
    static final short POLLNVAL = 0x20;

    static final int EFD_NONBLOCK = 0x800;
    static final int EFD_CLOEXEC = 0x80000;

    static final int CLONE_NEWNET = 0x40000000;

    // ---- file descriptors ------------------------------------------------------------------------------

    /** {@code int open(const char *pathname, int flags, ... mode_t mode);} (variadic after 2 args) */
    static final MethodHandle OPEN = errnoHandle("open",
            FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT), Linker.Option.firstVariadicArg(2));

    /** {@code int close(int fd);} */
    static final MethodHandle CLOSE = errnoHandle("close", FunctionDescriptor.of(JAVA_INT, JAVA_INT));

    /** {@code ssize_t read(int fd, void *buf, size_t count);} (critical: heap segments allowed, fd must be non-blocking) */
    static final MethodHandle READ = errnoHandle("read",
            FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG), CRITICAL);

    /** {@code ssize_t write(int fd, const void *buf, size_t count);} (critical: heap segments allowed, non-blocking fd) */
    static final MethodHandle WRITE = errnoHandle("write",
            FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG), CRITICAL);

    /** {@code int ioctl(int fd, unsigned long request, ... void *argp);} (variadic after 2 args) */
    static final MethodHandle IOCTL = errnoHandle("ioctl",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_LONG, ADDRESS), Linker.Option.firstVariadicArg(2));

    /** {@code int poll(struct pollfd *fds, nfds_t nfds, int timeout);} */
    static final MethodHandle POLL = errnoHandle("poll",
            FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_LONG, JAVA_INT));

    /** {@code int eventfd(unsigned int initval, int flags);} */
    static final MethodHandle EVENTFD = errnoHandle("eventfd", FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT));

    // ---- sockets ---------------------------------------------------------------------------------------

    /** {@code int socket(int domain, int type, int protocol);} */
    static final MethodHandle SOCKET = errnoHandle("socket",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT));

    /** {@code int bind(int sockfd, const struct sockaddr *addr, socklen_t addrlen);} */
    static final MethodHandle BIND = errnoHandle("bind",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT));

    /** {@code int getsockname(int sockfd, struct sockaddr *addr, socklen_t *addrlen);} */
    static final MethodHandle GETSOCKNAME = errnoHandle("getsockname",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, ADDRESS));

    /** {@code int setsockopt(int sockfd, int level, int optname, const void *optval, socklen_t optlen);} */
    static final MethodHandle SETSOCKOPT = errnoHandle("setsockopt",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT));

    /** {@code int getsockopt(int sockfd, int level, int optname, void *optval, socklen_t *optlen);} */
    static final MethodHandle GETSOCKOPT = errnoHandle("getsockopt",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, ADDRESS, ADDRESS));

    /**
     * {@code ssize_t sendto(int sockfd, const void *buf, size_t len, int flags, const struct sockaddr *dest_addr,
     * socklen_t addrlen);} (critical: heap segments allowed, used with MSG_DONTWAIT / non-blocking sockets)
     */
    static final MethodHandle SENDTO = errnoHandle("sendto",
            FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG, JAVA_INT, ADDRESS, JAVA_INT), CRITICAL);

    /**
     * {@code ssize_t recvfrom(int sockfd, void *buf, size_t len, int flags, struct sockaddr *src_addr,
     * socklen_t *addrlen);} (critical: heap segments allowed, used with MSG_DONTWAIT / non-blocking sockets)
     */
    static final MethodHandle RECVFROM = errnoHandle("recvfrom",
            FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG, JAVA_INT, ADDRESS, ADDRESS), CRITICAL);

    /**
     * {@code int recvmmsg(int sockfd, struct mmsghdr *msgvec, unsigned int vlen, int flags, struct timespec *timeout);}
     */
    static final MethodHandle RECVMMSG = errnoHandle("recvmmsg",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT, ADDRESS));

    /** {@code int sendmmsg(int sockfd, struct mmsghdr *msgvec, unsigned int vlen, int flags);} */
    static final MethodHandle SENDMMSG = errnoHandle("sendmmsg",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT));

    /** {@code ssize_t send(int sockfd, const void *buf, size_t len, int flags);} (blocking allowed; setup paths) */
    static final MethodHandle SEND = errnoHandle("send",
            FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG, JAVA_INT));

    /** {@code ssize_t recv(int sockfd, void *buf, size_t len, int flags);} (blocking allowed; setup paths) */
    static final MethodHandle RECV = errnoHandle("recv",
            FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG, JAVA_INT));

    /** {@code unsigned int if_nametoindex(const char *ifname);} */
    static final MethodHandle IF_NAMETOINDEX = errnoHandle("if_nametoindex",
            FunctionDescriptor.of(JAVA_INT, ADDRESS));

    // ---- scheduling, process ---------------------------------------------------------------------------

    /** {@code int sched_setaffinity(pid_t pid, size_t cpusetsize, const cpu_set_t *mask);} */
    static final MethodHandle SCHED_SETAFFINITY = errnoHandle("sched_setaffinity",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_LONG, ADDRESS));

    /** {@code int sched_getaffinity(pid_t pid, size_t cpusetsize, cpu_set_t *mask);} */
    static final MethodHandle SCHED_GETAFFINITY = errnoHandle("sched_getaffinity",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_LONG, ADDRESS));

    /** {@code int sched_getcpu(void);} */
    static final MethodHandle SCHED_GETCPU = errnoHandle("sched_getcpu", FunctionDescriptor.of(JAVA_INT));

    /** {@code int get_nprocs(void);} (glibc: CPUs currently online) */
    static final MethodHandle GET_NPROCS = plainHandle("get_nprocs", FunctionDescriptor.of(JAVA_INT));

    /** {@code uid_t geteuid(void);} */
    static final MethodHandle GETEUID = plainHandle("geteuid", FunctionDescriptor.of(JAVA_INT));

    /** {@code pid_t gettid(void);} (glibc 2.30+) */
    static final MethodHandle GETTID = plainHandle("gettid", FunctionDescriptor.of(JAVA_INT));

    /** {@code int unshare(int flags);} — with CLONE_NEWNET moves only the calling thread into a new netns. */
    static final MethodHandle UNSHARE = errnoHandle("unshare", FunctionDescriptor.of(JAVA_INT, JAVA_INT));

    /** {@code const char *strerrorname_np(int errnum);} (glibc 2.32+; "EEXIST"), absent on other libcs. */
    private static final Optional<MethodHandle> STRERRORNAME_NP = LOOKUP.find("strerrorname_np")
            .map(a -> LINKER.downcallHandle(a, FunctionDescriptor.of(ADDRESS, JAVA_INT)));

    /** {@code const char *strerrordesc_np(int errnum);} (glibc 2.32+; "File exists"; thread-safe, static strings) */
    private static final Optional<MethodHandle> STRERRORDESC_NP = LOOKUP.find("strerrordesc_np")
            .map(a -> LINKER.downcallHandle(a, FunctionDescriptor.of(ADDRESS, JAVA_INT)));

    private static MethodHandle errnoHandle(String name, FunctionDescriptor fd, Linker.Option... extra) {
        Linker.Option[] opts = new Linker.Option[extra.length + 1];
        opts[0] = ERRNO_OPT;
        System.arraycopy(extra, 0, opts, 1, extra.length);
        return LINKER.downcallHandle(symbol(name), fd, opts);
    }

    private static MethodHandle plainHandle(String name, FunctionDescriptor fd) {
        return LINKER.downcallHandle(symbol(name), fd);
    }

    private static MemorySegment symbol(String name) {
        return LOOKUP.find(name).orElseThrow(() -> new UnsatisfiedLinkError("libc symbol not found: " + name));
    }

    // ---- errno helpers ---------------------------------------------------------------------------------

    /** A fresh errno capture segment, to be reused by one thread at a time. */
    static MemorySegment newCallState(Arena arena) {
        return arena.allocate(CAPTURE_LAYOUT);
    }

    static int errno(MemorySegment callState) {
        return (int) ERRNO.get(callState, 0L);
    }

    /** "EEXIST", or "errno 17" where the C library cannot name it. */
    static String errnoName(int errno) {
        if (STRERRORNAME_NP.isPresent()) {
            try {
                MemorySegment s = (MemorySegment) STRERRORNAME_NP.get().invokeExact(errno);
                if (!s.equals(MemorySegment.NULL)) {
                    return s.reinterpret(64).getString(0);
                }
            } catch (Throwable ignored) {
                // fall through
            }
        }
        return "errno " + errno;
    }

    /** "File exists", or "" where unknown. */
    static String errnoDescription(int errno) {
        if (STRERRORDESC_NP.isPresent()) {
            try {
                MemorySegment s = (MemorySegment) STRERRORDESC_NP.get().invokeExact(errno);
                if (!s.equals(MemorySegment.NULL)) {
                    return s.reinterpret(256).getString(0);
                }
            } catch (Throwable ignored) {
                // fall through
            }
        }
        return "";
    }

    /** Builds the exception for a failed call; {@code what} says what was being done, e.g. "open /dev/net/tun". */
    static ErrnoException error(String what, int errno) {
        return new ErrnoException(what, errno);
    }

    static ErrnoException error(String what, MemorySegment callState) {
        return new ErrnoException(what, errno(callState));
    }

    /** Wraps a Throwable from {@code invokeExact} (never expected: the handles are exact) as an unchecked error. */
    static AssertionError linkageFailure(Throwable t) {
        return new AssertionError("FFM downcall failed unexpectedly", t);
    }

    // ---- small convenience wrappers for setup paths (allocate freely; not for hot loops) -----------------

    static void closeQuietly(int fd) {
        if (fd < 0) {
            return;
        }
        try (Arena arena = Arena.ofConfined()) {
            int rc = (int) CLOSE.invokeExact(newCallState(arena), fd);
            assert rc == 0 || rc == -1;
        } catch (Throwable t) {
            throw linkageFailure(t);
        }
    }

    static void setIntSockOpt(int fd, int level, int option, int value, String what) throws ErrnoException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = newCallState(arena);
            MemorySegment v = arena.allocateFrom(JAVA_INT, value);
            int rc = (int) SETSOCKOPT.invokeExact(state, fd, level, option, v, (int) JAVA_INT.byteSize());
            if (rc != 0) {
                throw error(what, state);
            }
        } catch (ErrnoException e) {
            throw e;
        } catch (Throwable t) {
            throw linkageFailure(t);
        }
    }

    static int getIntSockOpt(int fd, int level, int option, String what) throws ErrnoException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = newCallState(arena);
            MemorySegment v = arena.allocate(JAVA_INT);
            MemorySegment len = arena.allocateFrom(JAVA_INT, (int) JAVA_INT.byteSize());
            int rc = (int) GETSOCKOPT.invokeExact(state, fd, level, option, v, len);
            if (rc != 0) {
                throw error(what, state);
            }
            return v.get(JAVA_INT, 0);
        } catch (ErrnoException e) {
            throw e;
        } catch (Throwable t) {
            throw linkageFailure(t);
        }
    }

    static int geteuid() {
        try {
            return (int) GETEUID.invokeExact();
        } catch (Throwable t) {
            throw linkageFailure(t);
        }
    }

    static int gettid() {
        try {
            return (int) GETTID.invokeExact();
        } catch (Throwable t) {
            throw linkageFailure(t);
        }
    }

    /** Interface index for a name, or an ErrnoException (ENODEV) if there is no such device. */
    static int ifNameToIndex(String name) throws ErrnoException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = newCallState(arena);
            int idx = (int) IF_NAMETOINDEX.invokeExact(state, arena.allocateFrom(name));
            if (idx == 0) {
                throw error("if_nametoindex " + name, state);
            }
            return idx;
        } catch (ErrnoException e) {
            throw e;
        } catch (Throwable t) {
            throw linkageFailure(t);
        }
    }

}
