package net.palisade.api;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletionStage;
import java.util.function.Supplier;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.http.javadsl.Http;
import org.apache.pekko.http.javadsl.ServerBinding;
import org.apache.pekko.http.javadsl.model.ContentType;
import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.model.HttpCharsets;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.MediaTypes;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.model.headers.RawHeader;
import org.apache.pekko.http.javadsl.server.AllDirectives;
import org.apache.pekko.http.javadsl.server.PathMatchers;
import org.apache.pekko.http.javadsl.server.Route;

/**
 * The HTTP/JSON API of one node. Everything but {@code /healthz} and {@code /readyz} needs the bearer token.
 * Errors are RFC 9457 problem+json.
 */
public final class ApiServer extends AllDirectives {
    static final ContentType.WithFixedCharset PROBLEM_JSON =
            ContentTypes.create(MediaTypes.applicationWithFixedCharset("problem+json", HttpCharsets.UTF_8));
    static final ContentType.WithCharset TEXT = ContentTypes.TEXT_PLAIN_UTF8;

    private final TokenFile token;
    private final GatewayView gateway;
    private final Supplier<Boolean> ready;
    private final ObjectMapper json;

    public ApiServer(TokenFile token, GatewayView gateway, Supplier<Boolean> ready, ObjectMapper json) {
        this.token = token;
        this.gateway = gateway;
        this.ready = ready;
        this.json = json.copy().enable(SerializationFeature.INDENT_OUTPUT);
    }

    /** Binds the API to {@code host:port}. */
    public CompletionStage<ServerBinding> bind(ActorSystem<?> system, String host, int port) {
        return Http.get(system).newServerAt(host, port).bind(route());
    }

    Route route() {
        return concat(
                path("healthz", () -> get(() -> jsonResponse(200, Map.of("status", "ok")))),
                path("readyz", () -> get(() -> ready.get()
                        ? jsonResponse(200, Map.of("status", "ready"))
                        : problem(Problem.of(503, "Not ready", "the node is still starting")))),
                pathPrefix("v1", () -> authenticated(this::v1)),
                problem(Problem.of(404, "Not found", "no such resource; see docs/api.md")));
    }

    private Route v1() {
        return concat(
                path("config", () -> get(() -> complete(HttpResponse.create().withStatus(200)
                        .withEntity(TEXT, gateway.runningConfigRedacted())))),
                path("tunnels", () -> get(() -> jsonResponse(200, gateway.tunnels()))),
                path(PathMatchers.segment("tunnels").slash(PathMatchers.segment()), (String label) -> get(() -> gateway.tunnel(label)
                        .map(t -> jsonResponse(200, t))
                        .orElseGet(() -> problem(Problem.of(404, "No such tunnel", "no tunnel labelled '" + label + "'"))))));
    }

    private Route authenticated(Supplier<Route> inner) {
        return optionalHeaderValueByName("Authorization", header -> {
            Optional<String> bearer = header.filter(h -> h.regionMatches(true, 0, "Bearer ", 0, 7)).map(h -> h.substring(7).strip());
            if (bearer.isPresent() && token.matches(bearer.get())) {
                return inner.get();
            }
            return respondWithHeader(RawHeader.create("WWW-Authenticate", "Bearer realm=\"palisade\""),
                    () -> problem(Problem.of(401, "Unauthorized",
                            bearer.isPresent() ? "the bearer token is not valid" : "send 'Authorization: Bearer <token>' (see --token-file)")));
        });
    }

    private Route jsonResponse(int status, Object body) {
        return complete(HttpResponse.create().withStatus(status).withEntity(ContentTypes.APPLICATION_JSON, write(body)));
    }

    private Route problem(Problem p) {
        return complete(HttpResponse.create().withStatus(StatusCodes.get(p.status())).withEntity(PROBLEM_JSON, write(p)));
    }

    private byte[] write(Object body) {
        try {
            return json.writeValueAsBytes(body);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot serialize " + body.getClass().getSimpleName(), e);
        }
    }
}
