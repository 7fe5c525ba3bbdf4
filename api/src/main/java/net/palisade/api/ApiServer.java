package net.palisade.api;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.function.Function;
import java.util.function.Supplier;
import java.util.regex.Pattern;
import net.palisade.controlplane.ControlPlane;
import net.palisade.controlplane.JournalEvent;
import net.palisade.controlplane.RejectedException;
import net.palisade.controlplane.config.RevisionInfo;
import net.palisade.controlplane.journal.EventQueries;
import net.palisade.controlplane.tunnel.TunnelView;
import net.palisade.dataplane.DataplaneCounters;
import net.palisade.model.IpsecConfig;
import net.palisade.model.TunnelSpec;
import net.palisade.model.config.ConfigJson;
import net.palisade.model.config.ConfigResult;
import net.palisade.model.config.Diagnostic;
import net.palisade.model.event.TunnelEvent;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.http.javadsl.Http;
import org.apache.pekko.http.javadsl.ServerBinding;
import org.apache.pekko.http.javadsl.marshalling.sse.EventStreamMarshalling;
import org.apache.pekko.http.javadsl.model.ContentType;
import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.model.HttpEntities;
import org.apache.pekko.stream.javadsl.Source;
import org.apache.pekko.util.ByteString;
import org.apache.pekko.NotUsed;
import org.apache.pekko.http.javadsl.model.HttpCharsets;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.MediaTypes;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.model.headers.RawHeader;
import org.apache.pekko.http.javadsl.model.sse.ServerSentEvent;
import org.apache.pekko.http.javadsl.server.AllDirectives;
import org.apache.pekko.http.javadsl.server.PathMatchers;
import org.apache.pekko.http.javadsl.server.Route;
import org.apache.pekko.http.javadsl.unmarshalling.Unmarshaller;

/**
 * The HTTP/JSON API of one node (see {@code docs/api.md}). Everything under {@code /v1} needs the bearer token.
 * Errors are RFC 9457 problem+json; a refused request changes nothing. Domain objects are converted to JSON here
 * and never carry a secret out: the mapper writes every secret as {@code "[redacted]"}.
 */
public final class ApiServer extends AllDirectives {
    static final ContentType.WithFixedCharset PROBLEM_JSON =
            ContentTypes.create(MediaTypes.applicationWithFixedCharset("problem+json", HttpCharsets.UTF_8));
    private static final Pattern CALLER = Pattern.compile("[\\x21-\\x7e]{1,64}");
    private static final long MAX_CONFIRM_SECONDS = 86_400;

    private final TokenFile token;
    /** How old the metrics page may be: well under a Prometheus scrape interval, and one fan-out per second at most. */
    static final Duration METRICS_MAX_AGE = Duration.ofSeconds(1);
    private final Snapshot<String> metricsSnapshot;
    private boolean metricsPublic;
    private final ControlPlane node;
    private final Supplier<Optional<DataplaneCounters>> counters;
    private final Supplier<Boolean> ready;
    private volatile Supplier<Map<String, Long>> ikeCounters = Map::of;
    /** IKE SAs half-open now; empty on a node without IKE. */
    private volatile Optional<java.util.function.IntSupplier> ikeHalfOpen = Optional.empty();
    /** The recent IKE messages of each tunnel; empty on a node without IKE. */
    private volatile Optional<net.palisade.controlplane.ike.log.IkeMessageLog> ikeLog = Optional.empty();
    /** Cleartext captures of the node's tunnels; empty on a node without a dataplane. */
    private volatile Optional<net.palisade.dataplane.capture.Captures> captures = Optional.empty();
    private Optional<ApiTls> tls = Optional.empty();
    private final ApiJson render = new ApiJson();
    private final ObjectMapper json = render.mapper();
    private final StatusPage page = new StatusPage();

    /**
     * @param counters the dataplane's counters, empty on a node without a dataplane
     * @param ready whether {@code /readyz} answers ready
     */
    public ApiServer(TokenFile token, ControlPlane node, Supplier<Optional<DataplaneCounters>> counters,
            Supplier<Boolean> ready) {
        this.token = token;
        this.node = node;
        this.counters = counters;
        this.ready = ready;
        this.metricsSnapshot = new Snapshot<>(() -> node.tunnels().thenApply(list -> Metrics.render(list, counters.get(),
                Optional.of(pair())) + Metrics.renderIke(ikeCounters.get())
                + ikeHalfOpen.map(h -> Metrics.renderHalfOpen(h.getAsInt())).orElse("")
                + Metrics.renderCaptures(captures.map(c -> c.counters()).orElse(Map.of()))), METRICS_MAX_AGE,
                Clock.systemUTC());
    }

    /**
     * Adds the IKE counters ({@code ikev2.dispatch.*} drops by cause, {@code ikev2.cookie.*}) to {@code /metrics}:
     * what an operator reads to see a flood, or the admission limits at work.
     */
    public ApiServer ikeCounters(Supplier<Map<String, Long>> source) {
        this.ikeCounters = java.util.Objects.requireNonNull(source, "source");
        return this;
    }

    /** Adds {@code palisade_ike_half_open} to {@code /metrics}: IKE SAs started by peers and not yet authenticated. */
    public ApiServer ikeHalfOpen(java.util.function.IntSupplier count) {
        this.ikeHalfOpen = Optional.of(count);
        return this;
    }

    /** Serves {@code GET /v1/tunnels/LABEL/ike-log} from {@code log}. */
    public ApiServer ikeLog(net.palisade.controlplane.ike.log.IkeMessageLog log) {
        this.ikeLog = Optional.of(log);
        return this;
    }

    /** Serves {@code GET /v1/tunnels/LABEL/capture} with {@code c} ({@link CaptureRoute}). */
    public ApiServer captures(net.palisade.dataplane.capture.Captures c) {
        this.captures = Optional.of(c);
        return this;
    }

    /**
     * Serves {@code /metrics} without the token ({@code palisade run --metrics-public}), for a scraper that cannot
     * send one. Off by default: the page names every tunnel and its traffic.
     */
    public ApiServer metricsPublic(boolean open) {
        this.metricsPublic = open;
        return this;
    }

    /** Serves HTTPS with {@code tls} instead of plain HTTP. */
    public ApiServer tls(ApiTls tls) {
        this.tls = Optional.of(tls);
        return this;
    }

    /** Binds the API to {@code host:port}: HTTPS when {@link #tls} was given, else plain HTTP. */
    public CompletionStage<ServerBinding> bind(ActorSystem<?> system, String host, int port) {
        var at = Http.get(system).newServerAt(host, port);
        if (tls.isPresent()) {
            ApiTls t = tls.get();
            at = at.enableHttps(org.apache.pekko.http.javadsl.ConnectionContext.httpsServer(t::serverEngine));
        }
        return at.bind(route());
    }

    Route route() {
        return handleRejections(Rejections.handler(this::problemResponse), () -> concat(
                page.route(),
                path("healthz", () -> get(() -> jsonRoute(200, Map.of("status", "ok")))),
                path("readyz", () -> get(() -> ready.get()
                        ? jsonRoute(200, Map.of("status", "ready"))
                        : complete(problemResponse(Problem.of(503, "Not ready", "the node is still starting"))))),
                path("metrics", () -> get(() -> metricsPublic ? async(metrics())
                        : authenticated(caller -> async(metrics())))),
                pathPrefix("v1", () -> authenticated(caller -> concat(tunnelRoutes(caller), eventRoutes(), configRoutes(caller), clusterRoutes())))));
    }

    // ---- tunnels --------------------------------------------------------------------------------------------

    private Route tunnelRoutes(String caller) {
        return pathPrefix("tunnels", () -> concat(
                pathEnd(() -> get(() -> async(node.tunnels().thenApply(list -> json(200, list.stream().map(this::tunnelJson).toList()))))),
                pathPrefix(PathMatchers.segment(), label -> concat(
                        pathEnd(() -> concat(
                                get(() -> async(configuredTunnel(label).thenApply(v -> json(200, tunnelJson(v))))),
                                put(() -> commitParams((message, confirm) -> entity(Unmarshaller.entityToString(),
                                        body -> async(putTunnel(label, body, caller, message, confirm))))),
                                delete(() -> commitParams((message, confirm) ->
                                        async(deleteTunnel(label, caller, message, confirm)))))),
                        path("up", () -> post(() -> async(configuredTunnel(label)
                                .thenCompose(v -> node.adminUp(label, caller)).thenApply(v -> json(200, tunnelJson(v)))))),
                        path("down", () -> post(() -> async(configuredTunnel(label)
                                .thenCompose(v -> node.adminDown(label, caller)).thenApply(v -> json(200, tunnelJson(v)))))),
                        path("reset", () -> post(() -> async(configuredTunnel(label)
                                .thenCompose(v -> node.reset(label, caller)).thenApply(v -> json(200, tunnelJson(v)))))),
                        path("ike-log", () -> get(() -> async(configuredTunnel(label).thenApply(v -> ikeLog
                                .map(l -> json(200, l.of(label).stream().map(ApiServer::ikeLogJson).toList()))
                                .orElseGet(() -> problemResponse(Problem.of(409, "Conflict",
                                        "this node runs without IKE: no IKE messages to show"))))))),
                        path("capture", () -> get(() -> parameterOptional("packets", packets ->
                                parameterOptional("seconds", seconds -> CaptureRoute.limits(packets, seconds).map(
                                        l -> async(CaptureRoute.start(node, captures, label, caller, l)
                                                .exceptionally(t -> CaptureRoute.problem(t).map(this::problemResponse)
                                                        .orElseGet(() -> failure(t)))))
                                        .orElseGet(() -> complete(problemResponse(CaptureRoute.badLimits(packets,
                                                seconds)))))))),
                        pathPrefix("events", () -> concat(
                                pathEnd(() -> get(() -> eventFilters(Optional.of(label), this::eventsRoute))),
                                path("count", () -> get(() -> eventFilters(Optional.of(label), this::countRoute))))),
                        path("state", () -> get(() -> parameterOptional("at", at -> {
                            if (at.isEmpty()) {
                                return complete(problemResponse(fieldProblem(400, "Bad request", "at", "give ?at=ISO-8601 instant")));
                            }
                            return instant("at", at).map(t -> async(node.stateAt(label, t).thenApply(v -> json(200, tunnelJson(v)))))
                                    .orElseGet(() -> complete(problemResponse(fieldProblem(400, "Bad request", "at",
                                            "not an ISO-8601 instant (e.g. 2026-11-27T03:12:00Z): '" + at.get() + "'"))));
                        })))
                ))));
    }

    private static Map<String, Object> ikeLogJson(net.palisade.controlplane.ike.log.IkeMessageLog.Entry e) {
        return Map.of("time", e.time().toString(), "direction", e.sent() ? "sent" : "received", "peer", e.peer(),
                "message", e.summary().line(), "details", e.summary().details());
    }

    private CompletionStage<TunnelView> configuredTunnel(String label) {
        return node.tunnel(label).thenApply(v -> {
            if (!v.configured()) {
                throw new NotFound("no tunnel labelled '" + label + "'");
            }
            return v;
        });
    }

    private CompletionStage<HttpResponse> putTunnel(String label, String body, String caller, Optional<String> message,
            Optional<Duration> confirm) {
        ConfigResult parsed = ConfigJson.readTunnel(body, "api");
        if (!parsed.ok()) {
            return CompletableFuture.completedFuture(invalid(parsed.errors()));
        }
        TunnelSpec spec = parsed.orThrow().tunnels().get(0);
        if (!spec.label().equals(label) && !spec.label().startsWith("auto-")) {
            return CompletableFuture.completedFuture(problemResponse(fieldProblem(422, "Invalid tunnel", "label",
                    "the body's label '" + spec.label() + "' differs from the path's '" + label + "'")));
        }
        TunnelSpec labelled = relabel(spec, label);
        return node.running().thenCompose(r -> {
            List<TunnelSpec> tunnels = new ArrayList<>(r.config().tunnels());
            int idx = indexOf(tunnels, label);
            if (idx >= 0) {
                tunnels.set(idx, labelled);
            } else {
                tunnels.add(labelled);
            }
            return node.commit(new IpsecConfig(tunnels), caller,
                    message.orElse((idx >= 0 ? "replace tunnel " : "add tunnel ") + label), confirm);
        }).thenCompose(c -> node.tunnel(label).thenApply(v -> json(200, Map.of("commit", c.revision(), "tunnel", tunnelJson(v)))));
    }

    private CompletionStage<HttpResponse> deleteTunnel(String label, String caller, Optional<String> message,
            Optional<Duration> confirm) {
        return node.running().thenCompose(r -> {
            List<TunnelSpec> tunnels = new ArrayList<>(r.config().tunnels());
            int idx = indexOf(tunnels, label);
            if (idx < 0) {
                throw new NotFound("no tunnel labelled '" + label + "'");
            }
            tunnels.remove(idx);
            return node.commit(new IpsecConfig(tunnels), caller, message.orElse("delete tunnel " + label), confirm);
        }).thenApply(c -> json(200, Map.of("commit", c.revision())));
    }

    private static int indexOf(List<TunnelSpec> tunnels, String label) {
        for (int i = 0; i < tunnels.size(); i++) {
            if (tunnels.get(i).label().equals(label)) {
                return i;
            }
        }
        return -1;
    }

    /** The spec with the path's label (a body without a label parses with a generated one). */
    private TunnelSpec relabel(TunnelSpec spec, String label) {
        if (spec.label().equals(label)) {
            return spec;
        }
        // rebuilt from the record: its JSON form would hold "[redacted]" for the secrets
        return switch (spec) {
            case net.palisade.model.IkeTunnel t -> new net.palisade.model.IkeTunnel(label, t.mode(), t.exchange(), t.from(),
                    t.to(), t.local(), t.peers(), t.ikeSa(), t.childSa(), t.srcId(), t.dstId(), t.authentication(), t.dpd(),
                    t.ping(), t.encap(), t.saPerFlow());
            case net.palisade.model.ManualTunnel m -> new net.palisade.model.ManualTunnel(label, m.from(), m.to(), m.local(),
                    m.peer(), m.spi(), m.enc(), m.encKey(), m.auth(), m.authKey(), m.udpEncapPort());
        };
    }

    private ObjectNode tunnelJson(TunnelView v) {
        return render.view(v, counters.get().flatMap(c -> c.tunnel(v.label())));
    }

    // ---- events ---------------------------------------------------------------------------------------------

    private Route eventRoutes() {
        return pathPrefix("events", () -> concat(
                pathEnd(() -> get(() -> eventFilters(Optional.empty(), this::eventsRoute))),
                path("count", () -> get(() -> eventFilters(Optional.empty(), this::countRoute))),
                path("stream", () -> get(() -> optionalHeaderValueByName("Last-Event-ID", last -> {
                    OptionalLong after;
                    try {
                        after = last.isPresent() ? OptionalLong.of(Long.parseLong(last.get().strip())) : OptionalLong.empty();
                    } catch (NumberFormatException e) {
                        return complete(problemResponse(fieldProblem(400, "Bad request", "Last-Event-ID", "not an event offset")));
                    }
                    // a client that falls behind is cut off (LiveEvents): its last event says so and how to resume
                    var source = node.liveEvents(after)
                            .map(e -> ServerSentEvent.create(compact(eventJson(e)), e.event().type(), Long.toString(e.offset())))
                            .recover(new org.apache.pekko.japi.pf.PFBuilder<Throwable, ServerSentEvent>()
                                    .match(net.palisade.controlplane.journal.LiveEvents.CutOff.class,
                                            c -> ServerSentEvent.create(compact(Map.of("message", c.getMessage())), CUT_OFF))
                                    .build())
                            .keepAlive(Duration.ofSeconds(15), ServerSentEvent::heartbeat);
                    return completeOK(source, EventStreamMarshalling.toEventStream());
                })))));
    }

    // ---- the pair -------------------------------------------------------------------------------------------

    private Metrics.Pair pair() {
        var v = node.cluster();
        return new Metrics.Pair(!"standby".equals(v.role()), v.leaseEpoch(), node.fencedReports());
    }

    private Route clusterRoutes() {
        return pathPrefix("cluster", () -> concat(
                pathEnd(() -> get(() -> jsonRoute(200, ClusterJson.view(node.cluster())))),
                path("events", () -> get(() -> parameterOptional("since", since -> {
                    Optional<Instant> s = since.isPresent() ? instant("since", since) : Optional.empty();
                    if (since.isPresent() && s.isEmpty()) {
                        return complete(problemResponse(fieldProblem(400, "Bad request", "since",
                                "not an ISO-8601 instant (e.g. 2026-11-27T03:12:00Z)")));
                    }
                    return async(node.clusterEvents(s).thenApply(l -> json(200, ClusterJson.events(l))));
                })))));
    }

    /**
     * {@code since}, {@code until}, {@code type}, and paging: {@code after} (an offset: only later events) and
     * {@code limit} (at most that many, 1 to {@value #MAX_EVENTS}; unbounded when absent).
     */
    private Route eventFilters(Optional<String> label, Function<EventQueries.Query, Route> inner) {
        return parameterOptional("since", since -> parameterOptional("until", until -> parameterOptional("type", type ->
                parameterOptional("after", after -> parameterOptional("limit", limit -> {
            Optional<Instant> s = since.isPresent() ? instant("since", since) : Optional.empty();
            Optional<Instant> u = until.isPresent() ? instant("until", until) : Optional.empty();
            if (since.isPresent() && s.isEmpty() || until.isPresent() && u.isEmpty()) {
                String field = since.isPresent() && s.isEmpty() ? "since" : "until";
                return complete(problemResponse(fieldProblem(400, "Bad request", field,
                        "not an ISO-8601 instant (e.g. 2026-11-27T03:12:00Z)")));
            }
            if (type.isPresent() && !TunnelEvent.TYPES.contains(type.get())) {
                return complete(problemResponse(fieldProblem(400, "Bad request", "type",
                        "unknown event type '" + type.get() + "'; one of " + String.join(", ", TunnelEvent.TYPES))));
            }
            OptionalLong a = OptionalLong.empty();
            int n = Integer.MAX_VALUE;
            try {
                if (after.isPresent()) {
                    a = OptionalLong.of(Long.parseLong(after.get().strip()));
                    if (a.getAsLong() < 0) {
                        throw new NumberFormatException();
                    }
                }
            } catch (NumberFormatException e) {
                return complete(problemResponse(fieldProblem(400, "Bad request", "after",
                        "an event offset (a whole number, 0 or more), found '" + after.get() + "'")));
            }
            try {
                if (limit.isPresent()) {
                    n = Integer.parseInt(limit.get().strip());
                    if (n < 1 || n > MAX_EVENTS) {
                        throw new NumberFormatException();
                    }
                }
            } catch (NumberFormatException e) {
                return complete(problemResponse(fieldProblem(400, "Bad request", "limit",
                        "a whole number from 1 to " + MAX_EVENTS + ", found '" + limit.get() + "'")));
            }
            return inner.apply(new EventQueries.Query(label, s, u, type, a, n));
        })))));
    }

    /** The type of the last event of a stream whose client fell behind: data {@code {"message": ...}}. */
    static final String CUT_OFF = "cut-off";

    /** The largest page of events one request may ask for. */
    static final int MAX_EVENTS = 100_000;

    private static Optional<Instant> instant(String field, Optional<String> text) {
        try {
            return Optional.of(Instant.parse(text.orElseThrow().strip()));
        } catch (DateTimeParseException e) {
            return Optional.empty();
        }
    }

    /** The key of the events read per query while an answer without {@code limit} is streamed (default 2,000). */
    static final String STREAM_PAGE_KEY = "palisade.api.events-page";

    private int streamPage() {
        var c = node.system().settings().config();
        return c.hasPath(STREAM_PAGE_KEY) ? Math.max(1, c.getInt(STREAM_PAGE_KEY)) : 2_000;
    }

    /**
     * A page ({@code limit} given) is read and answered whole. Without {@code limit} the answer is every matching
     * event, however many: it is streamed as one JSON array, read from the journal a page ({@value #STREAM_PAGE_KEY}) at a
     * time after the last one sent, so neither the node's memory nor the client's first byte waits for the whole
     * history (a 350,000-event journal failed the answer built in memory). The first page is read before the status
     * is sent: a failing journal still gets a problem response; one failing later cuts the stream short.
     */
    private Route eventsRoute(EventQueries.Query q) {
        if (q.limit() != Integer.MAX_VALUE) {
            return async(node.events(q).thenApply(this::eventsPage));
        }
        int n = streamPage();
        return async(node.events(page(q, q.after(), n)).thenApply(first -> {
            if (first.size() < n) {
                return eventsPage(first);
            }
            Source<ByteString, NotUsed> rest = Source.unfoldAsync(OptionalLong.of(first.getLast().offset()),
                    after -> after.isEmpty() ? CompletableFuture.completedFuture(Optional.empty())
                            : node.events(page(q, after, n)).thenApply(list -> list.isEmpty() ? Optional.empty()
                                    : Optional.of(org.apache.pekko.japi.Pair.create(list.size() < n
                                            ? OptionalLong.empty() : OptionalLong.of(list.getLast().offset()), list))))
                    .map(list -> ByteString.fromArrayUnsafe(render.events(list, false, true)));
            Source<ByteString, NotUsed> body = Source.single(ByteString.fromString("[")
                            .concat(ByteString.fromArrayUnsafe(render.events(first, false, false))))
                    .concat(rest).concat(Source.single(ByteString.fromString("]")));
            return HttpResponse.create().withStatus(200)
                    .withEntity(HttpEntities.createChunked(ContentTypes.APPLICATION_JSON, body));
        }));
    }

    /**
     * {@code {"count": N, "lastOffset": X}}: how many events the filters select and the offset of the last (null when
     * none), counted on the journal's indexes, not read; a count takes no {@code limit}.
     */
    private Route countRoute(EventQueries.Query q) {
        if (q.limit() != Integer.MAX_VALUE) {
            return complete(problemResponse(fieldProblem(400, "Bad request", "limit", "a count takes no limit")));
        }
        return async(node.countEvents(q).thenApply(n -> {
            Map<String, Object> body = new java.util.LinkedHashMap<>();
            body.put("count", n.count());
            body.put("lastOffset", n.lastOffset().isPresent() ? n.lastOffset().getAsLong() : null);
            return json(200, body);
        }));
    }

    private static EventQueries.Query page(EventQueries.Query q, OptionalLong after, int n) {
        return new EventQueries.Query(q.label(), q.since(), q.until(), q.type(), after, n);
    }

    /** A page of events: a JSON array, written straight from the events ({@link ApiJson#events}). */
    private HttpResponse eventsPage(List<JournalEvent> events) {
        return HttpResponse.create().withStatus(200).withEntity(ContentTypes.APPLICATION_JSON,
                render.events(events, true, false));
    }

    private ObjectNode eventJson(JournalEvent e) {
        return render.event(e);
    }

    // ---- configuration --------------------------------------------------------------------------------------

    private Route configRoutes(String caller) {
        return pathPrefix("config", () -> concat(
                pathEnd(() -> get(() -> async(node.running().thenApply(r -> HttpResponse.create().withStatus(200)
                        .addHeader(RawHeader.create("X-Palisade-Revision", r.revision().map(RevisionInfo::id).orElse("none")))
                        .withEntity(ContentTypes.TEXT_PLAIN_UTF8, r.text()))))),
                pathPrefix("commits", () -> concat(
                        pathEnd(() -> concat(
                                get(() -> async(node.listCommits().thenApply(list -> json(200, list)))),
                                post(() -> extractRequest(req -> commitParams((message, confirm) -> entity(Unmarshaller.entityToString(),
                                        body -> async(postCommit(req.entity().getContentType(), body, caller, message, confirm)))))))),
                        path(PathMatchers.segment().slash("confirm"), id -> post(() -> async(node.confirm(id, caller)
                                .thenApply(r -> json(200, r))))))),
                path("edits", () -> post(() -> entity(Unmarshaller.entityToString(), body -> async(postEdits(body, caller))))),
                path("rollback", () -> post(() -> entity(Unmarshaller.entityToString(), body -> {
                    Optional<String> to;
                    try {
                        JsonNode tree = body.isBlank() ? json.createObjectNode() : json.readTree(body);
                        to = tree.hasNonNull("to") ? Optional.of(tree.get("to").asText()) : Optional.empty();
                    } catch (JsonProcessingException e) {
                        return complete(problemResponse(Problem.of(400, "Malformed JSON", e.getOriginalMessage())));
                    }
                    return async(node.rollback(to, caller).thenApply(r -> json(200, r)));
                }))),
                path("diff", () -> get(() -> parameterOptional("from", from -> parameterOptional("to", to -> async(
                        node.diff(from.orElse("running"), to.orElse("running")).thenApply(lines -> json(200,
                                Map.of("from", from.orElse("running"), "to", to.orElse("running"), "lines", lines))))))))));
    }

    private interface CommitParamsRoute {
        Route apply(Optional<String> message, Optional<Duration> confirmWithin);
    }

    private Route commitParams(CommitParamsRoute inner) {
        return parameterOptional("message", message -> parameterOptional("confirmWithinSeconds", confirm -> {
            Optional<Duration> within;
            try {
                within = confirmWithin(confirm.map(Long::parseLong));
            } catch (NumberFormatException e) {
                return complete(problemResponse(fieldProblem(400, "Bad request", "confirmWithinSeconds",
                        "a whole number of seconds, 1-" + MAX_CONFIRM_SECONDS)));
            } catch (IllegalArgumentException e) {
                return complete(problemResponse(fieldProblem(400, "Bad request", "confirmWithinSeconds", e.getMessage())));
            }
            return inner.apply(message, within);
        }));
    }

    private static Optional<Duration> confirmWithin(Optional<Long> seconds) {
        if (seconds.isEmpty()) {
            return Optional.empty();
        }
        long s = seconds.get();
        if (s < 1 || s > MAX_CONFIRM_SECONDS) {
            throw new IllegalArgumentException("must be 1-" + MAX_CONFIRM_SECONDS + " seconds, got " + s);
        }
        return Optional.of(Duration.ofSeconds(s));
    }

    private CompletionStage<HttpResponse> postCommit(ContentType type, String body, String caller,
            Optional<String> message, Optional<Duration> confirm) {
        String text;
        Optional<String> msg = message;
        Optional<Duration> within = confirm;
        if (type.mediaType().equals(MediaTypes.APPLICATION_JSON)) {
            try {
                JsonNode tree = json.readTree(body);
                if (tree == null || !tree.isObject() || !tree.hasNonNull("config")) {
                    return done(problemResponse(fieldProblem(400, "Bad request", "config",
                            "send {\"config\": CONFIG-TEXT, \"message\": ..., \"confirmWithinSeconds\": N}")));
                }
                text = tree.get("config").asText();
                if (tree.hasNonNull("message")) {
                    msg = Optional.of(tree.get("message").asText());
                }
                if (tree.hasNonNull("confirmWithinSeconds")) {
                    JsonNode n = tree.get("confirmWithinSeconds");
                    if (!n.canConvertToLong()) {
                        return done(problemResponse(fieldProblem(400, "Bad request", "confirmWithinSeconds", "a whole number of seconds")));
                    }
                    within = confirmWithin(Optional.of(n.asLong()));
                }
            } catch (JsonProcessingException e) {
                return done(problemResponse(Problem.of(400, "Malformed JSON", e.getOriginalMessage())));
            } catch (IllegalArgumentException e) {
                return done(problemResponse(fieldProblem(400, "Bad request", "confirmWithinSeconds", e.getMessage())));
            }
        } else {
            text = body;
        }
        return node.commit(text, caller, msg.orElse("commit over the API"), within)
                .thenApply(c -> json(201, Map.of("revision", c.revision(), "warnings", diagnostics(c.warnings()))));
    }

    private CompletionStage<HttpResponse> postEdits(String body, String caller) {
        JsonNode tree;
        List<ConfigEdits.Edit> edits = new ArrayList<>();
        Optional<String> message;
        Optional<Duration> within;
        try {
            tree = json.readTree(body);
            if (tree == null || !tree.isObject() || !tree.path("edits").isArray()) {
                return done(problemResponse(fieldProblem(400, "Bad request", "edits",
                        "send {\"edits\": [{\"replace\": TEXT, \"with\": TEXT} | {\"delete\": LABEL}], \"message\": ...}")));
            }
            for (JsonNode e : tree.get("edits")) {
                edits.add(new ConfigEdits.Edit(text(e, "replace"), text(e, "with"), text(e, "delete")));
            }
            message = tree.hasNonNull("message") ? Optional.of(tree.get("message").asText()) : Optional.empty();
            within = confirmWithin(tree.hasNonNull("confirmWithinSeconds")
                    ? Optional.of(tree.get("confirmWithinSeconds").asLong()) : Optional.empty());
        } catch (JsonProcessingException e) {
            return done(problemResponse(Problem.of(400, "Malformed JSON", e.getOriginalMessage())));
        } catch (IllegalArgumentException e) {
            return done(problemResponse(fieldProblem(400, "Bad request", "confirmWithinSeconds", e.getMessage())));
        }
        return node.running().thenCompose(r -> {
            String edited;
            try {
                edited = ConfigEdits.apply(r.config(), edits);
            } catch (ConfigEdits.EditException e) {
                return done(problemResponse(fieldProblem(422, "Edit cannot be applied", e.field, e.getMessage())));
            }
            return node.commit(edited, caller, message.orElse("edit over the API"), within)
                    .thenApply(c -> json(201, Map.of("revision", c.revision(), "warnings", diagnostics(c.warnings()))));
        });
    }

    private static String text(JsonNode node, String field) {
        return node.hasNonNull(field) ? node.get(field).asText() : null;
    }

    // ---- metrics --------------------------------------------------------------------------------------------

    private CompletionStage<HttpResponse> metrics() {
        return metricsSnapshot.get().thenApply(text -> HttpResponse.create().withStatus(200).withEntity(
                ContentTypes.create(MediaTypes.TEXT_PLAIN, HttpCharsets.UTF_8), text));
    }

    // ---- plumbing -------------------------------------------------------------------------------------------

    private Route authenticated(Function<String, Route> inner) {
        return optionalHeaderValueByName("Authorization", header -> optionalHeaderValueByName("X-Palisade-User", user -> {
            Optional<String> bearer = header.filter(h -> h.regionMatches(true, 0, "Bearer ", 0, 7))
                    .map(h -> h.substring(7).strip());
            if (bearer.isEmpty() || !token.matches(bearer.get())) {
                return respondWithHeader(RawHeader.create("WWW-Authenticate", "Bearer realm=\"palisade\""),
                        () -> complete(problemResponse(Problem.of(401, "Unauthorized", bearer.isPresent()
                                ? "the bearer token is not valid"
                                : "send 'Authorization: Bearer <token>' (see --token-file)"))));
            }
            if (user.isPresent() && !CALLER.matcher(user.get()).matches()) {
                return complete(problemResponse(fieldProblem(400, "Bad request", "X-Palisade-User",
                        "1-64 printable ASCII characters without spaces")));
            }
            return inner.apply(user.orElse("api"));
        }));
    }

    private Route async(CompletionStage<HttpResponse> response) {
        return completeWithFuture(response.exceptionally(this::failure));
    }

    HttpResponse failure(Throwable t) {
        Throwable cause = t;
        while ((cause instanceof CompletionException || cause instanceof java.util.concurrent.ExecutionException)
                && cause.getCause() != null) {
            cause = cause.getCause();
        }
        return switch (cause) {
            case NotFound nf -> problemResponse(Problem.of(404, "Not found", nf.getMessage()));
            case RejectedException r when r.diagnostics().stream().anyMatch(Diagnostic::isError) ->
                    invalid(r.diagnostics().stream().filter(Diagnostic::isError).toList());
            case RejectedException r when r.getMessage() != null && r.getMessage().startsWith("unknown") ->
                    problemResponse(Problem.of(404, "Not found", r.getMessage()));
            case RejectedException r -> problemResponse(Problem.of(409, "Conflict", r.getMessage()));
            case java.util.concurrent.TimeoutException te ->
                    problemResponse(Problem.of(503, "Unavailable", "the node did not answer in time; try again"));
            default -> {
                org.slf4j.LoggerFactory.getLogger(ApiServer.class).error("API request failed", cause);
                yield problemResponse(Problem.of(500, "Internal error", "see the node's log"));
            }
        };
    }

    private HttpResponse invalid(List<Diagnostic> errors) {
        return problemResponse(new Problem("about:blank", "Invalid configuration", 422, errors.size() + " error(s)",
                diagnostics(errors)));
    }

    private static List<Problem.FieldError> diagnostics(List<Diagnostic> list) {
        return list.stream().map(d -> new Problem.FieldError(d.field(), d.message(),
                d.line() > 0 ? d.line() : null, d.column() > 0 ? d.column() : null)).toList();
    }

    private static Problem fieldProblem(int status, String title, String field, String message) {
        return new Problem("about:blank", title, status, message, List.of(new Problem.FieldError(field, message, null, null)));
    }

    private Route jsonRoute(int status, Object body) {
        return complete(json(status, body));
    }

    private HttpResponse json(int status, Object body) {
        return HttpResponse.create().withStatus(status).withEntity(ContentTypes.APPLICATION_JSON, write(body));
    }

    HttpResponse problemResponse(Problem p) {
        return HttpResponse.create().withStatus(StatusCodes.get(p.status())).withEntity(PROBLEM_JSON, write(p));
    }

    private static CompletionStage<HttpResponse> done(HttpResponse r) {
        return CompletableFuture.completedFuture(r);
    }

    /** One line of JSON: an SSE {@code data:} field each. */
    private String compact(Object body) {
        try {
            return json.writer().without(com.fasterxml.jackson.databind.SerializationFeature.INDENT_OUTPUT)
                    .writeValueAsString(body);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot serialize " + body.getClass().getSimpleName(), e);
        }
    }

    private String write(Object body) {
        try {
            return json.writeValueAsString(body);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot serialize " + body.getClass().getSimpleName(), e);
        }
    }

    /** A lookup that found nothing: 404. */
    static final class NotFound extends RuntimeException {
        private static final long serialVersionUID = 1L;

        NotFound(String message) {
            super(message);
        }
    }
}
