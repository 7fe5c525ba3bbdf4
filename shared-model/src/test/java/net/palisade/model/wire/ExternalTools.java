package net.palisade.model.wire;

import static org.assertj.core.api.Assertions.fail;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;

/**
 * Running the independent tools (TShark, Debian's scapy) from tests. A machine without them fails with instructions;
 * {@code -Dpalisade.skipExternal=true} skips such tests instead.
 */
public final class ExternalTools {
    private ExternalTools() {}

    /**
     * What a tool printed.
     *
     * @param exitCode its exit status
     * @param stdout   standard output
     * @param stderr   standard error
     */
    public record Result(int exitCode, String stdout, String stderr) {}

    /** Skips the calling test class when {@code -Dpalisade.skipExternal=true}. */
    public static void skipIfAsked(String what) {
        Assumptions.assumeFalse(Boolean.getBoolean("palisade.skipExternal"),
                "palisade.skipExternal=true: " + what + " skipped");
    }

    /** The executable {@code name} from the system property {@code property}, else from PATH; fails if absent. */
    public static Path require(String property, String name, String howToFix) {
        String configured = System.getProperty(property);
        if (configured != null) {
            Path p = Path.of(configured);
            if (!Files.isExecutable(p)) {
                fail(property + "=" + configured + " is not executable. " + howToFix);
            }
            return p;
        }
        for (String dir : System.getenv().getOrDefault("PATH", "").split(java.io.File.pathSeparator)) {
            Path p = Path.of(dir, name);
            if (Files.isExecutable(p)) {
                return p;
            }
        }
        fail(name + " is not on PATH. " + howToFix);
        throw new AssertionError("unreachable");
    }

    /** Runs {@code command} with {@code stdin}; fails the test after 120 s. */
    public static Result run(List<String> command, String stdin) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(command).start();
        CompletableFuture<String> out = CompletableFuture.supplyAsync(() -> read(p.getInputStream()));
        CompletableFuture<String> err = CompletableFuture.supplyAsync(() -> read(p.getErrorStream()));
        try (OutputStream os = p.getOutputStream()) {
            os.write(stdin.getBytes(StandardCharsets.UTF_8));
        }
        if (!p.waitFor(120, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            fail(command + " did not finish in 120 s");
        }
        return new Result(p.exitValue(), out.join(), err.join());
    }

    /** A pcap (LINKTYPE_RAW) of IPv4/UDP 500 -> 500 datagrams carrying {@code payloads}, for TShark. */
    public static byte[] pcap(java.util.List<byte[]> payloads) {
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        java.nio.ByteBuffer global = java.nio.ByteBuffer.allocate(24);
        global.putInt(0xa1b2c3d4).putShort((short) 2).putShort((short) 4).putInt(0).putInt(0).putInt(65535)
                .putInt(101);
        out.writeBytes(global.array());
        int second = 1_700_000_000;
        for (byte[] p : payloads) {
            int ipLength = 20 + 8 + p.length;
            java.nio.ByteBuffer pkt = java.nio.ByteBuffer.allocate(ipLength);
            pkt.put((byte) 0x45).put((byte) 0).putShort((short) ipLength).putShort((short) 0).putShort((short) 0)
                    .put((byte) 64).put((byte) 17).putShort((short) 0)
                    .put(new byte[] {(byte) 192, 0, 2, 1}).put(new byte[] {(byte) 192, 0, 2, 2});
            pkt.putShort((short) 500).putShort((short) 500).putShort((short) (8 + p.length)).putShort((short) 0).put(p);
            java.nio.ByteBuffer rec = java.nio.ByteBuffer.allocate(16);
            rec.putInt(second++).putInt(0).putInt(ipLength).putInt(ipLength);
            out.writeBytes(rec.array());
            out.writeBytes(pkt.array());
        }
        return out.toByteArray();
    }

    private static String read(java.io.InputStream in) {
        try {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
