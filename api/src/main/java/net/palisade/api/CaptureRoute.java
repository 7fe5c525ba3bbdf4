package net.palisade.api;

import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import net.palisade.controlplane.ControlPlane;
import net.palisade.dataplane.capture.Captures;
import net.palisade.dataplane.capture.TunnelCapture;
import net.palisade.model.TunnelSpec;
import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.model.HttpEntities;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.MediaTypes;
import org.apache.pekko.http.javadsl.model.headers.RawHeader;
import org.apache.pekko.stream.javadsl.StreamConverters;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code GET /v1/tunnels/LABEL/capture?packets=N&seconds=S}: the cleartext packets of one tunnel, both directions,
 * as a pcap stream ({@code application/vnd.tcpdump.pcap}, chunked) until N packets or S seconds, whichever comes
 * first (defaults 1000 and 10; at most 1,000,000 and 3600). The client's disconnect ends it too. Logged with the
 * caller at start and with its counts at the end.
 */
final class CaptureRoute {
    private static final Logger log = LoggerFactory.getLogger(CaptureRoute.class);
    static final long DEFAULT_PACKETS = 1000;
    static final long MAX_PACKETS = 1_000_000;
    static final long DEFAULT_SECONDS = 10;
    static final long MAX_SECONDS = 3600;
    private static final org.apache.pekko.http.javadsl.model.ContentType PCAP = ContentTypes.create(
            MediaTypes.applicationBinary("vnd.tcpdump.pcap", false, "pcap"));

    /** How long and how much. */
    record Limits(long packets, long seconds) {}

    private CaptureRoute() {
    }

    /** The limits asked for; empty when one is not a number in range. */
    static Optional<Limits> limits(Optional<String> packets, Optional<String> seconds) {
        Optional<Long> p = number(packets, DEFAULT_PACKETS, MAX_PACKETS);
        Optional<Long> s = number(seconds, DEFAULT_SECONDS, MAX_SECONDS);
        return p.isPresent() && s.isPresent() ? Optional.of(new Limits(p.get(), s.get())) : Optional.empty();
    }

    private static Optional<Long> number(Optional<String> text, long dflt, long max) {
        if (text.isEmpty()) {
            return Optional.of(dflt);
        }
        try {
            long v = Long.parseLong(text.get());
            return v >= 1 && v <= max ? Optional.of(v) : Optional.empty();
        } catch (NumberFormatException e) {
            return Optional.empty();
        }
    }

    /** The 400 of limits out of range, naming the parameter. */
    static Problem badLimits(Optional<String> packets, Optional<String> seconds) {
        boolean packetsBad = number(packets, DEFAULT_PACKETS, MAX_PACKETS).isEmpty();
        String field = packetsBad ? "packets" : "seconds";
        String message = packetsBad ? "a whole number of packets, 1-" + MAX_PACKETS
                : "a whole number of seconds, 1-" + MAX_SECONDS;
        return new Problem("about:blank", "Bad request", 400, message,
                List.of(new Problem.FieldError(field, message, null, null)));
    }

    /** Starts the capture of {@code label}'s networks as configured in the running revision. */
    static CompletionStage<HttpResponse> start(ControlPlane node, Optional<Captures> captures, String label,
            String caller, Limits limits) {
        return node.running().thenApply(r -> {
            TunnelSpec t = r.config().tunnels().stream().filter(x -> x.label().equals(label)).findFirst()
                    .orElseThrow(() -> new ApiServer.NotFound("no tunnel labelled '" + label + "'"));
            Captures c = captures.orElseThrow(() -> new NoDataplane());
            TunnelCapture capture;
            try {
                capture = c.open(t.from(), t.to(), limits.packets(), Duration.ofSeconds(limits.seconds()));
            } catch (IOException e) {
                throw new CompletionException(e);
            }
            log.info("capture of tunnel {} started by {}: up to {} packets in {} s", label, caller, limits.packets(),
                    limits.seconds());
            var source = StreamConverters.fromInputStream(() -> capture, 64 * 1024)
                    .watchTermination((mat, done) -> {
                        done.whenComplete((d, e) -> {
                            capture.close();
                            TunnelCapture.Summary s = capture.summary();
                            log.info("capture of tunnel {} by {} ended: {} packets, {} of other tunnels skipped, {}"
                                    + " dropped by the kernel", label, caller, s.packets(), s.skipped(),
                                    s.kernelDrops());
                        });
                        return mat;
                    });
            return HttpResponse.create().withStatus(200).withEntity(HttpEntities.createChunked(PCAP, source))
                    .addHeader(RawHeader.create("Content-Disposition", "attachment; filename=\"" + label + ".pcap\""));
        });
    }

    /** A node without a dataplane has no cleartext to capture. */
    static final class NoDataplane extends RuntimeException {
        private static final long serialVersionUID = 1L;

        NoDataplane() {
            super("this node runs without a dataplane (--dataplane off, or not root): nothing to capture");
        }
    }

    /** The problem of a capture that could not start; empty for other failures. */
    static Optional<Problem> problem(Throwable t) {
        Throwable c = t;
        while (c instanceof CompletionException && c.getCause() != null) {
            c = c.getCause();
        }
        return switch (c) {
            case NoDataplane n -> Optional.of(Problem.of(409, "Conflict", n.getMessage()));
            case Captures.BusyException b -> Optional.of(Problem.of(429, "Too many requests", b.getMessage()));
            case IOException e -> Optional.of(Problem.of(503, "Unavailable", "cannot capture: " + e.getMessage()));
            default -> Optional.empty();
        };
    }
}
