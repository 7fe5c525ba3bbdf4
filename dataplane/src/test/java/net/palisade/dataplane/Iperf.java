package net.palisade.dataplane;

import java.io.IOException;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** iperf3 from host-a to host-b across the lab, TCP. */
final class Iperf {
    /**
     * @param bytes octets the server received
     * @param bitsPerSecond the receiver's rate
     * @param retransmits TCP retransmissions the sender saw
     */
    record Result(long bytes, double bitsPerSecond, long retransmits, String raw) {
        double mbps() {
            return bitsPerSecond / 1e6;
        }
    }

    private static final Pattern RECEIVED = Pattern.compile(
            "\"sum_received\"\\s*:\\s*\\{[^}]*?\"bytes\"\\s*:\\s*(\\d+)[^}]*?\"bits_per_second\"\\s*:\\s*([0-9.eE+]+)");
    private static final Pattern RETRANSMITS = Pattern.compile(
            "\"sum_sent\"\\s*:\\s*\\{[^}]*?\"retransmits\"\\s*:\\s*(\\d+)");

    private Iperf() {
    }

    /** Runs {@code iperf3 -s -1} on host-b and a client on host-a for {@code seconds} with {@code streams}. */
    static Result run(Lab lab, String target, int seconds, int streams) throws IOException, InterruptedException {
        int port = 5201;
        Process server = lab.start("hb", "iperf3", "-s", "-1", "-p", String.valueOf(port));
        try {
            Thread reader = new Thread(() -> Lab.readAll(server.getInputStream()), "iperf3-server-output");
            reader.setDaemon(true);
            reader.start(); // drained so that the server never blocks on a full pipe
            // iperf3 buffers its "Server listening" line when writing to a pipe: watch for the socket instead.
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
            while (!lab.exec("hb", 10, "ss", "-Hltn", "sport = :" + port).output().contains(":" + port)) {
                if (!server.isAlive() || System.nanoTime() > deadline) {
                    throw new IOException("iperf3 server on host-b did not start");
                }
            }
            Lab.Result client = lab.exec("ha", seconds + 30, "iperf3", "-c", target, "-p", String.valueOf(port),
                    "-t", String.valueOf(seconds), "-P", String.valueOf(streams), "-J");
            Matcher m = RECEIVED.matcher(client.output());
            if (client.exitCode() != 0 || !m.find()) {
                throw new IOException("iperf3 client failed (exit " + client.exitCode() + "): " + client.output());
            }
            Matcher r = RETRANSMITS.matcher(client.output());
            long retransmits = r.find() ? Long.parseLong(r.group(1)) : -1;
            return new Result(Long.parseLong(m.group(1)), Double.parseDouble(m.group(2)), retransmits,
                    client.output());
        } finally {
            server.destroy();
            if (!server.waitFor(5, TimeUnit.SECONDS)) {
                server.destroyForcibly();
            }
        }
    }
}
