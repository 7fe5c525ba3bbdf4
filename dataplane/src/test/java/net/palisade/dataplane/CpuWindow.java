package net.palisade.dataplane;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

/**
 * The measuring window of one {@link KernelCeiling} mode: packets received between its start and end, and where the
 * CPU time went meanwhile — the sending and receiving CPUs from {@code /proc/stat} (busy = user, system, irq and
 * softirq; on this kernel softirq time is only what the tick sees, CONFIG_IRQ_TIME_ACCOUNTING is off) and the two
 * threads' own CPU time (user and system, the kernel work they do inside their system calls included). Both marks
 * are taken by the sending thread.
 */
final class CpuWindow {
    private final int sendCpu;
    private final int receiveCpu;
    private final Thread receiver;
    private final ThreadMXBean threads = ManagementFactory.getThreadMXBean();
    private Mark start;
    private Mark end;

    /** One end of the window: time, packets received, /proc/stat per CPU, both threads' CPU time (ns). */
    private record Mark(long nanos, long received, long[][] stat, long tx, long rx) {
    }

    CpuWindow(int sendCpu, int receiveCpu, Thread receiver) {
        this.sendCpu = sendCpu;
        this.receiveCpu = receiveCpu;
        this.receiver = receiver;
    }

    void start(long nanos, long received) {
        start = mark(nanos, received);
    }

    void end(long nanos, long received) {
        end = mark(nanos, received);
    }

    private Mark mark(long nanos, long received) {
        return new Mark(nanos, received, stat(), threads.getCurrentThreadCpuTime(),
                threads.getThreadCpuTime(receiver.threadId()));
    }

    long received() {
        return end.received() - start.received();
    }

    double seconds() {
        return (end.nanos() - start.nanos()) / 1e9;
    }

    /** "send_cpu=98%(si 41%) recv_cpu=... tx_thread=...% rx_thread=...%". */
    String cpu() {
        double wall = end.nanos() - start.nanos();
        return String.format(Locale.ROOT, "send_cpu=%s recv_cpu=%s tx_thread=%.0f%% rx_thread=%.0f%%",
                busy(sendCpu), busy(receiveCpu), 100.0 * (end.tx() - start.tx()) / wall, 100.0 * (end.rx() - start.rx()) / wall);
    }

    private String busy(int cpu) {
        long[][] startStat = start.stat();
        long[][] endStat = end.stat();
        if (startStat == null || endStat == null || cpu >= startStat.length) {
            return "?";
        }
        long[] d = new long[8];
        for (int i = 0; i < 8; i++) {
            d[i] = endStat[cpu][i] - startStat[cpu][i];
        }
        long total = 0;
        for (long v : d) {
            total += v;
        }
        if (total == 0) {
            return "?";
        }
        long busy = d[0] + d[1] + d[2] + d[5] + d[6];
        return String.format(Locale.ROOT, "%.0f%%(si %.0f%%,steal %.0f%%)", 100.0 * busy / total, 100.0 * d[6] / total,
                100.0 * d[7] / total);
    }

    /** Per CPU: user nice system idle iowait irq softirq steal (USER_HZ ticks). */
    private static long[][] stat() {
        try {
            List<String> lines = Files.readAllLines(Path.of("/proc/stat"));
            long[][] out = new long[lines.size()][];
            int n = 0;
            for (String l : lines) {
                if (l.startsWith("cpu") && Character.isDigit(l.charAt(3))) {
                    String[] f = l.trim().split("\\s+");
                    int cpu = Integer.parseInt(f[0].substring(3));
                    long[] v = new long[8];
                    for (int i = 0; i < 8; i++) {
                        v[i] = Long.parseLong(f[i + 1]);
                    }
                    out[cpu] = v;
                    n = Math.max(n, cpu + 1);
                }
            }
            return java.util.Arrays.copyOf(out, n);
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }
}
