package net.palisade.dataplane.io;

import java.io.IOException;

/**
 * A failed system call: the message names the operation and the errno, e.g.
 * {@code "TUNSETIFF pal0: EBUSY (Device or resource busy)"}; {@link #errno()} gives the number for callers that
 * branch on it (EEXIST on a duplicate route, ENODEV on a vanished device).
 */
public final class ErrnoException extends IOException {
    private static final long serialVersionUID = 1L;

    private final int errno;
    private final String errnoName;

    public ErrnoException(String operation, int errno) {
        this(operation, errno, null);
    }

    /** @param detail extra text from the kernel (a netlink extended ACK message), or null */
    public ErrnoException(String operation, int errno, String detail) {
        super(format(operation, errno, detail));
        this.errno = errno;
        this.errnoName = Libc.errnoName(errno);
    }

    private static String format(String operation, int errno, String detail) {
        String desc = Libc.errnoDescription(errno);
        StringBuilder sb = new StringBuilder(operation).append(": ").append(Libc.errnoName(errno));
        if (!desc.isEmpty()) {
            sb.append(" (").append(desc).append(')');
        }
        if (detail != null && !detail.isEmpty()) {
            sb.append(": ").append(detail);
        }
        return sb.toString();
    }

    /** The positive errno value, e.g. 17 for EEXIST. */
    public int errno() {
        return errno;
    }

    /** The symbolic name, e.g. "EEXIST" (or "errno 17" where the C library cannot name it). */
    public String errnoName() {
        return errnoName;
    }
}
