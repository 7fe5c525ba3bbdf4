package net.palisade.ops.client;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.channels.UnresolvedAddressException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.StringJoiner;
import java.util.regex.Pattern;

/**
 * The CLI's side of the HTTP API ({@code docs/api.md}): bearer token from the token file, the caller in
 * {@code X-Palisade-User}, and every failure turned into a {@link CliFailure} with a readable message (problem
 * documents with their field errors, an unreachable node, a refused token).
 */
public final class ApiClient implements AutoCloseable {
    /** The default API address, as {@code palisade run --api} listens by default. */
    public static final String DEFAULT_API = "http://127.0.0.1:8470";
    private static final Pattern CALLER = Pattern.compile("[\\x21-\\x7e]{1,64}");
    private static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(5);
    private static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(30);

    private final URI base;
    private final String shownBase;
    private final Path tokenFile;
    private final String token;
    private final Optional<String> caller;
    private final HttpClient http;
    private final ObjectMapper json = new ObjectMapper();

    private ApiClient(URI base, Path tokenFile, String token, Optional<String> caller,
            Optional<javax.net.ssl.SSLContext> trust) {
        this.base = base;
        this.shownBase = base.toString();
        this.tokenFile = tokenFile;
        this.token = token;
        this.caller = caller;
        HttpClient.Builder b = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(CONNECT_TIMEOUT).followRedirects(HttpClient.Redirect.NEVER);
        trust.ifPresent(b::sslContext);
        this.http = b.build();
    }

    /**
     * As {@link #open(String, Path, Optional)}, trusting the certificates of {@code caFile} (PEM: the node's own
     * self-signed certificate, or the CA that issued it) for an {@code https://} API instead of the JDK's roots.
     *
     * @throws CliFailure (exit 2) when the file holds no readable certificate
     */
    public static ApiClient open(String api, Path tokenFile, Optional<String> caller, Optional<Path> caFile) {
        URI base = baseUri(api);
        return new ApiClient(base, tokenFile, readToken(tokenFile), caller.filter(c -> CALLER.matcher(c).matches()),
                caFile.map(ApiClient::trusting));
    }

    private static javax.net.ssl.SSLContext trusting(Path caFile) {
        try {
            var store = java.security.KeyStore.getInstance("PKCS12");
            store.load(null, null);
            int n = 0;
            try (var in = Files.newInputStream(caFile)) {
                for (var c : java.security.cert.CertificateFactory.getInstance("X.509").generateCertificates(in)) {
                    store.setCertificateEntry("ca-" + n++, c);
                }
            }
            if (n == 0) {
                throw CliFailure.usage("--api-ca: " + caFile + " holds no PEM certificate");
            }
            var tmf = javax.net.ssl.TrustManagerFactory.getInstance(
                    javax.net.ssl.TrustManagerFactory.getDefaultAlgorithm());
            tmf.init(store);
            var ctx = javax.net.ssl.SSLContext.getInstance("TLS");
            ctx.init(null, tmf.getTrustManagers(), null);
            return ctx;
        } catch (NoSuchFileException e) {
            throw CliFailure.usage("--api-ca: " + caFile + ": no such file");
        } catch (IOException | java.security.GeneralSecurityException e) {
            throw CliFailure.usage("--api-ca: " + caFile + ": not a PEM certificate file (" + e.getMessage() + ")");
        }
    }

    /**
     * A client for the node at {@code api} with the token in {@code tokenFile}.
     *
     * @param caller sent as {@code X-Palisade-User}: the node records it as commit author and in event causes
     * @throws CliFailure (exit 2) when the URL is malformed or the token file cannot be read
     */
    public static ApiClient open(String api, Path tokenFile, Optional<String> caller) {
        return open(api, tokenFile, caller, Optional.empty());
    }

    /** {@code http://HOST:PORT[/prefix]} from {@code http://...}, {@code https://...} or a bare {@code HOST:PORT}. */
    public static URI baseUri(String api) {
        String text = api == null ? "" : api.strip();
        if (!text.contains("://")) {
            text = "http://" + text;
        }
        while (text.endsWith("/")) {
            text = text.substring(0, text.length() - 1);
        }
        try {
            URI uri = new URI(text);
            String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
            if (!scheme.equals("http") && !scheme.equals("https") || uri.getHost() == null || uri.getQuery() != null
                    || uri.getFragment() != null) {
                throw new URISyntaxException(text, "not an http(s) URL with a host");
            }
            return uri;
        } catch (URISyntaxException e) {
            throw CliFailure.usage("--api: expected a URL like " + DEFAULT_API + ", got '" + api + "'");
        }
    }

    /** The caller name to send: {@code $USER} if usable, else the JVM's user name, else none. */
    public static Optional<String> defaultCaller(Map<String, String> env) {
        String user = env.get("USER");
        if (user != null && CALLER.matcher(user).matches()) {
            return Optional.of(user);
        }
        String name = System.getProperty("user.name");
        return name != null && CALLER.matcher(name).matches() ? Optional.of(name) : Optional.empty();
    }

    private static String readToken(Path file) {
        String hint = " (give the node's token file with --token-file or PALISADE_TOKEN_FILE; "
                + "'palisade run' keeps it in its data directory as api-token)";
        try {
            String t = Files.readString(file, StandardCharsets.US_ASCII).strip();
            if (t.isEmpty() || t.contains("\n") || !t.chars().allMatch(c -> c > 0x20 && c < 0x7f)) {
                throw CliFailure.usage("the token file " + file + " does not hold a token" + hint);
            }
            return t;
        } catch (NoSuchFileException e) {
            throw CliFailure.usage("no token file at " + file + hint);
        } catch (AccessDeniedException e) {
            throw CliFailure.usage("cannot read the token file " + file + ": permission denied"
                    + " (run as the user that runs the node, or give --token-file)");
        } catch (IOException e) {
            throw CliFailure.usage("cannot read the token file " + file + ": " + e.getMessage() + hint);
        }
    }

    /** The API's base URL as shown in messages. */
    public String baseUrl() {
        return shownBase;
    }

    public Optional<String> caller() {
        return caller;
    }

    public ObjectMapper mapper() {
        return json;
    }

    /** An answer with a 2xx status. */
    public record Response(int status, String body, Optional<String> revision) {}

    /** GET {@code path} (with its query) and its JSON answer. */
    public JsonNode getJson(String path) {
        return parse(send("GET", path, null, null));
    }

    /** GET {@code path} as text. */
    public Response getText(String path) {
        return send("GET", path, null, null);
    }

    /** POST a JSON body ({@code null}: none) and read the JSON answer. */
    public JsonNode postJson(String path, Object body) {
        String text;
        try {
            text = body == null ? null : json.writeValueAsString(body);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot write the request", e);
        }
        return parse(send("POST", path, body == null ? null : "application/json", text));
    }

    /** POST config text and read the JSON answer. */
    public JsonNode postText(String path, String text) {
        return parse(send("POST", path, "text/plain; charset=utf-8", text));
    }

    /** The JSON of a response body; a body that is not JSON is the node's fault: exit 2. */
    public JsonNode parse(Response r) {
        try {
            return json.readTree(r.body());
        } catch (JsonProcessingException e) {
            throw CliFailure.usage("the node at " + shownBase + " answered something that is not JSON: "
                    + Problems.excerpt(r.body()));
        }
    }

    /** Sends a request; a status of 400 or more becomes a {@link CliFailure}. */
    public Response send(String method, String path, String contentType, String body) {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(shownBase + path)).timeout(REQUEST_TIMEOUT)
                .header("Authorization", "Bearer " + token)
                .header("Accept", "application/json, text/plain, application/problem+json");
        caller.ifPresent(c -> b.header("X-Palisade-User", c));
        if (contentType != null) {
            b.header("Content-Type", contentType);
        }
        b.method(method, body == null ? HttpRequest.BodyPublishers.noBody()
                : HttpRequest.BodyPublishers.ofString(body, StandardCharsets.UTF_8));
        HttpResponse<String> r;
        try {
            r = http.send(b.build(), HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
        } catch (HttpConnectTimeoutException e) {
            throw unreachable();
        } catch (HttpTimeoutException e) {
            throw CliFailure.usage("the node at " + shownBase + " did not answer within " + REQUEST_TIMEOUT.toSeconds()
                    + " s");
        } catch (IOException e) {
            if (refused(e)) {
                throw unreachable();
            }
            if (untrusted(e)) {
                throw CliFailure.usage("the node at " + shownBase + " presented a certificate this client does not"
                        + " trust: give it with --api-ca FILE (or $PALISADE_API_CA)");
            }
            throw CliFailure.usage("cannot talk to the node at " + shownBase + ": " + describe(e));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw CliFailure.usage("interrupted");
        }
        if (r.statusCode() >= 400) {
            throw Problems.failure(r.statusCode(), r.body(), json, tokenFile);
        }
        if (r.statusCode() >= 300) {
            throw CliFailure.usage("the node at " + shownBase + " answered " + r.statusCode()
                    + r.headers().firstValue("Location").map(l -> " (to " + l + ")").orElse("")
                    + "; is --api the node's API address?");
        }
        return new Response(r.statusCode(), r.body(), r.headers().firstValue("X-Palisade-Revision"));
    }

    /**
     * Streams the body of {@code GET path} into {@code sink} as it arrives (a capture), waiting at most
     * {@code timeout} for the whole of it; a status of 400 or more becomes a {@link CliFailure}.
     *
     * @return the octets written
     */
    public long download(String path, java.io.OutputStream sink, Duration timeout) {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(shownBase + path)).timeout(timeout)
                .header("Authorization", "Bearer " + token)
                .header("Accept", "application/vnd.tcpdump.pcap, application/problem+json").GET();
        caller.ifPresent(c -> b.header("X-Palisade-User", c));
        try {
            HttpResponse<java.io.InputStream> r = http.send(b.build(), HttpResponse.BodyHandlers.ofInputStream());
            try (java.io.InputStream in = r.body()) {
                if (r.statusCode() >= 400) {
                    throw Problems.failure(r.statusCode(), new String(in.readAllBytes(), StandardCharsets.UTF_8), json,
                            tokenFile);
                }
                byte[] buf = new byte[64 * 1024];
                long total = 0;
                for (int n; (n = in.read(buf)) >= 0; ) {
                    sink.write(buf, 0, n);
                    sink.flush(); // a reader of the pipe (tcpdump -r -) sees each packet as it comes
                    total += n;
                }
                return total;
            }
        } catch (HttpConnectTimeoutException e) {
            throw unreachable();
        } catch (HttpTimeoutException e) {
            throw CliFailure.usage("the node at " + shownBase + " did not finish within " + timeout.toSeconds() + " s");
        } catch (IOException e) {
            if (refused(e)) {
                throw unreachable();
            }
            throw CliFailure.usage("cannot talk to the node at " + shownBase + ": " + describe(e));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw CliFailure.usage("interrupted");
        }
    }

    private CliFailure unreachable() {
        return CliFailure.usage("cannot reach the node at " + shownBase + " (is 'palisade run' running?)");
    }

    private static boolean untrusted(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof java.security.cert.CertPathValidatorException
                    || t instanceof java.security.cert.CertPathBuilderException) {
                return true;
            }
        }
        return false;
    }

    private static boolean refused(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof ConnectException || t instanceof UnresolvedAddressException
                    || t instanceof java.net.UnknownHostException || t instanceof java.net.NoRouteToHostException) {
                return true;
            }
        }
        return false;
    }

    private static String describe(Throwable e) {
        Throwable t = e;
        while (t.getCause() != null && (t.getMessage() == null || t.getMessage().isBlank())) {
            t = t.getCause();
        }
        return t.getMessage() == null ? t.getClass().getSimpleName() : t.getMessage();
    }

    /** A path segment, percent-encoded. */
    public static String segment(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8).replace("+", "%20");
    }

    /** {@code ?k=v&...} of the present values, or the empty string. */
    public static String query(Map<String, Optional<String>> params) {
        StringJoiner q = new StringJoiner("&", "?", "").setEmptyValue("");
        params.forEach((k, v) -> v.ifPresent(value -> q.add(k + "=" + segment(value))));
        return q.toString();
    }

    /** An insertion-ordered map for {@link #query(Map)}. */
    public static Map<String, Optional<String>> params() {
        return new LinkedHashMap<>();
    }

    @Override
    public void close() {
        http.close();
    }
}
