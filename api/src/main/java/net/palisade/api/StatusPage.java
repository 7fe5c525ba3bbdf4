package net.palisade.api;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.List;
import java.util.Map;
import org.apache.pekko.http.javadsl.model.ContentType;
import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.model.HttpCharsets;
import org.apache.pekko.http.javadsl.model.HttpHeader;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.MediaTypes;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.model.Uri;
import org.apache.pekko.http.javadsl.model.headers.RawHeader;
import org.apache.pekko.http.javadsl.server.AllDirectives;
import org.apache.pekko.http.javadsl.server.PathMatchers;
import org.apache.pekko.http.javadsl.server.Route;

/**
 * The status page ({@code /ui/}): three static files shipped in this module, served without the token — they hold
 * no data; the page asks for the token and sends it on every data call (see {@code docs/security.md}). Only these
 * files are served (a fixed table, no directory lookup), with a Content-Security-Policy that allows scripts and
 * styles from the node alone: the page keeps the token in {@code sessionStorage}, where an injected script could
 * read it, so no inline or foreign script may run, and the page writes data with {@code textContent} only.
 */
final class StatusPage extends AllDirectives {
    static final String CSP = "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self';"
            + " img-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";
    private static final List<HttpHeader> HEADERS = List.of(
            RawHeader.create("Content-Security-Policy", CSP),
            RawHeader.create("X-Content-Type-Options", "nosniff"),
            RawHeader.create("Referrer-Policy", "no-referrer"),
            RawHeader.create("X-Frame-Options", "DENY"),
            RawHeader.create("Cache-Control", "no-cache"));

    private final Map<String, HttpResponse> files = Map.of(
            "index.html", file("index.html", ContentTypes.TEXT_HTML_UTF8),
            "status.js", file("status.js", ContentTypes.create(MediaTypes.APPLICATION_JAVASCRIPT, HttpCharsets.UTF_8)),
            "status.css", file("status.css", ContentTypes.create(MediaTypes.TEXT_CSS, HttpCharsets.UTF_8)));

    /** {@code GET /} and {@code GET /ui} redirect to {@code /ui/}; {@code /ui/} is the page, then its two files. */
    Route route() {
        return get(() -> concat(
                pathSingleSlash(() -> redirect(Uri.create("/ui/"), StatusCodes.FOUND)),
                path("ui", () -> redirect(Uri.create("/ui/"), StatusCodes.FOUND)),
                pathPrefix("ui", () -> concat(
                        pathSingleSlash(() -> complete(files.get("index.html"))),
                        path(PathMatchers.segment(), name -> files.containsKey(name)
                                ? complete(files.get(name)) : reject())))));
    }

    private static HttpResponse file(String name, ContentType type) {
        try (InputStream in = StatusPage.class.getResourceAsStream("ui/" + name)) {
            if (in == null) {
                throw new IllegalStateException("the status page's resource ui/" + name + " is missing from the jar");
            }
            return HttpResponse.create().withStatus(200).withEntity(type, in.readAllBytes()).addHeaders(HEADERS);
        } catch (IOException e) {
            throw new UncheckedIOException("reading the status page's ui/" + name, e);
        }
    }
}
