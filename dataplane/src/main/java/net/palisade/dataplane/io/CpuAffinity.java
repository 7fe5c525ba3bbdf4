package net.palisade.dataplane.io;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.BitSet;

import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * Pins the calling thread to one CPU with sched_setaffinity(0, ...) — pid 0 is the calling thread, so this works
 * from inside a Java platform thread (not a virtual thread: it would pin its carrier). Failure is not fatal: the
 * worker runs unpinned and the reason is logged once per call.
 */
public final class CpuAffinity {
    private static final System.Logger LOG = System.getLogger(CpuAffinity.class.getName());
    /** sizeof(cpu_set_t) in glibc: 1024 bits. */
    private static final int CPU_SET_BYTES = 128;
    private static final int MAX_CPUS = CPU_SET_BYTES * 8;

    private CpuAffinity() {}

    /** CPUs currently online (glibc get_nprocs(), which reads /sys/devices/system/cpu/online). */
    public static int onlineCpus() {
        try {
            return (int) Libc.GET_NPROCS.invokeExact();
        } catch (Throwable t) {
            throw Libc.linkageFailure(t);
        }
    }

    /**
     * Restricts the calling thread to {@code cpu}.
     *
     * @return true if pinned; false (with a logged reason) if the CPU does not exist, is not allowed by the
     *         process's cpuset, or the call failed
     */
    public static boolean pinCurrentThread(int cpu) {
        if (cpu < 0 || cpu >= MAX_CPUS) {
            LOG.log(System.Logger.Level.WARNING, "not pinning " + Thread.currentThread().getName()
                    + ": CPU " + cpu + " is outside 0.." + (MAX_CPUS - 1));
            return false;
        }
        if (Thread.currentThread().isVirtual()) {
            LOG.log(System.Logger.Level.WARNING, "not pinning virtual thread " + Thread.currentThread()
                    + ": affinity would apply to its carrier thread");
            return false;
        }
        try (Arena a = Arena.ofConfined()) {
            MemorySegment state = Libc.newCallState(a);
            MemorySegment set = a.allocate(CPU_SET_BYTES, 8);
            set.set(JAVA_LONG, (cpu / 64) * 8L, 1L << (cpu % 64));
            // int sched_setaffinity(pid_t pid, size_t cpusetsize, const cpu_set_t *mask)
            int rc = (int) Libc.SCHED_SETAFFINITY.invokeExact(state, 0, (long) CPU_SET_BYTES, set);
            if (rc != 0) {
                ErrnoException e = Libc.error("sched_setaffinity(CPU " + cpu + ")", state);
                LOG.log(System.Logger.Level.WARNING, "not pinning " + Thread.currentThread().getName() + " ("
                        + onlineCpus() + " CPUs online): " + e.getMessage());
                return false;
            }
            LOG.log(System.Logger.Level.DEBUG, "pinned " + Thread.currentThread().getName() + " to CPU " + cpu);
            return true;
        } catch (Throwable t) {
            throw Libc.linkageFailure(t);
        }
    }

    /** The calling thread's allowed CPUs (sched_getaffinity(0, ...)); empty if the call fails. */
    public static BitSet currentThreadAffinity() {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment state = Libc.newCallState(a);
            MemorySegment set = a.allocate(CPU_SET_BYTES, 8);
            // int sched_getaffinity(pid_t pid, size_t cpusetsize, cpu_set_t *mask)
            int rc = (int) Libc.SCHED_GETAFFINITY.invokeExact(state, 0, (long) CPU_SET_BYTES, set);
            if (rc != 0) {
                LOG.log(System.Logger.Level.WARNING, Libc.error("sched_getaffinity", state).getMessage());
                return new BitSet();
            }
            return BitSet.valueOf(set.toArray(JAVA_LONG));
        } catch (Throwable t) {
            throw Libc.linkageFailure(t);
        }
    }

    /** The CPU the calling thread runs on right now (sched_getcpu()), or -1. */
    public static int currentCpu() {
        try (Arena a = Arena.ofConfined()) {
            // int sched_getcpu(void)
            return (int) Libc.SCHED_GETCPU.invokeExact(Libc.newCallState(a));
        } catch (Throwable t) {
            throw Libc.linkageFailure(t);
        }
    }
}
