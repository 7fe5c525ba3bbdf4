package net.palisade.ops;

import java.io.BufferedOutputStream;
import java.io.FileOutputStream;
import java.io.FileDescriptor;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import net.palisade.ops.client.ApiClient;
import net.palisade.ops.client.CliFailure;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code palisade capture LABEL [-w FILE] [-c COUNT] [-s SECONDS]}: the decrypted packets of one tunnel, both
 * directions, as pcap, the way {@code tcpdump -i enc0} showed them on the original gateways.
 */
@Command(name = "capture", sortOptions = false, mixinStandardHelpOptions = true,
        description = {"Capture one tunnel's cleartext traffic (both directions, as the node sees it before"
                + " encryption and after decryption) as pcap: to FILE, or to standard output for"
                + " 'palisade capture LABEL | tcpdump -n -r -'.",
            "Packets into the tunnel show as Out, packets out of it as In."})
final class CaptureCommand extends ClientCommand {
    @Parameters(paramLabel = "LABEL", description = "the tunnel")
    String label;

    @Option(names = "-w", paramLabel = "FILE", description = "write the pcap to FILE (mode 0600) instead of standard output")
    Path file;

    @Option(names = "-c", paramLabel = "COUNT", defaultValue = "1000",
            description = "stop after COUNT packets, 1-1000000 (default: ${DEFAULT-VALUE})")
    long count;

    @Option(names = {"-s", "--seconds"}, paramLabel = "SECONDS", defaultValue = "10",
            description = "stop after SECONDS, 1-3600 (default: ${DEFAULT-VALUE})")
    long seconds;

    @Override
    int run(PrintWriter out, PrintWriter err) {
        String path = "/v1/tunnels/" + ApiClient.segment(label) + "/capture?packets=" + count + "&seconds=" + seconds;
        Duration timeout = Duration.ofSeconds(seconds + 30);
        try (OutputStream sink = open()) {
            long octets = api().download(path, sink, timeout);
            if (file != null) {
                err.printf("palisade: %d octets of pcap written to %s%n", octets, file);
            }
            return 0;
        } catch (IOException e) {
            throw CliFailure.usage("cannot write " + (file == null ? "standard output" : file) + ": " + e.getMessage());
        }
    }

    private OutputStream open() throws IOException {
        if (file == null) {
            // binary: not through the command's PrintWriter
            return new BufferedOutputStream(new FileOutputStream(FileDescriptor.out)) {
                @Override
                public void close() throws IOException {
                    flush(); // standard output stays open
                }
            };
        }
        Files.deleteIfExists(file);
        return Files.newOutputStream(Files.createFile(file, java.nio.file.attribute.PosixFilePermissions
                .asFileAttribute(java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"))),
                StandardOpenOption.WRITE);
    }
}
