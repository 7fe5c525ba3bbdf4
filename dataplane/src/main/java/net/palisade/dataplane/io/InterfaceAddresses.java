package net.palisade.dataplane.io;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.List;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

/**
 * The addresses configured on this host's interfaces, from getifaddrs(3), in the network namespace of the calling
 * thread. glibc answers it over a netlink socket opened by the calling thread, so unlike
 * {@link java.net.NetworkInterface} (which reads IPv6 addresses from {@code /proc/net/if_inet6}, the namespace of
 * the process's main thread) it is right for a thread that entered another namespace with {@link NetNamespace}.
 */
@SuppressWarnings("restricted")
public final class InterfaceAddresses {

    /** One address on one interface. */
    public record Entry(String interfaceName, InetAddress address) {
    }

    /** {@code int getifaddrs(struct ifaddrs **ifap);} */
    private static final MethodHandle GETIFADDRS = Libc.LINKER.downcallHandle(
            Libc.LINKER.defaultLookup().find("getifaddrs").orElseThrow(() -> new UnsatisfiedLinkError("getifaddrs")),
            FunctionDescriptor.of(JAVA_INT, ADDRESS), Linker.Option.captureCallState("errno"));
    /** {@code void freeifaddrs(struct ifaddrs *ifa);} */
    private static final MethodHandle FREEIFADDRS = Libc.LINKER.downcallHandle(
            Libc.LINKER.defaultLookup().find("freeifaddrs").orElseThrow(() -> new UnsatisfiedLinkError("freeifaddrs")),
            FunctionDescriptor.ofVoid(ADDRESS));

    // struct ifaddrs { struct ifaddrs *ifa_next; char *ifa_name; unsigned int ifa_flags; struct sockaddr *ifa_addr;
    //                  struct sockaddr *ifa_netmask; union { ... } ifa_ifu; void *ifa_data; }  (LP64)
    private static final long OFF_NEXT = 0;
    private static final long OFF_NAME = 8;
    private static final long OFF_ADDR = 24;
    private static final long SIZEOF_IFADDRS = 56;

    private InterfaceAddresses() {
    }

    /** Every IPv4 and IPv6 address of every interface (IPv6 link-local ones included, without scope). */
    public static List<Entry> list() throws IOException {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment state = Libc.newCallState(a);
            MemorySegment head = a.allocate(ADDRESS);
            int rc = (int) GETIFADDRS.invokeExact(state, head);
            if (rc != 0) {
                throw Libc.error("getifaddrs", state);
            }
            MemorySegment first = head.get(ADDRESS, 0);
            List<Entry> out = new ArrayList<>();
            try {
                MemorySegment p = first;
                while (!p.equals(MemorySegment.NULL)) {
                    MemorySegment ifa = p.reinterpret(SIZEOF_IFADDRS);
                    MemorySegment sa = ifa.get(ADDRESS, OFF_ADDR);
                    if (!sa.equals(MemorySegment.NULL)) {
                        MemorySegment s = sa.reinterpret(SockAddr.SIZEOF_SOCKADDR_IN6);
                        int family = s.get(JAVA_SHORT, 0) & 0xffff;
                        byte[] raw = null;
                        if (family == Libc.AF_INET) {
                            raw = new byte[4];
                            MemorySegment.copy(s, JAVA_BYTE, 4, raw, 0, 4);
                        } else if (family == Libc.AF_INET6) {
                            raw = new byte[16];
                            MemorySegment.copy(s, JAVA_BYTE, 8, raw, 0, 16);
                        }
                        if (raw != null) {
                            String name = ifa.get(ADDRESS, OFF_NAME).reinterpret(64).getString(0);
                            out.add(new Entry(name, InetAddress.getByAddress(raw)));
                        }
                    }
                    p = ifa.get(ADDRESS, OFF_NEXT);
                }
            } finally {
                FREEIFADDRS.invokeExact(first);
            }
            return out;
        } catch (IOException e) {
            throw e;
        } catch (Throwable t) {
            throw Libc.linkageFailure(t);
        }
    }
}
