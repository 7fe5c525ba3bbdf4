package net.palisade.api;

import java.util.function.Function;
import java.util.stream.Collectors;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.server.AllDirectives;
import org.apache.pekko.http.javadsl.server.MalformedRequestContentRejection;
import org.apache.pekko.http.javadsl.server.MethodRejection;
import org.apache.pekko.http.javadsl.server.RejectionHandler;
import org.apache.pekko.http.javadsl.server.UnsupportedRequestContentTypeRejection;

/** Pekko HTTP's rejections (wrong method, unreadable body...) as problem+json. */
final class Rejections extends AllDirectives {
    private Rejections() {}

    static RejectionHandler handler(Function<Problem, HttpResponse> problem) {
        Rejections d = new Rejections();
        return RejectionHandler.newBuilder()
                .handleAll(MethodRejection.class, rejections -> d.complete(problem.apply(Problem.of(405, "Method not allowed",
                        "allowed: " + rejections.stream().map(r -> r.supported().name()).distinct().collect(Collectors.joining(", "))))))
                .handle(MalformedRequestContentRejection.class, r -> d.complete(problem.apply(
                        Problem.of(400, "Malformed request", r.message()))))
                .handle(UnsupportedRequestContentTypeRejection.class, r -> d.complete(problem.apply(
                        Problem.of(415, "Unsupported media type", "send application/json or text/plain"))))
                .handleNotFound(d.complete(problem.apply(Problem.of(404, "Not found", "no such resource; see docs/api.md"))))
                .build()
                .withFallback(RejectionHandler.defaultHandler());
    }
}
