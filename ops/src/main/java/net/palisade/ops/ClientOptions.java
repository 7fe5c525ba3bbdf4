package net.palisade.ops;

import java.nio.file.Path;
import java.util.Map;
import java.util.function.Supplier;
import net.palisade.ops.client.ApiClient;
import picocli.CommandLine.Option;

/**
 * Where the client commands find the node: {@code --api URL} (else {@code $PALISADE_API}, else
 * {@code http://127.0.0.1:8470}) and {@code --token-file FILE} (else {@code $PALISADE_TOKEN_FILE}, else
 * {@code api-token} in the default data directory of {@code palisade run}); for an HTTPS API, {@code --api-ca FILE}
 * (else {@code $PALISADE_API_CA}) names the certificates to trust.
 */
final class ClientOptions {
    static final String API_ENV = "PALISADE_API";
    static final String TOKEN_FILE_ENV = "PALISADE_TOKEN_FILE";
    static final String CA_ENV = "PALISADE_API_CA";

    @Option(names = "--api", paramLabel = "URL",
            description = "the node's HTTP API (default: $PALISADE_API, else " + ApiClient.DEFAULT_API + ")")
    String api;

    @Option(names = "--token-file", paramLabel = "FILE",
            description = "the node's API token file (default: $PALISADE_TOKEN_FILE, else api-token in the data directory"
                    + " of 'palisade run': /var/lib/palisade as root, else ~/.local/share/palisade)")
    Path tokenFile;

    @Option(names = "--api-ca", paramLabel = "FILE",
            description = "for an https:// API: the PEM certificate(s) to trust, the node's own or its CA"
                    + " (default: $PALISADE_API_CA, else the JDK's roots)")
    Path apiCa;

    /** The certificates to trust for HTTPS: the flag, else the environment, else none (the JDK's roots). */
    java.util.Optional<Path> apiCa(Map<String, String> env) {
        if (apiCa != null) {
            return java.util.Optional.of(apiCa);
        }
        String fromEnv = env.get(CA_ENV);
        return fromEnv != null && !fromEnv.isBlank() ? java.util.Optional.of(Path.of(fromEnv.strip()))
                : java.util.Optional.empty();
    }

    /** The API URL: the flag, else the environment, else the default. */
    String api(Map<String, String> env) {
        if (api != null) {
            return api;
        }
        String fromEnv = env.get(API_ENV);
        return fromEnv != null && !fromEnv.isBlank() ? fromEnv.strip() : ApiClient.DEFAULT_API;
    }

    /** The token file: the flag, else the environment, else {@code DATA/api-token}. */
    Path tokenFile(Map<String, String> env, Supplier<Path> dataDir) {
        if (tokenFile != null) {
            return tokenFile;
        }
        String fromEnv = env.get(TOKEN_FILE_ENV);
        return fromEnv != null && !fromEnv.isBlank() ? Path.of(fromEnv.strip()) : dataDir.get().resolve("api-token");
    }

    ApiClient open() {
        Map<String, String> env = System.getenv();
        return ApiClient.open(api(env), tokenFile(env, Defaults::dataDir), ApiClient.defaultCaller(env), apiCa(env));
    }
}
